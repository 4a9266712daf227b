// veil media list|show: media items as the operator sees them (every item), with their
// current renditions' files.
#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli_context.h"
#include "cli/moderation_context.h"
#include "storage/children_repository.h"

namespace veil {
namespace {

struct MediaArgs {
  std::string states;
  std::string journal;
  std::string media;
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

}  // namespace

void add_media_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("media", "List and show media items");
  cmd->require_subcommand(1);
  auto args = std::make_shared<MediaArgs>();

  auto* list = cmd->add_subcommand("list", "List media items, newest first (JSON Lines: one item a line, with id "
                                           "and state)");
  list->add_option("--state", args->states,
                   "only these states, separated by commas (received, processing, published, held, withdrawn, "
                   "rejected, failed, deleted)");
  list->add_option("--journal", args->journal, "only the items of this child's journal (name or id)");
  list->callback([&ctx, args] {
    run_moderation([&] {
      auto s = open_moderation(ctx);
      std::int64_t journal = 0;
      if (!args->journal.empty()) {
        pqxx::read_transaction tx(*s.connection);
        try {
          journal = find_child(tx, args->journal).id;
        } catch (const NotFound& e) {
          throw UsageError(e.what());
        }
      }
      const Account reader = operator_reader(ctx);
      std::string after;
      do {
        const Page page = s.service->media(*s.connection, reader, split_commas(args->states), journal, 200, after);
        for (const auto& item : page.items) std::cout << item_json(item, true).dump() << "\n";
        after = page.next.value_or("");
      } while (!after.empty());
      std::cout << std::flush;
    });
  });

  auto* show = cmd->add_subcommand("show", "Show one item: its state, faces and current renditions with their "
                                           "kind and path (JSON)");
  show->add_option("media", args->media, "the media item's id")->required();
  show->callback([&ctx, args] {
    run_moderation([&] {
      auto s = open_moderation(ctx);
      std::cout << item_json(s.service->show(*s.connection, operator_reader(ctx), args->media), true).dump()
                << std::endl;
    });
  });
}

}  // namespace veil
