// Inside moderation/: which face decisions a person may make on an item. The consent rule
// itself stays in policy/ (judge_face): a face may be unblurred, or is kept once assigned,
// only when that rule would keep its child in this journal.
#pragma once

#include <string>

#include <pqxx/types.hxx>

#include "config/config.h"
#include "policy/consent_policy.h"
#include "storage/media_view.h"

namespace veil::moderation_detail {

class UnblurRule {
 public:
  // Reads the current consents (the latest consent event of every child).
  UnblurRule(pqxx::transaction_base& tx, const MediaView& media, const Config& config);

  // What the consent rule decides for a face that is `child_id` in this item's journal, as if
  // it had matched that child.
  FaceJudgement judge_as(std::int64_t child_id, const std::string& child_name) const;

  // "" when `face` may be unblurred; else why not, for the person asking (e.g. "face 2 may not
  // be unblurred: Ben has no consent record (no_consent_record)").
  std::string refusal(const FaceView& face) const;

 private:
  std::int64_t journal_child_ = 0;
  ConsentMap consents_;
  PolicyRules rules_;
};

// "" when the item's faces may be changed now (a photo, held or published); else why not.
std::string face_changes_allowed(const MediaView& media);

}  // namespace veil::moderation_detail
