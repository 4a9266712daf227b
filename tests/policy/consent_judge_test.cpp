// ConsentJudge: the FaceJudge the pixel pipeline asks per face; matcher snapshot + consent
// map + owner + thresholds + rules, remembering judgements for the item outcome.
#include "policy/consent_judge.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace veil {
namespace {

constexpr std::size_t kDim = 128;
constexpr std::int64_t kNow = 1'700'000'000;

Embedding axis(std::size_t k) {
  Embedding e(kDim, 0.f);
  e[k] = 1.f;
  return e;
}
// Similarity s with axis k (remainder on the last axis, used by no template).
Embedding near_axis(std::size_t k, float s) {
  Embedding e(kDim, 0.f);
  e[k] = s;
  e[kDim - 1] = std::sqrt(1.f - s * s);
  return e;
}

// Children 1 (owner, axis 0), 2 (consented, axis 1), 3 (refused, axis 2), 4 (no record, axis 3).
std::vector<FaceTemplate> nursery() {
  return {FaceTemplate{10, 1, "Ada", axis(0), kNow}, FaceTemplate{20, 2, "Bo", axis(1), kNow},
          FaceTemplate{30, 3, "Cy", axis(2), kNow}, FaceTemplate{40, 4, "Di", axis(3), kNow}};
}
ConsentMap consents() { return {{1, {false, 11}}, {2, {true, 21}}, {3, {false, 31}}}; }

ConsentJudgeParams params(UploaderRole role = UploaderRole::staff, PolicyRules rules = {}) {
  ConsentJudgeParams p;
  p.journal_child_id = 1;
  p.uploader_role = role;
  p.thresholds = {0.5f, 0.3f};
  p.rules = rules;
  p.now_unix = kNow;
  return p;
}

struct JudgeCase {
  const char* name;
  Embedding embedding;
  Decision decision;
  const char* reason;
  const char* match;
  std::int64_t consent_event_id;
  bool hold;
};

class ConsentJudgeFaces : public ::testing::TestWithParam<JudgeCase> {};

TEST_P(ConsentJudgeFaces, MatchesThenAppliesThePolicy) {
  const JudgeCase& c = GetParam();
  FaceMatcher matcher;
  matcher.replace_templates(nursery());
  ConsentJudge judge(matcher, consents(), params());
  EXPECT_TRUE(judge.needs_embedding());
  const FaceJudgement j = judge.judge(c.embedding);
  EXPECT_EQ(j.decision, c.decision);
  EXPECT_EQ(j.reason, c.reason);
  EXPECT_EQ(j.match, c.match);
  EXPECT_EQ(j.consent_event_id, c.consent_event_id);
  EXPECT_EQ(j.hold, c.hold);
  ASSERT_EQ(judge.judgements().size(), 1u);
  EXPECT_EQ(judge.judgements()[0].reason, c.reason);
  ASSERT_EQ(judge.match_results().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConsentJudgeFaces,
    ::testing::Values(JudgeCase{"owner", axis(0), Decision::keep, "journal_owner", "Ada", 0, false},
                      JudgeCase{"consented", near_axis(1, 0.8f), Decision::keep, "consent_yes", "Bo", 21, false},
                      JudgeCase{"refused", axis(2), Decision::blur, "consent_no", "Cy", 31, false},
                      JudgeCase{"no_record", axis(3), Decision::blur, "no_consent_record", "Di", 0, false},
                      JudgeCase{"unknown", axis(5), Decision::blur, "unknown", "", 0, false},
                      JudgeCase{"grey_zone", near_axis(2, 0.4f), Decision::blur, "uncertain", "Cy", 0, true},
                      JudgeCase{"empty", Embedding{}, Decision::blur, "not_embeddable", "", 0, false}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ConsentJudge, OutcomeFromRememberedJudgements) {
  FaceMatcher matcher;
  matcher.replace_templates(nursery());
  {
    ConsentJudge judge(matcher, consents(), params());
    judge.judge(axis(0));
    judge.judge(axis(2));
    judge.judge({});
    EXPECT_EQ(judge.judgements().size(), 3u);
    EXPECT_EQ(judge.outcome(false).state, MediaState::published);
    EXPECT_EQ(judge.outcome(true).reason(), "processing_error");
    judge.judge(near_axis(1, 0.4f));  // grey zone
    EXPECT_EQ(judge.outcome(false).state, MediaState::held);
    EXPECT_EQ(judge.outcome(false).reason(), "uncertain_match");
  }
  {
    ConsentJudge judge(matcher, consents(), params(UploaderRole::parent));
    judge.judge(axis(0));
    EXPECT_EQ(judge.outcome(false).reason(), "parent_upload");
  }
  {
    PolicyRules r;
    r.hold_parent_uploads = false;
    r.hold_uncertain = false;
    ConsentJudge judge(matcher, consents(), params(UploaderRole::parent, r));
    EXPECT_EQ(judge.judge(near_axis(1, 0.4f)).hold, false);
    EXPECT_EQ(judge.outcome(false).state, MediaState::published);
  }
}

TEST(ConsentJudge, UsesItsRulesAndThresholds) {
  FaceMatcher matcher;
  matcher.replace_templates(nursery());
  PolicyRules r;
  r.keep_journal_owner = false;
  r.keep_consented = false;
  ConsentJudge strict(matcher, consents(), params(UploaderRole::staff, r));
  EXPECT_EQ(strict.judge(axis(0)).reason, "consent_not_used");
  EXPECT_EQ(strict.judge(axis(1)).reason, "consent_not_used");

  ConsentJudgeParams p = params();
  p.thresholds = {0.9f, 0.85f};
  ConsentJudge picky(matcher, consents(), p);
  EXPECT_EQ(picky.judge(near_axis(0, 0.8f)).reason, "unknown");
  EXPECT_EQ(picky.judge(near_axis(0, 0.88f)).reason, "uncertain");
  EXPECT_EQ(picky.judge(axis(0)).reason, "journal_owner");
}

TEST(ConsentJudge, JudgesAgainstTheSnapshotItWasGiven) {
  FaceMatcher matcher;
  matcher.replace_templates(nursery());
  ConsentJudge judge(matcher, consents(), params());
  matcher.replace_templates({FaceTemplate{99, 9, "Zed", axis(0), kNow}});  // enrolment changed meanwhile
  EXPECT_EQ(judge.judge(axis(0)).reason, "journal_owner");
  ConsentJudge later(matcher, consents(), params());
  EXPECT_EQ(later.judge(axis(0)).reason, "no_consent_record");
}

TEST(ConsentJudge, AgeingUsesTheJudgesClock) {
  FaceMatcher matcher;  // 540 days, penalty 0.05
  matcher.replace_templates({FaceTemplate{10, 2, "Bo", axis(1), kNow - 600LL * 86400}});
  ConsentJudge judge(matcher, consents(), params());
  const FaceJudgement j = judge.judge(near_axis(1, 0.52f));
  EXPECT_EQ(j.reason, "uncertain");  // 0.52 - 0.05 stale penalty
  EXPECT_NEAR(j.similarity, 0.47f, 1e-5);
  EXPECT_TRUE(judge.match_results().at(0).stale);
}

TEST(ConsentJudge, FailsClosed) {
  FaceMatcher empty;
  ConsentJudge judge(empty, consents(), params());
  EXPECT_EQ(judge.judge(axis(0)).reason, "unknown");  // nobody enrolled: blur
  EXPECT_EQ(judge.judge_not_embeddable().reason, "not_embeddable");

  FaceMatcher matcher;
  matcher.replace_templates(nursery());
  ConsentJudge judge2(matcher, consents(), params());
  EXPECT_THROW(judge2.judge(Embedding(512, 0.01f)), std::invalid_argument);
  EXPECT_THROW(ConsentJudge(std::shared_ptr<const MatcherSnapshot>{}, consents(), params()), std::invalid_argument);
}

TEST(ConsentJudge, ConcurrentJudgeRecordsEveryFace) {
  FaceMatcher matcher;
  matcher.replace_templates(nursery());
  ConsentJudge judge(matcher, consents(), params());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&judge, t] {
      for (int i = 0; i < 100; ++i) judge.judge(axis(static_cast<std::size_t>((t + i) % 4)));
    });
  }
  for (auto& th : threads) th.join();
  const auto js = judge.judgements();
  ASSERT_EQ(js.size(), 400u);
  int kept = 0;
  for (const auto& j : js) kept += j.decision == Decision::keep;
  EXPECT_EQ(kept, 200);  // owner and consented child: half the faces
  EXPECT_EQ(judge.outcome(false).state, MediaState::published);
}

}  // namespace
}  // namespace veil
