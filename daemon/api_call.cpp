// The wrapper around every API route: connection, session, CSRF, error answers.
#include "daemon/api_call.h"

#include <httplib.h>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "daemon/api_body.h"
#include "daemon/api_error.h"
#include "daemon/api_session.h"
#include "moderation/moderation_service.h"

namespace veil {

namespace {

int status_of(ModerationError::Code code) {
  switch (code) {
    case ModerationError::Code::kBadRequest: return 400;
    case ModerationError::Code::kForbidden: return 403;
    case ModerationError::Code::kNotFound: return 404;
    case ModerationError::Code::kConflict: return 409;
  }
  return 400;
}

void answer_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(error_body(message), "application/json");
}

}  // namespace

ApiContext::ApiContext(const std::string& database_url, std::size_t threads, SessionPolicy policy,
                       bool secure_cookies_, std::function<TimePoint()> clock_)
    : pool(database_url, threads), sessions(policy), secure_cookies(secure_cookies_), clock(std::move(clock_)) {
  if (!clock) clock = [] { return std::chrono::system_clock::now(); };
}

std::string error_body(const std::string& message) { return nlohmann::json{{"error", message}}.dump(); }

nlohmann::json ApiCall::body() const { return parse_api_body(request.body); }

int ApiCall::int_param(const std::string& name, int fallback, int lo, int hi) const {
  if (!request.has_param(name.c_str())) return fallback;
  const std::string text = request.get_param_value(name.c_str());
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < lo || v > hi)
    throw ApiError(400, name + " must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi));
  return static_cast<int>(v);
}

std::string ApiCall::match(int i) const { return request.matches[i].str(); }

void ApiCall::json(int status, const nlohmann::json& body) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_content(body.dump(), "application/json");
}

void ApiCall::bytes(const std::string& body, const std::string& content_type) {
  response.status = 200;
  response.set_header("Cache-Control", "no-store");
  response.set_content(body, content_type);
}

void add_route(httplib::Server& server, ApiContext& context, const std::string& method, const std::string& pattern,
               Access access, ApiHandler handler) {
  auto wrapped = [&context, access, handler = std::move(handler), route = method + " " + pattern](
                     const httplib::Request& req, httplib::Response& res) {
    try {
      auto lease = context.pool.acquire();
      ApiCall call{req, res, *lease, context.clock(), std::nullopt};
      if (access != Access::kPublic) call.session = require_session(context.sessions, *lease, req, call.now);
      if (access == Access::kSessionAndCsrf) require_csrf(*call.session, req);
      handler(call);
    } catch (const ApiError& e) {
      answer_error(res, e.status(), e.what());
    } catch (const ModerationError& e) {
      answer_error(res, status_of(e.code()), e.what());
    } catch (const pqxx::broken_connection& e) {
      spdlog::warn("http: {}: database unreachable: {}", route, e.what());
      answer_error(res, 503, "the database is unreachable; try again shortly");
    } catch (const std::exception& e) {
      spdlog::error("http: {}: {}", route, e.what());
      answer_error(res, 500, "internal error");
    }
  };
  if (method == "GET") server.Get(pattern, wrapped);
  else if (method == "POST") server.Post(pattern, wrapped);
  else if (method == "DELETE") server.Delete(pattern, wrapped);
  else throw std::logic_error("add_route: unsupported method " + method);
}

}  // namespace veil
