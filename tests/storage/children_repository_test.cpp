// Children, people, the consent ledger, templates and the audit chain on real PostgreSQL.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/migrations.h"
#include "tests/test_support.h"

namespace veil {
namespace {

class ChildrenRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
    conn_ = std::make_unique<pqxx::connection>(db_.url());
    apply_migrations(*conn_);
  }
  test::ScratchDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(ChildrenRepositoryTest, ChildrenLifecycle) {
  pqxx::work tx(*conn_);
  const auto staff = add_person(tx, "staff", "Mrs Patel", "", "test");
  const auto id = add_child(tx, "Amara", "Mrs Patel", "test");
  EXPECT_EQ(find_child(tx, "amara").id, id) << "names are case-insensitive";
  EXPECT_EQ(find_child(tx, std::to_string(id)).key_person, staff);
  EXPECT_THROW(add_child(tx, "AMARA", "", "test"), std::invalid_argument);
  EXPECT_THROW(find_child(tx, "Nobody"), NotFound);
  rename_child(tx, id, "Amara J", "test");
  EXPECT_EQ(find_child(tx, std::to_string(id)).name, "Amara J");
  add_child(tx, "Ben", "", "test");
  mark_child_left(tx, id, "test");
  EXPECT_EQ(find_child(tx, std::to_string(id)).status, "left");
  EXPECT_FALSE(find_child(tx, std::to_string(id)).left_at.empty());
  EXPECT_EQ(list_children(tx, false).size(), 1u);
  EXPECT_EQ(list_children(tx, true).size(), 2u);
}

TEST_F(ChildrenRepositoryTest, ConsentLedgerLatestEventWinsAndHistoryStays) {
  pqxx::work tx(*conn_);
  const auto staff = add_person(tx, "staff", "Key Worker", "", "test");
  const auto a = add_child(tx, "Amara", "", "test");
  const auto b = add_child(tx, "Ben", "", "test");
  EXPECT_TRUE(current_consents(tx).empty()) << "no event: absent (treated as no by the policy)";
  const auto e1 = record_consent(tx, a, true, staff, "form 2026-09", "test");
  const auto e2 = record_consent(tx, a, false, staff, "withdrawn by email 2026-10", "test");
  record_consent(tx, b, true, staff, "form", "test");
  const auto current = current_consents(tx);
  ASSERT_EQ(current.size(), 2u);
  EXPECT_EQ(current[0].child_id, a);
  EXPECT_EQ(current[0].id, e2);
  EXPECT_FALSE(current[0].photo_in_others);
  const auto history = consent_history(tx, a);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].id, e1);
  EXPECT_EQ(history[0].recorded_by, "Key Worker");
  EXPECT_THROW(record_consent(tx, a, true, staff, "", "test"), std::invalid_argument) << "evidence is required";
  tx.commit();
  pqxx::work rewrite(*conn_);
  EXPECT_THROW(rewrite.exec_params0("UPDATE consent_events SET photo_in_others = true WHERE id = $1", e2),
               pqxx::sql_error);
}

TEST_F(ChildrenRepositoryTest, TemplatesOfActiveChildrenAndEnrolmentVersion) {
  pqxx::work tx(*conn_);
  const auto a = add_child(tx, "Amara", "", "test");
  const auto b = add_child(tx, "Ben", "", "test");
  const auto v0 = enrolment_version(tx);
  add_template(tx, a, Embedding{0.6f, 0.8f, 0.0f}, "m", "a.jpg", 50, "test");
  add_template(tx, b, Embedding{0.0f, 0.6f, 0.8f}, "m", "b.jpg", 50, "test");
  EXPECT_GT(enrolment_version(tx), v0);
  auto templates = active_templates(tx);
  ASSERT_EQ(templates.size(), 2u);
  EXPECT_EQ(templates[0].child_name, "Amara");
  ASSERT_EQ(templates[0].embedding.size(), 3u);
  EXPECT_FLOAT_EQ(templates[0].embedding[1], 0.8f);
  const auto v1 = enrolment_version(tx);
  mark_child_left(tx, b, "test");
  EXPECT_GT(enrolment_version(tx), v1);
  templates = active_templates(tx);
  ASSERT_EQ(templates.size(), 1u) << "a child who left no longer matches";
}

TEST_F(ChildrenRepositoryTest, AuditChainVerifiesAndNamesTheFirstBrokenRow) {
  {
    pqxx::work tx(*conn_);
    add_person(tx, "staff", "A", "", "test");
    add_child(tx, "Amara", "", "test");
    append_audit(tx, AuditEntry{"test", "custom", "", 0, R"({"b": 2, "a": [1, "x"]})"});
    add_child(tx, "Ben", "", "test");
    tx.commit();
  }
  AuditVerification v = verify_audit(*conn_);
  EXPECT_TRUE(v.ok) << v.problem << " at " << v.first_broken_id;
  EXPECT_EQ(v.rows, 4);
  std::int64_t third = 0;
  {
    pqxx::work tx(*conn_);
    third = tx.exec1("SELECT id FROM audit ORDER BY id OFFSET 2 LIMIT 1")[0].as<std::int64_t>();
    // Tampering needs the owner to switch the append-only trigger off first.
    tx.exec0("ALTER TABLE audit DISABLE TRIGGER audit_append_only");
    tx.exec_params0("UPDATE audit SET actor = 'someone else' WHERE id = $1", third);
    tx.exec0("ALTER TABLE audit ENABLE TRIGGER audit_append_only");
    tx.commit();
  }
  v = verify_audit(*conn_);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_broken_id, third);
  EXPECT_EQ(v.problem, "hash does not match the row's content");
}

}  // namespace
}  // namespace veil
