// The accounts table on real PostgreSQL: names, the person rule, failure counts and lockouts,
// and instants stored to the microsecond.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "storage/account_repository.h"
#include "storage/children_repository.h"
#include "storage/session_repository.h"
#include "tests/database_test.h"

namespace veil {
namespace {

using std::chrono::microseconds;
using std::chrono::minutes;

// t0_ + 123456 µs: a fraction of a second that must survive the round trip.
class AccountRepositoryTest : public test::DatabaseTest {
 protected:
  const TimePoint t0_ = DatabaseTest::t0_ + microseconds(123'456);
};

TEST_F(AccountRepositoryTest, NamesAreUniqueWhateverTheCaseAndFoundInAnyCase) {
  pqxx::work tx(*conn_);
  const auto staff = add_person(tx, "staff", "Mrs Patel", "", "test");
  const auto id = insert_account(tx, "Patel", "staff", staff, "$argon2id$hash", t0_);
  const auto found = find_account_by_name(tx, "PATEL");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(found->name, "Patel");
  EXPECT_EQ(found->role, "staff");
  EXPECT_EQ(found->person_id, staff);
  EXPECT_EQ(found->person_name, "Mrs Patel");
  EXPECT_EQ(found->password_hash, "$argon2id$hash");
  EXPECT_FALSE(found->disabled);
  EXPECT_EQ(found->failed_logins, 0);
  EXPECT_FALSE(found->locked_until);
  EXPECT_FALSE(found->last_login);
  EXPECT_EQ(found->created_at, t0_) << "stored to the microsecond";
  EXPECT_EQ(found->password_changed_at, t0_);
  EXPECT_EQ(find_account_by_id(tx, id)->name, "Patel");
  EXPECT_FALSE(find_account_by_name(tx, "Nobody"));
  EXPECT_FALSE(find_account_by_id(tx, id + 1));
  EXPECT_THROW(insert_account(tx, "pATEL", "manager", 0, "h", t0_), AccountError);
}

TEST_F(AccountRepositoryTest, RolesAndPeopleAreChecked) {
  pqxx::work tx(*conn_);
  const auto parent = add_person(tx, "parent", "Ana Silva", "", "test");
  EXPECT_THROW(insert_account(tx, "x", "admin", 0, "h", t0_), AccountError);
  EXPECT_THROW(insert_account(tx, "x", "staff", 0, "h", t0_), AccountError) << "staff need their person";
  EXPECT_THROW(insert_account(tx, "x", "senior", parent, "h", t0_), AccountError) << "parents have no accounts";
  EXPECT_THROW(insert_account(tx, "", "senior", 0, "h", t0_), AccountError);
  EXPECT_GT(insert_account(tx, "Head", "manager", 0, "h", t0_), 0) << "a manager needs no person";
  // The database refuses a staff account without a person by itself too.
  pqxx::subtransaction raw(tx);
  EXPECT_THROW(raw.exec0("INSERT INTO accounts (name, role, password_hash) VALUES ('y', 'staff', 'h')"),
               pqxx::check_violation);
}

TEST_F(AccountRepositoryTest, FailuresCountLockAndClear) {
  pqxx::work tx(*conn_);
  const auto id = insert_account(tx, "Head", "manager", 0, "h", t0_);
  EXPECT_EQ(add_failed_login(tx, id), 1);
  EXPECT_EQ(add_failed_login(tx, id), 2);
  lock_account(tx, id, t0_ + minutes(15));
  auto a = find_account_by_name(tx, "head", RowLock::kForUpdate);
  EXPECT_EQ(a->failed_logins, 0) << "a lockout starts the count again";
  ASSERT_TRUE(a->locked_until);
  EXPECT_EQ(*a->locked_until, t0_ + minutes(15));
  EXPECT_EQ(add_failed_login(tx, id), 1);
  clear_failed_logins(tx, id);
  a = find_account_by_id(tx, id);
  EXPECT_EQ(a->failed_logins, 0);
  EXPECT_FALSE(a->locked_until);
}

TEST_F(AccountRepositoryTest, PasswordChangesDisablingListAndLastLogin) {
  pqxx::work tx(*conn_);
  const auto head = insert_account(tx, "Head", "manager", 0, "old", t0_);
  insert_account(tx, "alice", "senior", 0, "h", t0_);
  set_password_hash(tx, head, "rehashed", std::nullopt);
  EXPECT_EQ(find_account_by_id(tx, head)->password_changed_at, t0_) << "a rehash is not a new password";
  set_password_hash(tx, head, "new", t0_ + minutes(5));
  EXPECT_EQ(find_account_by_id(tx, head)->password_hash, "new");
  EXPECT_EQ(find_account_by_id(tx, head)->password_changed_at, t0_ + minutes(5));
  set_disabled(tx, head, true);
  EXPECT_TRUE(find_account_by_id(tx, head)->disabled);
  insert_session(tx, head, TokenHash{1}, TokenHash{2}, t0_ + minutes(1), t0_ + minutes(60), "");
  insert_session(tx, head, TokenHash{3}, TokenHash{4}, t0_ + minutes(7), t0_ + minutes(60), "");
  const auto all = list_accounts(tx);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "alice") << "ordered by name, whatever the case";
  EXPECT_FALSE(all[0].last_login);
  ASSERT_TRUE(all[1].last_login);
  EXPECT_EQ(*all[1].last_login, t0_ + minutes(7));
}

}  // namespace
}  // namespace veil
