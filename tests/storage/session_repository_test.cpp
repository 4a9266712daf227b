// The sessions table on real PostgreSQL: found by the token's hash, touched, ended once.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "storage/account_repository.h"
#include "storage/session_repository.h"
#include "tests/database_test.h"

namespace veil {
namespace {

using std::chrono::minutes;

// t0_ + 1 µs: the smallest step must survive the round trip.
class SessionRepositoryTest : public test::DatabaseTest {
 protected:
  const TimePoint t0_ = DatabaseTest::t0_ + std::chrono::microseconds(1);
};

TEST_F(SessionRepositoryTest, FoundByTokenHashTouchedAndEndedOnce) {
  pqxx::work tx(*conn_);
  const auto account = insert_account(tx, "Head", "manager", 0, "h", t0_);
  TokenHash token{}, csrf{}, other{};
  for (std::size_t i = 0; i < token.size(); ++i) token[i] = static_cast<unsigned char>(i), csrf[i] = 0xA0, other[i] = 7;
  token[5] = 0;  // bytes, not text: a NUL inside is kept
  const auto id = insert_session(tx, account, token, csrf, t0_, t0_ + std::chrono::hours(12), "127.0.0.1 test");
  auto s = find_session(tx, token);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, id);
  EXPECT_EQ(s->account_id, account);
  EXPECT_EQ(s->csrf_hash, csrf);
  EXPECT_EQ(s->created_at, t0_);
  EXPECT_EQ(s->last_seen_at, t0_);
  EXPECT_EQ(s->expires_at, t0_ + std::chrono::hours(12));
  EXPECT_FALSE(s->ended_at);
  EXPECT_EQ(s->client, "127.0.0.1 test");
  EXPECT_FALSE(find_session(tx, other));

  touch_session(tx, id, t0_ + minutes(3));
  EXPECT_EQ(find_session(tx, token)->last_seen_at, t0_ + minutes(3));
  set_csrf_hash(tx, id, other);
  EXPECT_EQ(find_session(tx, token)->csrf_hash, other);
  EXPECT_TRUE(end_session(tx, id, t0_ + minutes(4)));
  EXPECT_FALSE(end_session(tx, id, t0_ + minutes(9))) << "ended once";
  EXPECT_EQ(*find_session(tx, token)->ended_at, t0_ + minutes(4));

  pqxx::subtransaction again(tx);
  EXPECT_THROW(insert_session(again, account, token, csrf, t0_, t0_, ""), pqxx::unique_violation);
}

TEST_F(SessionRepositoryTest, EndingAnAccountsSessionsLeavesOthersAlone) {
  pqxx::work tx(*conn_);
  const auto a = insert_account(tx, "a", "manager", 0, "h", t0_);
  const auto b = insert_account(tx, "b", "senior", 0, "h", t0_);
  const auto end = t0_ + std::chrono::hours(1);
  const auto ended = insert_session(tx, a, TokenHash{1}, TokenHash{}, t0_, end, "");
  insert_session(tx, a, TokenHash{2}, TokenHash{}, t0_, end, "");
  insert_session(tx, b, TokenHash{3}, TokenHash{}, t0_, end, "");
  end_session(tx, ended, t0_);
  EXPECT_EQ(end_account_sessions(tx, a, t0_ + minutes(1)), 1) << "the one still open";
  EXPECT_EQ(*find_session(tx, TokenHash{1})->ended_at, t0_) << "an ended session keeps its first end";
  EXPECT_TRUE(find_session(tx, TokenHash{2})->ended_at);
  EXPECT_FALSE(find_session(tx, TokenHash{3})->ended_at);
}

}  // namespace
}  // namespace veil
