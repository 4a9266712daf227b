// The accounts table: who may log in to review media, with which role, and the state of each
// account's password and lockout.
//
// Every function runs its parameterised statements inside the caller's transaction and
// commits nothing. None of them checks a password rule, hashes a password or writes the audit
// log: accounts/ does those, in the same transaction. Names are unique whatever their case
// and are looked up case-insensitively. Rows are never deleted (an account leaves by being
// disabled), so the login history keeps its names.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "storage/timestamps.h"

namespace veil {

struct AccountRow {
  std::int64_t id = 0;
  std::string name;
  std::string role;                        // "manager", "senior" or "staff"
  std::int64_t person_id = 0;              // people.id; 0: none (never for staff)
  std::string person_name;                 // "" when none
  std::string password_hash;               // crypto_pwhash_str text; never shown to anyone
  bool disabled = false;
  int failed_logins = 0;                   // failures since the last success or lockout
  std::optional<TimePoint> locked_until;   // may lie in the past: a lockout that has run out
  TimePoint created_at;
  TimePoint password_changed_at;
  std::optional<TimePoint> last_login;     // the start of the account's newest session
};

// A change the data refuses; what() says why in words an operator can act on.
class AccountError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Inserts an account (not disabled, no failures) created and with its password set at `now`;
// returns its id. Throws AccountError when the name is empty or taken (in any case), the
// role is not manager, senior or staff, person_id (0: none) is not a staff member, or a staff
// account has no person.
std::int64_t insert_account(pqxx::transaction_base& tx, const std::string& name, const std::string& role,
                            std::int64_t person_id, const std::string& password_hash, TimePoint now);

enum class RowLock { kNone, kForUpdate };

// The account named `name` (any case), or nullopt. With RowLock::kForUpdate the row stays
// locked until the transaction ends, so that concurrent logins to one account count their
// failures one after another.
std::optional<AccountRow> find_account_by_name(pqxx::transaction_base& tx, const std::string& name,
                                               RowLock lock = RowLock::kNone);

// The account with this id, or nullopt.
std::optional<AccountRow> find_account_by_id(pqxx::transaction_base& tx, std::int64_t id);

// Every account, ordered by name.
std::vector<AccountRow> list_accounts(pqxx::transaction_base& tx);

// Replaces the password hash. With `changed_at` it is a new password and password_changed_at
// becomes that time; without, the same password hashed again with stronger parameters.
void set_password_hash(pqxx::transaction_base& tx, std::int64_t account_id, const std::string& password_hash,
                       std::optional<TimePoint> changed_at);

void set_disabled(pqxx::transaction_base& tx, std::int64_t account_id, bool disabled);

// Counts one more failed login; returns the count since the last success or lockout.
int add_failed_login(pqxx::transaction_base& tx, std::int64_t account_id);

// Locks the account until `until` and starts its failure count again from 0.
void lock_account(pqxx::transaction_base& tx, std::int64_t account_id, TimePoint until);

// Forgets failed logins and any lockout.
void clear_failed_logins(pqxx::transaction_base& tx, std::int64_t account_id);

}  // namespace veil
