// /healthz, /readyz, /metrics and the installed routes over cpp-httplib.
#include "daemon/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

namespace veil {

struct HttpServer::Impl {
  httplib::Server server;
  HttpHandlers handlers;
};

HttpServer::HttpServer(std::string address, int port, HttpHandlers handlers)
    : impl_(std::make_unique<Impl>()), address_(std::move(address)), port_(port) {
  impl_->handlers = std::move(handlers);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  auto& s = impl_->server;
  const int threads = std::max(1, impl_->handlers.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  // A browser keeps connections open, each holding a thread while it waits: keep that short.
  s.set_keep_alive_timeout(2);
  s.set_read_timeout(10);
  s.set_write_timeout(10);
  // Small answers go out at once instead of waiting for the client's delayed acknowledgement.
  s.set_tcp_nodelay(true);
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const std::string why = impl_->handlers.not_ready_reason();
    res.status = why.empty() ? 200 : 503;
    res.set_content(why.empty() ? "ready\n" : "not ready: " + why + "\n", "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(impl_->handlers.metrics(), "text/plain; version=0.0.4");
  });
  if (impl_->handlers.install_routes) impl_->handlers.install_routes(s);
  if (port_ == 0) {
    port_ = s.bind_to_any_port(address_);
    if (port_ <= 0) throw std::runtime_error("http: cannot bind " + address_);
  } else if (!s.bind_to_port(address_, port_)) {
    throw std::runtime_error("http: cannot bind " + address_ + ":" + std::to_string(port_));
  }
  spdlog::info("http: listening on {}:{}", address_, port_);
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
}

void HttpServer::stop() {
  impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace veil
