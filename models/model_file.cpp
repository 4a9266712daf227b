// Reads model files and checks their sha256 with libsodium.
#include "models/model_file.h"

#include <pwd.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace veil {

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (unsigned char c : digest) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

namespace {

std::string current_user_name() {
  if (const struct passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  return "uid " + std::to_string(geteuid());
}

ModelError unreadable(const std::string& path, const std::string& why) {
  return ModelError("model file " + path + " cannot be read by user '" + current_user_name() + "' (" + why +
                    "): give that user read access to the file and every directory above it, or point "
                    "models.dir / VEIL_MODEL_DIR at a copy it can read (veild started as root copies the "
                    "models into <data_dir>/models itself)");
}

}  // namespace

std::string read_verified_model(const std::string& path, const std::string& expected_sha256) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (ec) throw unreadable(path, ec.message());
  if (!exists) {
    throw ModelError("model file " + path +
                     " is missing: run scripts/fetch-models (or scripts/setup) to fetch it, "
                     "or point VEIL_MODEL_DIR / models.dir at a directory that holds it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw unreadable(path, std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!in && !in.eof()) throw ModelError("model file " + path + " cannot be read");
  std::string bytes = buffer.str();
  if (!expected_sha256.empty()) {
    const std::string actual = sha256_hex(bytes);
    if (actual != expected_sha256) {
      throw ModelError("model file " + path + " has the wrong sha256: expected " + expected_sha256 +
                       ", actual " + actual + " (run scripts/fetch-models to replace it)");
    }
  }
  return bytes;
}

}  // namespace veil
