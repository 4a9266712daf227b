// Model construction and JSON helpers for the veil commands.
#include "cli/face_tools.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/stage_options.h"

namespace veil {

std::unique_ptr<FaceDetector> make_detector(const Config& config) {
  return std::make_unique<FaceDetector>(detector_options(config));
}

std::unique_ptr<FaceEmbedder> make_embedder(const Config& config) {
  return std::make_unique<FaceEmbedder>(embedder_options(config));
}

static double round1(float v) { return std::round(v * 10.0) / 10.0; }

nlohmann::json box_json(const Box& box) {
  return {{"x", round1(box.x)}, {"y", round1(box.y)}, {"w", round1(box.w)}, {"h", round1(box.h)}};
}

nlohmann::json face_json(const DetectedFace& face) {
  nlohmann::json j = box_json(face.box);
  j["score"] = std::round(face.score * 1000.0) / 1000.0;
  nlohmann::json marks = nlohmann::json::array();
  for (const auto& p : face.landmarks) marks.push_back({round1(p.x), round1(p.y)});
  j["landmarks"] = marks;
  return j;
}

}  // namespace veil
