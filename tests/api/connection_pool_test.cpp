// The request threads' connections: one per borrower, kept for the next request, and a
// broken one dropped instead of being handed out again.
#include <gtest/gtest.h>

#include <set>

#include <pqxx/pqxx>

#include "daemon/connection_pool.h"
#include "tests/daemon/daemon_fixture.h"

namespace veil {
namespace {

TEST(ConnectionPool, EachBorrowerHasItsOwnConnectionAndBrokenOnesAreDropped) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  ConnectionPool pool(db.url(), 2);
  std::set<int> served;
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    EXPECT_NE(&*a, &*b);
    EXPECT_NE(a->backendpid(), b->backendpid());
    auto c = pool.acquire();  // more borrowers than kept connections: still served
    served = {a->backendpid(), b->backendpid(), c->backendpid()};
    EXPECT_EQ(pool.idle(), 0u);
  }
  EXPECT_EQ(pool.idle(), 2u) << "at most max_idle are kept";
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    EXPECT_TRUE(served.count(a->backendpid()) && served.count(b->backendpid())) << "kept connections are reused";
    a->disconnect();  // as after a database restart
  }
  EXPECT_EQ(pool.idle(), 1u) << "the broken one was dropped";
  auto again = pool.acquire();
  pqxx::read_transaction tx(*again);
  EXPECT_EQ(tx.exec1("SELECT 1")[0].as<int>(), 1);
}

}  // namespace
}  // namespace veil
