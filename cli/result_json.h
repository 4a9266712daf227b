// The JSON result of `veil process` (DESIGN.md section 6).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace veil {

struct PhotoResult;

// {"file","width","height","outcome","reason","faces":[...],"outputs":outputs,"seconds"}
nlohmann::json photo_result_json(const std::string& file, const PhotoResult& result, const nlohmann::json& outputs);

}  // namespace veil
