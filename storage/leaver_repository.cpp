// The leavers table, a journal as an export reads it, imported items, and a purge's deletions.
#include "storage/leaver_repository.h"

#include <map>
#include <stdexcept>

#include <pqxx/pqxx>

namespace veil {
namespace {

constexpr const char* kIso = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

LeaverRow leaver_from(const pqxx::row& r) {
  LeaverRow l;
  l.child_id = r[0].as<std::int64_t>();
  l.left_on = r[1].as<std::string>();
  l.purge_due = r[2].as<std::string>();
  l.export_path = r[3].as<std::string>();
  l.export_bytes = r[4].as<std::int64_t>();
  l.export_sha256 = r[5].as<std::string>();
  l.exported_at = r[6].as<std::string>();
  return l;
}

std::string leaver_select() {
  return std::string("SELECT child_id, left_on::text, purge_due::text, coalesce(export_path, ''), "
                     "coalesce(export_bytes, 0), coalesce(export_sha256, ''), "
                     "coalesce(to_char(exported_at AT TIME ZONE 'UTC', ") +
         kIso + "), '') FROM leavers ";
}

bool valid_date(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i = 0; i < d.size(); ++i)
    if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9')) return false;
  return true;
}

}  // namespace

LeaverRow insert_leaver(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& left_on,
                        int grace_days) {
  if (!left_on.empty() && !valid_date(left_on))
    throw std::invalid_argument("a leaving date is YYYY-MM-DD (got '" + left_on + "')");
  // A date PostgreSQL refuses (2026-02-30) is refused here too, with its own message.
  tx.exec_params0(
      "INSERT INTO leavers (child_id, left_on, purge_due) "
      "SELECT $1, d, d + $3::int FROM (SELECT coalesce(NULLIF($2, '')::date, current_date) AS d) x",
      child_id, left_on, grace_days);
  return *find_leaver(tx, child_id);
}

std::optional<LeaverRow> find_leaver(pqxx::transaction_base& tx, std::int64_t child_id, bool lock) {
  const auto r = tx.exec_params(leaver_select() + "WHERE child_id = $1" + (lock ? " FOR UPDATE" : ""), child_id);
  if (r.empty()) return std::nullopt;
  return leaver_from(r[0]);
}

std::vector<std::int64_t> due_leavers(pqxx::transaction_base& tx) {
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec("SELECT child_id FROM leavers WHERE purge_due <= current_date ORDER BY purge_due, child_id"))
    out.push_back(r[0].as<std::int64_t>());
  return out;
}

void record_leaver_export(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& path,
                          std::int64_t bytes, const std::string& sha256) {
  tx.exec_params0(
      "UPDATE leavers SET export_path = $2, export_bytes = $3, export_sha256 = $4, exported_at = now() "
      "WHERE child_id = $1",
      child_id, path, bytes, sha256);
}

void delete_leaver(pqxx::transaction_base& tx, std::int64_t child_id) {
  tx.exec_params0("DELETE FROM leavers WHERE child_id = $1", child_id);
}

int cancel_child_jobs(pqxx::transaction_base& tx, std::int64_t child_id) {
  return static_cast<int>(
      tx.exec_params("DELETE FROM jobs WHERE child_id = $1 AND state = 'queued' RETURNING id", child_id).size());
}

bool child_job_open(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& kind) {
  return !tx.exec_params("SELECT 1 FROM jobs WHERE child_id = $1 AND kind = $2 AND state IN ('queued', 'running')",
                         child_id, kind)
              .empty();
}

std::vector<JournalItem> published_journal(pqxx::transaction_base& tx, std::int64_t child_id) {
  std::vector<JournalItem> out;
  std::map<std::string, std::size_t> index;
  const auto rows = tx.exec_params(
      std::string("SELECT v.media_id::text, v.media_kind, to_char(v.created_at AT TIME ZONE 'UTC', ") + kIso +
          "), coalesce(v.observation_ref, ''), v.kind, v.path, v.mime, v.width, v.height, v.bytes, v.sha256 "
          "FROM journal_renditions v WHERE v.journal_child_id = $1 "
          "ORDER BY v.created_at, v.media_id, v.kind",
      child_id);
  for (const auto& r : rows) {
    const std::string id = r[0].as<std::string>();
    auto it = index.find(id);
    if (it == index.end()) {
      it = index.emplace(id, out.size()).first;
      out.push_back({id, r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(), {}});
    }
    out[it->second].renditions.push_back({r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<std::string>(),
                                          r[7].as<int>(), r[8].as<int>(), r[9].as<std::int64_t>(),
                                          r[10].as<std::string>()});
  }
  return out;
}

