// The consent policy (DESIGN.md section 4): every face rule and every item rule, each rule
// switched off, and the invariants over all combinations of rules, roles and errors.
#include "policy/consent_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace veil {
namespace {

// The nursery of these tests: child 1 owns the journal (and said "no" to appearing in
// others' journals), child 2 consented (event 21), child 3 refused (event 31), child 4
// has no consent event, child 5 has an entry without an event id (treated as no record).
constexpr std::int64_t kOwner = 1;
const ConsentMap kConsents = {
    {1, {false, 11}},
    {2, {true, 21}},
    {3, {false, 31}},
    {5, {true, 0}},
};

PolicyFace matched(std::int64_t child, float similarity = 0.8f, MatchBand band = MatchBand::match) {
  PolicyFace f;
  f.match.band = band;
  f.match.child_id = child;
  f.match.child_name = "child" + std::to_string(child);
  f.match.similarity = similarity;
  return f;
}
PolicyFace unknown_face() {
  PolicyFace f;
  f.match.band = MatchBand::none;
  f.match.similarity = 0.12f;
  return f;
}
PolicyFace not_embeddable_face() {
  PolicyFace f;
  f.embeddable = false;
  f.match.band = MatchBand::none;
  return f;
}

enum class Kind { owner, consented, refused, no_record, bad_record, unknown, uncertain, uncertain_owner, not_embeddable };
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::owner: return "owner";
    case Kind::consented: return "consented";
    case Kind::refused: return "refused";
    case Kind::no_record: return "no_record";
    case Kind::bad_record: return "bad_record";
    case Kind::unknown: return "unknown";
    case Kind::uncertain: return "uncertain";
    case Kind::uncertain_owner: return "uncertain_owner";
    case Kind::not_embeddable: return "not_embeddable";
  }
  return "?";
}
PolicyFace face_of(Kind k) {
  switch (k) {
    case Kind::owner: return matched(kOwner);
    case Kind::consented: return matched(2);
    case Kind::refused: return matched(3);
    case Kind::no_record: return matched(4);
    case Kind::bad_record: return matched(5);
    case Kind::unknown: return unknown_face();
    case Kind::uncertain: return matched(2, 0.42f, MatchBand::uncertain);
    case Kind::uncertain_owner: return matched(kOwner, 0.42f, MatchBand::uncertain);
    case Kind::not_embeddable: return not_embeddable_face();
  }
  return unknown_face();
}
const std::vector<Kind> kAllKinds = {Kind::owner,     Kind::consented, Kind::refused,
                                     Kind::no_record, Kind::bad_record, Kind::unknown,
                                     Kind::uncertain, Kind::uncertain_owner, Kind::not_embeddable};

PolicyRules rules(bool owner, bool consented, bool parent, bool uncertain) {
  return PolicyRules{owner, consented, parent, uncertain};
}
const PolicyRules kDefaults = rules(true, true, true, true);
const PolicyRules kOwnerOff = rules(false, true, true, true);
const PolicyRules kConsentOff = rules(true, false, true, true);
const PolicyRules kBothOff = rules(false, false, true, true);
const PolicyRules kHoldUncertainOff = rules(true, true, true, false);

// ---------------------------------------------------------------------------------------
// Per face.
struct FaceCase {
  const char* name;
  Kind kind;
  PolicyRules rules;
  Decision decision;
  const char* reason;
  std::int64_t matched_child_id;
  std::int64_t consent_event_id;
  bool hold;
};

class PolicyFaces : public ::testing::TestWithParam<FaceCase> {};

