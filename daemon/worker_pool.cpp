// Worker threads, lease renewal and the time-limit watchdog.
#include "daemon/worker_pool.h"

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "daemon/device_auth.h"
#include "daemon/event_publisher.h"
#include "daemon/metrics.h"
#include "daemon/worker_job.h"
#include "daemon/worker_state.h"
#include "policy/media_state.h"

namespace veil {
namespace {

using Clock = std::chrono::steady_clock;

class JobListener : public pqxx::notification_receiver {
 public:
  explicit JobListener(pqxx::connection_base& c) : pqxx::notification_receiver(c, kJobsChannel) {}
  void operator()(const std::string&, int) override { ++received; }
  int received = 0;
};

void worker_main(std::shared_ptr<WorkerPool::Shared> sh, std::shared_ptr<Slot> slot) {
  std::unique_ptr<ItemProcessor> proc;
  try {
    proc = sh->factory();
  } catch (const std::exception& e) {
    spdlog::critical("worker {}: cannot start its processor: {}", slot->index, e.what());
    slot->start_error = "worker " + std::to_string(slot->index) + ": cannot start its processor: " + e.what();
    slot->finished = true;
    if (sh->started && !sh->stop && sh->settings.on_worker_lost) sh->settings.on_worker_lost(slot->start_error);
    return;
  }
  slot->ready = true;
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<JobListener> listener;
  auto disconnect = [&] {
    listener.reset();  // before its connection
    conn.reset();
  };
  std::chrono::milliseconds backoff(250);
  const std::string owner = sh->settings.owner + ":w" + std::to_string(slot->index);
  std::optional<ClaimedJob> lost;  // the job a database failure interrupted
  while (!sh->stop) {
    try {
      if (!conn) {
        conn = std::make_unique<pqxx::connection>(sh->url());
        listener = std::make_unique<JobListener>(*conn);
        spdlog::debug("worker {}: connected", slot->index);
        // Give the interrupted job back at once (not counted as an attempt: the outage was
        // not the item's fault) rather than letting its lease run out.
        if (lost && sh->queue.release(*conn, *lost))
          spdlog::info("worker {}: job {} released after the database came back", slot->index, lost->id);
        lost.reset();
      }
      std::vector<FailedMedia> failed;
      const bool batch_slot = sh->batches.reserve();
      auto job = sh->queue.claim(*conn, owner, &failed, batch_slot);
      if (batch_slot && !(job && job->priority < 0)) sh->batches.release();
      for (const auto& f : failed) {
        spdlog::warn("job {}: failed for good: {}", f.job_id, f.reason);
        sh->report_failed(f.media_id, f.reason);
      }
      backoff = std::chrono::milliseconds(250);
      if (!job) {
        // Idle: wait for a NOTIFY (in short slices, to notice stop), or poll_interval_s, or
        // the next batch slot (a batch job may be waiting for it).
        const auto until = Clock::now() + (batch_slot ? std::chrono::milliseconds(sh->settings.poll_interval_s * 1000)
                                                      : std::min<std::chrono::milliseconds>(
                                                            std::chrono::seconds(sh->settings.poll_interval_s),
                                                            std::max(sh->batches.wait(), std::chrono::milliseconds(10))));
        while (!sh->stop && Clock::now() < until && conn->await_notification(0, 300000) == 0) {
        }
        continue;
      }
      run_job(*sh, *slot, *proc, *conn, *job);
      {
        std::lock_guard<std::mutex> lock(slot->mutex);
        slot->job.reset();
        if (slot->abandoned) break;  // a replacement runs in this worker's place
      }
    } catch (const std::exception& e) {
      spdlog::warn("worker {}: database problem, retrying in {} ms: {}", slot->index, backoff.count(), e.what());
      disconnect();
      {
        std::lock_guard<std::mutex> lock(slot->mutex);
        if (slot->job && !slot->abandoned) lost = slot->job;
        slot->job.reset();  // released on reconnection, or its lease expires and it is retried
        if (slot->abandoned) break;
      }
      sh->sleep_for(backoff, sh->stop);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
    }
  }
  disconnect();
  slot->finished = true;
}

}  // namespace

void WorkerPool::Shared::sleep_for(std::chrono::milliseconds d, const std::atomic<bool>& flag) {
  std::unique_lock<std::mutex> lock(sleep_mutex);
  sleep_cv.wait_for(lock, d, [&] { return flag.load(); });
}

void WorkerPool::Shared::report_failed(const std::string& media_id, const std::string& reason) {
  if (metrics) metrics->count_outcome(MediaState::failed);
  if (events) events->media_event(MediaState::failed, media_id, reason);
}

std::string WorkerPool::Shared::url() const { return with_connect_timeout(settings.database_url, 5); }

WorkerPool::WorkerPool(WorkerSettings settings, ProcessorFactory factory, EventPublisher* events, Metrics* metrics)
    : shared_(std::make_shared<Shared>(std::move(settings), std::move(factory), events, metrics)) {}

WorkerPool::~WorkerPool() { stop(); }

namespace {

void spawn_worker(const std::shared_ptr<WorkerPool::Shared>& sh) {
  auto slot = std::make_shared<Slot>();
  std::lock_guard<std::mutex> lock(sh->slots_mutex);
  slot->index = sh->next_index++;
  slot->thread = std::thread(worker_main, sh, slot);
  sh->slots.push_back(slot);
}

void watchdog_main(std::shared_ptr<WorkerPool::Shared> sh) {
  std::unique_ptr<pqxx::connection> conn;
  const auto limit = std::chrono::seconds(sh->settings.item_timeout_s);
  const auto renew_every = std::chrono::milliseconds(std::max(200, sh->settings.queue.lease_s * 1000 / 3));
  // Replacements owed for abandoned workers. Stuck threads still running count against a cap
  // of twice the pool, so a replacement may have to wait until one of them returns; it is
  // owed until then, never dropped (else the pool could end with no worker at all).
  int owed = 0;
  while (!sh->watchdog_stop) {
    sh->sleep_for(std::chrono::milliseconds(200), sh->watchdog_stop);
    std::vector<std::shared_ptr<Slot>> slots;
    {
      std::lock_guard<std::mutex> lock(sh->slots_mutex);
      slots = sh->slots;
    }
    int live = 0;
    for (auto& slot : slots) live += !slot->finished;
    for (auto& slot : slots) {
      std::optional<ClaimedJob> job;
      bool over = false, renew = false;
      {
        std::lock_guard<std::mutex> lock(slot->mutex);
        if (!slot->job || slot->abandoned || slot->lease_lost) continue;
        job = slot->job;
        const auto now = Clock::now();
        over = now - slot->started > limit;
        renew = !over && now - slot->last_renewal >= renew_every;
        if (over) slot->abandoned = true;
        if (renew) slot->last_renewal = now;
      }
      owed += over;
      try {
        if (!conn) conn = std::make_unique<pqxx::connection>(sh->url());
        if (over) {
          if (sh->metrics) sh->metrics->count_abandoned();
          const std::string error =
              "time limit exceeded (queue.item_timeout_s = " + std::to_string(sh->settings.item_timeout_s) + ")";
          spdlog::error("job {}: media {}: {}; worker {} abandoned", job->id, job->media_id, error, slot->index);
          const FailResult r = sh->queue.fail(*conn, *job, error, true);
          if (r.final) sh->report_failed(job->media_id, "processing failed: " + error);
        } else if (renew && !sh->queue.renew(*conn, *job)) {
          std::lock_guard<std::mutex> lock(slot->mutex);
          slot->lease_lost = true;
          spdlog::warn("job {}: lease lost (expired); its result will be discarded", job->id);
        }
      } catch (const std::exception& e) {
        spdlog::warn("watchdog: database problem: {}", e.what());
        conn.reset();
      }
    }
    for (; owed > 0 && !sh->stop && live < 2 * sh->settings.workers; --owed, ++live) {
      spawn_worker(sh);
      spdlog::warn("worker pool: started a replacement worker");
    }
  }
}

}  // namespace

void WorkerPool::start() {
  auto& sh = shared_;
  if (sh->settings.workers < 1) sh->settings.workers = 1;
  for (int i = 0; i < sh->settings.workers; ++i) spawn_worker(sh);
  std::vector<std::shared_ptr<Slot>> first;
  {
    std::lock_guard<std::mutex> lock(sh->slots_mutex);
    first = sh->slots;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(sh->settings.ready_timeout_s);
  for (;;) {
    std::string error;
    int ready = 0;
    for (const auto& s : first) {
      if (s->finished && error.empty()) error = s->start_error;
      ready += s->ready;
    }
    if (!error.empty() || ready == sh->settings.workers) {
      if (error.empty()) break;
      stop();
      throw std::runtime_error(error);
    }
    if (Clock::now() > deadline) {
      stop();
      throw std::runtime_error("workers: " + std::to_string(ready) + " of " + std::to_string(sh->settings.workers) +
                               " processors loaded after " + std::to_string(sh->settings.ready_timeout_s) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sh->started = true;
  sh->watchdog = std::thread(watchdog_main, sh);
  spdlog::info("workers: {} started (lease {} s, time limit {} s, {} attempts)", sh->settings.workers,
               sh->settings.queue.lease_s, sh->settings.item_timeout_s, sh->settings.queue.max_attempts);
}

int WorkerPool::stop() {
  auto& sh = shared_;
  if (sh->stop.exchange(true)) return 0;
  sh->sleep_cv.notify_all();
  const auto deadline = Clock::now() + std::chrono::seconds(sh->settings.drain_timeout_s);
  auto busy_slots = [&] {
    std::vector<std::shared_ptr<Slot>> busy;
    std::lock_guard<std::mutex> lock(sh->slots_mutex);
    for (auto& s : sh->slots) {
      std::lock_guard<std::mutex> l(s->mutex);
      if (s->job && !s->abandoned && !s->finished) busy.push_back(s);
    }
    return busy;
  };
  if (!busy_slots().empty()) spdlog::info("workers: draining {} in-flight job(s)", busy_slots().size());
  while (!busy_slots().empty() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto stuck = busy_slots();
  if (!stuck.empty()) {
    try {
      pqxx::connection conn(sh->url());
      for (auto& s : stuck) {
        std::optional<ClaimedJob> job;
        {
          std::lock_guard<std::mutex> l(s->mutex);
          s->abandoned = true;
          job = s->job;
        }
        if (job && sh->queue.release(conn, *job))
          spdlog::warn("job {}: still running after drain_timeout_s; lease released for a retry", job->id);
      }
    } catch (const std::exception& e) {
      spdlog::warn("workers: cannot release leases ({}); they expire after lease_s", e.what());
    }
  }
  sh->watchdog_stop = true;
  sh->sleep_cv.notify_all();
  if (sh->watchdog.joinable()) sh->watchdog.join();
  int detached = 0;
  std::vector<std::shared_ptr<Slot>> slots;
  {
    std::lock_guard<std::mutex> lock(sh->slots_mutex);
    slots = sh->slots;
  }
  for (auto& s : slots) {
    if (!s->thread.joinable()) continue;
    // A thread stuck in the pipeline cannot be interrupted: give it a moment, then let it go.
    for (int i = 0; i < 20 && !s->finished; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (s->finished) s->thread.join();
    else {
      s->thread.detach();
      ++detached;
    }
  }
  spdlog::info("workers: stopped{}", detached ? " (" + std::to_string(detached) + " stuck thread(s) left)" : "");
  return detached;
}

int WorkerPool::workers_running() const {
  std::lock_guard<std::mutex> lock(shared_->slots_mutex);
  int n = 0;
  for (const auto& s : shared_->slots) {
    std::lock_guard<std::mutex> l(s->mutex);
    n += s->ready && !s->finished && !s->abandoned && !shared_->stop;
  }
  return n;
}

int WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(shared_->slots_mutex);
  int n = 0;
  for (const auto& s : shared_->slots) {
    std::lock_guard<std::mutex> l(s->mutex);
    n += s->job.has_value() && !s->abandoned;
  }
  return n;
}

}  // namespace veil
