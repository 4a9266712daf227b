// Geometry and similarity helpers for the face types.
#include "models/face.h"

#include <algorithm>

namespace veil {

float iou(const Box& a, const Box& b) {
  const float x1 = std::max(a.x, b.x), y1 = std::max(a.y, b.y);
  const float x2 = std::min(a.x + a.w, b.x + b.w), y2 = std::min(a.y + a.h, b.y + b.h);
  const float inter = (x2 > x1 && y2 > y1) ? (x2 - x1) * (y2 - y1) : 0.f;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

float share_inside(const Box& face, const Box& region) {
  const float x1 = std::max(face.x, region.x), y1 = std::max(face.y, region.y);
  const float x2 = std::min(face.x + face.w, region.x + region.w);
  const float y2 = std::min(face.y + face.h, region.y + region.h);
  const float inter = (x2 > x1 && y2 > y1) ? (x2 - x1) * (y2 - y1) : 0.f;
  return face.area() > 0 ? inter / face.area() : 0.f;
}

float cosine_similarity(const Embedding& a, const Embedding& b) {
  if (a.empty() || a.size() != b.size()) return -1.f;
  double dot = 0;
  for (std::size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(dot);
}

}  // namespace veil
