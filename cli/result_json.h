// The JSON result of `veil process` (DESIGN.md section 6).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace veil {

struct PhotoResult;
struct Outcome;

// {"file","width","height","outcome","reason","reasons","faces":[...],"outputs":outputs,"seconds"}
nlohmann::json photo_result_json(const std::string& file, const PhotoResult& result, const nlohmann::json& outputs);

// Sets out["outcome"] (the state), out["reason"] (the reasons joined, as media.reason) and
// out["reasons"] (the list), the same for photos and videos.
void set_outcome_json(nlohmann::json& out, const Outcome& outcome);

}  // namespace veil
