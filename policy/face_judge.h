// The seam between the pixel pipeline and the consent rules: for each face (or video
// track) the pipeline asks a FaceJudge whether it may stay visible.
//
// Implementations: the offline policies of `veil process` (keep all, blur all, gallery)
// and the database-backed consent policy. Contract: a judge fails closed: an empty
// embedding (face too small or not embeddable) must never be judged "keep" unless the
// judge keeps every face by explicit operator choice (--keep-all).
#pragma once

#include <cstdint>
#include <string>

#include "models/face.h"

namespace veil {

enum class Decision { keep, blur };
inline const char* to_string(Decision d) { return d == Decision::keep ? "keep" : "blur"; }

struct FaceJudgement {
  Decision decision = Decision::blur;
  std::string reason;                  // a per-face code of policy/reasons.h
  std::string match;                   // matched child's name, "" when none
  std::int64_t matched_child_id = 0;   // 0 when none
  float similarity = 0;                // best similarity found (0 when not computed)
  std::int64_t consent_event_id = 0;   // the consent event the decision used, 0 when none
  bool hold = false;                   // the whole item must wait for moderation
};

class FaceJudge {
 public:
  virtual ~FaceJudge() = default;
  // Whether judge() uses the embedding (the pipeline skips the embedder when not).
  virtual bool needs_embedding() const = 0;
  virtual FaceJudgement judge(const Embedding& embedding) = 0;
};

}  // namespace veil
