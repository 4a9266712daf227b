// The login history managers see (GET /api/logins): every login, failed login, lockout and
// logout, newest first, read from the audit log where accounts/session_service writes them
// (actions login.succeeded, login.failed, account.locked, session.logged_out). A read only:
// nothing here writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "storage/timestamps.h"

namespace veil {

struct LoginEvent {
  std::int64_t id = 0;   // the audit row
  TimePoint at;
  std::string name;      // the account's name, or the name tried for an unknown one
  std::string action;    // login.succeeded | login.failed | account.locked | session.logged_out
  std::string reason;    // login.failed: unknown_name | wrong_password | locked | disabled; else ""
  std::string client;    // address and user agent as recorded; "" when none
};

// At most `limit` events, newest first, older than the audit row `before_id` (0: from the
// newest).
std::vector<LoginEvent> login_history(pqxx::transaction_base& tx, int limit, std::int64_t before_id = 0);

}  // namespace veil
