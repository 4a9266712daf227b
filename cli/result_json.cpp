// Builds the `veil process` JSON result from a PhotoResult.
#include "cli/result_json.h"

#include <cmath>

#include "cli/face_tools.h"
#include "pipeline/photo/photo_pipeline.h"
#include "policy/outcome.h"

namespace veil {

nlohmann::json photo_result_json(const std::string& file, const PhotoResult& r, const nlohmann::json& outputs) {
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& pf : r.faces) {
    const auto& j = pf.judgement;
    nlohmann::json f = box_json(pf.face.box);
    f["score"] = std::round(pf.face.score * 1000.0) / 1000.0;
    f["match"] = j.match.empty() ? nlohmann::json(nullptr) : nlohmann::json(j.match);
    f["similarity"] = std::round(j.similarity * 10000.0) / 10000.0;
    f["decision"] = to_string(j.decision);
    f["reason"] = j.reason;
    f["redaction"] = pf.painted ? box_json(pf.painted_region) : nlohmann::json(nullptr);
    if (j.matched_child_id) f["child_id"] = j.matched_child_id;
    if (j.consent_event_id) f["consent_event_id"] = j.consent_event_id;
    if (pf.found_in_verification) f["found_in_verification"] = true;
    faces.push_back(f);
  }
  nlohmann::json out{{"file", file},   {"width", r.width},     {"height", r.height},
                     {"faces", faces}, {"outputs", outputs}, {"seconds", r.seconds}};
  set_outcome_json(out, r.outcome);
  return out;
}

void set_outcome_json(nlohmann::json& out, const Outcome& outcome) {
  out["outcome"] = to_string(outcome.state);
  out["reason"] = outcome.reason();
  out["reasons"] = outcome.reasons;
}

}  // namespace veil
