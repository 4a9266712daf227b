// Registered devices: the ZeroMQ CURVE public keys (Z85, 40 characters) allowed to submit
// to veild and to subscribe to its events. A device may belong to a person (then it submits
// only as that person) or to nobody (a trusted gateway such as the journal application's
// server, which submits on behalf of any uploader).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

namespace veil {

struct Device {
  std::int64_t id = 0;
  std::string public_key;  // Z85
  std::int64_t owner = 0;  // people.id, 0: none
  std::string name;
  bool active = true;
  std::string created_at;
  std::string revoked_at;  // "" while active
};

// True when `key` looks like a Z85-encoded 32-byte key (40 characters of the Z85 alphabet).
bool is_z85_key(const std::string& key);

// Registers a key and returns its device id. Registering an active key again returns the
// same id; a revoked key cannot be registered again (make a new one with `veil keygen`).
// Throws std::invalid_argument for a malformed key, an unknown owner or a revoked key.
std::int64_t register_device(pqxx::connection_base& db, const std::string& public_key, const std::string& name,
                             std::int64_t owner);

// Revokes by id (all digits) or by public key; false when no such active device.
bool revoke_device(pqxx::connection_base& db, const std::string& id_or_key);

std::vector<Device> list_devices(pqxx::connection_base& db);
std::vector<Device> active_devices(pqxx::connection_base& db);

}  // namespace veil