TEST_P(PolicyFaces, JudgesEachFaceByTheRules) {
  const FaceCase& c = GetParam();
  const PolicyFace face = face_of(c.kind);
  const FaceJudgement j = judge_face(face, kOwner, kConsents, c.rules);
  EXPECT_EQ(j.decision, c.decision) << to_string(j.decision);
  EXPECT_EQ(j.reason, c.reason);
  EXPECT_EQ(j.matched_child_id, c.matched_child_id);
  EXPECT_EQ(j.match, c.matched_child_id ? "child" + std::to_string(c.matched_child_id) : "");
  EXPECT_EQ(j.consent_event_id, c.consent_event_id);
  EXPECT_EQ(j.hold, c.hold);
  EXPECT_FLOAT_EQ(j.similarity, face.embeddable ? face.match.similarity : 0.f);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PolicyFaces,
    ::testing::Values(
        // Default rules: DESIGN.md section 4, rules 1 to 5.
        FaceCase{"owner", Kind::owner, kDefaults, Decision::keep, "journal_owner", 1, 0, false},
        FaceCase{"consented", Kind::consented, kDefaults, Decision::keep, "consent_yes", 2, 21, false},
        FaceCase{"refused", Kind::refused, kDefaults, Decision::blur, "consent_no", 3, 31, false},
        FaceCase{"no_record", Kind::no_record, kDefaults, Decision::blur, "no_consent_record", 4, 0, false},
        FaceCase{"record_without_event", Kind::bad_record, kDefaults, Decision::blur, "no_consent_record", 5, 0, false},
        FaceCase{"unknown", Kind::unknown, kDefaults, Decision::blur, "unknown", 0, 0, false},
        FaceCase{"uncertain", Kind::uncertain, kDefaults, Decision::blur, "uncertain", 2, 0, true},
        FaceCase{"uncertain_owner", Kind::uncertain_owner, kDefaults, Decision::blur, "uncertain", 1, 0, true},
        FaceCase{"not_embeddable", Kind::not_embeddable, kDefaults, Decision::blur, "not_embeddable", 0, 0, false},
        // keep_journal_owner off: the owner goes through the consent rules (child 1 said no).
        FaceCase{"owner_rule_off_owner", Kind::owner, kOwnerOff, Decision::blur, "consent_no", 1, 11, false},
        FaceCase{"owner_rule_off_consented", Kind::consented, kOwnerOff, Decision::keep, "consent_yes", 2, 21, false},
        FaceCase{"owner_rule_off_refused", Kind::refused, kOwnerOff, Decision::blur, "consent_no", 3, 31, false},
        FaceCase{"owner_rule_off_unknown", Kind::unknown, kOwnerOff, Decision::blur, "unknown", 0, 0, false},
        // keep_consented off: every matched non-owner is blurred.
        FaceCase{"consent_rule_off_owner", Kind::owner, kConsentOff, Decision::keep, "journal_owner", 1, 0, false},
        FaceCase{"consent_rule_off_consented", Kind::consented, kConsentOff, Decision::blur, "consent_not_used", 2, 0,
                 false},
        FaceCase{"consent_rule_off_refused", Kind::refused, kConsentOff, Decision::blur, "consent_not_used", 3, 0,
                 false},
        FaceCase{"consent_rule_off_no_record", Kind::no_record, kConsentOff, Decision::blur, "consent_not_used", 4, 0,
                 false},
        FaceCase{"consent_rule_off_uncertain", Kind::uncertain, kConsentOff, Decision::blur, "uncertain", 2, 0, true},
        // Both off: nobody is kept.
        FaceCase{"both_off_owner", Kind::owner, kBothOff, Decision::blur, "consent_not_used", 1, 0, false},
        FaceCase{"both_off_consented", Kind::consented, kBothOff, Decision::blur, "consent_not_used", 2, 0, false},
        // hold_uncertain off: still blurred, but no hold.
        FaceCase{"hold_off_uncertain", Kind::uncertain, kHoldUncertainOff, Decision::blur, "uncertain", 2, 0, false},
        FaceCase{"hold_off_uncertain_owner", Kind::uncertain_owner, kHoldUncertainOff, Decision::blur, "uncertain", 1,
                 0, false},
        FaceCase{"hold_off_owner", Kind::owner, kHoldUncertainOff, Decision::keep, "journal_owner", 1, 0, false},
        // hold_parent_uploads is item level only: faces are judged the same.
        FaceCase{"parent_rule_off_consented", Kind::consented, rules(true, true, false, true), Decision::keep,
                 "consent_yes", 2, 21, false}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ConsentPolicy, MatchWithoutChildIdIsUnknown) {
  PolicyFace f = matched(0);
  const FaceJudgement j = judge_face(f, kOwner, kConsents, kDefaults);
  EXPECT_EQ(j.decision, Decision::blur);
  EXPECT_EQ(j.reason, "unknown");
}

TEST(ConsentPolicy, ConsentIsLookedUpForTheMatchedChildOnly) {
  // The journal owner is child 2 this time: child 2 is kept as owner, child 1 by consent rules.
  EXPECT_EQ(judge_face(matched(2), 2, kConsents, kDefaults).reason, "journal_owner");
  const FaceJudgement j = judge_face(matched(1), 2, kConsents, kDefaults);
  EXPECT_EQ(j.reason, "consent_no");
  EXPECT_EQ(j.consent_event_id, 11);
  EXPECT_EQ(judge_face(matched(2), 2, {}, kDefaults).reason, "journal_owner");
  EXPECT_EQ(judge_face(matched(3), 2, {}, kDefaults).reason, "no_consent_record");
}

// ---------------------------------------------------------------------------------------
// Item outcome: every combination of role, error, a held face and hold_parent_uploads.
struct ItemCase {
  const char* name;
  UploaderRole role;
  bool errored;
  bool face_hold;
  bool hold_parent_uploads;
  MediaState outcome;
  std::vector<std::string> reasons;
};

class PolicyItems : public ::testing::TestWithParam<ItemCase> {};

TEST_P(PolicyItems, DecidesTheItemOutcome) {
  const ItemCase& c = GetParam();
  std::vector<FaceJudgement> faces(2);
  faces[0].decision = Decision::keep;
  faces[0].reason = "journal_owner";
  faces[1].reason = c.face_hold ? "uncertain" : "unknown";
  faces[1].hold = c.face_hold;
  PolicyRules r = kDefaults;
  r.hold_parent_uploads = c.hold_parent_uploads;
  const Outcome d = decide_item(faces, c.role, c.errored, r);
  EXPECT_EQ(d.state, c.outcome) << to_string(d.state);
  EXPECT_EQ(d.reasons, c.reasons);
}

using R = UploaderRole;
const MediaState P = MediaState::published, H = MediaState::held;
INSTANTIATE_TEST_SUITE_P(
    Table, PolicyItems,
    ::testing::Values(
        ItemCase{"staff_clean", R::staff, false, false, true, P, {}},
        ItemCase{"staff_clean_rule_off", R::staff, false, false, false, P, {}},
        ItemCase{"staff_uncertain", R::staff, false, true, true, H, {"uncertain_match"}},
        ItemCase{"staff_uncertain_rule_off", R::staff, false, true, false, H, {"uncertain_match"}},
        ItemCase{"staff_errored", R::staff, true, false, true, H, {"processing_error"}},
        ItemCase{"staff_errored_rule_off", R::staff, true, false, false, H, {"processing_error"}},
        ItemCase{"staff_errored_uncertain", R::staff, true, true, true, H, {"processing_error", "uncertain_match"}},
        ItemCase{"staff_errored_uncertain_rule_off", R::staff, true, true, false, H,
                 {"processing_error", "uncertain_match"}},
        ItemCase{"parent_clean", R::parent, false, false, true, H, {"parent_upload"}},
        ItemCase{"parent_clean_rule_off", R::parent, false, false, false, P, {}},
        ItemCase{"parent_uncertain", R::parent, false, true, true, H, {"uncertain_match", "parent_upload"}},
        ItemCase{"parent_uncertain_rule_off", R::parent, false, true, false, H, {"uncertain_match"}},
        ItemCase{"parent_errored", R::parent, true, false, true, H, {"processing_error", "parent_upload"}},
        ItemCase{"parent_errored_rule_off", R::parent, true, false, false, H, {"processing_error"}},
        ItemCase{"parent_all", R::parent, true, true, true, H, {"processing_error", "uncertain_match", "parent_upload"}},
        ItemCase{"parent_errored_uncertain_rule_off", R::parent, true, true, false, H,
                 {"processing_error", "uncertain_match"}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ConsentPolicy, NoFacesStaffPublishesParentHolds) {
  EXPECT_EQ(decide_item({}, UploaderRole::staff, false, kDefaults).state, MediaState::published);
  EXPECT_EQ(decide_item({}, UploaderRole::parent, false, kDefaults).reason(), "parent_upload");
  EXPECT_EQ(decide_item({}, UploaderRole::staff, true, kDefaults).reason(), "processing_error");
}

// ---------------------------------------------------------------------------------------
// apply_policy: faces in order, then the item; hold_uncertain decides whether a grey-zone
// face holds the item.
TEST(ConsentPolicy, ApplyPolicyJudgesEveryFaceThenTheItem) {
  PolicyInput in;
  in.journal_child_id = kOwner;
  in.consents = kConsents;
  for (Kind k : kAllKinds) in.faces.push_back(face_of(k));
  const PolicyResult r = apply_policy(in, kDefaults);
  ASSERT_EQ(r.faces.size(), kAllKinds.size());
  const std::vector<std::string> expected = {"journal_owner",     "consent_yes", "consent_no",
                                             "no_consent_record", "no_consent_record", "unknown",
                                             "uncertain",         "uncertain",   "not_embeddable"};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(r.faces[i].reason, expected[i]) << i;
  EXPECT_EQ(r.item.state, MediaState::held);
  EXPECT_EQ(r.item.reason(), "uncertain_match");

  const PolicyResult relaxed = apply_policy(in, kHoldUncertainOff);
  EXPECT_EQ(relaxed.item.state, MediaState::published);

  in.uploader_role = UploaderRole::parent;
  EXPECT_EQ(apply_policy(in, kHoldUncertainOff).item.reason(), "parent_upload");
  in.processing_errored = true;
  EXPECT_EQ(apply_policy(in, kHoldUncertainOff).item.reason(), "processing_error; parent_upload");
}

// ---------------------------------------------------------------------------------------
// Invariants over every combination: 16 rule sets x every face kind x staff/parent x errored.
TEST(ConsentPolicy, InvariantsOverAllCombinations) {
  const std::vector<std::string> keep_reasons = {"journal_owner", "consent_yes"};
  int combinations = 0;
  for (int bits = 0; bits < 16; ++bits) {
    const PolicyRules r = rules(bits & 1, bits & 2, bits & 4, bits & 8);
    for (Kind k : kAllKinds) {
      for (UploaderRole role : {UploaderRole::staff, UploaderRole::parent}) {
        for (bool errored : {false, true}) {
          ++combinations;
          SCOPED_TRACE(std::string(kind_name(k)) + " rules=" + std::to_string(bits) + " " + to_string(role) +
                       (errored ? " errored" : ""));
          PolicyInput in;
          in.journal_child_id = kOwner;
          in.consents = kConsents;
          in.uploader_role = role;
          in.processing_errored = errored;
          in.faces = {face_of(k)};
          const PolicyResult res = apply_policy(in, r);
          const FaceJudgement& j = res.faces.at(0);
          // A keep is only ever the owner (rule on) or a consented child (rule on).
          if (j.decision == Decision::keep) {
            EXPECT_TRUE(j.reason == "journal_owner" || j.reason == "consent_yes") << j.reason;
            if (j.reason == "journal_owner") {
              EXPECT_TRUE(r.keep_journal_owner);
            }
            if (j.reason == "consent_yes") {
              EXPECT_TRUE(r.keep_consented);
              EXPECT_EQ(kConsents.at(j.matched_child_id).photo_in_others, true);
            }
          }
          // Unknown, uncertain and unembeddable faces are always blurred.
          if (k == Kind::unknown || k == Kind::uncertain || k == Kind::uncertain_owner || k == Kind::not_embeddable ||
              k == Kind::refused || k == Kind::no_record || k == Kind::bad_record) {
            EXPECT_EQ(j.decision, Decision::blur);
          }
          // A consent event is cited exactly when consent decided.
          EXPECT_EQ(j.consent_event_id != 0, j.reason == "consent_yes" || j.reason == "consent_no");
          // Only an uncertain face holds, and only with hold_uncertain.
          EXPECT_EQ(j.hold, j.reason == "uncertain" && r.hold_uncertain);
          // Item: never rejected here; never published when errored, when a face holds, or for
          // a parent upload with the rule on; otherwise published.
          EXPECT_NE(res.item.state, MediaState::rejected);
          const bool must_hold = errored || j.hold || (role == UploaderRole::parent && r.hold_parent_uploads);
          EXPECT_EQ(res.item.state, must_hold ? MediaState::held : MediaState::published);
          EXPECT_EQ(res.item.reasons.empty(), !must_hold);
        }
      }
    }
  }
  EXPECT_EQ(combinations, 16 * 9 * 2 * 2);
}

// ---------------------------------------------------------------------------------------
TEST(ConsentPolicy, RulesFromConfigMirrorsPolicyConfig) {
  for (int bits = 0; bits < 16; ++bits) {
    PolicyConfig c;
    c.keep_journal_owner = bits & 1;
    c.keep_consented = bits & 2;
    c.hold_parent_uploads = bits & 4;
    c.hold_uncertain = bits & 8;
    const PolicyRules r = rules_from(c);
    EXPECT_EQ(r.keep_journal_owner, c.keep_journal_owner);
    EXPECT_EQ(r.keep_consented, c.keep_consented);
    EXPECT_EQ(r.hold_parent_uploads, c.hold_parent_uploads);
    EXPECT_EQ(r.hold_uncertain, c.hold_uncertain);
  }
  const PolicyRules defaults = rules_from(PolicyConfig{});
  EXPECT_TRUE(defaults.keep_journal_owner && defaults.keep_consented && defaults.hold_parent_uploads &&
              defaults.hold_uncertain);
}

TEST(ConsentPolicy, EnumNames) {
  EXPECT_STREQ(to_string(UploaderRole::staff), "staff");
  EXPECT_STREQ(to_string(UploaderRole::parent), "parent");
  EXPECT_EQ(parse_uploader_role("parent"), UploaderRole::parent);
  EXPECT_EQ(parse_uploader_role("staff"), UploaderRole::staff);
  EXPECT_EQ(parse_uploader_role("manager"), std::nullopt);
}

}  // namespace
}  // namespace veil
