// Logging in, recognising a session on each request, and logging out: what the HTTP API calls.
//
// A successful login starts a session and returns two secrets, once: the session token (for
// an HttpOnly, SameSite=Strict cookie) and the CSRF token (for the page, which sends it back
// in X-CSRF-Token with every state-changing request). Each is 256 random bits written as 43
// base64url characters; the database keeps only their BLAKE2b-256 hashes.
//
// A session is valid until the first of: log_out; `idle_timeout` without a request;
// `lifetime` after its login, however busy; a password change; the account being disabled
// (its sessions stop at the next request, whatever their state in the table).
//
// Refusals. An unknown name and a wrong password get the same answer (kBadCredentials) after
// the same work: an unknown name is verified against a dummy hash made at construction.
// `lockout_failures` wrong passwords in a row lock the account for `lockout_duration`: until
// then every login to it is refused with kLocked and the end of the lock, whatever the
// password, and the failures are counted again from 0 afterwards; a successful login also
// resets the count. A disabled account is named as such (kDisabled) only to whoever gives its
// right password.
//
// Every login, failed login, lockout and logout is audited, with the account's name (or the
// name tried) as actor and the client in the detail; never a password or a token.
//
// Every function takes a connection and commits its own transaction: a refused login must
// record its failure (count, lockout, audit row) although the caller answers with an error, so
// it cannot ride on a caller's transaction that an error path would roll back. `now` is the
// caller's clock (tests pass it explicitly). Database failures throw pqxx exceptions and
// record nothing. A SessionService holds only its settings and the dummy hash: one instance
// can serve every thread, each thread with its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <pqxx/types.hxx>

#include "accounts/role.h"
#include "config/config.h"
#include "storage/session_repository.h"
#include "storage/timestamps.h"

namespace veil {

struct SessionPolicy {
  std::chrono::minutes idle_timeout{30};
  std::chrono::hours lifetime{12};
  int lockout_failures = 5;
  std::chrono::minutes lockout_duration{15};
};

// The policy of the configuration's [accounts] section.
SessionPolicy session_policy(const AccountsConfig& config);

// Who a session belongs to.
struct Account {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::kStaff;
  std::int64_t person_id = 0;  // people.id; 0: none. Staff see the children this person is key person of.
};

// A valid session, as of the request that found it.
struct Session {
  std::int64_t id = 0;
  Account account;
  TimePoint created_at;    // the login
  TimePoint last_seen_at;  // this request
  TimePoint expires_at;    // absolute end
  TokenHash csrf_hash{};   // for check_csrf
};

// A session just started, with its two secrets. Neither can be read again later.
struct NewSession {
  Session session;
  std::string token;  // the cookie's value
  std::string csrf;   // the X-CSRF-Token value
};

enum class LoginRefusal {
  kBadCredentials,  // unknown name or wrong password
  kDisabled,        // right password, account disabled
  kLocked,          // too many failures; locked_until says until when
};

struct LoginRefused {
  LoginRefusal reason = LoginRefusal::kBadCredentials;
  std::optional<TimePoint> locked_until;  // set for kLocked
};

// What to tell the person logging in, e.g. "account locked until 2026-03-02T09:15:00Z".
std::string refusal_message(const LoginRefused& refused);

using LoginResult = std::variant<NewSession, LoginRefused>;

class SessionService {
 public:
  // Makes the dummy hash (one argon2id hash, as costly as a login's verification).
  explicit SessionService(SessionPolicy policy);

  const SessionPolicy& policy() const { return policy_; }

  // Checks `password` for the account `name` (any case) and, when right, starts a session
  // ending at now + lifetime. `client` (e.g. address and user agent) is kept with the session
  // and in the audit log, made printable and cut to 256 bytes.
  LoginResult log_in(pqxx::connection_base& db, const std::string& name, const std::string& password,
                     const std::string& client, TimePoint now) const;

  // The session whose token is `token`, if it is valid at `now`; its last_seen_at becomes
  // `now`. nullopt for an unknown, ended, idle or expired session and for a disabled account.
  std::optional<Session> authenticate(pqxx::connection_base& db, const std::string& token, TimePoint now) const;

  // True when `csrf_token` is the session's CSRF token; compared in constant time.
  static bool check_csrf(const Session& session, const std::string& csrf_token);

  // Ends the session whose token is `token`; false when there is none or it had ended.
  bool log_out(pqxx::connection_base& db, const std::string& token, TimePoint now) const;

 private:
  SessionPolicy policy_;
  std::string dummy_hash_;
};

}  // namespace veil
