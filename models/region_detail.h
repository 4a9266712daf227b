// How much an image region shows at the scale of a face: the measure the detector uses to
// drop "faces" on featureless pixels (models/face_detector.h).
//
// YuNet reports large faces, with scores up to 0.9, on a black or nearly black picture (a lens
// cap, a pocket): on featureless input the only structure it sees is its own zero padding at
// the input's edges, and its largest anchors at the top row answer it. A region in which
// nothing varies at face scale cannot show a face, however it is brightened; a real face,
// even a very dark one, varies.
#pragma once

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

// The standard deviation, in 8-bit grey levels, of the means of a 16 x 16 grid of cells over
// `box` (clipped to the image) of an 8-bit BGR image. Sensor noise averages out in the cells,
// the shading of a face does not. Infinity when the clipped box is empty (nothing measured:
// the caller keeps what it cannot measure).
double region_detail(const cv::Mat& bgr, const Box& box);

// Below this a detection is not a face. Measured (docs/models.md): real faces found in
// testdata at the whole-image pass are 3.8 and up, a face photo darkened to 5 % of its
// brightness 1.7; a black JPEG is 0, black with sensor-like noise (sigma 1.5, 4) 0.25-0.5.
inline constexpr double kMinFaceDetail = 1.0;

}  // namespace veil
