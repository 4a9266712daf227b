// SQL for the sessions table; hashes travel as bytea parameters.
#include "storage/session_repository.h"

#include <algorithm>

#include <pqxx/pqxx>

namespace veil {
namespace {

pqxx::binarystring bytes_of(const TokenHash& h) { return pqxx::binarystring(h.data(), h.size()); }

}  // namespace

std::int64_t insert_session(pqxx::transaction_base& tx, std::int64_t account_id, const TokenHash& token_hash,
                            const TokenHash& csrf_hash, TimePoint now, TimePoint expires_at,
                            const std::string& client) {
  return tx
      .exec_params1("INSERT INTO sessions (account_id, token_hash, csrf_hash, created_at, last_seen_at, expires_at, "
                    "client) VALUES ($1, $2, $3, " +
                        timestamptz_param(4) + ", " + timestamptz_param(4) + ", " + timestamptz_param(5) +
                        ", NULLIF($6, '')) RETURNING id",
                    account_id, bytes_of(token_hash), bytes_of(csrf_hash), unix_micros(now), unix_micros(expires_at),
                    client)[0]
      .as<std::int64_t>();
}

std::optional<SessionRow> find_session(pqxx::transaction_base& tx, const TokenHash& token_hash) {
  const auto rows = tx.exec_params("SELECT id, account_id, csrf_hash, " + unix_micros_of("created_at") + ", " +
                                       unix_micros_of("last_seen_at") + ", " + unix_micros_of("expires_at") + ", " +
                                       unix_micros_of("ended_at") +
                                       ", coalesce(client, '') FROM sessions WHERE token_hash = $1",
                                   bytes_of(token_hash));
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  SessionRow s;
  s.id = r[0].as<std::int64_t>();
  s.account_id = r[1].as<std::int64_t>();
  const pqxx::binarystring csrf(r[2]);
  if (csrf.size() != s.csrf_hash.size()) throw std::runtime_error("sessions.csrf_hash: not a 32-byte hash");
  std::copy(csrf.begin(), csrf.end(), s.csrf_hash.begin());
  s.created_at = from_unix_micros(r[3].as<std::int64_t>());
  s.last_seen_at = from_unix_micros(r[4].as<std::int64_t>());
  s.expires_at = from_unix_micros(r[5].as<std::int64_t>());
  if (!r[6].is_null()) s.ended_at = from_unix_micros(r[6].as<std::int64_t>());
  s.client = r[7].as<std::string>();
  return s;
}

void touch_session(pqxx::transaction_base& tx, std::int64_t session_id, TimePoint now) {
  tx.exec_params0("UPDATE sessions SET last_seen_at = " + timestamptz_param(2) + " WHERE id = $1", session_id,
                  unix_micros(now));
}

void set_csrf_hash(pqxx::transaction_base& tx, std::int64_t session_id, const TokenHash& csrf_hash) {
  tx.exec_params0("UPDATE sessions SET csrf_hash = $2 WHERE id = $1", session_id, bytes_of(csrf_hash));
}

bool end_session(pqxx::transaction_base& tx, std::int64_t session_id, TimePoint now) {
  return tx
             .exec_params("UPDATE sessions SET ended_at = " + timestamptz_param(2) +
                              " WHERE id = $1 AND ended_at IS NULL",
                          session_id, unix_micros(now))
             .affected_rows() == 1;
}

int end_account_sessions(pqxx::transaction_base& tx, std::int64_t account_id, TimePoint now) {
  return static_cast<int>(tx.exec_params("UPDATE sessions SET ended_at = " + timestamptz_param(2) +
                                             " WHERE account_id = $1 AND ended_at IS NULL",
                                         account_id, unix_micros(now))
                              .affected_rows());
}

}  // namespace veil
