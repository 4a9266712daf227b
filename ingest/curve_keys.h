// ZeroMQ CURVE keys: generation (zmq_curve_keypair, Z85 text), key files, and veild's
// server keypair under <data_dir>/curve/ (server.key 0600 with both keys, server.pub 0644).
//
// Key file format (TOML-compatible, written by `veil keygen`):
//   # Veil device key (ZeroMQ CURVE, Z85). Keep this file secret.
//   public_key = "<40 Z85 characters>"
//   secret_key = "<40 Z85 characters>"
// A public key file (server.pub) holds only the public_key line.
#pragma once

#include <string>

namespace veil {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; empty in a public key file
};

// Throws std::runtime_error when libzmq was built without CURVE.
CurveKeyPair generate_curve_keypair();

// Writes a key file with mode 0600; refuses to replace an existing file unless `overwrite`.
void write_key_file(const std::string& path, const CurveKeyPair& keys, bool overwrite = false);
void write_public_key_file(const std::string& path, const std::string& public_key);

// Reads public_key (and secret_key when present); throws std::runtime_error naming the file.
CurveKeyPair read_key_file(const std::string& path);

// Loads veild's keypair from <data_dir>/curve/, creating it at first start.
CurveKeyPair load_or_create_server_keys(const std::string& data_dir);

// The Z85 text of a 32-byte binary key.
std::string z85_encode_key(const void* key32);

}  // namespace veil
