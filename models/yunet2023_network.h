// The YuNet 2023mar face detector network, run on cv::dnn with its outputs decoded here.
//
// OpenCV 4.6's cv::FaceDetectorYN reads only the 2022mar model's outputs (loc/conf/iou); the
// 2023mar model has twelve (cls/obj/bbox/kps at strides 8, 16 and 32). This class does what
// later OpenCV versions' FaceDetectorYN does with them: pads the image right and bottom to a
// multiple of 32, runs the network on it (BGR, 0..255, no mean), decodes every anchor-free
// cell (score = sqrt(cls * obj); centre and size from bbox; five landmarks from kps) and merges
// with NMS. FaceDetector runs it as its second model (DetectorOptions::second_model_path).
//
// Contract: detect() returns faces in the input's pixel coordinates, boxes not clipped, score
// >= score_threshold, landmarks in YuNet's order (right eye, left eye, nose, mouth corners).
// The constructor checks the model's sha256 and throws ModelError when it cannot be loaded or
// does not have the twelve outputs. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/face.h"

namespace cv {
class Mat;
}

namespace veil {

class YuNet2023Network {
 public:
  YuNet2023Network(const std::string& model_path, const std::string& model_sha256);
  ~YuNet2023Network();
  YuNet2023Network(const YuNet2023Network&) = delete;
  YuNet2023Network& operator=(const YuNet2023Network&) = delete;

  // Faces in an 8-bit BGR image, NMS-merged at `nms_threshold` IoU.
  std::vector<DetectedFace> detect(const cv::Mat& bgr, float score_threshold, float nms_threshold);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil
