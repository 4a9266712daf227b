// Normalising an input image to the 8-bit, 3-channel BGR layout the models take, and
// shrinking images fast and without aliasing.
#pragma once

#include <opencv2/core/mat.hpp>

namespace veil {

// `image` itself when already 8-bit BGR, else a converted copy (grey and BGRA accepted).
// Throws ModelError naming `who` for other depths or channel counts, or an empty image.
cv::Mat as_bgr8(const cv::Mat& image, const char* who);

// `src` reduced to `size` (no larger than src): a box filter by the whole factor k first
// (OpenCV's fast INTER_AREA path needs an exact multiple: the last k-1 columns and rows at
// most are left out), then what remains, below 2x: bilinear below 1.5x, area above.
// Several times faster than one INTER_AREA resize by a fractional factor.
cv::Mat shrink_to(const cv::Mat& src, cv::Size size);

}  // namespace veil
