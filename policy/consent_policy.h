// The consent policy engine (DESIGN.md section 4): a pure function of the faces' match
// results, the journal owner, the uploader role, the current consents, the processing
// status and the rules switched on. No database, no clock, no I/O.
//
// Per face (judge_face), in this order; the reasons are codes of policy/reasons.h:
//   not embeddable                          -> blur  "not_embeddable"
//   band none (below reject)                -> blur  "unknown"
//   band uncertain (grey zone or ambiguous) -> blur  "uncertain", hold = rules.hold_uncertain
//   band match, child = journal owner and rules.keep_journal_owner
//                                           -> keep  "journal_owner"
//   band match, any other child (or the owner when keep_journal_owner is off):
//     rules.keep_consented off              -> blur  "consent_not_used"
//     no consent record for the child       -> blur  "no_consent_record"
//     latest consent event says yes         -> keep  "consent_yes"  (cites the event id)
//     latest consent event says no          -> blur  "consent_no"   (cites the event id)
// A consent entry whose consent_event_id is <= 0 is treated as no record (a keep must be
// able to cite the event it relied on). Only a "consent_yes"/"consent_no" judgement carries
// a consent_event_id; every other judgement carries 0.
// match/matched_child_id name the matched child for match and uncertain faces (for the
// uncertain ones it is the candidate a moderator should check), "" / 0 otherwise;
// similarity is the matcher's best score (0 for a face that was not embeddable).
//
// Item level (decide_item): every applicable hold reason is listed, most specific first:
//   "processing_error" (always: an errored item is never published),
//   "uncertain_match"  (some face has hold set),
//   "parent_upload"    (uploader is a parent and rules.hold_parent_uploads).
// Any reason -> held; none -> published with no reasons. Rejected is never produced here: it
// is for unreadable input (not an image/video, over the limits), which the caller decides
// before any face exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/face_judge.h"
#include "policy/face_matcher.h"
#include "policy/outcome.h"
#include "policy/reasons.h"

namespace veil {

struct PolicyConfig;

// The switchable rules; the field names mirror config/config.h's PolicyConfig.
struct PolicyRules {
  bool keep_journal_owner = true;   // rule 1: the owner's face stays visible in their own journal
  bool keep_consented = true;       // rule 2: a consented child stays visible; off: blur every non-owner
  bool hold_parent_uploads = true;  // item: parent uploads wait for moderation
  bool hold_uncertain = true;       // rule 5: a grey-zone face holds the item
};
PolicyRules rules_from(const PolicyConfig& config);

enum class UploaderRole { staff, parent };
const char* to_string(UploaderRole role);                   // "staff", "parent"
std::optional<UploaderRole> parse_uploader_role(const std::string& name);

// A child's current consent: the latest consent event.
struct ConsentState {
  bool photo_in_others = false;
  std::int64_t consent_event_id = 0;
};
// child_id -> current consent; a child absent from the map has no consent event ("no").
using ConsentMap = std::unordered_map<std::int64_t, ConsentState>;

// One face as the policy sees it.
struct PolicyFace {
  bool embeddable = true;  // false: too small/blurred to embed; `match` is ignored
  MatchResult match;
};

FaceJudgement judge_face(const PolicyFace& face, std::int64_t journal_child_id, const ConsentMap& consents,
                         const PolicyRules& rules);

// judge_face() for a face known to be `child_id` (a person assigned or decided it): as a
// certain match of that child.
FaceJudgement judge_known_child(std::int64_t child_id, const std::string& child_name, std::int64_t journal_child_id,
                                const ConsentMap& consents, const PolicyRules& rules);

Outcome decide_item(const std::vector<FaceJudgement>& faces, UploaderRole uploader_role,
                         bool processing_errored, const PolicyRules& rules);

// Everything the policy needs for one media item.
struct PolicyInput {
  std::vector<PolicyFace> faces;
  std::int64_t journal_child_id = 0;
  UploaderRole uploader_role = UploaderRole::staff;
  ConsentMap consents;
  bool processing_errored = false;
};

struct PolicyResult {
  std::vector<FaceJudgement> faces;  // same order as PolicyInput::faces
  Outcome item;
};

// judge_face() for every face, then decide_item().
PolicyResult apply_policy(const PolicyInput& input, const PolicyRules& rules);

}  // namespace veil
