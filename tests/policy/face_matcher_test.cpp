// FaceMatcher: best template per child, bands and thresholds, ambiguity margin, template
// ageing, bad input, and replace_templates() under concurrent match().
//
// The embeddings are built so that similarities are exact floats: every template is a unit
// axis e_k, and a query puts the wanted similarity s on axis k (the remainder goes on the
// last axis, which no template uses), so query . e_k == s exactly.
#include "policy/face_matcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "config/config.h"

namespace veil {
namespace {

constexpr std::size_t kDim = 128;
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kNow = 2000 * kDay;

Embedding axis(std::size_t k, float scale = 1.f) {
  Embedding e(kDim, 0.f);
  e[k] = scale;
  return e;
}

// A unit query whose similarity with axis(k) is s for every {k, s}.
Embedding query_with(std::vector<std::pair<std::size_t, float>> parts) {
  Embedding q(kDim, 0.f);
  double sum = 0;
  for (auto [k, s] : parts) {
    q[k] = s;
    sum += static_cast<double>(s) * s;
  }
  if (sum > 1.0) throw std::logic_error("query_with: squared similarities add up to more than 1");
  q[kDim - 1] = static_cast<float>(std::sqrt(1.0 - sum));
  return q;
}

FaceTemplate tmpl(std::int64_t id, std::int64_t child, std::size_t axis_k, std::int64_t age_days = 10) {
  return FaceTemplate{id, child, "child" + std::to_string(child), axis(axis_k), kNow - age_days * kDay};
}

const MatchThresholds kDefault{0.5f, 0.3f};

// ---------------------------------------------------------------------------------------
// Bands and thresholds: one child, one template, similarity s.
struct BandCase {
  const char* name;
  float similarity;
  MatchThresholds thresholds;
  MatchBand band;
};

class MatcherBands : public ::testing::TestWithParam<BandCase> {};

TEST_P(MatcherBands, SimilarityFallsInTheRightBand) {
  const BandCase& c = GetParam();
  FaceMatcher matcher;
  matcher.replace_templates({tmpl(100, 7, 0)});
  const MatchResult r = matcher.match(query_with({{0, c.similarity}}), c.thresholds, kNow);
  EXPECT_EQ(r.band, c.band) << to_string(r.band);
  EXPECT_FLOAT_EQ(r.similarity, c.similarity);
  if (c.band == MatchBand::none) {
    EXPECT_EQ(r.child_id, 0);
    EXPECT_EQ(r.child_name, "");
    EXPECT_EQ(r.template_id, 0);
  } else {
    EXPECT_EQ(r.child_id, 7);
    EXPECT_EQ(r.child_name, "child7");
    EXPECT_EQ(r.template_id, 100);
  }
  EXPECT_EQ(r.runner_up_child_id, 0);
  EXPECT_EQ(r.runner_up_similarity, 0.f);
  EXPECT_FALSE(r.stale);
}

INSTANTIATE_TEST_SUITE_P(
    Table, MatcherBands,
    ::testing::Values(BandCase{"clear_match", 0.9f, kDefault, MatchBand::match},
                      BandCase{"exactly_accept", 0.5f, kDefault, MatchBand::match},
                      BandCase{"just_below_accept", 0.4999f, kDefault, MatchBand::uncertain},
                      BandCase{"grey_zone", 0.4f, kDefault, MatchBand::uncertain},
                      BandCase{"exactly_reject", 0.3f, kDefault, MatchBand::uncertain},
                      BandCase{"just_below_reject", 0.2999f, kDefault, MatchBand::none},
                      BandCase{"far", 0.05f, kDefault, MatchBand::none},
                      BandCase{"negative", -0.6f, kDefault, MatchBand::none},
                      BandCase{"strict_thresholds_match", 0.75f, {0.7f, 0.6f}, MatchBand::match},
                      BandCase{"strict_thresholds_grey", 0.65f, {0.7f, 0.6f}, MatchBand::uncertain},
                      BandCase{"strict_thresholds_none", 0.55f, {0.7f, 0.6f}, MatchBand::none},
                      BandCase{"no_grey_zone_match", 0.4f, {0.4f, 0.4f}, MatchBand::match},
                      BandCase{"no_grey_zone_none", 0.39f, {0.4f, 0.4f}, MatchBand::none}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------------------------------
// Best template per child, best child wins, runner-up, ambiguity margin.
struct ChildScore {
  std::int64_t child;
  std::vector<float> template_similarities;  // one template per value
};

struct RankCase {
  const char* name;
  std::vector<ChildScore> children;
  float margin;
  MatchThresholds thresholds;
  MatchBand band;
  std::int64_t child;            // expected best child (0 for none)
  float similarity;
  std::int64_t runner_up;        // expected runner-up child (0 when none or band none)
  float runner_up_similarity;
};

class MatcherRanking : public ::testing::TestWithParam<RankCase> {};

TEST_P(MatcherRanking, BestTemplatePerChildBestChildWins) {
  const RankCase& c = GetParam();
  std::vector<FaceTemplate> templates;
  std::vector<std::pair<std::size_t, float>> parts;
  std::size_t next_axis = 0;
  std::int64_t next_id = 1;
  for (const ChildScore& cs : c.children) {
    for (float s : cs.template_similarities) {
      templates.push_back(tmpl(next_id++, cs.child, next_axis));
      parts.emplace_back(next_axis++, s);
    }
  }
  MatcherOptions options;
  options.ambiguity_margin = c.margin;
  FaceMatcher matcher(options);
  matcher.replace_templates(templates);
  const MatchResult r = matcher.match(query_with(parts), c.thresholds, kNow);
  EXPECT_EQ(r.band, c.band) << to_string(r.band);
  EXPECT_EQ(r.child_id, c.child);
  EXPECT_FLOAT_EQ(r.similarity, c.similarity);
  EXPECT_EQ(r.runner_up_child_id, c.runner_up);
  EXPECT_FLOAT_EQ(r.runner_up_similarity, c.runner_up_similarity);
  if (c.band != MatchBand::none) {
    // template_id names the best child's best template.
    ASSERT_GT(r.template_id, 0);
    const FaceTemplate& t = templates[static_cast<std::size_t>(r.template_id - 1)];
    EXPECT_EQ(t.child_id, c.child);
    EXPECT_FLOAT_EQ(parts[static_cast<std::size_t>(r.template_id - 1)].second, c.similarity);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, MatcherRanking,
    ::testing::Values(
        RankCase{"best_template_of_three", {{1, {0.2f, 0.7f, 0.4f}}}, 0.05f, kDefault, MatchBand::match, 1, 0.7f, 0, 0.f},
        RankCase{"best_child_wins", {{1, {0.2f, 0.45f}}, {2, {0.62f}}, {3, {0.1f}}}, 0.05f, kDefault,
                 MatchBand::match, 2, 0.62f, 1, 0.45f},
        RankCase{"many_templates_do_not_add_up", {{1, {0.4f, 0.4f, 0.4f}}, {2, {0.55f}}}, 0.05f, kDefault,
                 MatchBand::match, 2, 0.55f, 1, 0.4f},
        RankCase{"runner_up_clear", {{1, {0.7f}}, {2, {0.64f}}}, 0.05f, kDefault, MatchBand::match, 1, 0.7f, 2, 0.64f},
        RankCase{"ambiguous_lookalikes", {{1, {0.7f}}, {2, {0.67f}}}, 0.05f, kDefault, MatchBand::uncertain, 1, 0.7f,
                 2, 0.67f},
        RankCase{"ambiguous_via_second_template", {{1, {0.7f}}, {2, {0.1f, 0.68f}}}, 0.05f, kDefault,
                 MatchBand::uncertain, 1, 0.7f, 2, 0.68f},
        RankCase{"ambiguity_off", {{1, {0.7f}}, {2, {0.69f}}}, 0.f, kDefault, MatchBand::match, 1, 0.7f, 2, 0.69f},
        RankCase{"wider_margin", {{1, {0.7f}}, {2, {0.62f}}}, 0.1f, kDefault, MatchBand::uncertain, 1, 0.7f, 2, 0.62f},
        RankCase{"close_runner_up_below_reject", {{1, {0.52f}}, {2, {0.48f}}}, 0.05f, {0.5f, 0.49f},
                 MatchBand::match, 1, 0.52f, 2, 0.48f},
        RankCase{"close_runner_up_at_reject", {{1, {0.52f}}, {2, {0.49f}}}, 0.05f, {0.5f, 0.49f},
                 MatchBand::uncertain, 1, 0.52f, 2, 0.49f},
        RankCase{"tie_lower_id_first_and_uncertain", {{9, {0.6f}}, {4, {0.6f}}}, 0.05f, kDefault,
                 MatchBand::uncertain, 4, 0.6f, 9, 0.6f},
        RankCase{"tie_without_margin_lower_id_matches", {{9, {0.6f}}, {4, {0.6f}}}, 0.f, kDefault, MatchBand::match,
                 4, 0.6f, 9, 0.6f},
        RankCase{"grey_best_with_runner_up", {{1, {0.45f}}, {2, {0.35f}}}, 0.05f, kDefault, MatchBand::uncertain, 1,
                 0.45f, 2, 0.35f},
        RankCase{"nobody_close", {{1, {0.2f}}, {2, {0.25f}}}, 0.05f, kDefault, MatchBand::none, 0, 0.25f, 0, 0.2f}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------------------------------
// Template ageing (max age 540 days, stale penalty 0.05 unless the case says otherwise).
struct AgedTemplate {
  std::int64_t child;
  float similarity;
  std::int64_t age_days;  // negative: dated in the future
};

struct AgeCase {
  const char* name;
  std::vector<AgedTemplate> templates;
  int max_age_days;
  float penalty;
  MatchBand band;
  std::int64_t child;
  float similarity;
  bool stale;
};

class MatcherAgeing : public ::testing::TestWithParam<AgeCase> {};

TEST_P(MatcherAgeing, RecentTemplatesArePreferred) {
  const AgeCase& c = GetParam();
  std::vector<FaceTemplate> templates;
  std::vector<std::pair<std::size_t, float>> parts;
  for (std::size_t i = 0; i < c.templates.size(); ++i) {
    templates.push_back(tmpl(static_cast<std::int64_t>(i + 1), c.templates[i].child, i, c.templates[i].age_days));
    parts.emplace_back(i, c.templates[i].similarity);
  }
  MatcherOptions options;
  options.max_template_age_days = c.max_age_days;
  options.stale_penalty = c.penalty;
  options.ambiguity_margin = 0.f;
  FaceMatcher matcher(options);
  matcher.replace_templates(templates);
  const MatchResult r = matcher.match(query_with(parts), kDefault, kNow);
  EXPECT_EQ(r.band, c.band) << to_string(r.band);
  EXPECT_EQ(r.child_id, c.child);
  EXPECT_NEAR(r.similarity, c.similarity, 1e-6);
  EXPECT_EQ(r.stale, c.stale);
}

INSTANTIATE_TEST_SUITE_P(
    Table, MatcherAgeing,
    ::testing::Values(
        AgeCase{"young_only", {{1, 0.6f, 30}}, 540, 0.05f, MatchBand::match, 1, 0.6f, false},
        AgeCase{"old_ignored_when_young_exists", {{1, 0.9f, 800}, {1, 0.4f, 30}}, 540, 0.05f, MatchBand::uncertain, 1,
                0.4f, false},
        AgeCase{"only_old_still_count_with_penalty", {{1, 0.9f, 800}, {1, 0.3f, 600}}, 540, 0.05f, MatchBand::match, 1,
                0.85f, true},
        AgeCase{"penalty_pushes_into_grey_zone", {{1, 0.52f, 600}}, 540, 0.05f, MatchBand::uncertain, 1, 0.47f, true},
        AgeCase{"penalty_pushes_below_reject", {{1, 0.32f, 600}}, 540, 0.05f, MatchBand::none, 0, 0.27f, false},
        AgeCase{"exactly_max_age_is_young", {{1, 0.6f, 540}}, 540, 0.05f, MatchBand::match, 1, 0.6f, false},
        AgeCase{"one_day_over_is_old", {{1, 0.6f, 541}}, 540, 0.05f, MatchBand::match, 1, 0.55f, true},
        AgeCase{"future_dated_is_young", {{1, 0.6f, -3}}, 540, 0.05f, MatchBand::match, 1, 0.6f, false},
        AgeCase{"young_child_beats_stale_child", {{1, 0.62f, 900}, {2, 0.6f, 10}}, 540, 0.05f, MatchBand::match, 2,
                0.6f, false},
        AgeCase{"stale_child_still_wins_when_far_ahead", {{1, 0.75f, 900}, {2, 0.6f, 10}}, 540, 0.05f,
                MatchBand::match, 1, 0.7f, true},
        AgeCase{"ageing_off", {{1, 0.9f, 5000}, {1, 0.4f, 30}}, 0, 0.05f, MatchBand::match, 1, 0.9f, false},
        AgeCase{"no_penalty", {{1, 0.52f, 600}}, 540, 0.f, MatchBand::match, 1, 0.52f, true},
        AgeCase{"shorter_max_age", {{1, 0.85f, 100}, {1, 0.45f, 20}}, 90, 0.05f, MatchBand::uncertain, 1, 0.45f,
                false}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------------------------------
// Bad input fails closed.

TEST(FaceMatcher, EmptyEmbeddingIsNoneWithZeroSimilarity) {
  FaceMatcher matcher;
  matcher.replace_templates({tmpl(1, 1, 0)});
  const MatchResult r = matcher.match({}, kDefault, kNow);
  EXPECT_EQ(r.band, MatchBand::none);
  EXPECT_EQ(r.similarity, 0.f);
  EXPECT_EQ(r.child_id, 0);
}

TEST(FaceMatcher, ZeroOrNonFiniteEmbeddingIsNone) {
  FaceMatcher matcher;
  matcher.replace_templates({tmpl(1, 1, 0)});
  EXPECT_EQ(matcher.match(Embedding(kDim, 0.f), kDefault, kNow).band, MatchBand::none);
  Embedding nan = axis(0);
  nan[3] = std::numeric_limits<float>::quiet_NaN();
  const MatchResult r = matcher.match(nan, kDefault, kNow);
  EXPECT_EQ(r.band, MatchBand::none);
  EXPECT_EQ(r.similarity, 0.f);
  Embedding inf = axis(0);
  inf[5] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(matcher.match(inf, kDefault, kNow).band, MatchBand::none);
}

TEST(FaceMatcher, NoTemplatesIsNone) {
  FaceMatcher matcher;
  const MatchResult r = matcher.match(axis(0), kDefault, kNow);
  EXPECT_EQ(r.band, MatchBand::none);
  EXPECT_EQ(r.similarity, 0.f);
  EXPECT_EQ(matcher.snapshot()->template_count(), 0u);
}

TEST(FaceMatcher, DimensionMismatchThrows) {
  FaceMatcher matcher;
  matcher.replace_templates({tmpl(1, 1, 0)});
  EXPECT_THROW(matcher.match(Embedding(64, 0.125f), kDefault, kNow), std::invalid_argument);
}

TEST(FaceMatcher, InvalidTemplatesAreDropped) {
  std::vector<FaceTemplate> templates = {
      tmpl(1, 1, 0),
      FaceTemplate{2, 2, "empty", {}, kNow},
      FaceTemplate{3, 3, "zero", Embedding(kDim, 0.f), kNow},
      FaceTemplate{4, 4, "short", Embedding(64, 0.125f), kNow},
      FaceTemplate{5, 0, "no child", axis(1), kNow},
      tmpl(6, 6, 2),
  };
  MatcherSnapshot snapshot(templates, MatcherOptions{});
  EXPECT_EQ(snapshot.template_count(), 2u);
  EXPECT_EQ(snapshot.child_count(), 2u);
  EXPECT_EQ(snapshot.dropped(), 4u);
  EXPECT_EQ(snapshot.dimension(), kDim);
  EXPECT_EQ(snapshot.match(axis(2), kDefault, kNow).child_id, 6);
}

TEST(FaceMatcher, TemplatesAndQueriesAreRenormalised) {
  FaceMatcher matcher;
  FaceTemplate t = tmpl(1, 1, 0);
  t.embedding = axis(0, 3.f);
  matcher.replace_templates({t});
  const MatchResult r = matcher.match(axis(0, 0.25f), kDefault, kNow);
  EXPECT_EQ(r.band, MatchBand::match);
  EXPECT_NEAR(r.similarity, 1.f, 1e-6);
}

TEST(FaceMatcher, ChildNameComesFromItsTemplates) {
  FaceMatcher matcher;
  matcher.replace_templates({FaceTemplate{1, 42, "Ada", axis(0), kNow}, FaceTemplate{2, 43, "Bo", axis(1), kNow}});
  const MatchResult r = matcher.match(query_with({{0, 0.8f}, {1, 0.1f}}), kDefault, kNow);
  EXPECT_EQ(r.child_name, "Ada");
  EXPECT_EQ(r.runner_up_name, "Bo");
}

TEST(FaceMatcher, ThresholdsFromConfig) {
  MatchingConfig config;
  config.accept_threshold = 0.62;
  config.reject_threshold = 0.41;
  const MatchThresholds t = thresholds_from(config);
  EXPECT_FLOAT_EQ(t.accept, 0.62f);
  EXPECT_FLOAT_EQ(t.reject, 0.41f);
}

TEST(FaceMatcher, BandNames) {
  EXPECT_STREQ(to_string(MatchBand::match), "match");
  EXPECT_STREQ(to_string(MatchBand::uncertain), "uncertain");
  EXPECT_STREQ(to_string(MatchBand::none), "none");
}

// ---------------------------------------------------------------------------------------
// A snapshot taken before replace_templates() keeps the old set.

TEST(FaceMatcher, SnapshotIsUnchangedByReplace) {
  FaceMatcher matcher;
  matcher.replace_templates({tmpl(1, 1, 0)});
  const auto before = matcher.snapshot();
  matcher.replace_templates({tmpl(2, 2, 1), tmpl(3, 3, 2)});
  EXPECT_EQ(before->template_count(), 1u);
  EXPECT_EQ(before->match(axis(0), kDefault, kNow).child_id, 1);
  EXPECT_EQ(matcher.snapshot()->template_count(), 2u);
  EXPECT_EQ(matcher.match(axis(0), kDefault, kNow).band, MatchBand::none);
  EXPECT_EQ(matcher.match(axis(1), kDefault, kNow).child_id, 2);
}

// replace_templates() while several threads match(): each match sees one whole set.
// Set A: child 1 on axis 0 (one template). Set B: child 2 on axis 0 plus child 3 (two
// templates). The query is axis 0, so a result is either {child 1, no runner-up} or
// {child 2, runner-up 3}; anything else would be a torn read.
TEST(FaceMatcher, ReplaceTemplatesUnderConcurrentMatch) {
  FaceMatcher matcher;
  const std::vector<FaceTemplate> set_a = {tmpl(1, 1, 0)};
  const std::vector<FaceTemplate> set_b = {tmpl(2, 2, 0), tmpl(3, 3, 1)};
  matcher.replace_templates(set_a);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, seen_a{0}, seen_b{0};
  const Embedding q = axis(0);

  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      int local = 0;
      while (!done.load() || local < 50) {
        ++local;
        const MatchResult r = matcher.match(q, kDefault, kNow);
        if (r.band == MatchBand::match && r.child_id == 1 && r.runner_up_child_id == 0) {
          ++seen_a;
        } else if (r.band == MatchBand::match && r.child_id == 2 && r.runner_up_child_id == 3) {
          ++seen_b;
        } else {
          ++bad;
        }
        const auto s = matcher.snapshot();
        if (s->template_count() != 1 && s->template_count() != 2) ++bad;
      }
    });
  }
  for (int i = 0; i < 400; ++i) matcher.replace_templates(i % 2 ? set_a : set_b);
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(seen_a.load() + seen_b.load(), 0);
}

}  // namespace
}  // namespace veil
