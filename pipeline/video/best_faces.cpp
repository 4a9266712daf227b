// Best views per track and the averaged track embedding.
#include "pipeline/video/best_faces.h"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "models/face_embedder.h"

namespace veil {

float face_view_quality(const DetectedFace& face, float full_size_px) {
  const float side = std::min(face.box.w, face.box.h);
  const float size = std::clamp(side / full_size_px, 0.f, 1.f);
  const auto& lm = face.landmarks;
  float frontal = 0.5f;  // no landmarks: unknown pose
  const bool has_landmarks = std::any_of(lm.begin(), lm.end(), [](const Point& p) { return p.x != 0 || p.y != 0; });
  if (has_landmarks) {
    const float ex = lm[1].x - lm[0].x, ey = lm[1].y - lm[0].y;
    const float eye_distance = std::hypot(ex, ey);
    if (eye_distance > 1e-3f) {
      // Offset of the nose from the eyes' midpoint, along the eye line, in eye distances:
      // 0 for a frontal face, about 0.5 in profile.
      const float mx = (lm[0].x + lm[1].x) / 2, my = (lm[0].y + lm[1].y) / 2;
      const float along = ((lm[2].x - mx) * ex + (lm[2].y - my) * ey) / (eye_distance * eye_distance);
      frontal = std::clamp(1.f - 2.f * std::fabs(along), 0.05f, 1.f);
    } else {
      frontal = 0.05f;
    }
  }
  return size * frontal * std::clamp(face.score, 0.f, 1.f);
}

float face_sharpness(const FaceCrop& crop) {
  if (crop.bgr.empty()) return 0.01f;
  const cv::Rect r = cv::Rect(static_cast<int>(crop.face.box.x), static_cast<int>(crop.face.box.y),
                              static_cast<int>(crop.face.box.w), static_cast<int>(crop.face.box.h)) &
                     cv::Rect(0, 0, crop.bgr.cols, crop.bgr.rows);
  if (r.width < 4 || r.height < 4) return 0.01f;
  cv::Mat grey, small, lap;
  cv::cvtColor(crop.bgr(r), grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, small, cv::Size(64, std::max(4, 64 * r.height / r.width)), 0, 0, cv::INTER_AREA);
  cv::Laplacian(small, lap, CV_32F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  const double v = stddev[0] * stddev[0];
  return static_cast<float>(std::max(0.01, v / (v + 100.0)));
}

BestFaces::BestFaces(int per_track, int min_face_px, int max_face_px)
    : per_track_(std::max(1, per_track)), min_face_px_(min_face_px), max_face_px_(std::max(32, max_face_px)) {}

void BestFaces::offer(int track_id, const DetectedFace& face, const std::function<FaceCrop()>& make_crop) {
  if (std::min(face.box.w, face.box.h) < static_cast<float>(min_face_px_)) return;
  const float upper = face_view_quality(face);  // sharpness only lowers it
  std::vector<FaceCrop>& kept = kept_[track_id];
  auto worst = std::min_element(kept.begin(), kept.end(),
                                [](const FaceCrop& a, const FaceCrop& b) { return a.quality < b.quality; });
  if (static_cast<int>(kept.size()) >= per_track_ && upper <= worst->quality) return;

  FaceCrop crop = make_crop();
  if (crop.bgr.empty()) return;
  if (crop.face.box.w > static_cast<float>(max_face_px_)) {
    const double s = max_face_px_ / static_cast<double>(crop.face.box.w);
    cv::Mat scaled;
    cv::resize(crop.bgr, scaled, cv::Size(), s, s, cv::INTER_AREA);
    crop.bgr = scaled;
    const float fs = static_cast<float>(s);
    crop.face.box = Box{crop.face.box.x * fs, crop.face.box.y * fs, crop.face.box.w * fs, crop.face.box.h * fs};
    for (Point& p : crop.face.landmarks) p = Point{p.x * fs, p.y * fs};
  } else {
    crop.bgr = crop.bgr.clone();  // never keep a view into a bigger buffer
  }
  crop.quality = upper * (0.5f + 0.5f * face_sharpness(crop));
  if (static_cast<int>(kept.size()) < per_track_) {
    kept.push_back(std::move(crop));
  } else if (crop.quality > worst->quality) {
    *worst = std::move(crop);
  }
}

std::vector<FaceCrop> BestFaces::take(int track_id) {
  auto it = kept_.find(track_id);
  if (it == kept_.end()) return {};
  std::vector<FaceCrop> crops = std::move(it->second);
  kept_.erase(it);
  std::sort(crops.begin(), crops.end(), [](const FaceCrop& a, const FaceCrop& b) { return a.quality > b.quality; });
  return crops;
}

std::size_t BestFaces::crops_held() const {
  std::size_t n = 0;
  for (const auto& [id, crops] : kept_) n += crops.size();
  return n;
}

Embedding average_embedding(FaceEmbedder& embedder, const std::vector<FaceCrop>& crops, int* used) {
  Embedding sum;
  int n = 0;
  for (const FaceCrop& crop : crops) {
    Embedding e = embedder.embed(crop.bgr, crop.face);
    if (e.empty()) continue;
    if (sum.empty()) sum.assign(e.size(), 0.f);
    if (e.size() != sum.size()) continue;
    for (std::size_t i = 0; i < e.size(); ++i) sum[i] += e[i];
    ++n;
  }
  if (used) *used = n;
  if (n == 0) return {};
  double norm = 0;
  for (float v : sum) norm += static_cast<double>(v) * v;
  norm = std::sqrt(norm);
  if (!(norm > 1e-12)) return {};
  for (float& v : sum) v = static_cast<float>(v / norm);
  return sum;
}

}  // namespace veil
