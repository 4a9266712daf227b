// The sessions table: one row per successful login, found again by the hash of its cookie
// token. Neither the cookie token nor the CSRF token is ever stored, only their 32-byte
// hashes, computed by the caller (accounts/session_service), so that a copy of the table lets
// nobody act as an account.
//
// Every function runs inside the caller's transaction and commits nothing. Rows are never
// deleted: ended and expired sessions are the login history. Whether a session is still valid
// (ended, idle, past its absolute end, account disabled) is decided by the caller from the row.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/types.hxx>

#include "storage/timestamps.h"

namespace veil {

using TokenHash = std::array<unsigned char, 32>;

struct SessionRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  TokenHash csrf_hash{};
  TimePoint created_at;
  TimePoint last_seen_at;
  TimePoint expires_at;              // absolute end, whatever the activity
  std::optional<TimePoint> ended_at; // logout, password change, disabled account
  std::string client;
};

// Starts a session for the account at `now` (also its last_seen_at), ending at `expires_at`;
// returns its id. Throws pqxx::unique_violation if token_hash is already stored (two equal
// 256-bit random tokens: a broken random source).
std::int64_t insert_session(pqxx::transaction_base& tx, std::int64_t account_id, const TokenHash& token_hash,
                            const TokenHash& csrf_hash, TimePoint now, TimePoint expires_at,
                            const std::string& client);

// The session whose cookie token hashes to `token_hash`, in whatever state, or nullopt.
std::optional<SessionRow> find_session(pqxx::transaction_base& tx, const TokenHash& token_hash);

// Records activity: last_seen_at = now.
void touch_session(pqxx::transaction_base& tx, std::int64_t session_id, TimePoint now);

// Replaces the hash of the session's CSRF token (a new token was issued).
void set_csrf_hash(pqxx::transaction_base& tx, std::int64_t session_id, const TokenHash& csrf_hash);

// Ends the session at `now`; false when it had ended already (it keeps its first end).
bool end_session(pqxx::transaction_base& tx, std::int64_t session_id, TimePoint now);

// Ends every session of the account not ended yet; returns how many.
int end_account_sessions(pqxx::transaction_base& tx, std::int64_t account_id, TimePoint now);

}  // namespace veil
