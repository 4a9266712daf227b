// Changes to accounts, by an operator (`veil accounts`) or a manager: each is checked, applied
// and audited inside the caller's transaction (it commits with the caller), with `actor` as
// who made it ("cli:<os user>", or the manager's account name).
//
// Every function throws AccountError (storage/account_repository.h) for a change that cannot
// be made: no such account, a taken or malformed name, a password that breaks the rule (the
// message is the rule's), a person who is not staff. Neither a password nor a hash is ever put
// in the audit log or in a message.
#pragma once

#include <cstdint>
#include <string>

#include <pqxx/types.hxx>

#include "accounts/password.h"
#include "accounts/role.h"
#include "storage/timestamps.h"

namespace veil {

// Names are 1 to 64 characters of plain text without spaces at either end.
inline constexpr std::size_t kMaxAccountNameCharacters = 64;

// Creates an account with `password` (checked against `rule`, stored hashed); returns its id.
// `person_id` (0: none) is the staff member the account belongs to; required for kStaff.
std::int64_t add_account(pqxx::transaction_base& tx, const std::string& name, Role role, std::int64_t person_id,
                         const std::string& password, const PasswordRule& rule, const std::string& actor,
                         TimePoint now);

// Gives the account named `name` a new password (checked against `rule`) and ends its open
// sessions: whoever knew the old one is logged out.
void change_password(pqxx::transaction_base& tx, const std::string& name, const std::string& password,
                     const PasswordRule& rule, const std::string& actor, TimePoint now);

// Disables the account and ends its open sessions at once. False (and nothing audited) when
// it was disabled already.
bool disable_account(pqxx::transaction_base& tx, const std::string& name, const std::string& actor, TimePoint now);

// Enables the account, lifts any lockout and forgets its failed logins. False (and nothing
// audited) when it was not disabled, not locked and had no failed login to forget.
bool enable_account(pqxx::transaction_base& tx, const std::string& name, const std::string& actor, TimePoint now);

}  // namespace veil
