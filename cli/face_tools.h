// Shared by the veil commands that run the models: building the detector and embedder
// from the configuration, reading files, and faces as JSON.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "models/face.h"

namespace veil {

class FaceDetector;
class FaceEmbedder;

std::unique_ptr<FaceDetector> make_detector(const Config& config);
std::unique_ptr<FaceEmbedder> make_embedder(const Config& config);

// The whole file; throws std::runtime_error naming the file.
std::string read_whole_file(const std::string& path);

// {"x","y","w","h","score","landmarks":[[x,y]x5]}, rounded to 0.1 px.
nlohmann::json face_json(const DetectedFace& face);
nlohmann::json box_json(const Box& box);

}  // namespace veil
