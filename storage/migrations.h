// Schema migrations: numbered .sql files under storage/migrations/, embedded at build
// time and applied in order at start-up, inside one transaction, under an advisory lock,
// so that several daemons starting at once apply each migration exactly once.
#pragma once

#include <string>
#include <vector>

#include <pqxx/types.hxx>  // light forward declarations (libpqxx 6.4)

namespace veil {

struct Migration {
  int version;
  std::string name;  // file name, e.g. "001_initial.sql"
  std::string sql;
};

// The migrations compiled into this binary, in version order.
const std::vector<Migration>& embedded_migrations();

// Applies every embedded migration not yet recorded in schema_migrations (in version
// order, including one numbered below an applied one); returns how many ran.
// Safe to call concurrently from several processes against one database.
int apply_migrations(pqxx::connection_base& db);

// The highest applied version, 0 for an empty database.
int schema_version(pqxx::connection_base& db);

}  // namespace veil
