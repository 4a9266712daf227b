// The steps of one job, in the order run_job() takes them.
#include "daemon/worker_job.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "daemon/event_publisher.h"
#include "daemon/metrics.h"
#include "daemon/worker_state.h"
#include "ingest/protocol.h"
#include "leavers/leaver_job.h"
#include "storage/media_repository.h"

namespace veil {
namespace {

using Clock = std::chrono::steady_clock;

// A failure retrying cannot fix (the original is gone for good or does not match).
struct PermanentFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A failed attempt: the error recorded with the job, and whether retrying may help.
struct Failure {
  std::string error;
  bool retryable = true;
};

// What recording a job's result left in the database, as logs, metrics and events report it.
struct Recorded {
  bool recorded = false;  // false: the lease was lost first, nothing was written
  MediaState state = MediaState::failed;
  MediaOutcome media;
};

// Puts `job` in the slot: from now on the watchdog times it and renews its lease.
void occupy(Slot& slot, const ClaimedJob& job) {
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.job = job;
  slot.started = slot.last_renewal = Clock::now();
  slot.lease_lost = false;
}

// Runs one step of a job. Returns what it threw as the attempt's failure (a PermanentFailure
// is not retryable), or nullopt when it succeeded. A broken connection is rethrown: the
// worker reconnects and gives the job back.
template <typename Step>
std::optional<Failure> attempt(Step&& step) {
  try {
    step();
    return std::nullopt;
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const PermanentFailure& e) {
    return Failure{e.what(), false};
  } catch (const std::exception& e) {
    return Failure{e.what(), true};
  } catch (...) {
    return Failure{"unknown error in the pipeline", true};
  }
}

// The decrypted original of the job's media, checked against the sha256 recorded at ingest.
// Throws PermanentFailure when retrying cannot help (a kind workers do not handle, no such
// media, its child's key destroyed, a mismatching file), other exceptions otherwise.
std::string load_original(WorkerPool::Shared& sh, pqxx::connection_base& conn, const ClaimedJob& job) {
  if (job.kind != "process" && job.kind != "reprocess")
    throw PermanentFailure("job kind " + job.kind + " is not handled by workers");
  std::int64_t child = 0;
  std::string sha;
  {
    pqxx::read_transaction tx(conn);
    const auto m = media_original(tx, job.media_id);
    if (!m) throw PermanentFailure("media " + job.media_id + " does not exist");
    child = m->journal_child_id;
    sha = m->original_sha256;
  }
  std::string original;
  try {
    const SecretKey key = child_data_key(conn, sh.settings.master_key, child, false);
    original = read_original(original_path(sh.settings.originals_root, child, job.media_id), key, job.media_id);
  } catch (const StorageError& e) {
    if (std::string(e.what()).find("key destroyed") != std::string::npos) throw PermanentFailure(e.what());
    throw;
  }
  if (sha256_hex_of(original) != sha) throw PermanentFailure("the stored original does not match its sha256");
  return original;
}

// Whether the watchdog abandoned the slot's job (over its time limit) while it ran: its
// result is then discarded, the watchdog having recorded the failed attempt already.
bool discarded_after_time_limit(Slot& slot, const ClaimedJob& job) {
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (slot.abandoned) spdlog::warn("job {}: finished after its time limit; result discarded", job.id);
  return slot.abandoned;
}

// Records `result` and marks the job done in ONE transaction that first checks the lease.
// Returns the outcome, or the failure to count when recording threw; rethrows a broken
// connection or a commit in doubt (the worker reconnects; the lease decides what happens).
std::variant<Recorded, Failure> record(WorkerPool::Shared& sh, ItemProcessor& proc, pqxx::connection_base& conn,
                                      const ClaimedJob& job, const std::shared_ptr<void>& result) {
  Recorded o;
  try {
    o.recorded = sh.queue.complete(conn, job, [&](pqxx::transaction_base& tx) {
      o.state = proc.record(tx, result, sh.settings.renditions_root);
      o.media = media_outcome(tx, job.media_id);
    });
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const pqxx::in_doubt_error&) {
    throw;
  } catch (const std::exception& e) {
    return Failure{std::string("recording failed: ") + e.what(), true};
  }
  return o;
}

// Counts a failed attempt: the job is retried after back-off, or fails for good (and its
// media with it, reported as media.failed).
void fail(WorkerPool::Shared& sh, pqxx::connection_base& conn, const ClaimedJob& job, const Failure& f) {
  const FailResult r = sh.queue.fail(conn, job, f.error, f.retryable);
  if (!r.lease_held) {
    spdlog::warn("job {}: failure not recorded, lease already lost: {}", job.id, f.error);
    return;
  }
  if (r.final) {
    spdlog::error("job {}: media {} failed for good: {}", job.id, job.media_id, f.error);
    sh.report_failed(job.media_id, "processing failed: " + f.error);
  } else {
    spdlog::warn("job {}: attempt {} failed, will retry: {}", job.id, job.attempt, f.error);
    if (sh.metrics) sh.metrics->count_retry();
  }
}

// A result not recorded because another worker holds the job now.
void report_lease_lost(WorkerPool::Shared& sh, const ClaimedJob& job) {
  spdlog::warn("job {}: lease lost before recording; result discarded (another worker retries it)", job.id);
  if (sh.metrics) sh.metrics->count_lease_lost();
}

// Logs, counts and publishes the recorded outcome of a job that took `took`: media.<state>,
// or media.updated (with the state) for an item rendered again.
void publish(WorkerPool::Shared& sh, const ClaimedJob& job, const Recorded& o, Clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  const MediaOutcome& m = o.media;
  spdlog::info("job {}: media {} {} in {:.2f} s ({} faces, {} blurred){}", job.id, job.media_id, to_string(o.state), seconds,
               m.faces, m.blurred, m.reason.empty() ? "" : ": " + m.reason);
  if (sh.metrics) {
    sh.metrics->observe_processing(seconds);
    sh.metrics->add_faces(m.faces, m.blurred);
    sh.metrics->count_outcome(o.state);
  }
  if (sh.events)
    sh.events->media_event(job.kind == "reprocess" ? std::string(protocol::kMediaUpdated) : protocol::event_for_state(o.state),
                           o.state, job.media_id, m.reason, m.journal_child_id);
}

// An export or purge job: no original, no processor; the job's own completion records it.
void run_leaver(WorkerPool::Shared& sh, pqxx::connection_base& conn, const ClaimedJob& job) {
  const auto t0 = Clock::now();
  LeaverJobResult r;
  if (auto f = attempt([&] { r = run_leaver_job(conn, sh.queue, job, sh.settings.leavers, "veild"); }))
    return fail(sh, conn, job, *f);
  if (!r.recorded) return report_lease_lost(sh, job);
  spdlog::info("job {}: {} done in {:.2f} s: {}", job.id, job.kind,
               std::chrono::duration<double>(Clock::now() - t0).count(), r.summary.dump());
}

}  // namespace

void run_job(WorkerPool::Shared& sh, Slot& slot, ItemProcessor& proc, pqxx::connection_base& conn,
             const ClaimedJob& job) {
  occupy(slot, job);
  if (is_leaver_job(job.kind)) return run_leaver(sh, conn, job);
  const auto t0 = Clock::now();
  spdlog::debug("worker {}: job {} (media {}, attempt {})", slot.index, job.id, job.media_id, job.attempt);
  std::shared_ptr<void> result;
  if (auto f = attempt([&] { result = proc.run(conn, job, load_original(sh, conn, job)); }))
    return fail(sh, conn, job, *f);
  if (discarded_after_time_limit(slot, job)) return;
  const auto recorded = record(sh, proc, conn, job, result);
  if (const auto* f = std::get_if<Failure>(&recorded)) return fail(sh, conn, job, *f);
  const auto& outcome = std::get<Recorded>(recorded);
  if (!outcome.recorded) return report_lease_lost(sh, job);
  proc.committed(result, sh.settings.renditions_root);
  publish(sh, job, outcome, Clock::now() - t0);
}

}  // namespace veil
