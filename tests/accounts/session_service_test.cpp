// Logging in, sessions and logging out on real PostgreSQL, with the clock passed explicitly:
// refusals, lockout and its end, idle and absolute expiry, CSRF, hashed tokens, audit rows.
#include <gtest/gtest.h>

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "accounts/account_admin.h"
#include "accounts/session_service.h"
#include "storage/account_repository.h"
#include "storage/audit_log.h"
#include "tests/database_test.h"

namespace veil {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kPassword = "Correct-Horse-42";

class SessionServiceTest : public test::DatabaseTest {
 protected:
  void SetUp() override {
    test::DatabaseTest::SetUp();
    if (IsSkipped()) return;
    pqxx::work tx(*conn_);
    add_account(tx, "Head", Role::kManager, 0, kPassword, PasswordRule{}, "cli:test", t0_);
    tx.commit();
  }
  LoginResult log_in(const std::string& name, const std::string& password, TimePoint at) {
    return service_.log_in(*conn_, name, password, "203.0.113.5 TestBrowser/1.0", at);
  }
  NewSession logged_in(TimePoint at) {
    auto r = log_in("head", kPassword, at);
    if (auto* refused = std::get_if<LoginRefused>(&r)) ADD_FAILURE() << refusal_message(*refused);
    return std::get<NewSession>(r);
  }
  static LoginRefused refused(const LoginResult& r) {
    EXPECT_TRUE(std::holds_alternative<LoginRefused>(r)) << "the login was accepted";
    return std::holds_alternative<LoginRefused>(r) ? std::get<LoginRefused>(r) : LoginRefused{};
  }
  SessionService service_{SessionPolicy{}};
};

TEST_F(SessionServiceTest, LogInStartsASessionThatAuthenticateFinds) {
  const NewSession s = logged_in(t0_);
  EXPECT_EQ(s.token.size(), 43u) << "256 bits in base64url";
  EXPECT_EQ(s.csrf.size(), 43u);
  EXPECT_NE(s.token, s.csrf);
  EXPECT_EQ(s.token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(s.session.account.name, "Head");
  EXPECT_EQ(s.session.account.role, Role::kManager);
  EXPECT_EQ(s.session.expires_at, t0_ + hours(12));
  EXPECT_NE(logged_in(t0_).token, s.token) << "each login its own token";

  const auto found = service_.authenticate(*conn_, s.token, t0_ + minutes(5));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, s.session.id);
  EXPECT_EQ(found->account.name, "Head");
  EXPECT_EQ(found->created_at, t0_);
  EXPECT_EQ(found->last_seen_at, t0_ + minutes(5));
  EXPECT_EQ(scalar("SELECT last_seen_at = timestamptz '2026-03-02 09:05:00+00' FROM sessions WHERE id = " +
                   std::to_string(s.session.id)),
            "t");
  EXPECT_EQ(scalar("SELECT client FROM sessions WHERE id = " + std::to_string(s.session.id)),
            "203.0.113.5 TestBrowser/1.0");
  EXPECT_FALSE(service_.authenticate(*conn_, "", t0_));
  EXPECT_FALSE(service_.authenticate(*conn_, s.csrf, t0_)) << "the CSRF token is no session token";
  EXPECT_FALSE(service_.authenticate(*conn_, std::string(10000, 'A'), t0_));
}

TEST_F(SessionServiceTest, TokensAreStoredOnlyAsTheirHashes) {
  const NewSession s = logged_in(t0_);
  pqxx::work tx(*conn_);
  // Nowhere in the session row, nor anywhere in the audit log.
  for (const std::string& secret : {s.token, s.csrf}) {
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM sessions t WHERE t::text LIKE '%' || $1 || '%' "
                              "OR position(convert_to($1, 'UTF8') IN t.token_hash) > 0 "
                              "OR position(convert_to($1, 'UTF8') IN t.csrf_hash) > 0",
                              secret)[0]
                  .as<int>(),
              0);
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM audit a WHERE a::text LIKE '%' || $1 || '%'", secret)[0].as<int>(),
              0);
  }
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM audit a WHERE a::text LIKE '%' || $1 || '%'", std::string(kPassword))[0]
                .as<int>(),
            0);
  // What is stored is the BLAKE2b-256 of each token.
  unsigned char expected[32];
  crypto_generichash(expected, sizeof expected, reinterpret_cast<const unsigned char*>(s.token.data()), s.token.size(),
                     nullptr, 0);
  const pqxx::binarystring stored(
      tx.exec_params1("SELECT token_hash FROM sessions WHERE id = $1", s.session.id)[0]);
  ASSERT_EQ(stored.size(), 32u);
  EXPECT_TRUE(std::equal(stored.begin(), stored.end(), expected));
}

