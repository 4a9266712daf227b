// veil children add|list|show|leave|return|import|rename|key-person and veil people add|list.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "cli/db_session.h"
#include "cli/leaver_jobs.h"
#include "leavers/journal_import.h"
#include "leavers/leaver_flow.h"
#include "storage/children_repository.h"
#include "storage/database.h"
#include "storage/leaver_repository.h"
#include "storage/media_repository.h"

namespace veil {
namespace {

nlohmann::json child_json(const ChildRow& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"key_person", c.key_person_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.key_person_name)},
          {"status", c.status},
          {"left_at", c.left_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.left_at)}};
}

}  // namespace

void add_children_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("children", "Manage the children of the setting");
  cmd->require_subcommand(1);

  auto name = std::make_shared<std::string>(), key = std::make_shared<std::string>();
  auto* add = cmd->add_subcommand("add", "Add a child: veil children add NAME [--key-person PERSON]");
  add->add_option("name", *name, "the child's name as staff use it")->required();
  add->add_option("--key-person", *key, "the child's key person (a staff member's name or id)");
  add->callback([&ctx, name, key] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const auto id = add_child(tx, *name, *key, ctx.actor());
      std::cout << child_json(find_child(tx, std::to_string(id))).dump() << std::endl;
    });
  });

  auto all = std::make_shared<bool>(false);
  auto* list = cmd->add_subcommand("list", "List children (JSON Lines); --all includes children who left");
  list->add_flag("--all", *all, "include children who have left");
  list->callback([&ctx, all] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      for (const auto& c : list_children(tx, *all)) std::cout << child_json(c).dump() << std::endl;
    });
  });

  auto who = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "Show a child with consent, templates and media counts");
  show->add_option("child", *who, "name or id")->required();
  show->callback([&ctx, who] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const ChildRow c = find_child(tx, *who);
      nlohmann::json j = child_json(c);
      const auto history = consent_history(tx, c.id);
      j["consent"] = history.empty() ? nlohmann::json("none (treated as no)")
                                     : nlohmann::json(history.back().photo_in_others ? "yes" : "no");
      j["consent_event_id"] = history.empty() ? nlohmann::json(nullptr) : nlohmann::json(history.back().id);
      j["templates"] = template_count(tx, c.id);
      j["journal_media"] = journal_media_count(tx, c.id);
      if (const auto l = find_leaver(tx, c.id)) {
        j["leaver"] = {{"left_on", l->left_on}, {"purge_due", l->purge_due}};
        if (!l->export_path.empty())
          j["leaver"]["export"] = {{"path", l->export_path}, {"bytes", l->export_bytes}, {"sha256", l->export_sha256},
                                   {"exported_at", l->exported_at}};
      }
      std::cout << j.dump(2) << std::endl;
    });
  });

  auto leaver = std::make_shared<std::string>(), on = std::make_shared<std::string>();
  auto no_wait = std::make_shared<bool>(false);
  auto* leave = cmd->add_subcommand(
      "leave", "A child leaves: their journal is exported for the parents, then purged after the grace period");
  leave->add_option("child", *leaver, "name or id")->required();
  leave->add_option("--on", *on, "the leaving date, YYYY-MM-DD (default today); the purge is due leavers.grace_days later");
  leave->add_flag("--no-wait", *no_wait, "only queue the export job (veild runs it)");
  leave->callback([&ctx, leaver, on, no_wait] {
    ctx.load();
    auto db = open_database(ctx);
    pqxx::connection c(db->url());
    nlohmann::json out;
    {
      pqxx::work tx(c);
      const ChildRow child = find_child(tx, *leaver);
      LeaveResult r;
      try {
        r = start_leaving(tx, child.id, *on, ctx.config, ctx.actor());
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      } catch (const pqxx::data_exception& e) {
        throw UsageError("--on: not a date: " + *on);
      }
      out = child_json(find_child(tx, std::to_string(child.id)));
      out["left_on"] = r.leaver.left_on;
      out["purge_due"] = r.leaver.purge_due;
      out["export_job"] = r.export_job;
      out["reprocess_queued"] = r.reprocess_queued;
      tx.commit();
    }
    // The export is built here at once (veild would run it otherwise).
    if (!*no_wait)
      for (const auto& job : run_queued_leaver_jobs(c, ctx, "export")) {
        if (job.value("child", std::int64_t{0}) != out["id"].get<std::int64_t>() && !job.contains("error")) continue;
        out["export"] = job;
        if (job.contains("error")) ctx.exit_code = kExitFailure;
      }
    std::cout << out.dump() << std::endl;
  });

  auto returner = std::make_shared<std::string>();
  auto* back = cmd->add_subcommand("return", "A child who left comes back within the grace period: the leaver flow is cancelled");
  back->add_option("child", *returner, "name or id")->required();
  back->callback([&ctx, returner] {
    ReturnResult r;
    nlohmann::json out;
    in_transaction(ctx, [&](pqxx::work& tx) {
      const ChildRow child = find_child(tx, *returner);
      try {
        r = return_child(tx, child.id, ctx.config, ctx.actor());
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
      out = child_json(find_child(tx, std::to_string(child.id)));
      out["reprocess_queued"] = r.reprocess_queued;
      out["jobs_cancelled"] = r.jobs_cancelled;
    });
    if (!r.export_path.empty()) {
      std::error_code ec;
      std::filesystem::remove(r.export_path, ec);
      out["export_deleted"] = !ec;
    }
    std::cout << out.dump() << std::endl;
  });

  auto import_file = std::make_shared<std::string>(), import_name = std::make_shared<std::string>();
  auto* import = cmd->add_subcommand("import", "A child arriving from another Veil setting: their journal from its export");
  import->add_option("file", *import_file, "the export (a ZIP written by veil export or the leaver flow)")->required();
  import->add_option("--name", *import_name, "the child's name here (default: the export's)");
  import->callback([&ctx, import_file, import_name] {
    ctx.load();
    VerifiedExport verified;
    try {
      verified = verify_journal_export(*import_file);
    } catch (const ExportRefused& e) {
      std::cerr << "veil children import: refused, nothing imported: " << e.what() << std::endl;
      ctx.exit_code = kExitFailure;
      return;
    }
    auto db = open_database(ctx);
    pqxx::connection c(db->url());
    ImportResult r;
    try {
      r = import_journal(c, verified, effective_data_dir(ctx.config) + "/renditions", *import_name, ctx.actor());
    } catch (const ExportRefused& e) {
      std::cerr << "veil children import: refused, nothing imported: " << e.what() << std::endl;
      ctx.exit_code = kExitFailure;
      return;
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string(e.what()) + " (nothing imported; --name gives the child another name)");
    }
    pqxx::read_transaction tx(c);
    auto out = child_json(find_child(tx, std::to_string(r.child_id)));
    out["items"] = r.media_ids.size();
    out["files"] = r.files;
    out["export_sha256"] = verified.sha256;
    std::cout << out.dump() << std::endl;
  });

  auto old_name = std::make_shared<std::string>(), new_name = std::make_shared<std::string>();
  auto* rename = cmd->add_subcommand("rename", "Rename a child: veil children rename CHILD NEW_NAME");
  rename->add_option("child", *old_name, "name or id")->required();
  rename->add_option("new_name", *new_name, "the new name")->required();
  rename->callback([&ctx, old_name, new_name] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const ChildRow c = find_child(tx, *old_name);
      rename_child(tx, c.id, *new_name, ctx.actor());
      std::cout << child_json(find_child(tx, std::to_string(c.id))).dump() << std::endl;
    });
  });

  auto kp_child = std::make_shared<std::string>(), kp_person = std::make_shared<std::string>();
  auto* kp = cmd->add_subcommand("key-person", "Set a child's key person: veil children key-person CHILD PERSON");
  kp->add_option("child", *kp_child, "name or id")->required();
  kp->add_option("person", *kp_person, "staff member's name or id")->required();
  kp->callback([&ctx, kp_child, kp_person] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const ChildRow c = find_child(tx, *kp_child);
      set_key_person(tx, c.id, *kp_person, ctx.actor());
      std::cout << child_json(find_child(tx, std::to_string(c.id))).dump() << std::endl;
    });
  });
}

void add_people_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("people", "Manage staff and parents (uploaders, consent recorders)");
  cmd->require_subcommand(1);
  auto kind = std::make_shared<std::string>(), name = std::make_shared<std::string>(),
       email = std::make_shared<std::string>();
  auto* add = cmd->add_subcommand("add", "Add a person: veil people add staff|parent NAME [--email E]");
  add->add_option("kind", *kind, "staff or parent")->required()->check(CLI::IsMember({"staff", "parent"}));
  add->add_option("name", *name, "the person's name")->required();
  add->add_option("--email", *email, "contact address");
  add->callback([&ctx, kind, name, email] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const auto id = add_person(tx, *kind, *name, *email, ctx.actor());
      std::cout << nlohmann::json{{"id", id}, {"kind", *kind}, {"name", *name}}.dump() << std::endl;
    });
  });
  auto* list = cmd->add_subcommand("list", "List people (JSON Lines)");
  list->callback([&ctx] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      for (const auto& p : list_people(tx))
        std::cout << nlohmann::json{{"id", p.id}, {"kind", p.kind}, {"name", p.name}, {"email", p.email}}.dump()
                  << std::endl;
    });
  });
}

}  // namespace veil
