// SQL for the accounts table.
#include "storage/account_repository.h"

#include <pqxx/pqxx>

namespace veil {
namespace {

std::string account_select() {
  return "SELECT a.id, a.name, a.role, coalesce(a.person_id, 0), coalesce(p.display_name, ''), a.password_hash, "
         "a.disabled, a.failed_logins, " +
         unix_micros_of("a.locked_until") + ", " + unix_micros_of("a.created_at") + ", " +
         unix_micros_of("a.password_changed_at") + ", (SELECT " + unix_micros_of("max(s.created_at)") +
         " FROM sessions s WHERE s.account_id = a.id) "
         "FROM accounts a LEFT JOIN people p ON p.id = a.person_id ";
}

std::optional<TimePoint> optional_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_unix_micros(f.as<std::int64_t>());
}

AccountRow account_from(const pqxx::row& r) {
  AccountRow a;
  a.id = r[0].as<std::int64_t>();
  a.name = r[1].as<std::string>();
  a.role = r[2].as<std::string>();
  a.person_id = r[3].as<std::int64_t>();
  a.person_name = r[4].as<std::string>();
  a.password_hash = r[5].as<std::string>();
  a.disabled = r[6].as<bool>();
  a.failed_logins = r[7].as<int>();
  a.locked_until = optional_time(r[8]);
  a.created_at = from_unix_micros(r[9].as<std::int64_t>());
  a.password_changed_at = from_unix_micros(r[10].as<std::int64_t>());
  a.last_login = optional_time(r[11]);
  return a;
}

std::optional<AccountRow> first_account(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return account_from(rows[0]);
}

}  // namespace

std::int64_t insert_account(pqxx::transaction_base& tx, const std::string& name, const std::string& role,
                            std::int64_t person_id, const std::string& password_hash, TimePoint now) {
  if (name.empty()) throw AccountError("an account needs a name");
  if (role != "manager" && role != "senior" && role != "staff")
    throw AccountError("role must be manager, senior or staff (got '" + role + "')");
  if (role == "staff" && person_id == 0)
    throw AccountError("a staff account needs its staff member (--person): it sees that person's key children");
  if (person_id != 0 && tx.exec_params("SELECT 1 FROM people WHERE id = $1 AND kind = 'staff'", person_id).empty())
    throw AccountError("person " + std::to_string(person_id) + " is not a staff member (see 'veil people list')");
  if (!tx.exec_params("SELECT 1 FROM accounts WHERE lower(name) = lower($1)", name).empty())
    throw AccountError("an account named '" + name + "' already exists");
  return tx
      .exec_params1("INSERT INTO accounts (name, role, person_id, password_hash, created_at, password_changed_at) "
                    "VALUES ($1, $2, NULLIF($3, 0), $4, " +
                        timestamptz_param(5) + ", " + timestamptz_param(5) + ") RETURNING id",
                    name, role, person_id, password_hash, unix_micros(now))[0]
      .as<std::int64_t>();
}

std::optional<AccountRow> find_account_by_name(pqxx::transaction_base& tx, const std::string& name, RowLock lock) {
  return first_account(tx.exec_params(account_select() + "WHERE lower(a.name) = lower($1)" +
                                          (lock == RowLock::kForUpdate ? " FOR UPDATE OF a" : ""),
                                      name));
}

std::optional<AccountRow> find_account_by_id(pqxx::transaction_base& tx, std::int64_t id) {
  return first_account(tx.exec_params(account_select() + "WHERE a.id = $1", id));
}

std::vector<AccountRow> list_accounts(pqxx::transaction_base& tx) {
  std::vector<AccountRow> out;
  for (const auto& r : tx.exec(account_select() + "ORDER BY lower(a.name)")) out.push_back(account_from(r));
  return out;
}

void set_password_hash(pqxx::transaction_base& tx, std::int64_t account_id, const std::string& password_hash,
                       std::optional<TimePoint> changed_at) {
  if (changed_at)
    tx.exec_params0("UPDATE accounts SET password_hash = $2, password_changed_at = " + timestamptz_param(3) +
                        " WHERE id = $1",
                    account_id, password_hash, unix_micros(*changed_at));
  else
    tx.exec_params0("UPDATE accounts SET password_hash = $2 WHERE id = $1", account_id, password_hash);
}

void set_disabled(pqxx::transaction_base& tx, std::int64_t account_id, bool disabled) {
  tx.exec_params0("UPDATE accounts SET disabled = $2 WHERE id = $1", account_id, disabled);
}

int add_failed_login(pqxx::transaction_base& tx, std::int64_t account_id) {
  return tx
      .exec_params1("UPDATE accounts SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
                    account_id)[0]
      .as<int>();
}

void lock_account(pqxx::transaction_base& tx, std::int64_t account_id, TimePoint until) {
  tx.exec_params0("UPDATE accounts SET failed_logins = 0, locked_until = " + timestamptz_param(2) + " WHERE id = $1",
                  account_id, unix_micros(until));
}

void clear_failed_logins(pqxx::transaction_base& tx, std::int64_t account_id) {
  tx.exec_params0("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1", account_id);
}

}  // namespace veil
