// The JSON bodies of the HTTP API (docs/moderation.md): what a request may send, read field by
// field. Every function either returns a value within its stated bounds or throws ApiError 400
// with a message for the person or program that sent it; none throws anything else, whatever
// the bytes (benchmarks/fuzz.sh runs fuzz/fuzz_api_body.cpp over them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/api_error.h"

namespace veil {

// A request body: an object (an empty body is the empty object), parsed with the nesting limit
// of JSON from outside (ingest/protocol.h parse_untrusted_json).
nlohmann::json parse_api_body(const std::string& text);

// "key": a non-empty string of at most max_bytes.
std::string string_field(const nlohmann::json& body, const char* key, std::size_t max_bytes);

// "note": absent or null -> "", else a string of at most 2000 bytes.
std::string note_of(const nlohmann::json& body);

// "box": [x, y, w, h], four numbers (the photo's pixels; the moderation service checks them
// against the photo).
std::array<float, 4> box_of(const nlohmann::json& body);

// "child": a child's id, an integer > 0.
std::int64_t child_of(const nlohmann::json& body);

}  // namespace veil
