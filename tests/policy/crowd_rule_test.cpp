#include "policy/crowd_rule.h"

#include <gtest/gtest.h>

namespace veil {
namespace {

TEST(CrowdRule, HoldsFromTheStatedNumberOfFacesUnderTheStatedHeight) {
  const CrowdRule rule{3, 24};
  EXPECT_FALSE(too_crowded_to_check({}, rule));
  EXPECT_FALSE(too_crowded_to_check({10, 12, 200, 300}, rule)) << "two small faces";
  EXPECT_TRUE(too_crowded_to_check({10, 12, 23.9f, 300}, rule)) << "three small faces";
  EXPECT_FALSE(too_crowded_to_check({24, 24, 24, 24}, rule)) << "at the height is not under it";
  EXPECT_TRUE(too_crowded_to_check({1, 2, 3, 4, 5, 6}, rule));
}

TEST(CrowdRule, IsOffWithZeroFaces) {
  EXPECT_FALSE(too_crowded_to_check({1, 2, 3, 4, 5, 6}, CrowdRule{0, 24}));
  EXPECT_FALSE(too_crowded_to_check({1, 2, 3}, CrowdRule{}));
}

}  // namespace
}  // namespace veil
