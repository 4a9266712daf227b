// The database-backed consent policy as the pixel pipeline sees it: a FaceJudge that
// matches each face against one snapshot of the enrolled templates, applies the consent
// policy (policy/consent_policy.h) and remembers every judgement, so that the item
// outcome can be decided once all faces (or video tracks) are judged.
//
// One ConsentJudge per media item: the template snapshot, the consent map, the journal
// owner, the thresholds, the rules and the clock are fixed when it is made, so every face
// of the item is judged against the same enrolment and consent version.
// judge() is thread-safe (video tracks may be judged from several threads); the order of
// judgements() is the order of the judge() calls.
// Fail closed: an empty embedding is judged blur "not_embeddable"; an embedding whose size
// differs from the templates' makes judge() throw std::invalid_argument (the caller's
// processing error path then holds the item).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "policy/consent_policy.h"
#include "policy/face_judge.h"
#include "policy/face_matcher.h"

namespace veil {

struct ConsentJudgeParams {
  std::int64_t journal_child_id = 0;
  UploaderRole uploader_role = UploaderRole::staff;
  MatchThresholds thresholds;
  PolicyRules rules;
  std::int64_t now_unix = 0;  // for template ageing
};

class ConsentJudge : public FaceJudge {
 public:
  ConsentJudge(std::shared_ptr<const MatcherSnapshot> templates, ConsentMap consents, ConsentJudgeParams params);
  // Takes matcher.snapshot().
  ConsentJudge(const FaceMatcher& matcher, ConsentMap consents, ConsentJudgeParams params);

  bool needs_embedding() const override { return true; }
  FaceJudgement judge(const Embedding& embedding) override;

  // Judges a face that could not be embedded (same as judge() of an empty embedding).
  FaceJudgement judge_not_embeddable();

  // Every judgement so far, with the match result it came from (same order).
  std::vector<FaceJudgement> judgements() const;
  std::vector<MatchResult> match_results() const;

  // The item outcome from the judgements so far (decide_item()).
  Outcome outcome(bool processing_errored) const;

  const ConsentJudgeParams& params() const { return params_; }

 private:
  FaceJudgement record(const PolicyFace& face);

  std::shared_ptr<const MatcherSnapshot> templates_;
  ConsentMap consents_;
  ConsentJudgeParams params_;
  mutable std::mutex mutex_;
  std::vector<FaceJudgement> judgements_;
  std::vector<MatchResult> matches_;
};

}  // namespace veil
