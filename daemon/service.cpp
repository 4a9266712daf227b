// Wiring of keys, ZAP, events, ingest, workers and HTTP.
#include "daemon/service.h"

#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <vector>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "ingest/curve_keys.h"
#include "daemon/device_auth.h"
#include "daemon/event_publisher.h"
#include "daemon/event_relay.h"
#include "daemon/http_server.h"
#include "daemon/ingest_server.h"
#include "daemon/metrics.h"
#include "daemon/purge_schedule.h"
#include "daemon/web_api.h"
#include "jobs/rendition_sweep.h"
#include "leavers/leaver_settings.h"
#include "storage/database.h"
#include "storage/job_queue.h"
#include "storage/originals_store.h"

namespace veil {

int effective_workers(const Config& config) {
  if (config.daemon.workers > 0) return config.daemon.workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

namespace {

bool is_local_endpoint(const std::string& endpoint) {
  return endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0 ||
         endpoint.rfind("tcp://127.", 0) == 0 || endpoint.rfind("tcp://localhost:", 0) == 0 ||
         endpoint.rfind("tcp://[::1]:", 0) == 0;
}

}  // namespace

struct VeildService::Impl {
  ServiceOptions options;
  SecretKey master{};
  CurveKeyPair server_keys;
  Metrics metrics;
  std::unique_ptr<zmq::context_t> context;
  std::unique_ptr<DeviceAuth> auth;
  std::unique_ptr<EventPublisher> events;
  std::unique_ptr<EventRelay> relay;  // events decided by other programs (media.withdrawn)
  std::unique_ptr<IngestServer> ingest;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<PurgeSchedule> purges;  // daily: leavers whose grace period is over
  std::unique_ptr<WebApi> web_api;
  std::unique_ptr<HttpServer> http;
  std::mutex db_mutex;
  std::unique_ptr<pqxx::connection> db;  // for /readyz and /metrics
  bool stopped = false;

  pqxx::connection& ops_db() {
    if (!db || !db->is_open()) {
      db.reset();
      db = std::make_unique<pqxx::connection>(with_connect_timeout(options.database_url, 2));
    }
    return *db;
  }
};

VeildService::VeildService(ServiceOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

VeildService::~VeildService() { stop(); }

void VeildService::start() {
  auto& m = *impl_;
  const Config& c = m.options.config;
  const std::string& data = m.options.data_dir;
  try {
    m.master = load_or_create_master_key(data + "/keys/master.key");
    const std::string originals = data + "/originals";
    std::filesystem::create_directories(originals);
    if (const int n = sweep_temporary_files(originals, 2 * c.ingest.upload_idle_timeout_s))
      spdlog::info("originals: removed {} unfinished upload file(s)", n);
    {
      pqxx::connection db(m.options.database_url);
      if (const int n = sweep_superseded_renditions(db, data + "/renditions"))
        spdlog::info("renditions: removed {} superseded version(s) left by an interrupted job", n);
    }
    m.context = std::make_unique<zmq::context_t>(1);
    if (c.ingest.curve) {
      m.server_keys = load_or_create_server_keys(data);
      spdlog::info("curve: server public key {} ({}/curve/server.pub)", m.server_keys.public_key, data);
      m.auth = std::make_unique<DeviceAuth>(*m.context, m.options.database_url, c.ingest.device_cache_refresh_s);
      m.auth->start();  // before any CURVE socket binds
      spdlog::info("devices: {} registered device key(s) loaded", m.auth->size());
    } else {
      if (!is_local_endpoint(c.ingest.endpoint) || (!c.events.endpoint.empty() && !is_local_endpoint(c.events.endpoint)))
        throw std::runtime_error("ingest.curve = false is allowed only with ipc:// or loopback endpoints");
      spdlog::warn("ingest: CURVE is off: any local process may submit (ingest.curve = false)");
    }
    if (!c.events.endpoint.empty())
      m.events = std::make_unique<EventPublisher>(*m.context, c.events.endpoint, m.server_keys.secret_key);
    if (m.events) {
      m.relay = std::make_unique<EventRelay>(m.options.database_url, *m.events);
      m.relay->start();
    }

    IngestSettings is;
    is.endpoint = c.ingest.endpoint;
    is.secret_key = m.server_keys.secret_key;
    is.database_url = m.options.database_url;
    is.originals_root = originals;
    is.master_key = m.master;
    is.max_file_bytes = c.limits.max_file_bytes;
    is.max_message_bytes = c.ingest.max_message_bytes;
    is.chunk_bytes = c.ingest.chunk_bytes;
    is.upload_idle_timeout_s = c.ingest.upload_idle_timeout_s;
    is.max_open_uploads = c.ingest.max_open_uploads;
    is.device_uploads_per_minute = c.ingest.device_uploads_per_minute;
    is.device_upload_burst = c.ingest.device_upload_burst;
    m.ingest = std::make_unique<IngestServer>(*m.context, is, m.auth.get(), m.events.get(), &m.metrics);
    m.ingest->start();

    WorkerSettings ws;
    ws.workers = effective_workers(c);
    ws.database_url = m.options.database_url;
    ws.queue = QueueOptions{c.queue.lease_s, c.queue.max_attempts, c.queue.retry_backoff_s};
    ws.item_timeout_s = c.queue.item_timeout_s;
    ws.poll_interval_s = c.queue.poll_interval_s;
    ws.batch_per_second = c.queue.batch_per_second;
    ws.drain_timeout_s = c.queue.drain_timeout_s;
    ws.originals_root = originals;
    ws.renditions_root = data + "/renditions";
    ws.master_key = m.master;
    ws.leavers = leaver_settings(c, data, m.master);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    ws.owner = std::string(host) + ":" + std::to_string(getpid());
    ws.on_worker_lost = m.options.on_worker_lost;
    m.workers = std::make_unique<WorkerPool>(ws, m.options.processor_factory, m.events.get(), &m.metrics);
    m.workers->start();
    m.purges = std::make_unique<PurgeSchedule>(m.options.database_url);
    m.purges->start();

    if (c.http.enabled) {
      WebApiSettings web{m.options.database_url, c, originals, m.master, {}, m.events.get(), m.options.clock};
      if (m.options.web) {
        web.web = *m.options.web;
      } else {
        try {
          web.web = StaticFiles::load(effective_web_dir(c));
        } catch (const std::exception& e) {
          spdlog::warn("http: the moderation page is not served: {}", e.what());
        }
      }
      m.web_api = std::make_unique<WebApi>(std::move(web));
      m.http = std::make_unique<HttpServer>(
          c.http.address, c.http.port,
          HttpHandlers{[this] { return not_ready_reason(); }, [this] { return metrics_text(); },
                       [this](httplib::Server& s) { impl_->web_api->install(s); }, c.http.threads});
      m.http->start();
    }
  } catch (...) {
    stop();
    throw;
  }
}

int VeildService::reload_devices() { return impl_->auth ? impl_->auth->reload() : 0; }

int VeildService::stop() {
  auto& m = *impl_;
  if (m.stopped) return 0;
  m.stopped = true;
  if (m.ingest) m.ingest->stop();  // no new uploads; in-flight requests were answered
  if (m.purges) m.purges->stop();
  int stuck = 0;
  if (m.workers) stuck = m.workers->stop();
  if (m.http) m.http->stop();
  m.http.reset();
  m.web_api.reset();  // after the server: its routes refer to it
  m.ingest.reset();
  if (m.relay) m.relay->stop();
  m.relay.reset();
  m.events.reset();
  if (m.auth) m.auth->stop();
  m.auth.reset();
  if (stuck == 0) {
    m.workers.reset();
  } else {
    // The pool belongs to its stuck threads now: it is never freed, and kept reachable so
    // that it is not taken for a leak (LeakSanitizer in the sanitizer tests).
    static std::vector<std::unique_ptr<WorkerPool>>* const left_to_stuck_threads =
        new std::vector<std::unique_ptr<WorkerPool>>;
    static std::mutex left_mutex;
    std::lock_guard<std::mutex> lock(left_mutex);
    left_to_stuck_threads->push_back(std::move(m.workers));
  }
  m.context.reset();
  return stuck;
}

std::string VeildService::ingest_endpoint() const { return impl_->ingest ? impl_->ingest->endpoint() : ""; }
std::string VeildService::events_endpoint() const { return impl_->events ? impl_->events->endpoint() : ""; }
int VeildService::http_port() const { return impl_->http ? impl_->http->port() : 0; }
std::string VeildService::server_public_key() const { return impl_->server_keys.public_key; }

std::string VeildService::not_ready_reason() {
  auto& m = *impl_;
  std::string why;
  auto add = [&](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  {
    std::lock_guard<std::mutex> lock(m.db_mutex);
    try {
      pqxx::read_transaction tx(m.ops_db());
      ping_database(tx);
    } catch (const std::exception& e) {
      m.db.reset();
      add(std::string("database unreachable: ") + e.what());
    }
  }
  const int running = m.workers && !m.stopped ? m.workers->workers_running() : 0;
  const int wanted = effective_workers(m.options.config);
  if (running < wanted) add(std::to_string(running) + " of " + std::to_string(wanted) + " workers running");
  if (!m.ingest || !m.ingest->running()) add("ingest not running");
  if (m.options.config.ingest.curve && (!m.auth || !m.auth->running())) add("device check (ZAP) not running");
  for (auto& c : why)
    if (c == '\n') c = ' ';
  return why;
}

std::string VeildService::metrics_text() {
  auto& m = *impl_;
  std::ostringstream extra;
  {
    std::lock_guard<std::mutex> lock(m.db_mutex);
    try {
      auto& db = m.ops_db();
      const auto counts = JobQueue::counts_by_state(db);
      const auto depth = JobQueue::ready_depth(db);
      extra << "# HELP veil_queue_depth Jobs ready to be claimed now (shared queue).\n"
               "# TYPE veil_queue_depth gauge\nveil_queue_depth "
            << depth << "\n# HELP veil_jobs Jobs by state (shared queue).\n# TYPE veil_jobs gauge\n";
      for (const auto& [state, n] : counts) extra << "veil_jobs{state=\"" << state << "\"} " << n << "\n";
      extra << "# HELP veil_database_up Whether PostgreSQL answered this scrape.\n# TYPE veil_database_up gauge\n"
               "veil_database_up 1\n";
    } catch (const std::exception&) {
      m.db.reset();
      extra << "# HELP veil_database_up Whether PostgreSQL answered this scrape.\n# TYPE veil_database_up gauge\n"
               "veil_database_up 0\n";
    }
  }
  extra << "# HELP veil_workers Worker threads running.\n# TYPE veil_workers gauge\nveil_workers "
        << (m.workers ? m.workers->workers_running() : 0)
        << "\n# HELP veil_workers_busy Workers processing a job now.\n# TYPE veil_workers_busy gauge\nveil_workers_busy "
        << (m.workers ? m.workers->busy() : 0) << "\n";
  if (m.auth)
    extra << "# HELP veil_devices_cached Active device keys in the cache.\n# TYPE veil_devices_cached gauge\n"
             "veil_devices_cached "
          << m.auth->size() << "\n";
  return m.metrics.render(extra.str());
}

}  // namespace veil
