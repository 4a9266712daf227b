// veil moderation list|show|approve|reject|blur|unblur|add-face|assign: the moderation queue
// and managers' decisions from the command line, through the same ModerationService as the
// web page. Decisions name the account they are made as (--as); the audit log records it.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli_context.h"
#include "cli/moderation_context.h"
#include "storage/children_repository.h"

namespace veil {
namespace {

struct ModerationArgs {
  std::string state = "pending";
  std::string media;
  std::string as;
  std::string note;
  std::string child;
  int face = 0;
  std::vector<float> box;
};

TimePoint now() { return std::chrono::system_clock::now(); }

void print(const Item& item) { std::cout << item_json(item, true).dump() << std::endl; }

// The child named or numbered `name_or_id`.
std::int64_t child_id(pqxx::connection_base& db, const std::string& name_or_id) {
  pqxx::read_transaction tx(db);
  try {
    return find_child(tx, name_or_id).id;
  } catch (const NotFound& e) {
    throw UsageError(e.what());
  }
}

CLI::App* with_media(CLI::App* sub, ModerationArgs& args) {
  sub->add_option("media", args.media, "the media item's id (see 'veil moderation list')")->required();
  return sub;
}

CLI::App* with_account(CLI::App* sub, ModerationArgs& args) {
  sub->add_option("--as", args.as, "the account that decides (an enabled manager or senior; the audit log names it)")
      ->required();
  return sub;
}

}  // namespace

void add_moderation_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("moderation", "Review held media: list the queue, approve, reject, change face "
                                               "decisions (docs/moderation.md)");
  cmd->require_subcommand(1);
  auto args = std::make_shared<ModerationArgs>();

  auto* list = cmd->add_subcommand("list", "List the moderation queue, oldest first (JSON Lines: one item a line)");
  list->add_option("--state", args->state, "pending (waiting for a decision; the default), approved or rejected")
      ->check(CLI::IsMember({"pending", "approved", "rejected"}));
  list->callback([&ctx, args] {
    run_moderation([&] {
      auto s = open_moderation(ctx);
      const Account reader = operator_reader(ctx);
      std::string after;
      do {
        const Page page = s.service->list(*s.connection, reader, args->state, 200, after, now());
        for (const auto& item : page.items) std::cout << item_json(item, true).dump() << "\n";
        after = page.next.value_or("");
      } while (!after.empty());
      std::cout << std::flush;
    });
  });

  auto* show = with_media(cmd->add_subcommand("show", "Show one item: its state, moderation, faces and current "
                                                      "renditions (JSON)"),
                          *args);
  show->callback([&ctx, args] {
    run_moderation([&] {
      auto s = open_moderation(ctx);
      print(s.service->show(*s.connection, operator_reader(ctx), args->media));
    });
  });

  using Decide = ActionResult (ModerationService::*)(pqxx::connection_base&, const Account&, const std::string&,
                                                     const std::string&, TimePoint) const;
  const std::tuple<const char*, const char*, Decide> decisions[] = {
      {"approve", "Publish a held item with its current renditions", &ModerationService::approve},
      {"reject", "Withdraw a held or published item: it becomes rejected and its renditions are deleted",
       &ModerationService::reject}};
  for (const auto& [name, help, decide] : decisions) {
    auto* sub = with_account(with_media(cmd->add_subcommand(name, help), *args), *args);
    sub->add_option("--note", args->note, "why, for the record");
    sub->callback([&ctx, args, decide = decide] {
      run_moderation([&] {
        auto s = open_moderation(ctx);
        const Account who = acting_account(*s.connection, args->as);
        print(((*s.service).*decide)(*s.connection, who, args->media, args->note, now()).item);
      });
    });
  }

  using FaceChange = ActionResult (ModerationService::*)(pqxx::connection_base&, const Account&, const std::string&,
                                                         int, TimePoint) const;
  const std::tuple<const char*, const char*, FaceChange> changes[] = {
      {"blur", "Paint a face (the item is rendered again)", &ModerationService::blur},
      {"unblur", "Show a face again: only a face of the journal's own child or of a child whose consent allows "
                 "photos in others' journals (the item is rendered again)",
       &ModerationService::unblur}};
  for (const auto& [name, help, change] : changes) {
    auto* sub = with_account(with_media(cmd->add_subcommand(name, help), *args), *args);
    sub->add_option("face", args->face, "the face's number n (see 'veil moderation show')")->required();
    sub->callback([&ctx, args, change = change] {
      run_moderation([&] {
        auto s = open_moderation(ctx);
        const Account who = acting_account(*s.connection, args->as);
        print(((*s.service).*change)(*s.connection, who, args->media, args->face, now()).item);
      });
    });
  }

  auto* add = with_account(with_media(cmd->add_subcommand("add-face", "Paint a face the detector missed: its box in "
                                                                      "the photo's pixels (the item is rendered again)"),
                                      *args),
                           *args);
  add->add_option("box", args->box, "X Y W H: the box's top-left corner, width and height")->required()->expected(4);
  add->callback([&ctx, args] {
    run_moderation([&] {
      auto s = open_moderation(ctx);
      const Account who = acting_account(*s.connection, args->as);
      const std::array<float, 4> box{args->box[0], args->box[1], args->box[2], args->box[3]};
      print(s.service->add_face(*s.connection, who, args->media, box, now()).item);
    });
  });

  auto* assign = with_account(
      with_media(cmd->add_subcommand("assign", "Say whose face it is: adds a face template for the child from it (the "
                                               "checks of 'veil enrol'); the consent rule then decides the face for "
                                               "that child and the item is rendered again"),
                 *args),
      *args);
  assign->add_option("face", args->face, "the face's number n (see 'veil moderation show')")->required();
  assign->add_option("child", args->child, "the child's name or id")->required();
  assign->callback([&ctx, args] {
    run_moderation([&] {
      auto s = open_moderation(ctx, true);
      const Account who = acting_account(*s.connection, args->as);
      const std::int64_t child = child_id(*s.connection, args->child);
      print(s.service->assign(*s.connection, who, args->media, args->face, child, now()).item);
    });
  });
}

}  // namespace veil
