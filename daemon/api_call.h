// One request to the HTTP API, and how a route is registered so that every route answers the
// same way (docs/moderation.md):
//
// - the request borrows a database connection of its own (ConnectionPool), for this thread;
// - Access::kSession: a valid session cookie, else 401; Access::kSessionAndCsrf (every POST
//   and DELETE but the login) also the session's X-CSRF-Token, else 403;
// - answers are JSON with Cache-Control: no-store (they name children);
// - errors are {"error": "..."}: ApiError with its status; ModerationError kBadRequest,
//   kForbidden, kNotFound, kConflict as 400, 403, 404, 409; a body that is not JSON 400; the
//   database unreachable 503; anything else 500 "internal error", logged with the route (never
//   a token, a password or a body).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/types.hxx>

#include "accounts/session_service.h"
#include "daemon/connection_pool.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib


namespace veil {

enum class Access { kPublic, kSession, kSessionAndCsrf };

// What every route shares.
struct ApiContext {
  ApiContext(const std::string& database_url, std::size_t threads, SessionPolicy policy, bool secure_cookies,
             std::function<TimePoint()> clock);
  ConnectionPool pool;
  SessionService sessions;
  bool secure_cookies = false;
  std::function<TimePoint()> clock;  // now; tests pass their own
};

struct ApiCall {
  const httplib::Request& request;
  httplib::Response& response;
  pqxx::connection_base& db;  // this request's, borrowed from the pool
  TimePoint now;
  std::optional<Session> session;  // set for kSession and kSessionAndCsrf

  const Account& account() const { return session->account; }
  // The request body as a JSON object; an empty body is {}. ApiError 400 when it is not a
  // JSON object.
  nlohmann::json body() const;
  // The query parameter `name` as an integer in [lo, hi]; `fallback` when absent; ApiError
  // 400 otherwise.
  int int_param(const std::string& name, int fallback, int lo, int hi) const;
  // The path's regex capture `i` (1-based).
  std::string match(int i) const;
  void json(int status, const nlohmann::json& body);
  void bytes(const std::string& body, const std::string& content_type);
};

using ApiHandler = std::function<void(ApiCall&)>;

// Registers `method` ("GET", "POST", "DELETE") `pattern` (a cpp-httplib regex) on `server`.
void add_route(httplib::Server& server, ApiContext& context, const std::string& method, const std::string& pattern,
               Access access, ApiHandler handler);

// The body of an error answer: {"error": message}.
std::string error_body(const std::string& message);

}  // namespace veil
