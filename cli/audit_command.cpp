// veil audit verify: recomputes the audit hash chain and names the first broken row.
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli_context.h"
#include "cli/db_session.h"
#include "storage/audit_log.h"

namespace veil {

void add_audit_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("audit", "Inspect the audit log");
  cmd->require_subcommand(1);
  auto* verify = cmd->add_subcommand("verify", "Recompute the hash chain; exit 1 and name the first broken row");
  verify->callback([&ctx] {
    ctx.load();
    auto db = open_database(ctx);
    pqxx::connection c(db->url());
    const AuditVerification v = verify_audit(c);
    nlohmann::json out = {{"ok", v.ok}, {"rows", v.rows}};
    if (!v.ok) {
      out["first_broken_id"] = v.first_broken_id;
      out["problem"] = v.problem;
    }
    std::cout << out.dump() << std::endl;
    ctx.exit_code = v.ok ? kExitOk : kExitFailure;
  });
}

}  // namespace veil
