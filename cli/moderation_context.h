// Shared by `veil moderation` and `veil media`: the ModerationService a command runs with,
// its connection, and who acts. The operator runs the commands; `--as` names the account the
// audit log records (an existing, enabled account). Reading without `--as` sees every item.
#pragma once

#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "models/face_embedder.h"
#include "moderation/moderation_service.h"
#include "storage/database.h"

namespace veil {

struct ModerationSession {
  std::unique_ptr<Database> database;
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<FaceEmbedder> embedder;  // only with_models
  std::unique_ptr<ModerationService> service;
};

// Loads the configuration, opens (and migrates) the database and makes the service
// (originals under <data_dir>/originals, the master key when <data_dir>/keys/master.key
// exists). `with_models`: loads the embedder too (assign).
ModerationSession open_moderation(CliContext& ctx, bool with_models = false);

// The enabled account called `name`; UsageError when there is none or it is disabled.
Account acting_account(pqxx::connection_base& db, const std::string& name);

// Who reads when no account is named: the operator, seeing every item as a manager would.
Account operator_reader(const CliContext& ctx);

// Runs `body`, turning a ModerationError into what veil reports: a bad request is a usage
// error (exit 2), every other refusal a failure (exit 1) with its message.
template <typename Body>
void run_moderation(Body body) {
  try {
    body();
  } catch (const ModerationError& e) {
    if (e.code() == ModerationError::Code::kBadRequest) throw UsageError(e.what());
    throw;
  }
}

}  // namespace veil
