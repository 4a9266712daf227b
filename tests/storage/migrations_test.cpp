// Migrations on a real PostgreSQL: applying twice is a no-op; concurrent starts apply once.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <thread>

#include "storage/migrations.h"
#include "tests/test_support.h"

namespace veil {
namespace {

#define REQUIRE_TEST_DB(db) \
  if ((db).url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)"

TEST(Migrations, EmbeddedInOrder) {
  const auto& all = embedded_migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(all[i].version, all[i - 1].version) << all[i].name;
    }
    EXPECT_FALSE(all[i].sql.empty());
  }
}

TEST(Migrations, ApplyingTwiceIsANoOp) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  pqxx::connection c(db.url());
  EXPECT_EQ(schema_version(c), 0);
  const int n = static_cast<int>(embedded_migrations().size());
  EXPECT_EQ(apply_migrations(c), n);
  EXPECT_EQ(schema_version(c), embedded_migrations().back().version);
  EXPECT_EQ(apply_migrations(c), 0);
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>(), n);
  // The tables of the data model exist.
  for (const char* table : {"children", "consent_events", "face_templates", "people", "devices", "media", "jobs",
                            "faces", "renditions", "moderation", "audit", "accounts", "sessions"}) {
    EXPECT_TRUE(tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", std::string(table))[0].as<bool>()) << table;
  }
}

TEST(Migrations, ConcurrentStartsApplyOnce) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  constexpr int kStarters = 6;
  std::vector<int> applied(kStarters, -1);
  std::vector<std::string> errors(kStarters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i) {
    threads.emplace_back([&, i] {
      try {
        pqxx::connection c(db.url());
        applied[i] = apply_migrations(c);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int i = 0; i < kStarters; ++i) {
    EXPECT_EQ(errors[i], "") << "starter " << i;
    total += applied[i];
  }
  EXPECT_EQ(total, static_cast<int>(embedded_migrations().size()));
  pqxx::connection c(db.url());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>(),
            static_cast<int>(embedded_migrations().size()));
}

TEST(Migrations, AuditAndConsentAreAppendOnly) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  pqxx::connection c(db.url());
  apply_migrations(c);
  {
    pqxx::work tx(c);
    tx.exec0("INSERT INTO audit (actor, action, prev_hash, hash) VALUES ('t', 'test', '', 'h')");
    tx.commit();
  }
  for (const char* change : {"UPDATE audit SET actor = 'x'", "DELETE FROM audit", "TRUNCATE audit"}) {
    pqxx::work tx(c);
    EXPECT_THROW(tx.exec0(change), pqxx::sql_error) << change;
  }
}

}  // namespace
}  // namespace veil

namespace veil {
namespace {
TEST(Migrations, AMissingLowerVersionIsStillApplied) {
  test::ScratchDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set";
  pqxx::connection c(db.url());
  apply_migrations(c);
  {
    // Pretend migration 2 was added after the others had run: forget it and undo its table.
    pqxx::work tx(c);
    tx.exec0("DELETE FROM schema_migrations WHERE version = 2");
    tx.exec0("DROP TRIGGER face_templates_bump ON face_templates; DROP TRIGGER children_bump ON children;"
             "DROP FUNCTION enrolment_bump(); DROP TABLE enrolment_state; DROP INDEX children_name; DROP INDEX people_name;"
             "ALTER TABLE media DROP COLUMN enrolment_version");
    tx.commit();
  }
  EXPECT_EQ(apply_migrations(c), 1);
  pqxx::work tx(c);
  EXPECT_TRUE(tx.exec1("SELECT to_regclass('enrolment_state') IS NOT NULL")[0].as<bool>());
}
}  // namespace
}  // namespace veil
