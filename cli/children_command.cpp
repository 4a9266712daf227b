// veil children add|list|show|leave|rename|key-person and veil people add|list.
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "jobs/reprocess_plan.h"
#include "cli/db_session.h"
#include "storage/children_repository.h"
#include "storage/database.h"
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
      std::cout << j.dump(2) << std::endl;
    });
  });

  auto leaver = std::make_shared<std::string>();
  auto* leave = cmd->add_subcommand("leave", "Mark a child as left (their templates stop matching)");
  leave->add_option("child", *leaver, "name or id")->required();
  leave->callback([&ctx, leaver] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const ChildRow c = find_child(tx, *leaver);
      if (c.status != "active") throw UsageError("child '" + c.name + "' is already " + c.status);
      mark_child_left(tx, c.id, ctx.actor());
      auto out = child_json(find_child(tx, std::to_string(c.id)));
      out["reprocess_queued"] = queue_after_child_left(tx, c.id);
      std::cout << out.dump() << std::endl;
    });
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
