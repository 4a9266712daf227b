// The models the tests share, each loaded once per test executable (loading costs more
// than most tests): the first detector network with its default settings, the same in
// thorough mode, and the embedder. Include only in suites that link veil_models.
#pragma once

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "tests/test_support.h"

namespace veil::test {

inline constexpr const char* kDetectorSha256 = "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7";

// YuNet 2022mar alone, default thresholds (what videos use).
inline DetectorOptions detector_options(bool thorough = false) {
  DetectorOptions o;
  o.model_path = model_dir() + "/face_detection_yunet_2022mar.onnx";
  o.model_sha256 = kDetectorSha256;
  o.thorough = thorough;
  return o;
}

inline FaceDetector& detector() {
  static FaceDetector d(detector_options());
  return d;
}

inline FaceDetector& thorough_detector() {
  static FaceDetector d(detector_options(true));
  return d;
}

inline EmbedderOptions embedder_options() {
  EmbedderOptions o;
  o.model_path = model_dir() + "/face_recognition_mobilefacenet_128d.onnx";
  o.model_sha256 = "e72a5710cce378dc46472b6b845cb90647634f2738d8c3e581735cf195b9866f";
  return o;
}

inline FaceEmbedder& embedder() {
  static FaceEmbedder e(embedder_options());
  return e;
}

}  // namespace veil::test
