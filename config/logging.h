// Process-wide logging set-up (spdlog to stderr): readable text by default, or one JSON
// object per line ({"ts","level","logger","msg"}) for log collectors.
#pragma once

#include <string>

namespace veil {

enum class LogFormat { text, json };

// Throws std::invalid_argument for an unknown format or level name.
LogFormat parse_log_format(const std::string& name);
void setup_logging(LogFormat format, const std::string& level);

}  // namespace veil
