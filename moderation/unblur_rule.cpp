// The consent rule asked about one child, for a person's decision.
#include "moderation/unblur_rule.h"

#include "storage/children_repository.h"

namespace veil::moderation_detail {

UnblurRule::UnblurRule(pqxx::transaction_base& tx, const MediaView& media, const Config& config)
    : journal_child_(media.journal_child_id), rules_(rules_from(config.policy)) {
  for (const auto& c : current_consents(tx)) consents_[c.child_id] = ConsentState{c.photo_in_others, c.id};
}

FaceJudgement UnblurRule::judge_as(std::int64_t child_id, const std::string& child_name) const {
  return judge_known_child(child_id, child_name, journal_child_, consents_, rules_);
}

std::string UnblurRule::refusal(const FaceView& face) const {
  const std::string prefix = "face " + std::to_string(face.n) + " may not be unblurred: ";
  if (face.matched_child_id == 0)
    return prefix + "it is not matched to any child (assign it to a child first)";
  const FaceJudgement j = judge_as(face.matched_child_id, face.matched_child_name);
  if (j.decision == Decision::keep) return "";
  const std::string& name = face.matched_child_name;
  std::string why;
  if (j.reason == std::string(reason::no_consent_record))
    why = name + " has no consent record";
  else if (j.reason == std::string(reason::consent_no))
    why = name + "'s consent does not allow photos in other children's journals";
  else if (j.reason == std::string(reason::consent_not_used))
    why = "the policy shows no child but the journal's own (policy.keep_consented is off)";
  else
    why = "the consent rule blurs " + name;
  return prefix + why + " (" + j.reason + ")";
}

std::string face_changes_allowed(const MediaView& media) {
  if (media.kind == "video") return "face changes on videos are not supported yet";
  if (media.state == "processing") return "the item is being rendered again; try once it is " + std::string("done");
  if (media.state != "held" && media.state != "published")
    return "the item is " + media.state + ": only held or published items can be changed";
  return "";
}

}  // namespace veil::moderation_detail
