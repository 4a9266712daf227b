// YuNet face detection (OpenCV 4.6 cv::FaceDetectorYN, 2022mar model) over as many
// scales or tiles as needed to find small faces, merged with NMS.
//
// Contract: detect() never returns a face with score below options.score_threshold;
// boxes are clipped to the image; throws ModelError if the model cannot run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/face.h"

namespace cv {
class Mat;
}

namespace veil {

struct DetectorOptions {
  std::string model_path;        // YuNet 2022mar ONNX file
  float score_threshold = 0.5f;  // favours recall: privacy first
  float nms_threshold = 0.3f;
  bool thorough = false;         // extra passes for faces below the default's smallest size
};

class FaceDetector {
 public:
  explicit FaceDetector(const DetectorOptions& options);
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // Faces in an 8-bit BGR image, in its pixel coordinates.
  std::vector<DetectedFace> detect(const cv::Mat& bgr);

  const DetectorOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil
