// Loading configuration and logging for the veil commands.
#include "cli/cli_context.h"

#include "config/logging.h"

namespace veil {

void CliContext::load() {
  if (!config_path.empty()) config = load_config(config_path);
  setup_logging(parse_log_format(log_format), log_level);
}

}  // namespace veil
