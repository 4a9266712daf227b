// Face boxes, numbers and decisions drawn with OpenCV.
#include "pipeline/photo/review_marks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace veil {

cv::Mat draw_review_marks(const cv::Mat& image, const std::vector<ReviewMark>& marks, int original_width) {
  cv::Mat out = image.clone();
  const double scale = original_width > 0 ? static_cast<double>(image.cols) / original_width : 1.0;
  const int thickness = std::max(2, static_cast<int>(std::lround(std::max(image.cols, image.rows) / 400.0)));
  const double font = std::max(0.5, std::max(image.cols, image.rows) / 1200.0);
  for (const auto& m : marks) {
    const cv::Scalar colour = m.keep ? cv::Scalar(60, 200, 60) : cv::Scalar(40, 40, 230);
    const cv::Rect r(static_cast<int>(std::lround(m.box.x * scale)), static_cast<int>(std::lround(m.box.y * scale)),
                     std::max(1, static_cast<int>(std::lround(m.box.w * scale))),
                     std::max(1, static_cast<int>(std::lround(m.box.h * scale))));
    cv::rectangle(out, r, colour, thickness);
    const std::string label = std::to_string(m.n) + (m.keep ? " keep" : " blur");
    int baseline = 0;
    const cv::Size text = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font, thickness, &baseline);
    // Above the box when there is room, else inside its top edge.
    const int top = r.y - text.height - baseline - 2 >= 0 ? r.y - text.height - baseline - 2 : r.y;
    const cv::Rect tag(r.x, top, text.width + 4, text.height + baseline + 2);
    cv::rectangle(out, tag & cv::Rect(0, 0, out.cols, out.rows), colour, cv::FILLED);
    cv::putText(out, label, cv::Point(r.x + 2, top + text.height), cv::FONT_HERSHEY_SIMPLEX, font,
                cv::Scalar(255, 255, 255), std::max(1, thickness / 2), cv::LINE_AA);
  }
  return out;
}

std::string encode_jpeg(const cv::Mat& image, int quality) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 1, 100)}))
    throw std::runtime_error("cannot encode a JPEG");
  return std::string(bytes.begin(), bytes.end());
}

cv::Mat decode_bgr(const std::string& bytes) {
  const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat image = cv::imdecode(raw, cv::IMREAD_COLOR);
  if (image.empty()) throw std::runtime_error("cannot decode the image");
  return image;
}

}  // namespace veil
