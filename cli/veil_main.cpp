// veil: the command-line tool's entry point; each command lives in its own file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "config/allocator.h"
#include "pipeline/photo/decode.h"
#include "cli/cli_context.h"

int main(int argc, char** argv) {
  veil::tune_allocator_for_media();
  veil::ensure_vips_started();  // before any thread: it sets VIPSHOME for a moment
  veil::CliContext ctx;
  CLI::App app{"veil - consent-safe media for learning journals: the command-line tool."};
  app.require_subcommand(1);
  app.add_option("-c,--config", ctx.config_path, "TOML configuration file (see config/veil.example.toml)")
      ->check(CLI::ExistingFile);
  app.add_option("--log-format", ctx.log_format, "log format on stderr: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", ctx.log_level, "log level: trace, debug, info, warn (default), error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--database-url", ctx.database_url,
                 "PostgreSQL URL (overrides database.url; default: the embedded cluster in the data directory)");
  app.add_option("--data-dir", ctx.data_dir, "data directory holding the embedded cluster");
  veil::add_detect_command(app, ctx);
  veil::add_compare_command(app, ctx);
  veil::add_process_command(app, ctx);
  veil::add_migrate_command(app, ctx);
  veil::add_submit_command(app, ctx);
  veil::add_devices_command(app, ctx);
  veil::add_keygen_command(app, ctx);
  veil::add_children_command(app, ctx);
  veil::add_people_command(app, ctx);
  veil::add_enrol_command(app, ctx);
  veil::add_consent_command(app, ctx);
  veil::add_audit_command(app, ctx);
  veil::add_accounts_command(app, ctx);
  veil::add_moderation_command(app, ctx);
  veil::add_media_command(app, ctx);
  veil::add_reprocess_command(app, ctx);
  veil::add_export_command(app, ctx);
  veil::add_purge_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : veil::kExitUsage;
  } catch (const veil::ConfigError& e) {
    std::cerr << "veil: configuration error: " << e.what() << std::endl;
    return veil::kExitUsage;
  } catch (const veil::UsageError& e) {
    std::cerr << "veil: " << e.what() << std::endl;
    return veil::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "veil: " << e.what() << std::endl;
    return veil::kExitFailure;
  }
  return ctx.exit_code;
}
