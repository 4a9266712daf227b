// veild: the Veil daemon's entry point (options, configuration, logging).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "config/allocator.h"
#include "config/config.h"
#include "config/logging.h"
#include "daemon/daemon.h"
#include "pipeline/photo/decode.h"

int main(int argc, char** argv) {
  veil::tune_allocator_for_media();
  veil::ensure_vips_started();  // before any thread: it sets VIPSHOME for a moment
  CLI::App app{"veild - the Veil media-processing daemon.\n"
               "Without database.url it runs a private PostgreSQL under its data directory."};
  std::string config_path, data_dir, database_url, log_format = "text", log_level;
  app.add_option("-c,--config", config_path, "TOML configuration file (see config/veil.example.toml)")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", data_dir, "data directory (overrides daemon.data_dir; default $VEIL_DATA_DIR, else /var/lib/veil as root, else ~/.local/share/veil)");
  app.add_option("--database-url", database_url, "PostgreSQL URL (overrides database.url; empty: embedded)");
  app.add_option("--log-format", log_format, "log format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_level, "log level: trace, debug, info, warn, error (overrides daemon.log_level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  veil::Config config;
  try {
    if (!config_path.empty()) config = veil::load_config(config_path);
  } catch (const veil::ConfigError& e) {
    fprintf(stderr, "veild: configuration error: %s\n", e.what());
    return 2;
  }
  if (!data_dir.empty()) config.daemon.data_dir = data_dir;
  if (!database_url.empty()) config.database.url = database_url;
  if (!log_level.empty()) config.daemon.log_level = log_level;
  veil::setup_logging(veil::parse_log_format(log_format), config.daemon.log_level);
  try {
    // SIGHUP re-reads the file; a --log-level given on the command line still wins.
    auto reload = [config_path, log_level, config]() {
      veil::Config fresh = config_path.empty() ? config : veil::load_config(config_path);
      if (!log_level.empty()) fresh.daemon.log_level = log_level;
      return fresh;
    };
    return veil::run_daemon(config, reload);
  } catch (const std::exception& e) {
    spdlog::critical("veild cannot start: {}", e.what());
    return 1;
  }
}
