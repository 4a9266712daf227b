// The per-device upload rate limit: a token bucket per device, so that one misbehaving or
// compromised tablet cannot fill the queue and the disk ahead of every other device.
//
// Contract: each device may start `burst` uploads at once and then `per_minute` a minute;
// admit() takes one token from the device's bucket and returns 0, or, when the bucket is
// empty, takes nothing and returns the seconds until a token is back (> 0). per_minute <= 0:
// every upload is admitted. Devices are independent. Not thread-safe: the ingest thread owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>

namespace veil {

class DeviceRateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  DeviceRateLimit(double per_minute, int burst);

  double admit(std::int64_t device_id, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point at;
  };
  double per_second_;
  double burst_;
  std::unordered_map<std::int64_t, Bucket> buckets_;
};

}  // namespace veil
