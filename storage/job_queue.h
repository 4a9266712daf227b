// The job queue, in PostgreSQL's jobs table, shared by every worker of every veild.
//
// claim(): one transaction takes the oldest ready job with SELECT ... FOR UPDATE SKIP LOCKED
// (a queued job whose back-off has passed, or a running job whose lease expired: its worker
// crashed or stalled), marks it running with a fresh lease (lease_owner = a token unique to
// this claim, lease_until = now() + lease) and counts the attempt. A running job whose lease
// expired after max_attempts attempts is not handed out again: it ends `failed` and its media
// `failed` (never published).
//
// complete(): in ONE transaction, locks the job row, checks that the lease is still this
// claim's (same token, still running, not expired), calls `record` (which writes the result
// in that transaction) and marks the job done. A worker whose lease was lost (expired and
// taken by another worker, or abandoned by the watchdog) therefore cannot record twice.
//
// Workers LISTEN on the channel kJobsChannel; a trigger (migration 010) notifies it whenever a
// job becomes queued.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

namespace veil {

inline constexpr const char* kJobsChannel = "veil_jobs";

// Jobs are claimed by priority (highest first), then oldest first.
inline constexpr int kPriorityWithdrawal = 100;  // rendering again after a consent withdrawal
inline constexpr int kPriorityManager = 50;      // a manager's face change: someone waits for it
inline constexpr int kPriorityUpload = 0;        // uploads; rendering again after other changes
inline constexpr int kPriorityBatch = -10;       // an operator's batch: claimed at a limited rate

struct QueueOptions {
  int lease_s = 60;
  int max_attempts = 3;
  int retry_backoff_s = 5;
};

struct ClaimedJob {
  std::int64_t id = 0;
  std::string media_id;
  std::string kind;
  int attempt = 0;    // 1 for the first attempt
  std::string token;  // lease_owner of this claim
  int priority = kPriorityUpload;
  std::string causes = "[]";    // JSON array: what asked for a reprocess job (storage/reprocess_queue.h)
  std::int64_t batch_id = 0;    // reprocess_batches.id; 0: none
  std::int64_t child_id = 0;    // an export or purge job's child; 0: a media job
};

// A media item whose job ended failed (to report as media.failed).
struct FailedMedia {
  std::int64_t job_id = 0;
  std::string media_id;
  std::string reason;
};

struct FailResult {
  bool lease_held = false;  // false: the lease was already lost, nothing changed
  bool final = false;       // the job ended failed (and its media failed)
  std::string media_id;
};

class JobQueue {
 public:
  explicit JobQueue(QueueOptions options) : options_(options) {}
  const QueueOptions& options() const { return options_; }

  // Adds a job inside the caller's transaction (NOTIFY is sent at its commit).
  static std::int64_t enqueue(pqxx::transaction_base& tx, const std::string& media_id, const std::string& kind,
                              int priority = kPriorityUpload);

  // Adds an export or purge job about `child_id` (no media) inside the caller's transaction.
  static std::int64_t enqueue_for_child(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& kind,
                                        int priority = kPriorityUpload);

  // Claims the next ready job for `owner` (e.g. "host:pid:w2"); the token adds a unique suffix.
  // Jobs found exhausted on the way are failed and appended to `failed`. With `batch_allowed`
  // false, queued jobs of negative priority (a batch) are left for later. With `only_kind`,
  // only jobs of that kind are claimed (`veil purge --due` runs the purge jobs it queued).
  std::optional<ClaimedJob> claim(pqxx::connection_base& db, const std::string& owner,
                                  std::vector<FailedMedia>* failed = nullptr, bool batch_allowed = true,
                                  const std::string& only_kind = "");

  // Extends the lease; false when it is no longer this claim's.
  bool renew(pqxx::connection_base& db, const ClaimedJob& job);

  // See above. Returns false (and records nothing) when the lease was lost.
  bool complete(pqxx::connection_base& db, const ClaimedJob& job,
                const std::function<void(pqxx::transaction_base&)>& record);

  // A failed attempt: back to queued with back-off, or failed for good when attempts are
  // exhausted or `retryable` is false (the media then ends failed with `error` as reason).
  FailResult fail(pqxx::connection_base& db, const ClaimedJob& job, const std::string& error, bool retryable);

  // Gives the job back without counting the attempt (shutdown); false when the lease was lost.
  bool release(pqxx::connection_base& db, const ClaimedJob& job);

  // Jobs by state, and queued jobs ready now (queue depth).
  static std::map<std::string, std::int64_t> counts_by_state(pqxx::connection_base& db);
  static std::int64_t ready_depth(pqxx::connection_base& db);

 private:
  QueueOptions options_;
};

}  // namespace veil
