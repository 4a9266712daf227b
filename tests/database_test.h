// A fixture for tests on real PostgreSQL: a scratch database with every migration applied
// (the test is skipped without a test server), a fixed clock, and readers of the audit log.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "storage/migrations.h"
#include "storage/timestamps.h"
#include "tests/test_support.h"

namespace veil::test {

struct AuditRow {
  std::string actor, action, detail;
};

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
    conn_ = std::make_unique<pqxx::connection>(db_.url());
    apply_migrations(*conn_);
  }

  // Every audit row, oldest first.
  std::vector<AuditRow> audit_rows() {
    pqxx::work tx(*conn_);
    std::vector<AuditRow> rows;
    for (const auto& r : tx.exec("SELECT actor, action, detail::text FROM audit ORDER BY id"))
      rows.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
    return rows;
  }

  // The actions of the audit rows, oldest first.
  std::vector<std::string> audit_actions() {
    std::vector<std::string> actions;
    for (const auto& r : audit_rows()) actions.push_back(r.action);
    return actions;
  }

  // One value of a query.
  std::string scalar(const std::string& sql) {
    pqxx::work tx(*conn_);
    const auto r = tx.exec1(sql);
    return r[0].is_null() ? "NULL" : r[0].as<std::string>();
  }

  ScratchDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
  const TimePoint t0_ = from_unix_micros(1'772'442'000'000'000);  // 2026-03-02T09:00:00Z
};

}  // namespace veil::test
