// The worker pool: N threads, each with its own processor (MediaProcessor in veild: the
// detector and embedder are not thread-safe) and its own PostgreSQL connection, LISTENing
// on the jobs channel.
//
// A worker claims a job (storage/job_queue.h), decrypts the original, checks it against
// the sha256 recorded at ingest, runs the pipeline (no database writes, may take seconds),
// then records the result and marks the job done in ONE transaction that first checks the
// lease is still its own. Everything a job throws is caught: the attempt is counted, the job
// retried after queue.retry_backoff_s, and after queue.max_attempts the job and its media end
// `failed`. A database outage makes the worker reconnect with back-off; its claimed job's
// lease then expires and the job is retried.
//
// Time limit (queue.item_timeout_s): a watchdog thread renews the leases of busy workers
// every lease_s/3 while they are within the limit. A job over the limit is abandoned: the
// watchdog records a failed attempt ("time limit exceeded") so the job is retried elsewhere
// (or fails for good), marks the worker abandoned and starts a replacement thread (at most
// 2 x workers threads in all). The abandoned thread cannot be killed safely; when its
// pipeline call returns it discards the result (its lease is gone anyway) and exits. If the
// whole daemon dies, its leases simply expire after lease_s and other workers retry.
//
// Export and purge jobs (a leaver's; leavers/leaver_job.h) are claimed from the same queue and
// run by the same workers, with the same leases, attempts and time limit, without the
// processor.
//
// Workers are the daemon's capacity: start() returns only when every worker's processor has
// loaded, and a replacement whose processor cannot load is reported through
// on_worker_lost (veild then exits non-zero, to be restarted) rather than left missing.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <pqxx/types.hxx>

#include "jobs/item_processor.h"
#include "leavers/leaver_settings.h"
#include "storage/job_queue.h"
#include "storage/originals_store.h"

namespace veil {

class EventPublisher;
class Metrics;

struct WorkerSettings {
  int workers = 1;
  std::string database_url;
  QueueOptions queue;
  int item_timeout_s = 900;
  int poll_interval_s = 5;
  int drain_timeout_s = 60;
  double batch_per_second = 2;  // an operator's batch jobs claimed per second at most (daemon/batch_pacer.h)
  std::string originals_root;
  std::string renditions_root;
  SecretKey master_key{};
  LeaverSettings leavers;  // export and purge jobs (leavers/leaver_job.h)
  std::string owner;  // lease owner prefix, e.g. "host:pid"
  int ready_timeout_s = 300;  // start() waits at most this long for the processors to load
  // Called when a worker's thread ended and no replacement could start (its processor
  // failed to load); the pool is then short of a worker until the process restarts.
  std::function<void(const std::string& why)> on_worker_lost;
};

class WorkerPool {
 public:
  WorkerPool(WorkerSettings settings, ProcessorFactory factory, EventPublisher* events, Metrics* metrics);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts the workers and the watchdog and waits until every worker's processor is loaded.
  // Throws std::runtime_error with the first worker's error (e.g. a model it cannot read)
  // when one cannot start, or when they are not ready within ready_timeout_s; the pool is
  // then stopped.
  void start();
  // Stops claiming, lets in-flight jobs finish for up to drain_timeout_s, releases the
  // leases of those still running (they are retried without counting the attempt), joins
  // the threads. Returns how many threads were still stuck (detached).
  int stop();

  // Workers whose processor is loaded and that are not abandoned or stopped.
  int workers_running() const;
  int busy() const;

  struct Shared;  // implementation detail, shared with the threads

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace veil
