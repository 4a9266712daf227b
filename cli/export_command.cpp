// veil export CHILD --out FILE: the child's journal as the leaver's export, on demand.
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "cli/leaver_jobs.h"
#include "leavers/journal_export.h"
#include "storage/children_repository.h"
#include "storage/database.h"

namespace veil {

void add_export_command(CLI::App& app, CliContext& ctx) {
  auto child = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("export", "Write a child's journal for the parents: a ZIP of its published renditions, "
                                           "index.html and journal.json");
  cmd->add_option("child", *child, "name or id")->required();
  cmd->add_option("-o,--out", *out, "the ZIP to write (replaced if it exists)")->required();
  cmd->callback([&ctx, child, out] {
    ctx.load();
    auto db = open_database(ctx);
    pqxx::connection c(db->url());
    std::int64_t id = 0;
    {
      pqxx::read_transaction tx(c);
      id = find_child(tx, *child).id;
    }
    const ExportResult r = write_journal_export(c, id, *out, terminal_export_progress());
    {
      pqxx::work tx(c);
      audit_export(tx, id, r, "on_demand", ctx.actor());
      tx.commit();
    }
    std::cout << nlohmann::json{{"child", id},         {"path", r.path},   {"bytes", r.bytes},
                                {"sha256", r.sha256},  {"items", r.items}, {"files", r.files}}
                     .dump()
              << std::endl;
  });
}

}  // namespace veil