std::string insert_imported_media(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& kind,
                                  const std::string& observation_ref, const std::string& created_at,
                                  const std::string& main_sha256, std::int64_t main_bytes) {
  return tx
      .exec_params1(
          "INSERT INTO media (id, journal_child_id, observation_ref, uploader_role, kind, original_sha256, bytes, "
          "  state, reason, created_at, updated_at, imported_at) "
          "VALUES (gen_random_uuid(), $1, NULLIF($2, ''), 'staff', $3, $4, $5, 'published', 'imported', "
          "  $6::timestamptz, now(), now()) RETURNING id::text",
          child_id, observation_ref, kind, main_sha256, main_bytes, created_at)[0]
      .as<std::string>();
}

int unlink_child_faces(pqxx::transaction_base& tx, std::int64_t child_id) {
  return static_cast<int>(
      tx.exec_params(
            "UPDATE faces SET matched_child_id = NULL, similarity = NULL, consent_event_id = NULL, embedding = NULL, "
            "  embedder = NULL "
            "WHERE (matched_child_id = $1 OR consent_event_id IN (SELECT id FROM consent_events WHERE child_id = $1)) "
            "  AND media_id NOT IN (SELECT id FROM media WHERE journal_child_id = $1) RETURNING id",
            child_id)
          .size());
}

DeletedChildRows delete_child_rows(pqxx::transaction_base& tx, std::int64_t child_id, std::int64_t keep_job) {
  DeletedChildRows d;
  for (const auto& r : tx.exec_params("SELECT id::text FROM media WHERE journal_child_id = $1 ORDER BY id", child_id))
    d.media_ids.push_back(r[0].as<std::string>());
  for (const auto& r : tx.exec_params(
           "SELECT r.path FROM renditions r JOIN media m ON m.id = r.media_id WHERE m.journal_child_id = $1 "
           "ORDER BY r.id",
           child_id))
    d.rendition_paths.push_back(r[0].as<std::string>());
  const std::string own = "(SELECT id FROM media WHERE journal_child_id = $1)";
  d.faces = static_cast<int>(tx.exec_params("DELETE FROM faces WHERE media_id IN " + own + " RETURNING id", child_id).size());
  tx.exec_params("DELETE FROM renditions WHERE media_id IN " + own, child_id);
  tx.exec_params("DELETE FROM moderation WHERE media_id IN " + own, child_id);
  d.jobs = static_cast<int>(tx.exec_params("DELETE FROM jobs WHERE media_id IN " + own + " RETURNING id", child_id).size());
  tx.exec_params("DELETE FROM media WHERE journal_child_id = $1", child_id);
  d.templates =
      static_cast<int>(tx.exec_params("DELETE FROM face_templates WHERE child_id = $1 RETURNING id", child_id).size());
  // The one deletion consent_events allows (migration 041), for this child in this transaction.
  tx.exec_params1("SELECT set_config('veil.purging_child', $1, true)", std::to_string(child_id));
  d.consent_events =
      static_cast<int>(tx.exec_params("DELETE FROM consent_events WHERE child_id = $1 RETURNING id", child_id).size());
  tx.exec_params1("SELECT set_config('veil.purging_child', '', true)");
  tx.exec_params("DELETE FROM child_keys WHERE child_id = $1", child_id);
  tx.exec_params("DELETE FROM leavers WHERE child_id = $1", child_id);
  d.jobs += static_cast<int>(
      tx.exec_params("DELETE FROM jobs WHERE child_id = $1 AND id <> $2 RETURNING id", child_id, keep_job).size());
  tx.exec_params("UPDATE jobs SET child_id = NULL WHERE id = $1", keep_job);
  tx.exec_params("DELETE FROM children WHERE id = $1", child_id);
  return d;
}

bool purge_is_due(pqxx::transaction_base& tx, const LeaverRow& leaver) {
  return tx.exec_params1("SELECT $1::date <= current_date", leaver.purge_due)[0].as<bool>();
}

}  // namespace veil
