// Model files on disk: locating them and checking their sha256 before use.
#pragma once

#include <stdexcept>
#include <string>

namespace veil {

// A model that is missing, fails its checksum or cannot be loaded or run.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Lowercase hex sha256 of a byte string.
std::string sha256_hex(const std::string& bytes);

// Reads `path` and checks its sha256 against `expected_sha256` (empty: no check).
// Throws ModelError naming the file, the expected and the actual hash, or, for a
// missing file, saying how to fetch it (scripts/fetch-models).
std::string read_verified_model(const std::string& path, const std::string& expected_sha256);

}  // namespace veil
