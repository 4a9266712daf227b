#include "policy/crowd_rule.h"

#include <algorithm>

namespace veil {

bool too_crowded_to_check(const std::vector<float>& face_heights, const CrowdRule& rule) {
  if (rule.min_faces <= 0) return false;
  const auto small = std::count_if(face_heights.begin(), face_heights.end(),
                                   [&](float h) { return h < rule.face_height; });
  return small >= rule.min_faces;
}

}  // namespace veil
