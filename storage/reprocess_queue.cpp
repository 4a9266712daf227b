// Reprocess jobs: causes, withdrawals, the items a change reaches, operators' batches.
#include "storage/reprocess_queue.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "storage/job_queue.h"

namespace veil {
namespace {

// The consent lock's advisory key ("veil" consent); the audit log uses another.
constexpr std::int64_t kConsentLock = 0x7665696c0002;

// Items whose faces the journal front end may be shown, or that wait to be.
constexpr const char* kLiveStates = "('published', 'held', 'withdrawn')";

std::string id_array(const std::vector<std::string>& ids) {
  std::string s = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + ids[i];
  return s + "}";
}

// media.withdrawn for veild to publish (daemon/event_relay.h), sent at the commit.
void notify_withdrawn(pqxx::transaction_base& tx, const WithdrawnItem& w) {
  tx.exec_params1("SELECT pg_notify($1, $2)", kEventsChannel,
                  nlohmann::json{{"event", "media.withdrawn"},
                                 {"media_id", w.media_id},
                                 {"state", w.state},
                                 {"journal_child", w.journal_child_id}}
                      .dump());
}

std::vector<std::string> media_ids(const pqxx::result& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r[0].as<std::string>());
  return out;
}

}  // namespace

std::string cause_json(const ReprocessCause& cause) {
  return nlohmann::json{{"kind", cause.kind}, {"id", cause.id}}.dump();
}

void lock_consents_exclusive(pqxx::transaction_base& tx) {
  tx.exec_params1("SELECT pg_advisory_xact_lock($1)", kConsentLock);
}

void lock_consents_shared(pqxx::transaction_base& tx) {
  tx.exec_params1("SELECT pg_advisory_xact_lock_shared($1)", kConsentLock);
}

std::int64_t last_consent_event(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT coalesce(max(id), 0) FROM consent_events")[0].as<std::int64_t>();
}

std::vector<std::int64_t> consent_withdrawn_since(pqxx::transaction_base& tx, std::int64_t since,
                                                  const std::vector<std::int64_t>& child_ids) {
  if (child_ids.empty()) return {};
  std::string ids = "{";
  for (std::size_t i = 0; i < child_ids.size(); ++i) ids += (i ? "," : "") + std::to_string(child_ids[i]);
  ids += "}";
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec_params(
           "SELECT DISTINCT ON (child_id) child_id, id, photo_in_others FROM consent_events "
           "WHERE child_id = ANY($1::bigint[]) ORDER BY child_id, id DESC",
           ids))
    if (r[1].as<std::int64_t>() > since && !r[2].as<bool>()) out.push_back(r[1].as<std::int64_t>());
  return out;
}

std::vector<WithdrawnItem> withdraw_items_showing(pqxx::transaction_base& tx, std::int64_t child_id,
                                                  const ReprocessCause& cause) {
  std::vector<WithdrawnItem> out;
  std::vector<std::string> ids;
  for (const auto& r : tx.exec_params(
           "UPDATE media m SET state = CASE WHEN m.state = 'published' THEN 'withdrawn' ELSE 'processing' END, "
           "  updated_at = now() "
           "WHERE m.state IN ('published', 'held') AND m.journal_child_id IS DISTINCT FROM $1 "
           "  AND EXISTS (SELECT 1 FROM faces f WHERE f.media_id = m.id AND f.matched_child_id = $1 "
           "              AND f.decision = 'keep') "
           "RETURNING m.id, coalesce(m.journal_child_id, 0), m.state",
           child_id)) {
    out.push_back({r[0].as<std::string>(), r[1].as<std::int64_t>(), r[2].as<std::string>()});
    ids.push_back(out.back().media_id);
  }
  queue_reprocess_jobs(tx, ids, cause, kPriorityWithdrawal);
  for (const auto& w : out) notify_withdrawn(tx, w);
  return out;
}

void withdraw_item(pqxx::transaction_base& tx, const std::string& media_id) {
  const auto r = tx.exec_params(
      "UPDATE media SET state = CASE WHEN state = 'published' THEN 'withdrawn' ELSE 'processing' END, "
      "  updated_at = now() WHERE id = $1 AND state IN ('published', 'held') "
      "RETURNING coalesce(journal_child_id, 0), state",
      media_id);
  if (!r.empty()) notify_withdrawn(tx, {media_id, r[0][0].as<std::int64_t>(), r[0][1].as<std::string>()});
}

