// Open-set face search: see face_matcher.h for the exact scoring rules.
#include "policy/face_matcher.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "config/config.h"

namespace veil {

namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

// Dot product with eight independent accumulators, so that the compiler can keep them in
// SIMD registers without reassociating a single running sum.
inline float dot(const float* a, const float* b, std::size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  }
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

// 1/|v|, or 0 when v is empty, all zero or holds a non-finite value.
float inverse_norm(const Embedding& v) {
  double sum = 0;
  for (float x : v) {
    if (!std::isfinite(x)) return 0.f;
    sum += static_cast<double>(x) * x;
  }
  if (!(sum > 0) || !std::isfinite(sum)) return 0.f;
  return static_cast<float>(1.0 / std::sqrt(sum));
}

}  // namespace

MatchThresholds thresholds_from(const MatchingConfig& config) {
  return MatchThresholds{static_cast<float>(config.accept_threshold),
                         static_cast<float>(config.reject_threshold)};
}

const char* to_string(MatchBand band) {
  switch (band) {
    case MatchBand::match: return "match";
    case MatchBand::uncertain: return "uncertain";
    case MatchBand::none: return "none";
  }
  return "none";
}

MatcherSnapshot::MatcherSnapshot(std::vector<FaceTemplate> templates, MatcherOptions options)
    : options_(options) {
  // Group rows by child (stable: a child's templates keep their given order).
  std::stable_sort(templates.begin(), templates.end(),
                   [](const FaceTemplate& a, const FaceTemplate& b) { return a.child_id < b.child_id; });
  for (const FaceTemplate& t : templates) {
    const float inv = inverse_norm(t.embedding);
    if (inv == 0.f || t.child_id == 0 || (dim_ != 0 && t.embedding.size() != dim_)) {
      ++dropped_;
      continue;
    }
    if (dim_ == 0) dim_ = t.embedding.size();
    if (children_.empty() || children_.back().id != t.child_id) {
      Child c;
      c.id = t.child_id;
      c.name = t.child_name;
      c.first = template_ids_.size();
      c.newest_unix = t.created_at_unix;
      children_.push_back(std::move(c));
    }
    Child& c = children_.back();
    ++c.count;
    c.newest_unix = std::max(c.newest_unix, t.created_at_unix);
    if (c.name.empty()) c.name = t.child_name;
    for (float x : t.embedding) matrix_.push_back(x * inv);
    template_ids_.push_back(t.id);
    created_unix_.push_back(t.created_at_unix);
  }
  matrix_.shrink_to_fit();
}

MatchResult MatcherSnapshot::match(const Embedding& query, MatchThresholds thresholds,
                                   std::int64_t now_unix) const {
  MatchResult result;  // band none, similarity 0
  if (query.empty() || dim_ == 0) return result;
  if (query.size() != dim_) {
    throw std::invalid_argument("face matcher: embedding has " + std::to_string(query.size()) +
                                " values, the enrolled templates have " + std::to_string(dim_));
  }
  const float inv = inverse_norm(query);
  if (inv == 0.f) return result;
  // Normalise only when needed (the embedder already gives unit vectors).
  Embedding normalised;
  const float* q = query.data();
  if (std::fabs(inv - 1.f) > 1e-4f) {
    normalised.resize(query.size());
    for (std::size_t i = 0; i < query.size(); ++i) normalised[i] = query[i] * inv;
    q = normalised.data();
  }

  const bool ageing = options_.max_template_age_days > 0;
  const std::int64_t max_age_s = static_cast<std::int64_t>(options_.max_template_age_days) * kSecondsPerDay;

  constexpr float kNone = -std::numeric_limits<float>::infinity();
  float best = kNone, second = kNone;
  const Child* best_child = nullptr;
  const Child* second_child = nullptr;
  std::size_t best_row = 0;
  bool best_stale = false;

  for (const Child& c : children_) {
    const bool young_child = !ageing || now_unix - c.newest_unix <= max_age_s;
    float score = kNone;
    std::size_t row = c.first;
    const float* m = matrix_.data() + c.first * dim_;
    for (std::size_t r = c.first; r < c.first + c.count; ++r, m += dim_) {
      // A child with a young template: its old templates are ignored.
      if (ageing && young_child && now_unix - created_unix_[r] > max_age_s) continue;
      const float s = dot(q, m, dim_);
      if (s > score) {
        score = s;
        row = r;
      }
    }
    if (!young_child) score -= options_.stale_penalty;
    if (score > best) {
      second = best;
      second_child = best_child;
      best = score;
      best_child = &c;
      best_row = row;
      best_stale = !young_child;
    } else if (score > second) {
      second = score;
      second_child = &c;
    }
  }
  if (!best_child) return result;

  result.similarity = best;
  if (second_child) result.runner_up_similarity = second;

  if (best < thresholds.reject) {
    result.band = MatchBand::none;
    return result;  // ids stay 0: no child is named for an unknown face
  }
  result.child_id = best_child->id;
  result.child_name = best_child->name;
  result.template_id = template_ids_[best_row];
  result.stale = best_stale;
  if (second_child) {
    result.runner_up_child_id = second_child->id;
    result.runner_up_name = second_child->name;
  }
  if (best >= thresholds.accept) {
    const bool ambiguous = second_child && second >= thresholds.reject &&
                           best - second < options_.ambiguity_margin;
    result.band = ambiguous ? MatchBand::uncertain : MatchBand::match;
  } else {
    result.band = MatchBand::uncertain;
  }
  return result;
}

FaceMatcher::FaceMatcher(MatcherOptions options)
    : options_(options), current_(std::make_shared<const MatcherSnapshot>(std::vector<FaceTemplate>{}, options)) {}

void FaceMatcher::replace_templates(std::vector<FaceTemplate> templates) {
  std::shared_ptr<const MatcherSnapshot> next =
      std::make_shared<const MatcherSnapshot>(std::move(templates), options_);
  {
    std::unique_lock lock(mutex_);
    current_.swap(next);
  }
  // `next` now holds the previous snapshot: released here, outside the lock (or later, by
  // the last match() still using it).
}

std::shared_ptr<const MatcherSnapshot> FaceMatcher::snapshot() const {
  std::shared_lock lock(mutex_);
  return current_;
}

MatchResult FaceMatcher::match(const Embedding& query, MatchThresholds thresholds, std::int64_t now_unix) const {
  return snapshot()->match(query, thresholds, now_unix);
}

}  // namespace veil
