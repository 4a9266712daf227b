// ConsentJudge: the consent policy behind the FaceJudge seam; see consent_judge.h.
#include "policy/consent_judge.h"

#include <stdexcept>
#include <utility>

namespace veil {

ConsentJudge::ConsentJudge(std::shared_ptr<const MatcherSnapshot> templates, ConsentMap consents,
                           ConsentJudgeParams params)
    : templates_(std::move(templates)), consents_(std::move(consents)), params_(params) {
  if (!templates_) throw std::invalid_argument("ConsentJudge: no template snapshot");
}

ConsentJudge::ConsentJudge(const FaceMatcher& matcher, ConsentMap consents, ConsentJudgeParams params)
    : ConsentJudge(matcher.snapshot(), std::move(consents), params) {}

FaceJudgement ConsentJudge::judge(const Embedding& embedding) {
  if (embedding.empty()) return judge_not_embeddable();
  PolicyFace face;
  face.match = templates_->match(embedding, params_.thresholds, params_.now_unix);  // may throw
  return record(face);
}

FaceJudgement ConsentJudge::judge_not_embeddable() {
  PolicyFace face;
  face.embeddable = false;
  return record(face);
}

FaceJudgement ConsentJudge::record(const PolicyFace& face) {
  FaceJudgement j = judge_face(face, params_.journal_child_id, consents_, params_.rules);
  std::lock_guard lock(mutex_);
  judgements_.push_back(j);
  matches_.push_back(face.match);
  return j;
}

std::vector<FaceJudgement> ConsentJudge::judgements() const {
  std::lock_guard lock(mutex_);
  return judgements_;
}

std::vector<MatchResult> ConsentJudge::match_results() const {
  std::lock_guard lock(mutex_);
  return matches_;
}

Outcome ConsentJudge::outcome(bool processing_errored) const {
  std::lock_guard lock(mutex_);
  return decide_item(judgements_, params_.uploader_role, processing_errored, params_.rules);
}

}  // namespace veil
