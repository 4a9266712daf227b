// veil devices register|revoke|list: the CURVE keys allowed to submit to veild.
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "ingest/curve_keys.h"
#include "storage/database.h"
#include "storage/device_repository.h"

namespace veil {
namespace {

struct DevicesArgs {
  std::string key, key_file, name, id_or_key;
  std::int64_t owner = 0;
  bool json = false;
};

template <typename Body>
void with_database(CliContext& ctx, Body body) {
  ctx.load();
  Database db(ctx.config);
  migrate_database(db.url());
  pqxx::connection c(db.url());
  body(c);
}

}  // namespace

void add_devices_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("devices", "Register, revoke and list device keys allowed to submit to veild");
  cmd->require_subcommand(1);
  auto args = std::make_shared<DevicesArgs>();

  auto* reg = cmd->add_subcommand("register", "Allow a device's public key (from veil keygen) to submit");
  reg->add_option("public_key", args->key, "the device's public key (Z85, 40 characters)");
  reg->add_option("--key-file", args->key_file, "read the public key from a key file instead");
  reg->add_option("--name", args->name, "a name for the device, e.g. \"Room 2 tablet\"");
  reg->add_option("--owner", args->owner,
                  "person id the device belongs to (it may then submit only as that person); "
                  "none: a gateway that submits for any uploader");
  reg->callback([&ctx, args] {
    std::string key = args->key;
    if (!args->key_file.empty()) key = read_key_file(args->key_file).public_key;
    if (key.empty()) throw UsageError("devices register: give PUBLIC_KEY or --key-file FILE");
    with_database(ctx, [&](pqxx::connection& c) {
      try {
        const auto id = register_device(c, key, args->name, args->owner);
        std::cout << nlohmann::json{{"device", id}, {"public_key", key}, {"active", true}}.dump() << std::endl;
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("devices register: ") + e.what());
      }
    });
  });

  auto* rev = cmd->add_subcommand("revoke", "Refuse a device from now on (veild notices within "
                                            "ingest.device_cache_refresh_s, or at once on SIGHUP)");
  rev->add_option("device", args->id_or_key, "device id or public key")->required();
  rev->callback([&ctx, args] {
    with_database(ctx, [&](pqxx::connection& c) {
      if (!revoke_device(c, args->id_or_key)) {
        std::cerr << "veil: devices revoke: no active device " << args->id_or_key << std::endl;
        ctx.exit_code = kExitFailure;
        return;
      }
      std::cout << nlohmann::json{{"revoked", args->id_or_key}}.dump() << std::endl;
    });
  });

  auto* list = cmd->add_subcommand("list", "List registered devices (active and revoked)");
  list->add_flag("--json", args->json, "one JSON object per device");
  list->callback([&ctx, args] {
    with_database(ctx, [&](pqxx::connection& c) {
      for (const auto& d : list_devices(c)) {
        if (args->json) {
          std::cout << nlohmann::json{{"id", d.id},
                                      {"public_key", d.public_key},
                                      {"name", d.name},
                                      {"owner", d.owner ? nlohmann::json(d.owner) : nlohmann::json(nullptr)},
                                      {"active", d.active},
                                      {"created_at", d.created_at},
                                      {"revoked_at", d.revoked_at.empty() ? nlohmann::json(nullptr)
                                                                          : nlohmann::json(d.revoked_at)}}
                           .dump()
                    << "\n";
        } else {
          std::cout << d.id << "\t" << (d.active ? "active " : "revoked") << "\t" << d.public_key << "\t"
                    << (d.owner ? "owner " + std::to_string(d.owner) : "gateway") << "\t" << d.name << "\n";
        }
      }
    });
  });
}

}  // namespace veil
