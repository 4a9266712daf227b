// sha256 with libsodium, in blocks.
#include "leavers/file_hash.h"

#include <sodium.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace veil {

struct Sha256Stream::State {
  crypto_hash_sha256_state s;
};

Sha256Stream::Sha256Stream() : state_(std::make_unique<State>()) { crypto_hash_sha256_init(&state_->s); }
Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::update(const void* data, std::size_t size) {
  crypto_hash_sha256_update(&state_->s, static_cast<const unsigned char*>(data), size);
}

std::string Sha256Stream::hex() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_->s, digest);
  char out[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(out, sizeof out, digest, sizeof digest);
  return out;
}

std::string sha256_of_file(const std::string& path, std::int64_t* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  Sha256Stream hash;
  std::vector<char> block(1 << 20);
  std::int64_t total = 0;
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = in.gcount();
    if (got > 0) {
      hash.update(block.data(), static_cast<std::size_t>(got));
      total += got;
    }
  }
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  if (bytes) *bytes = total;
  return hash.hex();
}

}  // namespace veil
