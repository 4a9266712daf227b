// Shared by the veil commands that run the models: building the detector and embedder
// from the configuration, reading files, and faces as JSON.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "models/face.h"
#include "storage/durable_file.h"  // read_whole_file, which the commands use with these

namespace veil {

class FaceDetector;
class FaceEmbedder;

std::unique_ptr<FaceDetector> make_detector(const Config& config);
std::unique_ptr<FaceEmbedder> make_embedder(const Config& config);

// {"x","y","w","h","score","landmarks":[[x,y]x5]}, rounded to 0.1 px.
nlohmann::json face_json(const DetectedFace& face);
nlohmann::json box_json(const Box& box);

}  // namespace veil
