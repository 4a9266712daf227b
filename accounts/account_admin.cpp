// Account changes: the checks that need no database, the repository calls, the audit rows.
#include "accounts/account_admin.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "accounts/untrusted_text.h"
#include "storage/account_repository.h"
#include "storage/audit_log.h"
#include "storage/session_repository.h"

namespace veil {
namespace {

void check_name(const std::string& name) {
  const std::size_t length = character_count(name);
  if (length == 0 || length > kMaxAccountNameCharacters || !is_plain_text(name) || name.front() == ' ' ||
      name.back() == ' ')
    throw AccountError("an account name has 1 to " + std::to_string(kMaxAccountNameCharacters) +
                       " characters, no control characters and no space at either end");
}

void check_password(const PasswordRule& rule, const std::string& password) {
  if (const std::string problem = password_problem(rule, password); !problem.empty()) throw AccountError(problem);
}

AccountRow existing_account(pqxx::transaction_base& tx, const std::string& name) {
  auto account = find_account_by_name(tx, name, RowLock::kForUpdate);
  if (!account) throw AccountError("no account '" + printable_text(name, 256) + "' (see 'veil accounts list')");
  return *account;
}

void audit(pqxx::transaction_base& tx, const std::string& actor, const std::string& action,
           const nlohmann::json& detail) {
  append_audit(tx, AuditEntry{actor, action, "", 0, detail.dump()});
}

}  // namespace

std::int64_t add_account(pqxx::transaction_base& tx, const std::string& name, Role role, std::int64_t person_id,
                         const std::string& password, const PasswordRule& rule, const std::string& actor,
                         TimePoint now) {
  check_name(name);
  check_password(rule, password);
  const std::string role_text(role_name(role));
  const std::int64_t id = insert_account(tx, name, role_text, person_id, hash_password(password), now);
  audit(tx, actor, "account.added",
        {{"account_id", id},
         {"name", name},
         {"role", role_text},
         {"person_id", person_id ? nlohmann::json(person_id) : nlohmann::json(nullptr)}});
  return id;
}

void change_password(pqxx::transaction_base& tx, const std::string& name, const std::string& password,
                     const PasswordRule& rule, const std::string& actor, TimePoint now) {
  const AccountRow account = existing_account(tx, name);
  check_password(rule, password);
  set_password_hash(tx, account.id, hash_password(password), now);
  const int ended = end_account_sessions(tx, account.id, now);
  audit(tx, actor, "account.password_changed",
        {{"account_id", account.id}, {"name", account.name}, {"sessions_ended", ended}});
}

bool disable_account(pqxx::transaction_base& tx, const std::string& name, const std::string& actor, TimePoint now) {
  const AccountRow account = existing_account(tx, name);
  if (account.disabled) return false;
  set_disabled(tx, account.id, true);
  const int ended = end_account_sessions(tx, account.id, now);
  audit(tx, actor, "account.disabled", {{"account_id", account.id}, {"name", account.name}, {"sessions_ended", ended}});
  return true;
}

bool enable_account(pqxx::transaction_base& tx, const std::string& name, const std::string& actor, TimePoint now) {
  const AccountRow account = existing_account(tx, name);
  const bool locked = account.locked_until && *account.locked_until > now;
  if (!account.disabled && !locked && account.failed_logins == 0) return false;
  set_disabled(tx, account.id, false);
  clear_failed_logins(tx, account.id);
  audit(tx, actor, "account.enabled",
        {{"account_id", account.id}, {"name", account.name}, {"was_disabled", account.disabled},
         {"lockout_lifted", locked}});
  return true;
}

}  // namespace veil
