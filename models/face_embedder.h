// Face embedding with an ONNX model (MobileFaceNet 128-d by default): 5-landmark
// similarity alignment onto the template, normalisation, forward pass, L2 norm.
// Input size, mean, scale, channel order and template come from EmbedderOptions,
// so another embedder (e.g. SFace) needs configuration only.
//
// Contract: embed() returns an L2-normalised vector; throws ModelError if the model cannot run.
// The constructor reads the model through read_verified_model (sha256 check when
// options.model_sha256 is set), applies the Clip rewrite OpenCV 4.6 needs
// (models/onnx_clip_rewrite.h) and pins cv::dnn to the OpenCV backend on the CPU.
// Not thread-safe: use one FaceEmbedder per thread. Thread counts are left to the caller.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "models/face.h"

namespace cv {
class Mat;
}

namespace veil {

struct EmbedderOptions {
  std::string model_path;
  std::string model_sha256;  // expected lowercase hex sha256 of the model file; empty: no check
  int input_size = 112;
  float mean = 127.5f;
  float scale = 1.0f / 128.0f;
  bool rgb = true;
  std::array<Point, 5> template_points = {{{38.2946f, 51.6963f},
                                           {73.5318f, 51.5014f},
                                           {56.0252f, 71.7366f},
                                           {41.5493f, 92.3655f},
                                           {70.7299f, 92.2041f}}};
};

class FaceEmbedder {
 public:
  explicit FaceEmbedder(const EmbedderOptions& options);
  ~FaceEmbedder();
  FaceEmbedder(const FaceEmbedder&) = delete;
  FaceEmbedder& operator=(const FaceEmbedder&) = delete;

  // Embedding of `face` found in the 8-bit BGR image `bgr` (grey and BGRA are converted).
  // A face without landmarks (all zero) is aligned from its box instead, which is less accurate.
  Embedding embed(const cv::Mat& bgr, const DetectedFace& face);

  // Number of values in an embedding (known after loading: 128 for MobileFaceNet).
  int dimension() const;

  // Input-form Clip nodes the loader rewrote so that OpenCV 4.6 could read the model (32 for MobileFaceNet).
  int clips_rewritten() const;

  const EmbedderOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil
