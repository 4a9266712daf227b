// veil keygen [--out FILE]: a new ZeroMQ CURVE keypair for a device (Z85). With --out the
// key file is written 0600 and the public key printed; register it with
// `veil devices register PUBLIC_KEY`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.h"
#include "ingest/curve_keys.h"

namespace veil {

void add_keygen_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("keygen", "Make a device keypair (ZeroMQ CURVE, Z85) for veil submit or a journal app");
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("-o,--out", *out, "write the key file here (mode 0600); without it, print the key file to stdout");
  cmd->add_flag("--force", *force, "replace an existing key file");
  cmd->callback([&ctx, out, force] {
    ctx.load();
    const CurveKeyPair keys = generate_curve_keypair();
    if (out->empty()) {
      std::cout << "# Veil device key (ZeroMQ CURVE, Z85). Keep this file secret.\n"
                << "public_key = \"" << keys.public_key << "\"\nsecret_key = \"" << keys.secret_key << "\"\n";
      return;
    }
    write_key_file(*out, keys, *force);
    std::cout << keys.public_key << std::endl;
    std::cerr << "veil: key written to " << *out << "; register it with: veil devices register " << keys.public_key
              << " --name NAME" << std::endl;
  });
}

}  // namespace veil
