// veild's HTTP endpoint (cpp-httplib): /healthz (the process answers), /readyz (database
// reachable, workers and ingest running: 200, else 503 with the reasons), /metrics
// (Prometheus text format), and whatever `install_routes` adds (the moderation API and page,
// web_api.h). Binds 127.0.0.1 by default; port 0 picks an ephemeral port, logged as
// "http: listening on ADDRESS:PORT". Requests run on `threads` threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace veil {

struct HttpHandlers {
  // Empty string: ready; else what is missing.
  std::function<std::string()> not_ready_reason;
  std::function<std::string()> metrics;
  // Adds more routes before the server binds; empty: none.
  std::function<void(httplib::Server&)> install_routes;
  int threads = 2;
};

class HttpServer {
 public:
  HttpServer(std::string address, int port, HttpHandlers handlers);
  ~HttpServer();
  void start();  // binds (throws when it cannot) and serves in a thread
  void stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string address_;
  int port_;
  std::thread thread_;
};

}  // namespace veil
