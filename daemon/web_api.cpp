// Assembling the API routes, the page's files and the headers every answer carries.
#include "daemon/web_api.h"

#include <mutex>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "daemon/api_routes.h"
#include "models/face_embedder.h"
#include "moderation/moderation_service.h"
#include "pipeline/stage_options.h"

namespace veil {

namespace {

// No inline script or style, nothing from elsewhere, no plugins, no framing, forms only here.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

ModerationSettings moderation_settings(const WebApiSettings& s) {
  return ModerationSettings{s.originals_root, s.master_key, s.config};
}

}  // namespace

struct WebApi::Impl {
  explicit Impl(WebApiSettings s)
      : settings(std::move(s)),
        context(settings.database_url, static_cast<std::size_t>(settings.config.http.threads),
                session_policy(settings.config.accounts), settings.config.http.secure_cookies, settings.clock),
        moderation(moderation_settings(settings)) {}

  // The service that may assign faces: its embedder is loaded on first use.
  ModerationService& assigner() {
    std::lock_guard<std::mutex> lock(assigner_mutex);
    if (!with_embedder) {
      embedder = std::make_unique<FaceEmbedder>(embedder_options(settings.config));
      with_embedder = std::make_unique<ModerationService>(moderation_settings(settings), embedder.get());
    }
    return *with_embedder;
  }

  WebApiSettings settings;
  ApiContext context;
  ModerationService moderation;
  std::mutex assigner_mutex, assign_mutex;
  std::unique_ptr<FaceEmbedder> embedder;
  std::unique_ptr<ModerationService> with_embedder;
};

WebApi::WebApi(WebApiSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}

WebApi::~WebApi() = default;

void WebApi::install(httplib::Server& server) {
  auto& m = *impl_;
  server.set_default_headers({{"Content-Security-Policy", kContentSecurityPolicy},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"}});
  server.set_payload_max_length(static_cast<std::size_t>(m.settings.config.http.max_body_bytes));
  using ErrorHandler = httplib::Server::HandlerWithResponse;
  server.set_error_handler(ErrorHandler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // the route answered already
    const std::string message = res.status == 404   ? "not found"
                                : res.status == 413 ? "request body too large"
                                : res.status == 405 ? "method not allowed"
                                                    : "bad request";
    if (req.path.rfind("/api/", 0) == 0) res.set_content(error_body(message), "application/json");
    else res.set_content(message + "\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  }));

  add_session_routes(server, m.context);
  add_media_routes(server, m.context,
                   MediaRouteDeps{&m.moderation, [&m]() -> ModerationService& { return m.assigner(); },
                                  &m.assign_mutex, m.settings.events});

  auto serve_file = [&m](const std::string& name, httplib::Response& res) {
    const StaticFile* file = m.settings.web.find(name);
    if (!file) {
      res.status = 404;
      return;
    }
    res.set_header("Cache-Control", "no-cache");  // revalidate: a new veild may serve a new page
    res.set_content(file->body, file->content_type);
  };
  server.Get("/", [serve_file](const httplib::Request&, httplib::Response& res) { serve_file("index.html", res); });
  server.Get(R"(/([A-Za-z0-9_-]+\.[a-z]+))", [serve_file](const httplib::Request& req, httplib::Response& res) {
    serve_file(req.matches[1].str(), res);
  });
  if (m.settings.web.size() > 0)
    spdlog::info("http: moderation page from {} ({} files)", m.settings.web.dir(), m.settings.web.size());
}

}  // namespace veil
