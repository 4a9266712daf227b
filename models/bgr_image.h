// Normalising an input image to the 8-bit, 3-channel BGR layout the models take.
#pragma once

#include <opencv2/core/mat.hpp>

namespace veil {

// `image` itself when already 8-bit BGR, else a converted copy (grey and BGRA accepted).
// Throws ModelError naming `who` for other depths or channel counts, or an empty image.
cv::Mat as_bgr8(const cv::Mat& image, const char* who);

}  // namespace veil