TEST_F(SessionServiceTest, WrongPasswordAndUnknownNameGetTheSameAnswerAfterTheSameWork) {
  using Clock = std::chrono::steady_clock;
  Clock::duration wrong = Clock::duration::max(), unknown = Clock::duration::max();
  for (int i = 0; i < 3; ++i) {
    auto start = Clock::now();
    const LoginRefused a = refused(log_in("head", "Correct-Horse-43", t0_));
    wrong = std::min(wrong, Clock::now() - start);
    start = Clock::now();
    const LoginRefused b = refused(log_in("nobody", "Correct-Horse-43", t0_));
    unknown = std::min(unknown, Clock::now() - start);
    EXPECT_EQ(a.reason, LoginRefusal::kBadCredentials);
    EXPECT_EQ(b.reason, LoginRefusal::kBadCredentials);
    EXPECT_EQ(refusal_message(a), refusal_message(b));
    EXPECT_EQ(refusal_message(a), "wrong name or password");
  }
  // An unknown name is verified against a dummy hash: without it, the answer would come
  // without any argon2id work, many times faster than for a wrong password.
  EXPECT_GT(unknown * 3, wrong) << "unknown " << std::chrono::duration<double>(unknown).count() << " s, wrong "
                                << std::chrono::duration<double>(wrong).count() << " s";
  EXPECT_EQ(scalar("SELECT failed_logins FROM accounts WHERE name = 'Head'"), "3");
  const auto rows = audit_rows();
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[1].actor, "Head");
  EXPECT_EQ(rows[1].action, "login.failed");
  EXPECT_NE(rows[1].detail.find("\"reason\": \"wrong_password\""), std::string::npos) << rows[1].detail;
  EXPECT_NE(rows[1].detail.find("\"client\": \"203.0.113.5 TestBrowser/1.0\""), std::string::npos);
  EXPECT_EQ(rows[2].actor, "nobody");
  EXPECT_NE(rows[2].detail.find("\"reason\": \"unknown_name\""), std::string::npos) << rows[2].detail;
}

TEST_F(SessionServiceTest, NamesThatCannotBeAccountsAreRefusedQuietly) {
  for (const std::string& name : {std::string("\xFF\xFE"), std::string("he\0ad", 5), std::string(5000, 'h')}) {
    EXPECT_EQ(refused(log_in(name, kPassword, t0_)).reason, LoginRefusal::kBadCredentials);
  }
  for (const auto& r : audit_rows()) EXPECT_LE(r.actor.size(), 64u);
}

