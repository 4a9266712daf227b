// Database selection (URL or embedded cluster) and start-up migration.
#include "storage/database.h"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "storage/embedded_postgres.h"
#include "storage/migrations.h"

namespace veil {

Database::Database(const Config& config) {
  if (!config.database.url.empty()) {
    url_ = config.database.url;
    return;
  }
  EmbeddedPostgresOptions options;
  options.cluster_dir = effective_data_dir(config) + "/postgres";
  options.service_user = config.daemon.run_as_user;
  embedded_ = std::make_unique<EmbeddedPostgres>(options);
  embedded_->start();
  url_ = embedded_->url();
}

Database::~Database() = default;

int migrate_database(const std::string& url) {
  pqxx::connection db(url);
  const int applied = apply_migrations(db);
  const int version = schema_version(db);
  if (applied > 0) spdlog::info("database: applied {} migration(s), schema version {}", applied, version);
  else spdlog::info("database: schema up to date (version {})", version);
  return applied;
}

void ping_database(pqxx::transaction_base& tx) { tx.exec1("SELECT 1"); }

}  // namespace veil
