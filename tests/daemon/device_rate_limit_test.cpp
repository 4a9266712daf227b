#include "daemon/device_rate_limit.h"

#include <gtest/gtest.h>

namespace veil {
namespace {

using namespace std::chrono_literals;

TEST(DeviceRateLimit, ABurstThenTheRateAndTheWaitIsSaid) {
  DeviceRateLimit limit(60, 3);  // one a second after three at once
  const auto t0 = DeviceRateLimit::Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limit.admit(7, t0), 0) << i;
  const double wait = limit.admit(7, t0);
  EXPECT_NEAR(wait, 1.0, 1e-6) << "the fourth waits for a token";
  EXPECT_GT(limit.admit(7, t0 + 500ms), 0) << "half a token is not enough";
  EXPECT_EQ(limit.admit(7, t0 + 1000ms), 0);
  EXPECT_GT(limit.admit(7, t0 + 1000ms), 0);
  // An idle device fills its bucket up to the burst, no further.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limit.admit(7, t0 + 1h), 0) << i;
  EXPECT_GT(limit.admit(7, t0 + 1h), 0);
}

TEST(DeviceRateLimit, DevicesAreIndependentAndZeroIsNoLimit) {
  DeviceRateLimit limit(60, 1);
  const auto t0 = DeviceRateLimit::Clock::time_point{} + 1h;
  EXPECT_EQ(limit.admit(1, t0), 0);
  EXPECT_GT(limit.admit(1, t0), 0);
  EXPECT_EQ(limit.admit(2, t0), 0) << "another device has its own bucket";
  DeviceRateLimit off(0, 1);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(off.admit(1, t0), 0);
}

}  // namespace
}  // namespace veil
