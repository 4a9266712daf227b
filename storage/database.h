// Opening the database: the configured URL, or the embedded private cluster.
#pragma once

#include <memory>
#include <string>

#include <pqxx/types.hxx>

#include "config/config.h"

namespace pqxx {
class connection_base;
}

namespace veil {

class EmbeddedPostgres;

// The database a process uses. With database.url set it just holds the URL; without, it
// starts (or reuses) the embedded cluster under <data_dir>/postgres and stops it on
// destruction if it started it.
class Database {
 public:
  explicit Database(const Config& config);
  ~Database();
  const std::string& url() const { return url_; }
  bool embedded() const { return embedded_ != nullptr; }
  EmbeddedPostgres* embedded_server() { return embedded_.get(); }

 private:
  std::unique_ptr<EmbeddedPostgres> embedded_;
  std::string url_;
};

// Connects to `url` and applies pending migrations; returns the number applied.
int migrate_database(const std::string& url);

// Runs a trivial query (SELECT 1) in `tx`: returns when the database answers, throws when not.
void ping_database(pqxx::transaction_base& tx);

}  // namespace veil
