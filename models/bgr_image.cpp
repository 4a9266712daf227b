// as_bgr8: grey/BGRA to BGR, with clear errors for what the models cannot take.
#include "models/bgr_image.h"

#include <algorithm>
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

cv::Mat shrink_to(const cv::Mat& src, cv::Size size) {
  const int k = std::min(src.cols / size.width, src.rows / size.height);
  cv::Mat mid = src;
  if (k >= 2) {
    const cv::Size reduced(src.cols / k, src.rows / k);
    cv::resize(src(cv::Rect(0, 0, reduced.width * k, reduced.height * k)), mid, reduced, 0, 0, cv::INTER_AREA);
  }
  if (mid.size() == size) return mid;
  const double ratio = std::max(static_cast<double>(mid.cols) / size.width, static_cast<double>(mid.rows) / size.height);
  cv::Mat out;
  cv::resize(mid, out, size, 0, 0, ratio < 1.5 ? cv::INTER_LINEAR : cv::INTER_AREA);
  return out;
}

}  // namespace veil
