// The crowd rule: when a photo shows many faces too small for the detector to be trusted,
// the item waits for a person instead of being published.
//
// Why: the detector's recall falls with face size, and it falls furthest in crowds of small,
// low-resolution faces, where neighbouring faces of 24-32 px are missed too (benchmarks/
// RESULTS.md, "small faces"). Every face found is still painted; the rule only decides that
// what was found cannot vouch for what was not. An item it holds carries the reason
// `crowd: faces too small to check` (policy/reasons.h).
//
// Contract: too_crowded_to_check() is true when at least rule.min_faces of `face_heights`
// (the faces found, in pixels of the picture as uploaded) are under rule.face_height;
// never true when rule.min_faces is 0 (the rule is off).
#pragma once

#include <vector>

namespace veil {

struct CrowdRule {
  int min_faces = 0;        // 0: off
  float face_height = 0;    // pixels, in the picture as uploaded
};

bool too_crowded_to_check(const std::vector<float>& face_heights, const CrowdRule& rule);

}  // namespace veil
