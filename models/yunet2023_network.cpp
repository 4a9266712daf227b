// YuNet 2023mar on cv::dnn: padding, forward, anchor-free decoding, NMS (see the header).
#include "models/yunet2023_network.h"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "models/model_file.h"

namespace veil {
namespace {
constexpr int kStrides[3] = {8, 16, 32};
const std::vector<std::string> kOutputs = {"cls_8",  "cls_16",  "cls_32",  "obj_8", "obj_16", "obj_32",
                                           "bbox_8", "bbox_16", "bbox_32", "kps_8", "kps_16", "kps_32"};
}  // namespace

struct YuNet2023Network::Impl {
  cv::dnn::Net net;
};

YuNet2023Network::YuNet2023Network(const std::string& model_path, const std::string& model_sha256)
    : impl_(std::make_unique<Impl>()) {
  const std::string bytes = read_verified_model(model_path, model_sha256);
  try {
    impl_->net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  } catch (const cv::Exception& e) {
    throw ModelError("model file " + model_path + " cannot be loaded by OpenCV: " + e.what());
  }
  if (impl_->net.empty()) throw ModelError("model file " + model_path + " cannot be loaded by OpenCV");
  impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  const auto names = impl_->net.getUnconnectedOutLayersNames();
  for (const auto& want : kOutputs)
    if (std::find(names.begin(), names.end(), want) == names.end())
      throw ModelError("model file " + model_path + " is not a YuNet 2023mar model: it has no output " + want);
  // One probe pass: a model that loads but cannot run fails here, not on the first photo.
  detect(cv::Mat::zeros(64, 64, CV_8UC3), 1.f, 0.3f);
}

YuNet2023Network::~YuNet2023Network() = default;

std::vector<DetectedFace> YuNet2023Network::detect(const cv::Mat& bgr, float score_threshold, float nms_threshold) {
  CV_Assert(bgr.type() == CV_8UC3);
  const int pad_w = (bgr.cols + 31) / 32 * 32, pad_h = (bgr.rows + 31) / 32 * 32;
  cv::Mat padded;
  cv::copyMakeBorder(bgr, padded, 0, pad_h - bgr.rows, 0, pad_w - bgr.cols, cv::BORDER_CONSTANT | cv::BORDER_ISOLATED,
                     cv::Scalar(0, 0, 0));
  std::vector<cv::Mat> out;
  try {
    impl_->net.setInput(cv::dnn::blobFromImage(padded));
    impl_->net.forward(out, kOutputs);
  } catch (const cv::Exception& e) {
    throw ModelError("second face detector failed on a " + std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows) +
                     " input: " + e.what());
  }
  std::vector<DetectedFace> faces;
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  for (int i = 0; i < 3; ++i) {
    const int s = kStrides[i], cols = pad_w / s, rows = pad_h / s;
    const std::size_t cells = static_cast<std::size_t>(cols) * rows;
    const cv::Mat& cls = out[i];
    const cv::Mat& obj = out[i + 3];
    const cv::Mat& bbox = out[i + 6];
    const cv::Mat& kps = out[i + 9];
    if (cls.total() < cells || obj.total() < cells || bbox.total() < 4 * cells || kps.total() < 10 * cells)
      throw ModelError("second face detector: unexpected output sizes");
    const float* c = cls.ptr<float>();
    const float* o = obj.ptr<float>();
    const float* b = bbox.ptr<float>();
    const float* k = kps.ptr<float>();
    for (int r = 0; r < rows; ++r) {
      for (int col = 0; col < cols; ++col) {
        const std::size_t idx = static_cast<std::size_t>(r) * cols + col;
        const float score = std::sqrt(std::clamp(c[idx], 0.f, 1.f) * std::clamp(o[idx], 0.f, 1.f));
        if (score < score_threshold) continue;
        const float cx = (col + b[idx * 4 + 0]) * s, cy = (r + b[idx * 4 + 1]) * s;
        const float w = std::exp(b[idx * 4 + 2]) * s, h = std::exp(b[idx * 4 + 3]) * s;
        DetectedFace f;
        f.box = {cx - w / 2, cy - h / 2, w, h};
        f.score = score;
        for (int n = 0; n < 5; ++n)
          f.landmarks[n] = {(k[idx * 10 + 2 * n] + col) * s, (k[idx * 10 + 2 * n + 1] + r) * s};
        faces.push_back(f);
        boxes.emplace_back(f.box.x, f.box.y, f.box.w, f.box.h);
        scores.push_back(score);
      }
    }
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, score_threshold, nms_threshold, keep);
  std::vector<DetectedFace> result;
  result.reserve(keep.size());
  for (int i : keep) result.push_back(faces[i]);
  return result;
}

}  // namespace veil
