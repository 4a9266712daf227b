// as_bgr8: grey/BGRA to BGR, with clear errors for what the models cannot take.
#include "models/bgr_image.h"

#include <string>

#include <opencv2/imgproc.hpp>

#include "models/model_file.h"

namespace veil {

cv::Mat as_bgr8(const cv::Mat& image, const char* who) {
  if (image.empty()) throw ModelError(std::string(who) + ": empty image");
  if (image.depth() != CV_8U) throw ModelError(std::string(who) + ": the image must have 8-bit channels");
  cv::Mat bgr;
  switch (image.channels()) {
    case 3: return image;
    case 1: cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR); return bgr;
    case 4: cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR); return bgr;
    default: throw ModelError(std::string(who) + ": unsupported channel count " + std::to_string(image.channels()));
  }
}

}  // namespace veil
