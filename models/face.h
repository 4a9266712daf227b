// Plain face types shared by the detector, the embedder and every pipeline stage.
// Coordinates are pixels of the upright image (after EXIF orientation).
#pragma once

#include <array>
#include <vector>

namespace veil {

struct Point {
  float x = 0, y = 0;
};

struct Box {
  float x = 0, y = 0, w = 0, h = 0;
  float area() const { return w > 0 && h > 0 ? w * h : 0.f; }
};

// Intersection over union of two boxes; 0 when either is empty.
float iou(const Box& a, const Box& b);

// The share of `face`'s area that lies inside `region`; 0 when `face` is empty.
float share_inside(const Box& face, const Box& region);

// One detected face: box, detector confidence, and five landmarks
// (right eye, left eye, nose tip, right mouth corner, left mouth corner, as YuNet orders them).
struct DetectedFace {
  Box box;
  float score = 0;
  std::array<Point, 5> landmarks{};
};

// An L2-normalised face embedding.
using Embedding = std::vector<float>;

// Cosine similarity of two L2-normalised embeddings (their dot product); -1 when sizes differ or empty.
float cosine_similarity(const Embedding& a, const Embedding& b);

}  // namespace veil
