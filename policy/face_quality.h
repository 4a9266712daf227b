// Quality of a face for enrolment: its size and sharpness, measured the same way every time.
#pragma once

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

// The detector favours recall (privacy first), so a reference face counts only when its
// detection is confident: a weak false positive must not become a child's template.
inline constexpr float kEnrolmentFaceScore = 0.8f;

struct FaceQuality {
  float height_px = 0;  // face box height in the image
  float sharpness = 0;  // variance of the Laplacian of the grey face scaled to 112 px tall
};

FaceQuality measure_face_quality(const cv::Mat& bgr, const DetectedFace& face);

}  // namespace veil
