// veil consent CHILD --photos-in-others yes|no --recorded-by PERSON --evidence TEXT
// appends a consent event and queues what it changes (jobs/reprocess_plan.h: a "no" takes
// every item showing the child in another journal out of view before it returns); --history
// lists the ledger. History is never rewritten.
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli_context.h"
#include "cli/db_session.h"
#include "jobs/reprocess_plan.h"
#include "storage/children_repository.h"

namespace veil {

void add_consent_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("consent", "Record a parent's consent for a child, or show its history");
  struct Args {
    std::string child, answer, recorded_by, evidence;
    bool history = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("child", a->child, "the child's name or id")->required();
  cmd->add_option("--photos-in-others", a->answer, "may the child appear in other children's journals: yes or no")
      ->check(CLI::IsMember({"yes", "no"}));
  cmd->add_option("--recorded-by", a->recorded_by, "the staff member recording it (name or id)");
  cmd->add_option("--evidence", a->evidence, "the written consent: form name, date, where it is filed");
  cmd->add_flag("--history", a->history, "list every consent event of the child, oldest first");
  cmd->callback([&ctx, a] {
    if (a->history == !a->answer.empty())
      throw UsageError("consent: give either --photos-in-others yes|no (with --recorded-by and --evidence) or --history");
    if (!a->history && (a->recorded_by.empty() || a->evidence.empty()))
      throw UsageError("consent: --recorded-by and --evidence are required to record consent");
    in_transaction(ctx, [&](pqxx::work& tx) {
      const ChildRow c = find_child(tx, a->child);
      if (a->history) {
        for (const auto& e : consent_history(tx, c.id)) {
          std::cout << nlohmann::json{{"event", e.id},           {"child", c.name},
                                      {"photos_in_others", e.photo_in_others ? "yes" : "no"},
                                      {"recorded_by", e.recorded_by}, {"evidence", e.evidence},
                                      {"recorded_at", e.recorded_at}}
                           .dump()
                    << std::endl;
        }
        return;
      }
      const PersonRow by = find_person(tx, a->recorded_by);
      if (by.kind != "staff") throw UsageError("consent is recorded by staff: '" + by.name + "' is a " + by.kind);
      const ConsentChange change = record_consent_change(tx, c.id, a->answer == "yes", by.id, a->evidence, ctx.actor());
      std::cout << nlohmann::json{{"event", change.consent_event_id},
                                  {"child", c.name},
                                  {"photos_in_others", a->answer},
                                  {"recorded_by", by.name},
                                  {"withdrawn", change.withdrawn.size()},
                                  {"reprocess_queued", change.queued}}
                       .dump()
                << std::endl;
    });
  });
}

}  // namespace veil
