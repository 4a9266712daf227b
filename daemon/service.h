// The serving part of veild, started after the database is up and migrated:
//   master key (<data_dir>/keys/master.key) and CURVE server keys (<data_dir>/curve/) ->
//   ZAP device check (before any CURVE socket) -> events PUB -> ingest ROUTER ->
//   worker pool -> HTTP endpoint (operations, the moderation API and page).
// stop() reverses it: ingest closes first (no new uploads), workers drain, the rest stops.
// Used by run_daemon() with the real MediaProcessor, and by tests with a fake processor.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "daemon/static_files.h"
#include "daemon/worker_pool.h"
#include "storage/timestamps.h"

namespace veil {

struct ServiceOptions {
  Config config;
  std::string database_url;
  std::string data_dir;
  ProcessorFactory processor_factory;
  // Called (from a pool thread) when a worker died and could not be replaced; veild stops.
  std::function<void(const std::string& why)> on_worker_lost;
  // The moderation page's files, read by run_daemon() before privileges drop; nullopt: read
  // from config.http.web_dir (effective_web_dir()) at start(), and when that fails the API is
  // served without the page (logged).
  std::optional<StaticFiles> web;
  // The API's clock (session idle and lifetime, decision times); empty: the system clock.
  std::function<TimePoint()> clock;
};

class VeildService {
 public:
  explicit VeildService(ServiceOptions options);
  ~VeildService();
  VeildService(const VeildService&) = delete;
  VeildService& operator=(const VeildService&) = delete;

  // Starts everything, and returns once every worker's processor is loaded; throws (having
  // stopped what it started) when anything fails, a worker that cannot start included.
  void start();
  // SIGHUP: reloads the registered-device cache; returns the number of active devices.
  int reload_devices();
  // Drains and stops; returns the number of worker threads left stuck.
  int stop();

  std::string ingest_endpoint() const;
  std::string events_endpoint() const;  // "" when events are off
  int http_port() const;                // 0 when HTTP is off
  std::string server_public_key() const;  // "" when CURVE is off

  std::string not_ready_reason();
  std::string metrics_text();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Number of workers daemon.workers asks for (0: one per core).
int effective_workers(const Config& config);

}  // namespace veil
