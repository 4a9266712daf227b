// veild start-up, signal wait and shutdown.
#include "daemon/daemon.h"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "daemon/service.h"
#include "models/model_file.h"
#include "pipeline/video_module.h"
#include "storage/database.h"
#include "storage/process_runner.h"

namespace veil {

void check_models(const Config& config) {
  const std::string dir = effective_model_dir(config);
  read_verified_model(dir + "/" + config.models.detector, config.models.detector_sha256);
  if (!config.models.second_detector.empty())
    read_verified_model(dir + "/" + config.models.second_detector, config.models.second_detector_sha256);
  read_verified_model(dir + "/" + config.models.embedder, config.models.embedder_sha256);
  spdlog::info("models: {}{}{} and {} verified in {}", config.models.detector,
               config.models.second_detector.empty() ? "" : ", ", config.models.second_detector,
               config.models.embedder, dir);
}

int run_daemon(const Config& config) { return run_daemon(config, nullptr); }

int run_daemon(const Config& config, const std::function<Config()>& reload) {
  // Signals are handled synchronously by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  check_models(config);
  video_module();  // opened here so that a broken install fails at start-up, not at the first video
  spdlog::info("video module: {}", video_module_path());

  const std::string data_dir = effective_data_dir(config);
  if (geteuid() == 0) {
    const ServiceUser user = lookup_service_user(config.daemon.run_as_user);
    ensure_owned_directory(data_dir, &user);
    drop_privileges(user);
    spdlog::info("running as user '{}' (started as root)", user.name);
  } else {
    ensure_owned_directory(data_dir, nullptr);
  }
  spdlog::info("data directory: {}", data_dir);

  Database database(config);
  if (database.embedded()) spdlog::info("database: embedded PostgreSQL under {}/postgres", data_dir);
  else spdlog::info("database: {}", config.database.url);
  migrate_database(database.url());

  int stuck = 0;
  {
    VeildService service(ServiceOptions{config, database.url(), data_dir, media_processor_factory(config)});
    service.start();
    spdlog::info("veild ready (pid {})", getpid());
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
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
    _exit(0);
  }
  return 0;  // ~Database stops the embedded cluster
}

}  // namespace veil
