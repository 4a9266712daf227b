// Face embedding: 5-point similarity alignment, normalisation, cv::dnn forward, L2 norm.
#include "models/face_embedder.h"

#include "models/bgr_image.h"

#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "models/model_file.h"
#include "models/onnx_clip_rewrite.h"

namespace veil {
namespace {

// Least-squares similarity transform (rotation, uniform scale, translation; no reflection)
// taking `src` onto `dst`: the closed form of Umeyama's method in 2-D. Uses all five points,
// so unlike cv::estimateAffinePartial2D (RANSAC) no landmark is ever dropped as an outlier.
cv::Mat similarity_transform(const std::array<Point, 5>& src, const std::array<Point, 5>& dst) {
  double msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (int i = 0; i < 5; ++i) {
    msx += src[i].x, msy += src[i].y, mdx += dst[i].x, mdy += dst[i].y;
  }
  msx /= 5, msy /= 5, mdx /= 5, mdy /= 5;
  double a = 0, b = 0, norm = 0;
  for (int i = 0; i < 5; ++i) {
    const double px = src[i].x - msx, py = src[i].y - msy;
    const double qx = dst[i].x - mdx, qy = dst[i].y - mdy;
    a += px * qx + py * qy;
    b += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm <= 1e-12) throw ModelError("face landmarks are degenerate (all at one point); cannot align the face");
  const double c = a / norm, s = b / norm;  // scale * cos(angle), scale * sin(angle)
  cv::Mat m(2, 3, CV_64F);
  m.at<double>(0, 0) = c, m.at<double>(0, 1) = -s, m.at<double>(0, 2) = mdx - (c * msx - s * msy);
  m.at<double>(1, 0) = s, m.at<double>(1, 1) = c, m.at<double>(1, 2) = mdy - (s * msx + c * msy);
  return m;
}

bool has_landmarks(const DetectedFace& face) {
  for (const auto& p : face.landmarks)
    if (p.x != 0 || p.y != 0) return true;
  return false;
}

// Landmarks guessed from a face box, placed where YuNet puts them relative to its boxes on
// average (eyes at 38 % of the height, nose 57 %, mouth corners 76 %). Only for faces that
// come without landmarks.
std::array<Point, 5> landmarks_from_box(const Box& b) {
  const float rel[5][2] = {{0.31f, 0.38f}, {0.69f, 0.38f}, {0.50f, 0.57f}, {0.35f, 0.76f}, {0.65f, 0.76f}};
  std::array<Point, 5> out;
  for (int i = 0; i < 5; ++i) out[i] = {b.x + rel[i][0] * b.w, b.y + rel[i][1] * b.h};
  return out;
}

}  // namespace

struct FaceEmbedder::Impl {
  EmbedderOptions options;
  cv::dnn::Net net;
  int clips_rewritten = 0;
  int dimension = 0;
};

FaceEmbedder::FaceEmbedder(const EmbedderOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  if (options.input_size < 16) throw ModelError("embedder input size must be at least 16 (got " +
                                                std::to_string(options.input_size) + ")");
  const std::string bytes = read_verified_model(options.model_path, options.model_sha256);
  const ClipRewrite rewrite = rewrite_clip_to_attributes(bytes, options.model_path);
  impl_->clips_rewritten = rewrite.clips_rewritten;
  try {
    impl_->net = cv::dnn::readNetFromONNX(rewrite.model.data(), rewrite.model.size());
  } catch (const cv::Exception& e) {
    throw ModelError("model file " + options.model_path + " cannot be loaded by OpenCV: " + e.what());
  }
  if (impl_->net.empty()) throw ModelError("model file " + options.model_path + " loaded as an empty network");
  impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

  // One pass on a grey square: checks that the model runs and learns the embedding size.
  DetectedFace probe;
  const float n = static_cast<float>(options.input_size);
  probe.box = {0, 0, n, n};
  probe.landmarks = options.template_points;
  impl_->dimension = static_cast<int>(embed(cv::Mat(options.input_size, options.input_size, CV_8UC3,
                                                    cv::Scalar(128, 128, 128)),
                                            probe)
                                          .size());
}

FaceEmbedder::~FaceEmbedder() = default;

int FaceEmbedder::dimension() const { return impl_->dimension; }
int FaceEmbedder::clips_rewritten() const { return impl_->clips_rewritten; }
const EmbedderOptions& FaceEmbedder::options() const { return impl_->options; }

Embedding FaceEmbedder::embed(const cv::Mat& image, const DetectedFace& face) {
  const EmbedderOptions& o = impl_->options;
  const cv::Mat bgr = as_bgr8(image, "embed");

  const auto src = has_landmarks(face) ? face.landmarks : landmarks_from_box(face.box);
  const cv::Mat m = similarity_transform(src, o.template_points);
  cv::Mat aligned;
  cv::warpAffine(bgr, aligned, m, cv::Size(o.input_size, o.input_size), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(0, 0, 0));

  // blobFromImage computes (pixel - mean) * scale, NCHW float, swapping to RGB when asked.
  const cv::Mat blob = cv::dnn::blobFromImage(aligned, o.scale, cv::Size(), cv::Scalar(o.mean, o.mean, o.mean),
                                              /*swapRB=*/o.rgb, /*crop=*/false, CV_32F);
  cv::Mat out;
  try {
    impl_->net.setInput(blob);
    out = impl_->net.forward();
  } catch (const cv::Exception& e) {
    throw ModelError("embedder " + o.model_path + " failed to run: " + e.what());
  }
  if (out.empty() || out.depth() != CV_32F) throw ModelError("embedder " + o.model_path + " gave no float output");
  const cv::Mat flat = out.reshape(1, 1);
  Embedding e(flat.begin<float>(), flat.end<float>());
  double sq = 0;
  for (float v : e) sq += static_cast<double>(v) * v;
  const double norm = std::sqrt(sq);
  if (!(norm > 1e-12) || !std::isfinite(norm)) throw ModelError("embedder " + o.model_path + " gave a zero or non-finite output");
  for (float& v : e) v = static_cast<float>(v / norm);
  return e;
}

}  // namespace veil
