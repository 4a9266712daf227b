// Open-set search of one face embedding against the enrolled children's templates.
//
// Every template of every child sits in one contiguous row-major float matrix (one row
// per template, rows of a child next to each other); a template and the query are
// L2-normalised, so cosine similarity is their dot product. No database, no OpenCV.
//
// Scoring (match()):
//  1. Template ageing. A template is *old* when now_unix - created_at_unix is greater than
//     max_template_age_days * 86400 seconds (a template dated in the future counts as
//     young). For a child with at least one young template, the old ones are ignored.
//     A child with only old templates still counts, but its score is reduced by
//     stale_penalty (MatchResult::stale says so). max_template_age_days <= 0 turns
//     ageing off (every template is young).
//  2. A child's score is its best template's similarity (after the penalty above).
//  3. The child with the best score wins; the next best child is the runner-up.
//     Equal scores: the lower child id comes first (deterministic).
//  4. Bands, with thresholds {accept, reject}:
//       best >= accept                  -> match
//       reject <= best < accept         -> uncertain (the grey zone)
//       best < reject                   -> none
//     Ambiguity: a would-be match whose runner-up child is also >= reject and scores
//     less than ambiguity_margin below the best (best - runner_up < margin) is
//     uncertain instead: two children look alike, so Veil does not guess.
//     ambiguity_margin = 0 turns this check off.
//  5. An empty, all-zero or non-finite query embedding, or no enrolled template, gives
//     band none with similarity 0 (the caller fails closed: the face is blurred).
//     A query whose dimension differs from the templates' throws std::invalid_argument
//     (a model/template mismatch is a configuration error, never a silent "unknown").
//
// Result fields: child_id/child_name name the best child for match and uncertain, and are
// 0/"" for none; similarity is the best score in every band (for calibration logs);
// runner_up_child_id/runner_up_name name the second-best child (0/"" when there is none, and
// for band none); runner_up_similarity is its score (0 when there is no second child).
//
// Thread safety: the templates live in an immutable MatcherSnapshot held through a
// shared_ptr that replace_templates() swaps under a std::shared_mutex (held only to copy or
// swap the pointer; searching and building a snapshot happen outside it). match() may run on any number of
// threads while replace_templates() is called; each match() sees either the old or the
// new template set, never a mix. A snapshot() taken by a caller stays valid and
// unchanged for as long as the caller holds it (one item is judged against one set).
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "models/face.h"

namespace veil {

struct MatchingConfig;

struct FaceTemplate {
  std::int64_t id = 0;
  std::int64_t child_id = 0;
  std::string child_name;
  Embedding embedding;  // L2-normalised (re-normalised on load anyway)
  std::int64_t created_at_unix = 0;
};

struct MatchThresholds {
  float accept = 0.5f;  // similarity >= accept: a match
  float reject = 0.3f;  // similarity < reject: no match; in between: uncertain
};

// The thresholds of the [matching] configuration section.
MatchThresholds thresholds_from(const MatchingConfig& config);

enum class MatchBand { match, uncertain, none };
const char* to_string(MatchBand band);  // "match", "uncertain", "none"

struct MatchResult {
  MatchBand band = MatchBand::none;
  std::int64_t child_id = 0;         // best child (match/uncertain), 0 for none
  std::string child_name;            // "" for none
  float similarity = 0;              // best child's score (after any stale penalty)
  std::int64_t runner_up_child_id = 0;
  std::string runner_up_name;
  float runner_up_similarity = 0;    // 0 when there is no runner-up
  std::int64_t template_id = 0;      // the best child's best template, 0 for none
  bool stale = false;                // the best child's score came from old templates only
};

struct MatcherOptions {
  int max_template_age_days = 540;   // <= 0: no ageing
  float stale_penalty = 0.05f;       // subtracted from a child's score when all its templates are old
  float ambiguity_margin = 0.05f;    // runner-up closer than this to the best: uncertain; 0: off
};

// An immutable, searchable set of templates. Cheap to share between threads.
class MatcherSnapshot {
 public:
  // Templates with an empty, all-zero or non-finite embedding, or a dimension different from
  // the first valid template's, are dropped (see dropped()). Child ids must be non-zero.
  MatcherSnapshot(std::vector<FaceTemplate> templates, MatcherOptions options);

  MatchResult match(const Embedding& query, MatchThresholds thresholds, std::int64_t now_unix) const;

  std::size_t dimension() const { return dim_; }        // 0 when empty
  std::size_t template_count() const { return template_ids_.size(); }
  std::size_t child_count() const { return children_.size(); }
  std::size_t dropped() const { return dropped_; }     // templates refused on load
  const MatcherOptions& options() const { return options_; }

 private:
  struct Child {
    std::int64_t id = 0;
    std::string name;
    std::size_t first = 0, count = 0;  // rows in the matrix
    std::int64_t newest_unix = 0;      // newest template's date
  };
  MatcherOptions options_;
  std::size_t dim_ = 0;
  std::vector<float> matrix_;                 // template_count() x dim_, row-major
  std::vector<std::int64_t> template_ids_;    // per row
  std::vector<std::int64_t> created_unix_;    // per row
  std::vector<Child> children_;               // sorted by id
  std::size_t dropped_ = 0;
};

class FaceMatcher {
 public:
  explicit FaceMatcher(MatcherOptions options = {});

  // Builds a new snapshot from `templates` (outside the lock) and swaps it in.
  // Call when enrolment changes. Safe against concurrent match()/snapshot().
  void replace_templates(std::vector<FaceTemplate> templates);

  // The current template set; never null (empty before the first replace_templates()).
  std::shared_ptr<const MatcherSnapshot> snapshot() const;

  // snapshot()->match(...).
  MatchResult match(const Embedding& query, MatchThresholds thresholds, std::int64_t now_unix) const;

  const MatcherOptions& options() const { return options_; }

 private:
  MatcherOptions options_;
  mutable std::shared_mutex mutex_;  // guards current_ (the pointer, not the snapshot)
  std::shared_ptr<const MatcherSnapshot> current_;
};

}  // namespace veil
