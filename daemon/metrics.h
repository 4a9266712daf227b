// veild's counters for /metrics (Prometheus text format). Queue depth and jobs by state
// come from PostgreSQL at scrape time (the queue is shared by every daemon); everything
// else is this process's own since it started.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "policy/media_state.h"

namespace veil {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

  void observe_processing(double seconds);
  void add_faces(std::int64_t detected, std::int64_t blurred);
  void count_outcome(MediaState state);             // published, held, rejected, failed
  void count_ingest(const std::string& result);      // ack, duplicate, nack:<code>
  void add_ingest_bytes(std::int64_t n) { ingest_bytes_ += n; }
  void count_lease_lost() { leases_lost_++; }
  void count_abandoned() { abandoned_++; }
  void count_retry() { retries_++; }

  // Renders this process's metrics; `extra` is appended as is (database-backed gauges).
  std::string render(const std::string& extra) const;

 private:
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kBuckets.size()> bucket_counts_{};
  std::uint64_t processed_count_ = 0;
  double processed_sum_ = 0;
  std::map<std::string, std::uint64_t> outcomes_, ingest_;
  std::atomic<std::int64_t> faces_detected_{0}, faces_blurred_{0}, ingest_bytes_{0};
  std::atomic<std::uint64_t> leases_lost_{0}, abandoned_{0}, retries_{0};
};

}  // namespace veil
