// The devices table.
#include "storage/device_repository.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <pqxx/pqxx>

namespace veil {
namespace {

Device device_from(const pqxx::row& r) {
  Device d;
  d.id = r[0].as<std::int64_t>();
  d.public_key = r[1].as<std::string>();
  d.owner = r[2].is_null() ? 0 : r[2].as<std::int64_t>();
  d.name = r[3].is_null() ? "" : r[3].as<std::string>();
  d.active = r[4].as<bool>();
  d.created_at = r[5].as<std::string>();
  d.revoked_at = r[6].is_null() ? "" : r[6].as<std::string>();
  return d;
}

constexpr const char* kColumns =
    "SELECT id, curve_public_key, owner, name, active, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM devices ";

}  // namespace

bool is_z85_key(const std::string& key) {
  static const char* alphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return key.size() == 40 &&
         std::all_of(key.begin(), key.end(), [](char c) { return c != '\0' && std::strchr(alphabet, c) != nullptr; });
}

std::int64_t register_device(pqxx::connection_base& db, const std::string& public_key, const std::string& name,
                             std::int64_t owner) {
  if (!is_z85_key(public_key))
    throw std::invalid_argument("not a CURVE public key (expected 40 Z85 characters, as printed by `veil keygen`)");
  pqxx::work tx(db);
  if (owner != 0 && tx.exec_params("SELECT 1 FROM people WHERE id = $1", owner).empty())
    throw std::invalid_argument("owner " + std::to_string(owner) + ": no such person");
  const auto existing = tx.exec_params("SELECT id, active FROM devices WHERE curve_public_key = $1", public_key);
  if (!existing.empty()) {
    if (!existing[0][1].as<bool>())
      throw std::invalid_argument("this key was revoked (device " + existing[0][0].as<std::string>() +
                                  "); make a new one with `veil keygen`");
    return existing[0][0].as<std::int64_t>();
  }
  const auto id = tx.exec_params1(
                        "INSERT INTO devices (curve_public_key, owner, name) VALUES ($1, NULLIF($2, 0), NULLIF($3, '')) "
                        "RETURNING id",
                        public_key, owner, name)[0]
                      .as<std::int64_t>();
  tx.commit();
  return id;
}

bool revoke_device(pqxx::connection_base& db, const std::string& id_or_key) {
  pqxx::work tx(db);
  const bool by_id = !id_or_key.empty() && std::all_of(id_or_key.begin(), id_or_key.end(), ::isdigit);
  const auto r = by_id ? tx.exec_params("UPDATE devices SET active = false, revoked_at = now() "
                                        "WHERE id = $1 AND active RETURNING id",
                                        std::stoll(id_or_key))
                       : tx.exec_params("UPDATE devices SET active = false, revoked_at = now() "
                                        "WHERE curve_public_key = $1 AND active RETURNING id",
                                        id_or_key);
  tx.commit();
  return !r.empty();
}

std::vector<Device> list_devices(pqxx::connection_base& db) {
  pqxx::read_transaction tx(db);
  std::vector<Device> out;
  for (const auto& r : tx.exec(std::string(kColumns) + "ORDER BY id")) out.push_back(device_from(r));
  return out;
}

std::vector<Device> active_devices(pqxx::connection_base& db) {
  pqxx::read_transaction tx(db);
  std::vector<Device> out;
  for (const auto& r : tx.exec(std::string(kColumns) + "WHERE active ORDER BY id")) out.push_back(device_from(r));
  return out;
}

}  // namespace veil
