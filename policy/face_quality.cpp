// Face size and Laplacian-variance sharpness.
#include "policy/face_quality.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace veil {

FaceQuality measure_face_quality(const cv::Mat& bgr, const DetectedFace& face) {
  FaceQuality q;
  q.height_px = face.box.h;
  const cv::Rect box = cv::Rect(cv::Point(static_cast<int>(face.box.x), static_cast<int>(face.box.y)),
                                cv::Size(static_cast<int>(face.box.w), static_cast<int>(face.box.h))) &
                       cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (box.width < 2 || box.height < 2) return q;
  cv::Mat grey, scaled, lap;
  cv::cvtColor(bgr(box), grey, cv::COLOR_BGR2GRAY);
  const double s = 112.0 / box.height;
  cv::resize(grey, scaled, cv::Size(std::max(1, static_cast<int>(box.width * s)), 112), 0, 0,
             s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Laplacian(scaled, lap, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  q.sharpness = static_cast<float>(stddev[0] * stddev[0]);
  return q;
}

}  // namespace veil