TEST_F(SessionServiceTest, FiveFailuresLockForFifteenMinutesThenLoginsWorkAgain) {
  for (int i = 1; i <= 4; ++i)
    EXPECT_EQ(refused(log_in("head", "wrong-" + std::to_string(i), t0_ + seconds(i))).reason,
              LoginRefusal::kBadCredentials)
        << i;
  const LoginRefused fifth = refused(log_in("head", "wrong-5", t0_ + seconds(5)));
  EXPECT_EQ(fifth.reason, LoginRefusal::kLocked);
  ASSERT_TRUE(fifth.locked_until);
  EXPECT_EQ(*fifth.locked_until, t0_ + seconds(5) + minutes(15));
  EXPECT_EQ(refusal_message(fifth), "too many failed logins: this account is locked until 2026-03-02T09:15:05Z");

  // While locked even the right password is refused, and tries do not extend the lock.
  const LoginRefused during = refused(log_in("head", kPassword, t0_ + minutes(15)));
  EXPECT_EQ(during.reason, LoginRefusal::kLocked);
  EXPECT_EQ(*during.locked_until, *fifth.locked_until);

  // At its end the right password works, and the count starts again.
  const NewSession s = logged_in(*fifth.locked_until);
  EXPECT_TRUE(service_.authenticate(*conn_, s.token, *fifth.locked_until + minutes(1)));
  EXPECT_EQ(scalar("SELECT failed_logins FROM accounts WHERE name = 'Head'"), "0");
  EXPECT_EQ(scalar("SELECT locked_until FROM accounts WHERE name = 'Head'"), "NULL");

  std::vector<std::string> expected = {"account.added"};
  for (int i = 0; i < 5; ++i) expected.push_back("login.failed");
  expected.insert(expected.end(), {"account.locked", "login.failed", "login.succeeded"});
  EXPECT_EQ(audit_actions(), expected);
  EXPECT_EQ(scalar("SELECT detail->>'locked_until' FROM audit WHERE action = 'account.locked'"), "2026-03-02T09:15:05Z");
  EXPECT_EQ(scalar("SELECT detail->>'reason' FROM audit WHERE action = 'login.failed' ORDER BY id DESC LIMIT 1"),
            "locked");
}

TEST_F(SessionServiceTest, ASuccessResetsTheFailureCount) {
  for (int i = 0; i < 4; ++i) log_in("head", "wrong", t0_);
  logged_in(t0_);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(refused(log_in("head", "wrong", t0_)).reason, LoginRefusal::kBadCredentials) << "not locked";
  EXPECT_EQ(scalar("SELECT failed_logins FROM accounts WHERE name = 'Head'"), "4");
}

TEST_F(SessionServiceTest, AnIdleSessionEnds) {
  const NewSession s = logged_in(t0_);
  EXPECT_TRUE(service_.authenticate(*conn_, s.token, t0_ + minutes(29)));
  EXPECT_TRUE(service_.authenticate(*conn_, s.token, t0_ + minutes(58))) << "29 minutes after the last use";
  EXPECT_FALSE(service_.authenticate(*conn_, s.token, t0_ + minutes(88))) << "30 minutes unused";

  const NewSession idle = logged_in(t0_);
  EXPECT_FALSE(service_.authenticate(*conn_, idle.token, t0_ + minutes(30)));
}

TEST_F(SessionServiceTest, ASessionEndsAfterItsLifetimeHoweverBusy) {
  const NewSession s = logged_in(t0_);
  TimePoint at = t0_;
  while (at + minutes(20) < t0_ + hours(12)) {
    at += minutes(20);
    ASSERT_TRUE(service_.authenticate(*conn_, s.token, at)) << "used every 20 minutes";
  }
  EXPECT_FALSE(service_.authenticate(*conn_, s.token, t0_ + hours(12)));
}

TEST_F(SessionServiceTest, LogOutEndsTheSessionOnce) {
  const NewSession s = logged_in(t0_);
  const NewSession other = logged_in(t0_);
  EXPECT_TRUE(service_.log_out(*conn_, s.token, t0_ + minutes(1)));
  EXPECT_FALSE(service_.authenticate(*conn_, s.token, t0_ + minutes(2)));
  EXPECT_FALSE(service_.log_out(*conn_, s.token, t0_ + minutes(3))) << "already ended";
  EXPECT_FALSE(service_.log_out(*conn_, "no-such-token", t0_ + minutes(3)));
  EXPECT_TRUE(service_.authenticate(*conn_, other.token, t0_ + minutes(2))) << "the other session stays";
  EXPECT_EQ(scalar("SELECT ended_at = timestamptz '2026-03-02 09:01:00+00' FROM sessions WHERE id = " +
                   std::to_string(s.session.id)),
            "t");
  const auto rows = audit_rows();
  EXPECT_EQ(rows.back().action, "session.logged_out");
  EXPECT_EQ(rows.back().actor, "Head");
  const auto actions = audit_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "session.logged_out"), 1);
}

