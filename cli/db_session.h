// Running a veil command's database work in one committed transaction.
#pragma once

#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "storage/database.h"

namespace veil {

// Loads the configuration, opens (and migrates) the database, runs body(tx), commits.
template <typename Body>
void in_transaction(CliContext& ctx, Body body) {
  ctx.load();
  auto db = open_database(ctx);
  pqxx::connection c(db->url());
  pqxx::work tx(c);
  body(tx);
  tx.commit();
}

}  // namespace veil