int queue_reprocess_jobs(pqxx::transaction_base& tx, const std::vector<std::string>& ids, const ReprocessCause& cause,
                         int priority, std::int64_t batch_id) {
  if (ids.empty()) return 0;
  const std::string causes = "[" + cause_json(cause) + "]";
  // One statement for the whole set: an item with a queued reprocess job has it updated, the
  // others get a new one. Items in any other state are left alone.
  const auto r = tx.exec_params1(
      "WITH live AS (SELECT id FROM media WHERE id = ANY($1::uuid[]) AND state IN ('published', 'held', "
      "                'withdrawn', 'processing')), "
      "merged AS (UPDATE jobs j SET causes = j.causes || $2::jsonb, priority = greatest(j.priority, $3), "
      "             batch_id = coalesce(NULLIF($4, 0), j.batch_id), updated_at = now() "
      "           FROM live WHERE j.media_id = live.id AND j.kind = 'reprocess' AND j.state = 'queued' "
      "           RETURNING j.media_id), "
      "added AS (INSERT INTO jobs (media_id, kind, priority, causes, batch_id) "
      "          SELECT id, 'reprocess', $3, $2::jsonb, NULLIF($4, 0) FROM live "
      "          WHERE id NOT IN (SELECT media_id FROM merged) RETURNING media_id) "
      "SELECT (SELECT count(DISTINCT media_id) FROM merged) + (SELECT count(*) FROM added)",
      id_array(ids), causes, priority, batch_id);
  return r[0].as<int>();
}

std::vector<std::string> media_with_child(pqxx::transaction_base& tx, std::int64_t child_id, bool kept_only) {
  return media_ids(tx.exec_params(
      std::string("SELECT m.id::text FROM media m WHERE m.state IN ") + kLiveStates +
          " AND EXISTS (SELECT 1 FROM faces f WHERE f.media_id = m.id AND f.matched_child_id = $1 "
          "             AND (NOT $2 OR f.decision = 'keep')) ORDER BY m.created_at, m.id",
      child_id, kept_only));
}

std::vector<std::string> media_keeping_child_elsewhere(pqxx::transaction_base& tx, std::int64_t child_id) {
  return media_ids(tx.exec_params(
      std::string("SELECT m.id::text FROM media m WHERE m.state IN ") + kLiveStates +
          " AND m.journal_child_id IS DISTINCT FROM $1"
          " AND EXISTS (SELECT 1 FROM faces f WHERE f.media_id = m.id AND f.matched_child_id = $1 "
          "             AND f.decision = 'keep') ORDER BY m.created_at, m.id",
      child_id));
}

std::vector<std::string> media_since(pqxx::transaction_base& tx, std::int64_t since_unix) {
  return media_ids(tx.exec_params(std::string("SELECT id::text FROM media WHERE state IN ") + kLiveStates +
                                      " AND created_at >= to_timestamp($1) AND imported_at IS NULL ORDER BY created_at, id",
                                  since_unix));
}

std::int64_t create_batch(pqxx::transaction_base& tx, const std::string& requested_by, const std::string& selector_json,
                          int total) {
  return tx.exec_params1("INSERT INTO reprocess_batches (requested_by, selector, total) VALUES ($1, $2::jsonb, $3) "
                         "RETURNING id",
                         requested_by, selector_json, total)[0]
      .as<std::int64_t>();
}

std::vector<BatchProgress> batch_progress(pqxx::transaction_base& tx, std::int64_t id, int limit) {
  std::vector<BatchProgress> out;
  for (const auto& r : tx.exec_params(
           "SELECT b.id, b.requested_by, b.selector::text, b.total, "
           "  to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
           "  count(j.id) FILTER (WHERE j.state = 'queued'), count(j.id) FILTER (WHERE j.state = 'running'), "
           "  count(j.id) FILTER (WHERE j.state = 'done'), count(j.id) FILTER (WHERE j.state = 'failed') "
           "FROM reprocess_batches b LEFT JOIN jobs j ON j.batch_id = b.id "
           "WHERE $1 = 0 OR b.id = $1 GROUP BY b.id ORDER BY b.id DESC LIMIT $2",
           id, limit)) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<int>(),
                   r[4].as<std::string>(), r[5].as<int>(), r[6].as<int>(), r[7].as<int>(), r[8].as<int>()});
  }
  return out;
}

}  // namespace veil
