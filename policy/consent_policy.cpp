// The consent policy engine: see consent_policy.h for the rules and reason strings.
#include "policy/consent_policy.h"

#include "config/config.h"

namespace veil {

PolicyRules rules_from(const PolicyConfig& config) {
  PolicyRules rules;
  rules.keep_journal_owner = config.keep_journal_owner;
  rules.keep_consented = config.keep_consented;
  rules.hold_parent_uploads = config.hold_parent_uploads;
  rules.hold_uncertain = config.hold_uncertain;
  return rules;
}

const char* to_string(UploaderRole role) { return role == UploaderRole::parent ? "parent" : "staff"; }

std::optional<UploaderRole> parse_uploader_role(const std::string& name) {
  if (name == "staff") return UploaderRole::staff;
  if (name == "parent") return UploaderRole::parent;
  return std::nullopt;
}

FaceJudgement judge_face(const PolicyFace& face, std::int64_t journal_child_id, const ConsentMap& consents,
                         const PolicyRules& rules) {
  FaceJudgement j;  // blur, nothing matched
  if (!face.embeddable) {
    j.reason = reason::not_embeddable;
    return j;
  }
  const MatchResult& m = face.match;
  j.similarity = m.similarity;
  if (m.band == MatchBand::none || m.child_id == 0) {
    j.reason = reason::unknown;
    return j;
  }
  j.match = m.child_name;
  j.matched_child_id = m.child_id;
  if (m.band == MatchBand::uncertain) {
    j.reason = reason::uncertain;
    j.hold = rules.hold_uncertain;
    return j;
  }
  // band match
  if (m.child_id == journal_child_id && rules.keep_journal_owner) {
    j.decision = Decision::keep;
    j.reason = reason::journal_owner;
    return j;
  }
  if (!rules.keep_consented) {
    j.reason = reason::consent_not_used;
    return j;
  }
  const auto it = consents.find(m.child_id);
  if (it == consents.end() || it->second.consent_event_id <= 0) {
    j.reason = reason::no_consent_record;
    return j;
  }
  j.consent_event_id = it->second.consent_event_id;
  if (it->second.photo_in_others) {
    j.decision = Decision::keep;
    j.reason = reason::consent_yes;
  } else {
    j.reason = reason::consent_no;
  }
  return j;
}

FaceJudgement judge_known_child(std::int64_t child_id, const std::string& child_name, std::int64_t journal_child_id,
                                const ConsentMap& consents, const PolicyRules& rules) {
  PolicyFace face;
  face.match.band = MatchBand::match;
  face.match.child_id = child_id;
  face.match.child_name = child_name;
  face.match.similarity = 1.0f;
  return judge_face(face, journal_child_id, consents, rules);
}

Outcome decide_item(const std::vector<FaceJudgement>& faces, UploaderRole uploader_role, bool processing_errored,
                    const PolicyRules& rules) {
  Outcome d;
  if (processing_errored) d.hold(reason::processing_error);
  for (const FaceJudgement& f : faces) {
    if (f.hold) {
      d.hold(reason::uncertain_match);
      break;
    }
  }
  if (uploader_role == UploaderRole::parent && rules.hold_parent_uploads) d.hold(reason::parent_upload);
  return d;
}

PolicyResult apply_policy(const PolicyInput& input, const PolicyRules& rules) {
  PolicyResult r;
  r.faces.reserve(input.faces.size());
  for (const PolicyFace& f : input.faces) {
    r.faces.push_back(judge_face(f, input.journal_child_id, input.consents, rules));
  }
  r.item = decide_item(r.faces, input.uploader_role, input.processing_errored, rules);
  return r;
}

}  // namespace veil
