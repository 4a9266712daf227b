// Display-matrix orientation: decision as ffmpeg's autorotate makes it, and its
// application to pixels (OpenCV flips/rotations) and to boxes.
#include "pipeline/video/orientation.h"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>

extern "C" {
#include <libavutil/display.h>
}

namespace veil {

int orientation_from_display_matrix(const std::int32_t matrix[9]) {
  std::int32_t m[9];
  std::copy(matrix, matrix + 9, m);
  double angle = av_display_rotation_get(m);  // counter-clockwise degrees
  if (!std::isfinite(angle)) return 1;
  double theta = -std::round(angle);  // clockwise
  theta -= 360 * std::floor(theta / 360 + 0.9 / 360);
  // Angles that are not right angles: the nearest right angle (players differ; Veil never
  // shows a picture tilted, and the checks below only need upright-ish faces).
  const double right = std::fmod(std::round(theta / 90) * 90, 360.0);
  if (std::fabs(right - 90) < 1) return m[3] > 0 ? 5 : 6;
  if (std::fabs(right - 180) < 1) {
    const bool h = m[0] < 0, v = m[4] < 0;
    if (h && v) return 3;
    if (h) return 2;
    if (v) return 4;
    return 1;
  }
  if (std::fabs(right - 270) < 1) return m[3] < 0 ? 7 : 8;
  return m[4] < 0 ? 4 : 1;
}

int orientation_rotation(int orientation) {
  switch (orientation) {
    case 3: return 180;
    case 6: case 7: return 90;
    case 5: case 8: return 270;
    default: return 0;
  }
}

bool orientation_swaps_axes(int orientation) { return orientation >= 5 && orientation <= 8; }

void apply_orientation(const cv::Mat& src, cv::Mat& dst, int orientation) {
  switch (orientation) {
    case 2: cv::flip(src, dst, 1); break;
    case 3: cv::rotate(src, dst, cv::ROTATE_180); break;
    case 4: cv::flip(src, dst, 0); break;
    case 5: cv::transpose(src, dst); break;
    case 6: cv::rotate(src, dst, cv::ROTATE_90_CLOCKWISE); break;
    case 7: {
      cv::Mat t;
      cv::transpose(src, t);
      cv::flip(t, dst, -1);
      break;
    }
    case 8: cv::rotate(src, dst, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: dst = src; break;
  }
}

namespace {

cv::Point2f point_to_upright(float x, float y, int o, float w, float h) {
  switch (o) {
    case 2: return {w - x, y};
    case 3: return {w - x, h - y};
    case 4: return {x, h - y};
    case 5: return {y, x};
    case 6: return {h - y, x};
    case 7: return {h - y, w - x};
    case 8: return {y, w - x};
    default: return {x, y};
  }
}

int inverse_orientation(int o) { return o == 6 ? 8 : o == 8 ? 6 : o; }

}  // namespace

Box box_to_upright(const Box& b, int orientation, int stored_width, int stored_height) {
  const float w = static_cast<float>(stored_width), h = static_cast<float>(stored_height);
  const cv::Point2f p1 = point_to_upright(b.x, b.y, orientation, w, h);
  const cv::Point2f p2 = point_to_upright(b.x + b.w, b.y + b.h, orientation, w, h);
  return Box{std::min(p1.x, p2.x), std::min(p1.y, p2.y), std::fabs(p2.x - p1.x), std::fabs(p2.y - p1.y)};
}

Box box_to_stored(const Box& upright, int orientation, int stored_width, int stored_height) {
  const bool swap = orientation_swaps_axes(orientation);
  return box_to_upright(upright, inverse_orientation(orientation), swap ? stored_height : stored_width,
                        swap ? stored_width : stored_height);
}

}  // namespace veil
