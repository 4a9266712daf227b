// Region detail at face scale (see region_detail.h).
#include "models/region_detail.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

namespace veil {

double region_detail(const cv::Mat& bgr, const Box& box) {
  const int x1 = std::max(0, static_cast<int>(std::floor(box.x)));
  const int y1 = std::max(0, static_cast<int>(std::floor(box.y)));
  const int x2 = std::min(bgr.cols, static_cast<int>(std::ceil(box.x + box.w)));
  const int y2 = std::min(bgr.rows, static_cast<int>(std::ceil(box.y + box.h)));
  if (x2 <= x1 || y2 <= y1) return std::numeric_limits<double>::infinity();
  constexpr int kCells = 16;
  cv::Mat cells, grey;
  // INTER_AREA averages every pixel of a cell (when the region is at least 16 px; a smaller
  // one is interpolated, which keeps its variation).
  cv::resize(bgr(cv::Rect(x1, y1, x2 - x1, y2 - y1)), cells, cv::Size(kCells, kCells), 0, 0, cv::INTER_AREA);
  cells.convertTo(cells, CV_32FC3);
  cv::cvtColor(cells, grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(grey, mean, stddev);
  return stddev[0];
}

}  // namespace veil
