// The service, connection and acting account of the moderation commands.
#include "cli/moderation_context.h"

#include <filesystem>

#include "cli/face_tools.h"
#include "models/face_embedder.h"
#include "storage/account_repository.h"
#include "storage/database.h"

namespace veil {

ModerationSession open_moderation(CliContext& ctx, bool with_models) {
  ctx.load();
  ModerationSession s;
  s.database = open_database(ctx);
  s.connection = std::make_unique<pqxx::connection>(s.database->url());
  ModerationSettings settings;
  const std::string data = effective_data_dir(ctx.config);
  settings.originals_root = data + "/originals";
  // Never created here: without a key no original can be read, and there is none to read.
  const std::string key = data + "/keys/master.key";
  if (std::filesystem::exists(key)) settings.master_key = load_or_create_master_key(key);
  settings.config = ctx.config;
  if (with_models) s.embedder = make_embedder(ctx.config);
  s.service = std::make_unique<ModerationService>(std::move(settings), s.embedder.get());
  return s;
}

Account acting_account(pqxx::connection_base& db, const std::string& name) {
  pqxx::read_transaction tx(db);
  const auto row = find_account_by_name(tx, name);
  if (!row) throw UsageError("no account '" + name + "' (see 'veil accounts list')");
  if (row->disabled) throw UsageError("account '" + row->name + "' is disabled");
  return Account{row->id, row->name, parse_role(row->role).value_or(Role::kStaff), row->person_id};
}

Account operator_reader(const CliContext& ctx) { return Account{0, ctx.actor(), Role::kManager, 0}; }

}  // namespace veil
