// Account changes on real PostgreSQL: checks, hashes, sessions ended, audit rows.
#include <gtest/gtest.h>

#include "accounts/account_admin.h"
#include "accounts/session_service.h"
#include "storage/account_repository.h"
#include "storage/children_repository.h"
#include "tests/database_test.h"

namespace veil {
namespace {

using std::chrono::minutes;

class AccountAdmin : public test::DatabaseTest {};

TEST_F(AccountAdmin, AddStoresAnArgon2idHashAndAuditsWithoutIt) {
  pqxx::work tx(*conn_);
  const auto patel = add_person(tx, "staff", "Mrs Patel", "", "cli:test");
  const auto id = add_account(tx, "patel", Role::kStaff, patel, "Correct-Horse-42", PasswordRule{}, "cli:test", t0_);
  tx.commit();
  pqxx::work check(*conn_);
  const auto a = find_account_by_id(check, id);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->role, "staff");
  EXPECT_EQ(a->person_name, "Mrs Patel");
  EXPECT_EQ(a->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password(a->password_hash, "Correct-Horse-42"));
  check.abort();
  const auto rows = audit_rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].actor, "cli:test");
  EXPECT_EQ(rows[1].action, "account.added");
  EXPECT_NE(rows[1].detail.find("\"role\": \"staff\""), std::string::npos) << rows[1].detail;
  for (const auto& r : rows) {
    EXPECT_EQ(r.detail.find("argon2"), std::string::npos) << r.detail;
    EXPECT_EQ(r.detail.find("Correct-Horse-42"), std::string::npos) << r.detail;
  }
}

TEST_F(AccountAdmin, RefusalsSayWhy) {
  pqxx::work tx(*conn_);
  const auto parent = add_person(tx, "parent", "Ana Silva", "", "test");
  auto message_of = [&](auto&& change) -> std::string {
    pqxx::subtransaction sub(tx);
    try {
      change(sub);
    } catch (const AccountError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message_of([&](auto& t) { add_account(t, "head", Role::kManager, 0, "short", PasswordRule{}, "x", t0_); }),
            "the password needs at least 12 characters (it has 5), an upper-case letter (A-Z) and a digit (0-9)");
  EXPECT_EQ(message_of([&](auto& t) {
              add_account(t, "ana", Role::kSenior, parent, "Correct-Horse-42", PasswordRule{}, "x", t0_);
            }),
            "person " + std::to_string(parent) + " is not a staff member (see 'veil people list')");
  EXPECT_EQ(message_of([&](auto& t) { add_account(t, "s", Role::kStaff, 0, "Correct-Horse-42", PasswordRule{}, "x", t0_); }),
            "a staff account needs its staff member (--person): it sees that person's key children");
  for (const std::string& bad : std::vector<std::string>{"", " head", "head ", "a\tb", std::string(65, 'n')})
    EXPECT_NE(message_of([&](auto& t) { add_account(t, bad, Role::kManager, 0, "Correct-Horse-42", PasswordRule{}, "x", t0_); }),
              "")
        << "'" << bad << "'";
  add_account(tx, "Head", Role::kManager, 0, "Correct-Horse-42", PasswordRule{}, "x", t0_);
  EXPECT_EQ(message_of([&](auto& t) { add_account(t, "HEAD", Role::kSenior, 0, "Correct-Horse-42", PasswordRule{}, "x", t0_); }),
            "an account named 'HEAD' already exists");
  EXPECT_EQ(message_of([&](auto& t) { change_password(t, "nobody", "Correct-Horse-42", PasswordRule{}, "x", t0_); }),
            "no account 'nobody' (see 'veil accounts list')");
  EXPECT_EQ(message_of([&](auto& t) { change_password(t, "head", "weakweakweak", PasswordRule{}, "x", t0_); }),
            "the password needs an upper-case letter (A-Z) and a digit (0-9)");
}

TEST_F(AccountAdmin, PasswordChangeDisableAndEnableEndSessionsAndAreAudited) {
  {
    pqxx::work tx(*conn_);
    add_account(tx, "head", Role::kManager, 0, "Correct-Horse-42", PasswordRule{}, "cli:test", t0_);
    tx.commit();
  }
  const SessionService service{SessionPolicy{}};
  auto log_in = [&](const std::string& password, TimePoint at) {
    return service.log_in(*conn_, "head", password, "test", at);
  };
  const auto first = std::get<NewSession>(log_in("Correct-Horse-42", t0_));
  {
    pqxx::work tx(*conn_);
    change_password(tx, "Head", "Battery-Staple-7", PasswordRule{}, "cli:test", t0_ + minutes(1));
    tx.commit();
  }
  EXPECT_FALSE(service.authenticate(*conn_, first.token, t0_ + minutes(2))) << "a new password logs out the old";
  EXPECT_TRUE(std::holds_alternative<LoginRefused>(log_in("Correct-Horse-42", t0_ + minutes(2))));
  const auto second = std::get<NewSession>(log_in("Battery-Staple-7", t0_ + minutes(2)));

  {
    pqxx::work tx(*conn_);
    EXPECT_TRUE(disable_account(tx, "head", "cli:test", t0_ + minutes(3)));
    EXPECT_FALSE(disable_account(tx, "head", "cli:test", t0_ + minutes(3))) << "already disabled";
    tx.commit();
  }
  EXPECT_FALSE(service.authenticate(*conn_, second.token, t0_ + minutes(4)));
  {
    pqxx::work tx(*conn_);
    EXPECT_TRUE(enable_account(tx, "head", "cli:test", t0_ + minutes(5)));
    EXPECT_FALSE(enable_account(tx, "head", "cli:test", t0_ + minutes(5))) << "nothing to enable";
    tx.commit();
  }
  EXPECT_FALSE(service.authenticate(*conn_, second.token, t0_ + minutes(6))) << "enabling revives no session";
  EXPECT_TRUE(std::holds_alternative<NewSession>(log_in("Battery-Staple-7", t0_ + minutes(6))));

  std::vector<std::string> by_cli;
  for (const auto& r : audit_rows())
    if (r.actor == "cli:test") by_cli.push_back(r.action);
  EXPECT_EQ(by_cli, (std::vector<std::string>{"account.added", "account.password_changed", "account.disabled",
                                              "account.enabled"}));
  EXPECT_EQ(scalar("SELECT detail->>'sessions_ended' FROM audit WHERE action = 'account.password_changed'"), "1");
  EXPECT_EQ(scalar("SELECT detail->>'sessions_ended' FROM audit WHERE action = 'account.disabled'"), "1");
}

TEST_F(AccountAdmin, EnableLiftsALockout) {
  {
    pqxx::work tx(*conn_);
    add_account(tx, "head", Role::kManager, 0, "Correct-Horse-42", PasswordRule{}, "cli:test", t0_);
    tx.commit();
  }
  SessionPolicy policy;
  policy.lockout_failures = 3;
  const SessionService service{policy};
  for (int i = 0; i < 3; ++i) service.log_in(*conn_, "head", "wrong", "", t0_);
  const auto locked = service.log_in(*conn_, "head", "Correct-Horse-42", "", t0_ + minutes(1));
  ASSERT_TRUE(std::holds_alternative<LoginRefused>(locked));
  EXPECT_EQ(std::get<LoginRefused>(locked).reason, LoginRefusal::kLocked);
  {
    pqxx::work tx(*conn_);
    EXPECT_TRUE(enable_account(tx, "head", "cli:test", t0_ + minutes(1)));
    tx.commit();
  }
  EXPECT_TRUE(std::holds_alternative<NewSession>(service.log_in(*conn_, "head", "Correct-Horse-42", "", t0_ + minutes(1))));
  EXPECT_EQ(scalar("SELECT detail->>'lockout_lifted' FROM audit WHERE action = 'account.enabled'"), "true");
}

}  // namespace
}  // namespace veil
