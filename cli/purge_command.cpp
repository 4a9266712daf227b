// veil purge --due: the purges whose grace period is over, now (veild also does it daily).
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "cli/leaver_jobs.h"
#include "leavers/leaver_flow.h"
#include "storage/database.h"
#include "storage/leaver_repository.h"

namespace veil {

void add_purge_command(CLI::App& app, CliContext& ctx) {
  auto due = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("purge", "Purge the leavers whose grace period is over (irreversible)");
  cmd->add_flag("--due", *due, "every purge that is due now")->required();
  cmd->callback([&ctx] {
    ctx.load();
    auto db = open_database(ctx);
    pqxx::connection c(db->url());
    int queued = 0;
    {
      pqxx::work tx(c);
      queued = queue_due_purges(tx);
      tx.commit();
    }
    int purged = 0, failed = 0;
    for (const auto& job : run_queued_leaver_jobs(c, ctx, "purge")) {
      std::cout << job.dump() << std::endl;
      if (job.contains("error")) ++failed;
      if (job.value("purged", false)) ++purged;
    }
    std::cout << nlohmann::json{{"summary", true}, {"queued", queued}, {"purged", purged}, {"failed", failed}}.dump()
              << std::endl;
    if (failed) ctx.exit_code = kExitFailure;
  });
}

}  // namespace veil
