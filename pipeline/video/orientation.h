// Display orientation of video pictures: from an MP4/MOV display matrix to one of the
// eight EXIF-style orientations, and applying it to pixels and boxes so that every later
// stage (detection, redaction, encoding) works on the upright picture.
//
// Orientation numbers follow EXIF: 1 as stored, 2 mirror left-right, 3 rotate 180,
// 4 mirror top-bottom, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
// 8 rotate 90 counter-clockwise (270 clockwise). 5..8 swap width and height.
#pragma once

#include <cstdint>

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

// The orientation a player applies for this display matrix (libavutil/display.h layout),
// decided as ffmpeg's autorotation does: the angle is rounded to a multiple of 90 degrees,
// and a negative-determinant (mirrored) matrix gives 2, 4, 5 or 7.
int orientation_from_display_matrix(const std::int32_t matrix[9]);

// Clockwise rotation part of an orientation: 0, 90, 180 or 270.
int orientation_rotation(int orientation);

// Whether the upright picture has width and height swapped (orientations 5..8).
bool orientation_swaps_axes(int orientation);

// Pixels: `dst` is `src` turned upright (any type; dst may not alias src unless orientation is 1).
void apply_orientation(const cv::Mat& src, cv::Mat& dst, int orientation);

// Boxes between a stored picture of stored_width x stored_height and its upright version.
Box box_to_upright(const Box& stored, int orientation, int stored_width, int stored_height);
Box box_to_stored(const Box& upright, int orientation, int stored_width, int stored_height);

}  // namespace veil
