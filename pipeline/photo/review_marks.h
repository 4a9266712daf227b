// The review image: a rendition with each face's box, number and decision drawn on it, for
// the managers who decide on an item. Drawn on pixels already redacted: it adds marks, never
// reveals anything.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

struct ReviewMark {
  Box box;           // in the pixels of the photo as uploaded
  int n = 0;         // the face's number, drawn beside its box
  bool keep = false; // keep: drawn green with "n keep"; blur: red with "n blur"
};

// Draws `marks` on a copy of `image` (8-bit BGR), scaling boxes by image.cols / original_width
// (1 when original_width is 0). Line width and text size follow the image's size.
cv::Mat draw_review_marks(const cv::Mat& image, const std::vector<ReviewMark>& marks, int original_width);

// JPEG bytes of `image` (8-bit BGR) at `quality` (1..100). Throws std::runtime_error when
// encoding fails.
std::string encode_jpeg(const cv::Mat& image, int quality = 90);

// The image in JPEG (or any format OpenCV reads) bytes, as 8-bit BGR. Throws
// std::runtime_error when it does not decode.
cv::Mat decode_bgr(const std::string& bytes);

}  // namespace veil
