// How fast one veild takes on an operator's batch (`veil reprocess`): at most
// queue.batch_per_second batch jobs (negative priority, storage/job_queue.h) claimed per
// second, whatever the number of workers, so that uploads and managers' changes keep flowing
// during a large batch (they are claimed first anyway). Thread-safe.
#pragma once

#include <chrono>
#include <mutex>

namespace veil {

class BatchPacer {
 public:
  using Clock = std::chrono::steady_clock;
  // `per_second` <= 0: no limit.
  explicit BatchPacer(double per_second);

  // Takes the next batch slot when one is free now (true), so that two workers never both
  // take it; give it back with release() when no batch job was claimed with it.
  bool reserve();
  void release();

  // How long until a slot is free (zero when one is free now).
  std::chrono::milliseconds wait() const;

 private:
  mutable std::mutex mutex_;
  Clock::duration interval_{};
  Clock::time_point next_{};      // the next slot
  Clock::time_point previous_{};  // next_ before the last reserve()
};

}  // namespace veil
