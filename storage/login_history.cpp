// Reading the login events of the audit log.
#include "storage/login_history.h"

#include <pqxx/pqxx>

namespace veil {

std::vector<LoginEvent> login_history(pqxx::transaction_base& tx, int limit, std::int64_t before_id) {
  const auto rows = tx.exec_params(
      "SELECT id, " + unix_micros_of("at") +
          ", actor, action, coalesce(detail->>'reason', ''), coalesce(detail->>'client', '') FROM audit "
          "WHERE action IN ('login.succeeded', 'login.failed', 'account.locked', 'session.logged_out') "
          "AND ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2",
      before_id, limit);
  std::vector<LoginEvent> out;
  out.reserve(rows.size());
  for (const auto& r : rows)
    out.push_back(LoginEvent{r[0].as<std::int64_t>(), from_unix_micros(r[1].as<std::int64_t>()),
                             r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<std::string>(),
                             r[5].as<std::string>()});
  return out;
}

}  // namespace veil
