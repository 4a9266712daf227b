// veild start-up, signal wait and shutdown.
#include "daemon/daemon.h"

#include <signal.h>
#include <unistd.h>

#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "daemon/service.h"
#include "daemon/start_up_checks.h"
#include "storage/database.h"
#include "storage/process_runner.h"

namespace veil {

namespace {

// Set by a worker pool that lost a worker it could not replace; read after SIGUSR1.
std::mutex fatal_mutex;
std::string fatal_reason;

}  // namespace

int run_daemon(const Config& config) { return run_daemon(config, nullptr); }

int run_daemon(const Config& given, const std::function<Config()>& reload) {
  // Signals are handled synchronously by sigwait below; block them before any thread starts.
  // SIGUSR1 is veild's own: the worker pool lost a worker it could not replace.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Every path is decided here, once, before privileges drop (HOME and the user change then).
  Config config = given;
  resolve_paths(config);
  const std::string data_dir = config.daemon.data_dir;
  check_models(config);
  // The page's files are read now, as whoever started veild: root may read a checkout the
  // service user cannot.
  std::optional<StaticFiles> web;
  if (config.http.enabled) {
    try {
      web = StaticFiles::load(config.http.web_dir);
    } catch (const std::exception& e) {
      spdlog::warn("http: the moderation page is not served: {}", e.what());
      web = StaticFiles();
    }
  }

  if (geteuid() == 0) {
    const ServiceUser user = lookup_service_user(config.daemon.run_as_user);
    ensure_owned_directory(data_dir, &user);
    config.models.dir = stage_models(config, user);
    drop_privileges(user);
    spdlog::info("running as user '{}' (started as root)", user.name);
    check_models(config);  // the staged copies, as the user the workers run as
  } else {
    ensure_owned_directory(data_dir, nullptr);
  }
  check_data_dir_writable(data_dir);
  spdlog::info("data directory: {}", data_dir);

  Database database(config);
  if (database.embedded()) spdlog::info("database: embedded PostgreSQL under {}/postgres", data_dir);
  else spdlog::info("database: {}", config.database.url);
  migrate_database(database.url());

  int stuck = 0, exit_code = 0;
  {
    ServiceOptions options{config, database.url(), data_dir, media_processor_factory(config), {}, std::move(web), {}};
    options.on_worker_lost = [](const std::string& why) {
      {
        std::lock_guard<std::mutex> lock(fatal_mutex);
        fatal_reason = why;
      }
      kill(getpid(), SIGUSR1);
    };
    VeildService service(std::move(options));
    service.start();
    spdlog::info("veild ready (pid {})", getpid());
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGUSR1) {
        std::lock_guard<std::mutex> lock(fatal_mutex);
        spdlog::critical("{}: stopping so that the service manager restarts veild", fatal_reason);
        exit_code = 1;
        break;
      }
      if (sig == SIGHUP) {
        if (reload) {
          try {
            const Config fresh = reload();
            spdlog::set_level(spdlog::level::from_str(fresh.daemon.log_level));
            spdlog::info("SIGHUP: log level {}", fresh.daemon.log_level);
          } catch (const std::exception& e) {
            spdlog::error("SIGHUP: configuration not reloaded: {}", e.what());
          }
        }
        const int devices = service.reload_devices();
        if (devices >= 0) spdlog::info("SIGHUP: {} active device key(s) loaded", devices);
        continue;
      }
      spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    stuck = service.stop();
  }
  if (stuck > 0) {
    // Threads stuck in the pipeline cannot be joined; stop the database, then leave at once.
    spdlog::warn("{} worker thread(s) still busy at exit; their jobs were released", stuck);
    database.~Database();
    spdlog::shutdown();
    _exit(exit_code);
  }
  return exit_code;  // ~Database stops the embedded cluster
}

}  // namespace veil
