#include "daemon/device_rate_limit.h"

#include <algorithm>

namespace veil {

DeviceRateLimit::DeviceRateLimit(double per_minute, int burst)
    : per_second_(per_minute / 60.0), burst_(std::max(1, burst)) {}

double DeviceRateLimit::admit(std::int64_t device_id, Clock::time_point now) {
  if (per_second_ <= 0) return 0;
  auto [it, fresh] = buckets_.try_emplace(device_id, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * per_second_);
    b.at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return (1 - b.tokens) / per_second_;
}

}  // namespace veil
