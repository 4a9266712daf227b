// Hash-chained audit rows: append under an advisory lock, verify by recomputing.
#include "storage/audit_log.h"

#include "storage/originals_store.h"  // sha256_hex_of

#include <cstdio>

#include <pqxx/pqxx>

namespace veil {
namespace {

constexpr long long kAuditLockKey = 0x61756469;  // "audi"
// `at` is hashed in this exact UTC text form, whatever the session's TimeZone.
constexpr const char* kAtText = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

std::string at_text(const std::string& column) {
  char buf[160];
  std::snprintf(buf, sizeof buf, kAtText, column.c_str());
  return buf;
}


// The hashed content: every column but id and hash, in a fixed, unambiguous layout.
// `at` and `detail` are taken in PostgreSQL's own text form, so verify sees what append hashed.
std::string row_material(const std::string& prev_hash, const std::string& at, const std::string& actor,
                         const std::string& action, const std::string& media_id, const std::string& child_id,
                         const std::string& detail) {
  std::string m;
  for (const std::string* part : {&prev_hash, &at, &actor, &action, &media_id, &child_id, &detail}) {
    m += std::to_string(part->size());
    m += ':';
    m += *part;
    m += ';';
  }
  return m;
}

}  // namespace

std::int64_t append_audit(pqxx::transaction_base& tx, const AuditEntry& e) {
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kAuditLockKey) + ")");
  const auto last = tx.exec("SELECT hash FROM audit ORDER BY id DESC LIMIT 1");
  const std::string prev = last.empty() ? std::string() : last[0][0].as<std::string>();
  // Insert first with a placeholder hash is impossible (no UPDATE allowed), so compute the
  // normalised text forms PostgreSQL will store, then insert the row once.
  const auto norm = tx.exec_params1(
      "SELECT " + at_text("clock_timestamp()") + " AS at, ($1::jsonb)::text AS detail", e.detail_json);
  const std::string at = norm["at"].as<std::string>();
  const std::string detail = norm["detail"].as<std::string>();
  const std::string child = e.child_id ? std::to_string(e.child_id) : "";
  const std::string hash = sha256_hex_of(row_material(prev, at, e.actor, e.action, e.media_id, child, detail));
  return tx
      .exec_params1(
          "INSERT INTO audit (at, actor, action, media_id, child_id, detail, prev_hash, hash) "
          "VALUES ($1::timestamptz, $2, $3, NULLIF($4, '')::uuid, NULLIF($5, '')::bigint, $6::jsonb, $7, $8) RETURNING id",
          at, e.actor, e.action, e.media_id, child, detail, prev, hash)[0]
      .as<std::int64_t>();
}

AuditVerification verify_audit(pqxx::connection_base& db) {
  AuditVerification v;
  pqxx::work tx(db);
  std::string prev;
  const auto rows = tx.exec(
      "SELECT id, " + at_text("at") + ", actor, action, coalesce(media_id::text, ''), coalesce(child_id::text, ''), "
      "detail::text, prev_hash, hash FROM audit ORDER BY id");
  for (const auto& r : rows) {
    ++v.rows;
    const auto id = r[0].as<std::int64_t>();
    if (r[7].as<std::string>() != prev) {
      v = {false, v.rows, id, "prev_hash does not match the previous row's hash"};
      return v;
    }
    const std::string expect = sha256_hex_of(row_material(prev, r[1].as<std::string>(), r[2].as<std::string>(),
                                                       r[3].as<std::string>(), r[4].as<std::string>(),
                                                       r[5].as<std::string>(), r[6].as<std::string>()));
    if (r[8].as<std::string>() != expect) {
      v = {false, v.rows, id, "hash does not match the row's content"};
      return v;
    }
    prev = expect;
  }
  return v;
}

}  // namespace veil
