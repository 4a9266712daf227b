// Image geometry (see image_geometry.h).
//
// shrink_to: a box filter by the whole factor k first (OpenCV's fast INTER_AREA path needs an
// exact multiple, so the last k-1 columns and rows at most are left out), then what remains,
// below 2x: bilinear below 1.5x, area above. Several times faster than one INTER_AREA resize
// by a fractional factor (benchmarks/RESULTS.md).
#include "models/image_geometry.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace veil {

cv::Mat shrink_to(const cv::Mat& src, cv::Size size) {
  if (size == src.size()) return src;
  if (size.width > src.cols || size.height > src.rows || size.width < 1 || size.height < 1)
    throw std::invalid_argument("shrink_to: the target must be smaller than the source");
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

cv::Size fitted_size(cv::Size size, int box) {
  if (box < 1) throw std::invalid_argument("fitted_size: the box must be at least 1 pixel");
  const int longest = std::max(size.width, size.height);
  if (longest <= box) return size;
  const double scale = static_cast<double>(box) / longest;
  const int w = size.width >= size.height ? box : std::max(1, static_cast<int>(std::lround(size.width * scale)));
  const int h = size.height > size.width ? box : std::max(1, static_cast<int>(std::lround(size.height * scale)));
  return {w, h};
}

cv::Mat fit_in_box(const cv::Mat& src, int box) { return shrink_to(src, fitted_size(src.size(), box)); }

cv::Mat centre_square(const cv::Mat& src) {
  const int side = std::min(src.cols, src.rows);
  return src(cv::Rect((src.cols - side) / 2, (src.rows - side) / 2, side, side));
}

}  // namespace veil
