// veil migrate: applies pending database migrations (veild does this at every start too).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.h"
#include "storage/database.h"

namespace veil {

void add_migrate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("migrate", "Apply pending database migrations and print the count");
  cmd->callback([&ctx] {
    ctx.load();
    Database db(ctx.config);
    std::cout << "applied " << migrate_database(db.url()) << " migration(s)" << std::endl;
  });
}

}  // namespace veil
