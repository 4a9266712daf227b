// CURVE key generation and key files.
#include "ingest/curve_keys.h"

#include "storage/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <zmq.h>

#include "storage/device_repository.h"
#include "storage/originals_store.h"

namespace veil {

CurveKeyPair generate_curve_keypair() {
  if (!zmq_has("curve")) throw std::runtime_error("this libzmq has no CURVE support");
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) throw std::runtime_error(std::string("zmq_curve_keypair: ") + zmq_strerror(errno));
  return {pub, sec};
}

std::string z85_encode_key(const void* key32) {
  char out[41];
  if (!zmq_z85_encode(out, static_cast<const uint8_t*>(key32), 32)) throw std::runtime_error("z85 encoding failed");
  return out;
}

namespace {

void write_text_file(const std::string& path, const std::string& text, mode_t mode, bool overwrite) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  if (!overwrite && fs::exists(p)) throw std::runtime_error(path + ": exists already (not replaced)");
  write_file_durably(path, text, mode);
}

}  // namespace

void write_key_file(const std::string& path, const CurveKeyPair& keys, bool overwrite) {
  write_text_file(path,
                  "# Veil device key (ZeroMQ CURVE, Z85). Keep this file secret.\n"
                  "# Register the public key with: veil devices register " +
                      keys.public_key + "\npublic_key = \"" + keys.public_key + "\"\nsecret_key = \"" +
                      keys.secret_key + "\"\n",
                  0600, overwrite);
}

void write_public_key_file(const std::string& path, const std::string& public_key) {
  write_text_file(path, "# veild's public key (ZeroMQ CURVE, Z85): give it to clients.\npublic_key = \"" + public_key + "\"\n",
                  0644, true);
}

CurveKeyPair read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read key file");
  CurveKeyPair keys;
  static const std::regex line_re(R"re(^\s*(public_key|secret_key)\s*=\s*"([^"]*)"\s*$)re");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, line_re)) continue;
    (m[1] == "public_key" ? keys.public_key : keys.secret_key) = m[2];
  }
  if (!is_z85_key(keys.public_key)) throw std::runtime_error(path + ": no valid public_key line");
  if (!keys.secret_key.empty() && !is_z85_key(keys.secret_key))
    throw std::runtime_error(path + ": secret_key is not a Z85 key");
  return keys;
}

CurveKeyPair load_or_create_server_keys(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const std::string dir = data_dir + "/curve";
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0755);  // server.pub is for everyone; server.key itself is 0600
  const std::string secret = dir + "/server.key", pub = dir + "/server.pub";
  if (!fs::exists(secret)) {
    const CurveKeyPair keys = generate_curve_keypair();
    write_key_file(secret, keys, false);
  }
  struct stat st {};
  if (::stat(secret.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    throw std::runtime_error(secret + " is open to others: chmod 600 it");
  CurveKeyPair keys = read_key_file(secret);
  if (keys.secret_key.empty()) throw std::runtime_error(secret + ": no secret_key line");
  // server.pub is derived from server.key at every start, so it can never disagree with it.
  char derived[41];
  if (zmq_curve_public(derived, keys.secret_key.c_str()) != 0 || keys.public_key != derived)
    throw std::runtime_error(secret + ": public_key does not match secret_key");
  write_public_key_file(pub, keys.public_key);
  return keys;
}

}  // namespace veil