TEST_F(SessionServiceTest, ADisabledAccountIsRefusedAndItsSessionsStopAtOnce) {
  const NewSession s = logged_in(t0_);
  // Disabled in the table without ending the session: authenticate looks at the account.
  {
    pqxx::work tx(*conn_);
    set_disabled(tx, s.session.account.id, true);
    tx.commit();
  }
  EXPECT_FALSE(service_.authenticate(*conn_, s.token, t0_ + minutes(1)));
  EXPECT_EQ(refused(log_in("head", kPassword, t0_ + minutes(1))).reason, LoginRefusal::kDisabled);
  EXPECT_EQ(refused(log_in("head", "wrong", t0_ + minutes(1))).reason, LoginRefusal::kBadCredentials)
      << "only the right password learns that the account is disabled";
  EXPECT_EQ(scalar("SELECT detail->>'reason' FROM audit WHERE action = 'login.failed' ORDER BY id LIMIT 1"), "disabled");
}

TEST_F(SessionServiceTest, CsrfTokenIsAcceptedAndAnythingElseRefused) {
  const NewSession s = logged_in(t0_);
  EXPECT_TRUE(SessionService::check_csrf(s.session, s.csrf));
  const auto found = service_.authenticate(*conn_, s.token, t0_ + minutes(1));
  ASSERT_TRUE(found);
  EXPECT_TRUE(SessionService::check_csrf(*found, s.csrf)) << "the session found again knows it too";
  EXPECT_FALSE(SessionService::check_csrf(*found, s.token));
  EXPECT_FALSE(SessionService::check_csrf(*found, ""));
  std::string altered = s.csrf;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(SessionService::check_csrf(*found, altered));
  EXPECT_FALSE(SessionService::check_csrf(*found, logged_in(t0_).csrf)) << "another session's token";
}

TEST_F(SessionServiceTest, AnOldHashIsReplacedAtTheNextLogin) {
  ASSERT_GE(sodium_init(), 0);
  char weak[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(weak, kPassword, std::strlen(kPassword), crypto_pwhash_OPSLIMIT_MIN,
                                  crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
            0);
  {
    pqxx::work tx(*conn_);
    set_password_hash(tx, find_account_by_name(tx, "head")->id, weak, std::nullopt);
    tx.commit();
  }
  logged_in(t0_ + minutes(1));
  pqxx::work tx(*conn_);
  const auto a = find_account_by_name(tx, "head");
  EXPECT_NE(a->password_hash, weak);
  EXPECT_FALSE(password_needs_rehash(a->password_hash));
  EXPECT_TRUE(verify_password(a->password_hash, kPassword));
  EXPECT_EQ(a->password_changed_at, t0_) << "the same password, not a new one";
}

TEST_F(SessionServiceTest, EveryEventIsAuditedAndTheChainHolds) {
  log_in("nobody", "x", t0_);
  log_in("head", "wrong", t0_);
  const NewSession s = logged_in(t0_);
  service_.log_out(*conn_, s.token, t0_ + minutes(1));
  EXPECT_EQ(audit_actions(), (std::vector<std::string>{"account.added", "login.failed", "login.failed",
                                                       "login.succeeded", "session.logged_out"}));
  EXPECT_EQ(scalar("SELECT detail->>'session_id' FROM audit WHERE action = 'login.succeeded'"),
            std::to_string(s.session.id));
  EXPECT_TRUE(verify_audit(*conn_).ok);
}

TEST(SessionPolicyFromConfig, TakesTheAccountsSection) {
  AccountsConfig c;
  c.session_idle_minutes = 10;
  c.session_lifetime_hours = 2;
  c.lockout_failures = 7;
  c.lockout_minutes = 60;
  const SessionPolicy p = session_policy(c);
  EXPECT_EQ(p.idle_timeout, minutes(10));
  EXPECT_EQ(p.lifetime, hours(2));
  EXPECT_EQ(p.lockout_failures, 7);
  EXPECT_EQ(p.lockout_duration, minutes(60));
}

}  // namespace
}  // namespace veil
