// veil migrate: applies pending database migrations (veild does this at every start too).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.h"
#include "storage/database.h"

namespace veil {

void add_migrate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("migrate", "Apply pending database migrations and print the count");
  auto url = std::make_shared<std::string>();
  cmd->add_option("--database-url", *url, "PostgreSQL URL (default: database.url, else the embedded cluster)");
  cmd->callback([&ctx, url] {
    ctx.load();
    if (!url->empty()) ctx.config.database.url = *url;
    Database db(ctx.config);
    std::cout << "applied " << migrate_database(db.url()) << " migration(s)" << std::endl;
  });
}

}  // namespace veil
