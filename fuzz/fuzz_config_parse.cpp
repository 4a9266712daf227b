// parse_config() on any text: a Config that passed validation, or ConfigError.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const veil::Config config = veil::parse_config(text, "fuzz.toml");
    if (config.matching.reject_threshold > config.matching.accept_threshold) std::abort();
  } catch (const veil::ConfigError&) {
  }
  return 0;
}
