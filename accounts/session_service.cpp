// Sessions: random tokens stored hashed, the lockout, and the audit rows of each event.
#include "accounts/session_service.h"

#include <sodium.h>

#include <stdexcept>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "accounts/password.h"
#include "accounts/untrusted_text.h"
#include "storage/account_repository.h"
#include "storage/audit_log.h"

namespace veil {
namespace {

constexpr std::size_t kTokenBytes = 32;        // 256 bits
constexpr std::size_t kMaxClientBytes = 256;
constexpr std::size_t kMaxNameBytes = 256;     // longer: no account can have it
constexpr std::size_t kMaxTokenChars = 128;    // longer: not a token of ours

void init_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw std::runtime_error("libsodium cannot be initialised");
}

std::string random_token() {
  unsigned char bytes[kTokenBytes];
  randombytes_buf(bytes, sizeof bytes);
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string text(sodium_base64_ENCODED_LEN(kTokenBytes, kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes, sizeof bytes, kVariant);
  text.resize(text.size() - 1);  // the terminating NUL
  sodium_memzero(bytes, sizeof bytes);
  return text;
}

TokenHash token_hash(const std::string& token) {
  TokenHash h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return h;
}

Account account_of(const AccountRow& row) {
  return Account{row.id, row.name, parse_role(row.role).value_or(Role::kStaff), row.person_id};
}

void audit(pqxx::transaction_base& tx, const std::string& actor, const std::string& action,
           const nlohmann::json& detail) {
  append_audit(tx, AuditEntry{actor, action, "", 0, detail.dump()});
}

}  // namespace

SessionPolicy session_policy(const AccountsConfig& config) {
  return SessionPolicy{std::chrono::minutes(config.session_idle_minutes),
                       std::chrono::hours(config.session_lifetime_hours), config.lockout_failures,
                       std::chrono::minutes(config.lockout_minutes)};
}

std::string refusal_message(const LoginRefused& refused) {
  switch (refused.reason) {
    case LoginRefusal::kBadCredentials: return "wrong name or password";
    case LoginRefusal::kDisabled: return "this account is disabled";
    case LoginRefusal::kLocked:
      return "too many failed logins: this account is locked until " +
             (refused.locked_until ? iso8601_utc(*refused.locked_until) : std::string("later"));
  }
  return "login refused";
}

SessionService::SessionService(SessionPolicy policy) : policy_(policy) {
  init_sodium();
  dummy_hash_ = hash_password(random_token());
}

LoginResult SessionService::log_in(pqxx::connection_base& db, const std::string& name, const std::string& password,
                                   const std::string& client, TimePoint now) const {
  const std::string from = printable_text(client, kMaxClientBytes);
  pqxx::work tx(db);
  std::optional<AccountRow> account;
  if (name.size() <= kMaxNameBytes && is_plain_text(name)) account = find_account_by_name(tx, name, RowLock::kForUpdate);

  if (!account) {
    verify_password(dummy_hash_, password);  // the same work as for a real account
    audit(tx, printable_text(name, 64), "login.failed", {{"reason", "unknown_name"}, {"client", from}});
    tx.commit();
    return LoginRefused{LoginRefusal::kBadCredentials, std::nullopt};
  }

  const bool password_right = verify_password(account->password_hash, password);
  if (account->locked_until && now < *account->locked_until) {
    audit(tx, account->name, "login.failed",
          {{"reason", "locked"}, {"account_id", account->id}, {"locked_until", iso8601_utc(*account->locked_until)},
           {"client", from}});
    tx.commit();
    return LoginRefused{LoginRefusal::kLocked, account->locked_until};
  }
  if (!password_right) {
    const int failures = add_failed_login(tx, account->id);
    audit(tx, account->name, "login.failed",
          {{"reason", "wrong_password"}, {"account_id", account->id}, {"failures", failures}, {"client", from}});
    if (failures < policy_.lockout_failures) {
      tx.commit();
      return LoginRefused{LoginRefusal::kBadCredentials, std::nullopt};
    }
    const TimePoint until = from_unix_micros(unix_micros(now + policy_.lockout_duration));  // as stored
    lock_account(tx, account->id, until);
    audit(tx, account->name, "account.locked",
          {{"account_id", account->id}, {"failures", failures}, {"locked_until", iso8601_utc(until)}, {"client", from}});
    tx.commit();
    return LoginRefused{LoginRefusal::kLocked, until};
  }
  if (account->disabled) {
    audit(tx, account->name, "login.failed", {{"reason", "disabled"}, {"account_id", account->id}, {"client", from}});
    tx.commit();
    return LoginRefused{LoginRefusal::kDisabled, std::nullopt};
  }

  if (account->failed_logins > 0 || account->locked_until) clear_failed_logins(tx, account->id);
  if (password_needs_rehash(account->password_hash))
    set_password_hash(tx, account->id, hash_password(password), std::nullopt);
  NewSession started;
  started.token = random_token();
  started.csrf = random_token();
  Session& s = started.session;
  s.account = account_of(*account);
  s.created_at = s.last_seen_at = from_unix_micros(unix_micros(now));  // as stored
  s.expires_at = from_unix_micros(unix_micros(now + policy_.lifetime));
  s.csrf_hash = token_hash(started.csrf);
  s.id = insert_session(tx, account->id, token_hash(started.token), s.csrf_hash, s.created_at, s.expires_at, from);
  audit(tx, account->name, "login.succeeded", {{"account_id", account->id}, {"session_id", s.id}, {"client", from}});
  tx.commit();
  return started;
}

std::optional<Session> SessionService::authenticate(pqxx::connection_base& db, const std::string& token,
                                                    TimePoint now) const {
  if (token.empty() || token.size() > kMaxTokenChars) return std::nullopt;
  pqxx::work tx(db);
  const auto row = find_session(tx, token_hash(token));
  if (!row || row->ended_at || now >= row->expires_at || now - row->last_seen_at >= policy_.idle_timeout)
    return std::nullopt;
  const auto account = find_account_by_id(tx, row->account_id);
  if (!account || account->disabled) return std::nullopt;
  Session s{row->id, account_of(*account), row->created_at, row->last_seen_at, row->expires_at, row->csrf_hash};
  if (now > row->last_seen_at) {
    touch_session(tx, row->id, now);
    s.last_seen_at = from_unix_micros(unix_micros(now));
  }
  tx.commit();
  return s;
}

bool SessionService::check_csrf(const Session& session, const std::string& csrf_token) {
  init_sodium();
  const TokenHash given = token_hash(csrf_token);
  return sodium_memcmp(given.data(), session.csrf_hash.data(), given.size()) == 0;
}

bool SessionService::log_out(pqxx::connection_base& db, const std::string& token, TimePoint now) const {
  if (token.empty() || token.size() > kMaxTokenChars) return false;
  pqxx::work tx(db);
  const auto row = find_session(tx, token_hash(token));
  if (!row || !end_session(tx, row->id, now)) return false;
  const auto account = find_account_by_id(tx, row->account_id);
  audit(tx, account ? account->name : std::to_string(row->account_id), "session.logged_out",
        {{"account_id", row->account_id}, {"session_id", row->id}});
  tx.commit();
  return true;
}

}  // namespace veil
