// Logging in and out over HTTP, and the login history.
#include <limits>

#include <httplib.h>
#include <pqxx/pqxx>

#include "daemon/api_body.h"
#include "daemon/api_error.h"
#include "daemon/api_routes.h"
#include "daemon/api_session.h"
#include "storage/login_history.h"

namespace veil {

namespace {

constexpr std::size_t kMaxNameBytes = 256, kMaxPasswordBytes = 1024;

nlohmann::json account_json(const Account& a) { return {{"name", a.name}, {"role", std::string(role_name(a.role))}}; }

void log_in(ApiContext& context, ApiCall& call) {
  // A cross-site form cannot send application/json without the browser asking first, so
  // requiring it keeps other sites from logging a browser in to an account of theirs.
  if (call.request.get_header_value("Content-Type").rfind("application/json", 0) != 0)
    throw ApiError(400, "expected a JSON body (Content-Type: application/json)");
  const auto body = call.body();
  const std::string name = string_field(body, "name", kMaxNameBytes);
  const std::string password = string_field(body, "password", kMaxPasswordBytes);
  const LoginResult result =
      context.sessions.log_in(call.db, name, password, client_description(call.request), call.now);
  if (const auto* refused = std::get_if<LoginRefused>(&result)) {
    switch (refused->reason) {
      case LoginRefusal::kBadCredentials: throw ApiError(401, refusal_message(*refused));
      case LoginRefusal::kDisabled: throw ApiError(403, refusal_message(*refused));
      case LoginRefusal::kLocked: throw ApiError(423, refusal_message(*refused));
    }
  }
  const auto& started = std::get<NewSession>(result);
  const auto max_age = std::chrono::round<std::chrono::seconds>(started.session.expires_at - call.now).count();
  call.response.set_header("Set-Cookie", session_set_cookie(started.token, max_age, context.secure_cookies));
  call.json(200, {{"account", account_json(started.session.account)},
                  {"csrf", started.csrf},
                  {"expires_at", iso8601_utc(started.session.expires_at)}});
}

nlohmann::json login_event_json(const LoginEvent& e) {
  return {{"id", e.id},         {"at", iso8601_utc(e.at)}, {"name", e.name},
          {"action", e.action}, {"reason", e.reason.empty() ? nlohmann::json() : nlohmann::json(e.reason)},
          {"client", e.client}};
}

}  // namespace

void add_session_routes(httplib::Server& server, ApiContext& context) {
  add_route(server, context, "POST", "/api/session", Access::kPublic, [&context](ApiCall& c) { log_in(context, c); });
  add_route(server, context, "GET", "/api/session", Access::kSession, [](ApiCall& c) {
    c.json(200, {{"account", account_json(c.account())}, {"expires_at", iso8601_utc(c.session->expires_at)}});
  });
  add_route(server, context, "DELETE", "/api/session", Access::kSessionAndCsrf, [&context](ApiCall& c) {
    context.sessions.log_out(c.db, session_cookie_value(c.request), c.now);
    c.response.set_header("Set-Cookie", session_clear_cookie(context.secure_cookies));
    c.response.set_header("Cache-Control", "no-store");
    c.response.status = 204;
  });
  add_route(server, context, "GET", "/api/logins", Access::kSession, [](ApiCall& c) {
    if (c.account().role != Role::kManager) throw ApiError(403, "only managers see the login history");
    const int limit = c.int_param("limit", 100, 1, 1000);
    const int before = c.int_param("before", 0, 0, std::numeric_limits<int>::max());
    pqxx::read_transaction tx(c.db);
    const auto events = login_history(tx, limit, before);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : events) list.push_back(login_event_json(e));
    c.json(200, {{"logins", list},
                 {"next", static_cast<int>(events.size()) == limit ? nlohmann::json(events.back().id)
                                                                    : nlohmann::json()}});
  });
}

}  // namespace veil
