// The state a WorkerPool's threads share (daemon/worker_pool.h): the pool's part, and one
// Slot per worker thread, which the worker, the watchdog and stop() all look at. Private to
// the pool's sources (worker_pool.cpp runs the threads, worker_job.cpp one job).
//
// Thread rules: a Slot's job, started, last_renewal, abandoned and lease_lost are read and
// written under its mutex; ready and finished are atomic, and start_error is written before
// finished is set. Shared::slots and next_index are guarded by slots_mutex; settings,
// factory, events, metrics and queue are set at construction (workers is raised to 1 by
// start() before any thread runs) and only read after.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/batch_pacer.h"
#include "daemon/worker_pool.h"
#include "storage/job_queue.h"

namespace veil {

// One worker thread and the job it runs.
struct Slot {
  int index = 0;
  std::mutex mutex;
  std::optional<ClaimedJob> job;  // set while the worker runs it
  std::chrono::steady_clock::time_point started, last_renewal;
  bool abandoned = false;   // over the time limit (or still running at stop): its result is discarded
  bool lease_lost = false;  // the watchdog could not renew the job's lease
  std::atomic<bool> ready{false}, finished{false};
  std::string start_error;  // why its processor could not load (set before finished)
  std::thread thread;
};

struct WorkerPool::Shared {
  WorkerSettings settings;
  ProcessorFactory factory;
  EventPublisher* events;  // may be null
  Metrics* metrics;        // may be null
  JobQueue queue;
  BatchPacer batches;
  std::atomic<bool> stop{false}, watchdog_stop{false};
  std::atomic<bool> started{false};  // start() has seen every first worker ready
  mutable std::mutex slots_mutex;
  std::vector<std::shared_ptr<Slot>> slots;
  int next_index = 0;
  std::thread watchdog;
  std::mutex sleep_mutex;
  std::condition_variable sleep_cv;

  Shared(WorkerSettings s, ProcessorFactory f, EventPublisher* e, Metrics* m)
      : settings(std::move(s)),
        factory(std::move(f)),
        events(e),
        metrics(m),
        queue(settings.queue),
        batches(settings.batch_per_second) {}

  // Sleeps up to `d`, waking early when `flag` is set (and sleep_cv notified).
  void sleep_for(std::chrono::milliseconds d, const std::atomic<bool>& flag);
  // Counts and publishes (media.failed) a media item whose job failed for good. Thread-safe.
  void report_failed(const std::string& media_id, const std::string& reason);
  // The database URL with a short connect timeout.
  std::string url() const;
};

}  // namespace veil
