// Applies the embedded migrations in one transaction under a transaction-scoped advisory lock.
#include "storage/migrations.h"

#include <set>

#include <pqxx/pqxx>

namespace veil {
namespace {
// Arbitrary constant naming Veil's migration lock ("veil" in ASCII).
constexpr long long kMigrationLockKey = 0x7665696c;
}  // namespace

int schema_version(pqxx::connection_base& db) {
  pqxx::work tx(db);
  auto exists = tx.exec1("SELECT to_regclass('public.schema_migrations') IS NOT NULL")[0].as<bool>();
  if (!exists) return 0;
  return tx.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
}

int apply_migrations(pqxx::connection_base& db) {
  pqxx::work tx(db);
  // Serialises concurrent starters; released at commit or rollback.
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  // Every embedded version not yet recorded runs, in order: a migration numbered below the
  // highest applied one (added on another branch) is not skipped.
  std::set<int> done;
  for (const auto& row : tx.exec("SELECT version FROM schema_migrations")) done.insert(row[0].as<int>());
  int applied = 0;
  for (const auto& m : embedded_migrations()) {
    if (done.count(m.version)) continue;
    tx.exec0(m.sql);
    tx.exec_params0("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name);
    ++applied;
  }
  tx.commit();
  return applied;
}

}  // namespace veil
