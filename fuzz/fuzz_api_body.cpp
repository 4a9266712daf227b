// The HTTP API's request bodies (daemon/api_body.h) on any bytes: each reader returns a value
// within its bounds or throws ApiError 400, nothing else.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/api_body.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json body;
  try {
    body = veil::parse_api_body(text);
  } catch (const veil::ApiError& e) {
    if (e.status() != 400) std::abort();
    return 0;
  }
  if (!body.is_object()) std::abort();
  auto check = [](auto&& read) {
    try {
      read();
    } catch (const veil::ApiError& e) {
      if (e.status() != 400) std::abort();
    }
  };
  check([&] {
    if (veil::string_field(body, "name", 256).size() > 256) std::abort();
  });
  check([&] {
    if (veil::note_of(body).size() > 2000) std::abort();
  });
  check([&] { veil::box_of(body); });
  check([&] {
    if (veil::child_of(body) <= 0) std::abort();
  });
  return 0;
}
