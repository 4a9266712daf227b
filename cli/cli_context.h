// State shared by the veil commands: global options, the loaded configuration, the exit code.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.h"

namespace CLI {
class App;
}

namespace veil {

// Exit codes of DESIGN.md section 6.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A command line that is well-formed for CLI11 but wrong for the command (exit code 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CliContext {
  std::string config_path;
  std::string log_format = "text";
  std::string log_level = "warn";
  Config config;     // loaded by load() after parsing
  int exit_code = kExitOk;

  std::string database_url;  // --database-url; overrides database.url
  std::string data_dir;      // --data-dir; overrides daemon.data_dir

  // Loads the configuration file (if any) and sets up logging; throws ConfigError.
  void load();
  // Who is acting, for the audit log: "cli:<login name>".
  std::string actor() const;
};

class Database;
// Opens the configured database (starting the embedded cluster when no URL is set and it
// is not running) and applies pending migrations.
std::unique_ptr<Database> open_database(CliContext& ctx);

// Each command adds itself to the app; its callback sets ctx.exit_code.
void add_detect_command(CLI::App& app, CliContext& ctx);
void add_compare_command(CLI::App& app, CliContext& ctx);
void add_process_command(CLI::App& app, CliContext& ctx);
void add_migrate_command(CLI::App& app, CliContext& ctx);
void add_submit_command(CLI::App& app, CliContext& ctx);
void add_devices_command(CLI::App& app, CliContext& ctx);
void add_keygen_command(CLI::App& app, CliContext& ctx);
void add_children_command(CLI::App& app, CliContext& ctx);
void add_people_command(CLI::App& app, CliContext& ctx);
void add_enrol_command(CLI::App& app, CliContext& ctx);
void add_consent_command(CLI::App& app, CliContext& ctx);
void add_audit_command(CLI::App& app, CliContext& ctx);
void add_accounts_command(CLI::App& app, CliContext& ctx);
void add_moderation_command(CLI::App& app, CliContext& ctx);
void add_media_command(CLI::App& app, CliContext& ctx);
void add_reprocess_command(CLI::App& app, CliContext& ctx);
void add_export_command(CLI::App& app, CliContext& ctx);
void add_purge_command(CLI::App& app, CliContext& ctx);

}  // namespace veil
