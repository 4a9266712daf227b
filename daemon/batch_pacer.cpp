// One slot every 1/rate seconds.
#include "daemon/batch_pacer.h"

#include <algorithm>

namespace veil {

BatchPacer::BatchPacer(double per_second) {
  if (per_second > 0)
    interval_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / per_second));
}

bool BatchPacer::reserve() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = Clock::now();
  if (now < next_) return false;
  previous_ = next_;
  next_ = now + interval_;
  return true;
}

void BatchPacer::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  next_ = previous_;
}

std::chrono::milliseconds BatchPacer::wait() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = Clock::now();
  if (now >= next_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(next_ - now) + std::chrono::milliseconds(1);
}

}  // namespace veil
