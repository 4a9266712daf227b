// The moderation API (/api/..., docs/moderation.md) and the moderation web page (/), served
// by veild's HTTP endpoint (http_server.h) next to /healthz, /readyz and /metrics.
//
// Contract. install() puts every route on the server: the API routes (api_routes.h; sessions,
// CSRF and errors as api_call.h says) and the page's files (static_files.h) at "/" and
// "/NAME". Every answer carries Content-Security-Policy (scripts, styles and images from
// this origin only; no inline script; no framing), X-Content-Type-Options: nosniff,
// Referrer-Policy: no-referrer and X-Frame-Options: DENY; a request without a route, or
// refused by the server itself (a body over http.max_body_bytes: 413), is answered
// {"error": ...} under /api and plain text elsewhere. The API keeps no state of its own
// between requests: sessions live in PostgreSQL (accounts/), so requests may run on any of
// the server's threads, each with a connection borrowed from the pool.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "accounts/session_service.h"
#include "config/config.h"
#include "daemon/static_files.h"
#include "storage/originals_store.h"

namespace httplib {
class Server;
}

namespace veil {

class EventPublisher;

struct WebApiSettings {
  std::string database_url;
  Config config;                 // [http] (secure_cookies, threads), [accounts], and what moderation needs
  std::string originals_root;    // <data_dir>/originals
  SecretKey master_key{};
  StaticFiles web;               // the page's files; empty: the page is not served (404), the API is
  EventPublisher* events = nullptr;  // not owned; null: no events
  std::function<TimePoint()> clock;  // empty: the system clock (tests pass their own)
};

class WebApi {
 public:
  explicit WebApi(WebApiSettings settings);
  ~WebApi();
  WebApi(const WebApi&) = delete;
  WebApi& operator=(const WebApi&) = delete;

  // Registers the routes, headers and error answers. The WebApi must outlive the server.
  void install(httplib::Server& server);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil
