// The jobs table as a queue: SKIP LOCKED claims with leases, lease-checked completion.
#include "storage/job_queue.h"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "storage/audit_log.h"

namespace veil {
namespace {

std::string claim_token(const std::string& owner) {
  unsigned char r[6];
  randombytes_buf(r, sizeof r);
  char hex[sizeof r * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, r, sizeof r);
  return owner + ":" + hex;
}

// The media of a job that ended failed: failed with its reason, unless already final. An
// item being rendered again after a face change is `processing` too and fails as well: its
// earlier renditions no longer match the decisions a person made.
void fail_media(pqxx::transaction_base& tx, const std::string& media_id, std::int64_t job_id,
                const std::string& reason) {
  tx.exec_params(
      "UPDATE media SET state = 'failed', reason = $2, updated_at = now() "
      "WHERE id = $1 AND state IN ('received', 'processing')",
      media_id, reason);
  append_audit(tx, AuditEntry{"veild", "media.failed", media_id, 0,
                              nlohmann::json{{"job_id", job_id}, {"reason", reason}}.dump()});
}

}  // namespace

std::int64_t JobQueue::enqueue(pqxx::transaction_base& tx, const std::string& media_id, const std::string& kind,
                              int priority) {
  return tx.exec_params1("INSERT INTO jobs (media_id, kind, priority) VALUES ($1, $2, $3) RETURNING id", media_id,
                         kind, priority)[0]
      .as<std::int64_t>();
}

std::int64_t JobQueue::enqueue_for_child(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& kind,
                                         int priority) {
  return tx.exec_params1("INSERT INTO jobs (child_id, kind, priority) VALUES ($1, $2, $3) RETURNING id", child_id, kind,
                         priority)[0]
      .as<std::int64_t>();
}

std::optional<ClaimedJob> JobQueue::claim(pqxx::connection_base& db, const std::string& owner,
                                          std::vector<FailedMedia>* failed, bool batch_allowed,
                                          const std::string& only_kind) {
  pqxx::work tx(db);
  // Exhausted: its last worker died (or stalled) on the max_attempts-th attempt.
  const auto dead = tx.exec_params(
      "UPDATE jobs j SET state = 'failed', lease_owner = NULL, lease_until = NULL, updated_at = now(), "
      "  last_error = 'attempt ' || j.attempts || ' of ' || $1::int::text || ' did not finish (lease of ' || "
      "               coalesce(j.lease_owner, '?') || ' expired: worker crashed or stalled)' "
      "FROM (SELECT id FROM jobs WHERE state = 'running' AND lease_until < now() AND attempts >= $1::int "
      "      ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED) d "
      "WHERE j.id = d.id RETURNING j.id, j.media_id, j.last_error",
      options_.max_attempts);
  for (const auto& row : dead) {
    FailedMedia f{row[0].as<std::int64_t>(), row[1].is_null() ? "" : row[1].as<std::string>(),
                  "processing failed: " + row[2].as<std::string>()};
    if (!f.media_id.empty()) fail_media(tx, f.media_id, f.job_id, f.reason);
    if (failed) failed->push_back(f);
  }
  const auto next = tx.exec_params(
      "SELECT id FROM jobs WHERE ((state = 'queued' AND available_at <= now() AND (priority >= 0 OR $2)) "
      "   OR (state = 'running' AND lease_until < now() AND attempts < $1)) AND ($3 = '' OR kind = $3) "
      "ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED",
      options_.max_attempts, batch_allowed, only_kind);
  if (next.empty()) {
    tx.commit();
    return std::nullopt;
  }
  ClaimedJob job;
  job.id = next[0][0].as<std::int64_t>();
  job.token = claim_token(owner);
  const auto row = tx.exec_params1(
      "UPDATE jobs SET "
      "  last_error = CASE WHEN state = 'running' THEN 'lease of ' || coalesce(lease_owner, '?') || "
      "               ' expired (worker crashed or stalled)' ELSE last_error END, "
      "  state = 'running', attempts = attempts + 1, lease_owner = $2, "
      "  lease_until = now() + make_interval(secs => $3), updated_at = now() "
      "WHERE id = $1 RETURNING coalesce(media_id::text, ''), kind, attempts, priority, causes::text, "
      "coalesce(batch_id, 0), coalesce(child_id, 0)",
      job.id, job.token, options_.lease_s);
  job.media_id = row[0].as<std::string>();
  job.kind = row[1].as<std::string>();
  job.attempt = row[2].as<int>();
  job.priority = row[3].as<int>();
  job.causes = row[4].as<std::string>();
  job.batch_id = row[5].as<std::int64_t>();
  job.child_id = row[6].as<std::int64_t>();
  if (!job.media_id.empty())
    tx.exec_params("UPDATE media SET state = 'processing', updated_at = now() WHERE id = $1 AND state = 'received'",
                   job.media_id);
  tx.commit();
  return job;
}

bool JobQueue::renew(pqxx::connection_base& db, const ClaimedJob& job) {
  pqxx::work tx(db);
  const auto r = tx.exec_params(
      "UPDATE jobs SET lease_until = now() + make_interval(secs => $3) "
      "WHERE id = $1 AND lease_owner = $2 AND state = 'running' AND lease_until > now() RETURNING id",
      job.id, job.token, options_.lease_s);
  tx.commit();
  return !r.empty();
}

bool JobQueue::complete(pqxx::connection_base& db, const ClaimedJob& job,
                        const std::function<void(pqxx::transaction_base&)>& record) {
  pqxx::work tx(db);
  const auto mine = tx.exec_params(
      "SELECT id FROM jobs WHERE id = $1 AND lease_owner = $2 AND state = 'running' AND lease_until > now() "
      "FOR UPDATE",
      job.id, job.token);
  if (mine.empty()) return false;  // rolled back: someone else owns (or finished) it now
  record(tx);
  tx.exec_params("UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = now() WHERE id = $1", job.id);
  tx.commit();
  return true;
}

FailResult JobQueue::fail(pqxx::connection_base& db, const ClaimedJob& job, const std::string& error,
                          bool retryable) {
  pqxx::work tx(db);
  const auto r = tx.exec_params(
      "UPDATE jobs SET state = CASE WHEN attempts >= $3 OR NOT $4 THEN 'failed' ELSE 'queued' END, "
      "  last_error = $5, lease_owner = NULL, lease_until = NULL, "
      "  available_at = now() + make_interval(secs => $6), updated_at = now() "
      "WHERE id = $1 AND lease_owner = $2 AND state = 'running' RETURNING state, coalesce(media_id::text, '')",
      job.id, job.token, options_.max_attempts, retryable, error, options_.retry_backoff_s);
  FailResult result;
  if (r.empty()) return result;
  result.lease_held = true;
  result.final = r[0][0].as<std::string>() == "failed";
  result.media_id = r[0][1].as<std::string>();
  if (result.final && !result.media_id.empty())
    fail_media(tx, result.media_id, job.id,
               "processing failed after " + std::to_string(job.attempt) + " attempt(s): " + error);
  tx.commit();
  return result;
}

bool JobQueue::release(pqxx::connection_base& db, const ClaimedJob& job) {
  pqxx::work tx(db);
  const auto r = tx.exec_params(
      "UPDATE jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), lease_owner = NULL, "
      "  lease_until = NULL, available_at = now(), updated_at = now() "
      "WHERE id = $1 AND lease_owner = $2 AND state = 'running' RETURNING id",
      job.id, job.token);
  tx.commit();
  return !r.empty();
}

std::map<std::string, std::int64_t> JobQueue::counts_by_state(pqxx::connection_base& db) {
  std::map<std::string, std::int64_t> counts{{"queued", 0}, {"running", 0}, {"done", 0}, {"failed", 0}};
  pqxx::read_transaction tx(db);
  for (const auto& row : tx.exec("SELECT state, count(*) FROM jobs GROUP BY state"))
    counts[row[0].as<std::string>()] = row[1].as<std::int64_t>();
  return counts;
}

std::int64_t JobQueue::ready_depth(pqxx::connection_base& db) {
  pqxx::read_transaction tx(db);
  return tx.exec1(
               "SELECT count(*) FROM jobs WHERE (state = 'queued' AND available_at <= now()) "
               "OR (state = 'running' AND lease_until < now())")[0]
      .as<std::int64_t>();
}

}  // namespace veil
