// Loading configuration and logging for the veil commands.
#include "cli/cli_context.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "config/logging.h"
#include "storage/database.h"

namespace veil {

void CliContext::load() {
  if (!config_path.empty()) config = load_config(config_path);
  setup_logging(parse_log_format(log_format), log_level);
  if (!database_url.empty()) config.database.url = database_url;
  if (!data_dir.empty()) config.daemon.data_dir = data_dir;
  resolve_paths(config);
}

std::string CliContext::actor() const {
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) return std::string("cli:") + sudo;
  if (const struct passwd* pw = getpwuid(getuid())) return std::string("cli:") + pw->pw_name;
  return "cli:uid" + std::to_string(getuid());
}

std::unique_ptr<Database> open_database(CliContext& ctx) {
  auto db = std::make_unique<Database>(ctx.config);
  migrate_database(db->url());
  return db;
}

}  // namespace veil
