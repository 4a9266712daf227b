// The embedded PostgreSQL launcher: first start, reuse of a data dir and of a running
// server, clean stop, and recovery from a stale postmaster.pid after kill -9.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "storage/embedded_postgres.h"
#include "tests/test_support.h"

namespace veil {
namespace {

class EmbeddedPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chmod(tmp_.path().c_str(), 0755);  // the service user must reach the data dir inside
    options_.cluster_dir = tmp_.path() + "/data/postgres";
  }
  test::TempDir tmp_;
  EmbeddedPostgresOptions options_;
};

int query_int(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<int>();
}

// Alive and not a zombie (an exited server reparented to a PID 1 that does not reap).
bool process_alive(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');
  return !(close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z');
}

// The postmaster removes postmaster.pid (which `pg_ctl stop -w` waits for) just before it
// exits, so right after a stop it may still be alive for a moment: allow it 5 s to go.
bool process_gone_soon(int pid) {
  for (int i = 0; i < 100; ++i) {
    if (!process_alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(EmbeddedPostgresTest, FirstStartCreatesClusterAndStopIsClean) {
  int pid = 0;
  {
    EmbeddedPostgres pg(options_);
    pg.start();
    EXPECT_TRUE(pg.created_cluster());
    EXPECT_FALSE(pg.reused_running_server());
    EXPECT_TRUE(pg.running());
    pid = pg.postmaster_pid();
    EXPECT_EQ(query_int(pg.url(), "SELECT 1"), 1);
    // Unix socket only: no TCP listener configured.
    pqxx::connection c(pg.url());
    pqxx::work tx(c);
    EXPECT_EQ(tx.exec1("SHOW listen_addresses")[0].as<std::string>(), "");
    tx.commit();
    c.disconnect();
    pg.stop();
    EXPECT_FALSE(pg.running());
  }
  EXPECT_FALSE(std::filesystem::exists(options_.cluster_dir + "/postmaster.pid"));
  EXPECT_TRUE(process_gone_soon(pid));
}

TEST_F(EmbeddedPostgresTest, DestructorStopsWhatItStarted) {
  int pid = 0;
  {
    EmbeddedPostgres pg(options_);
    pg.start();
    pid = pg.postmaster_pid();
    ASSERT_TRUE(process_alive(pid));
  }
  EXPECT_TRUE(process_gone_soon(pid));
}

TEST_F(EmbeddedPostgresTest, ReusesExistingDataDirectory) {
  {
    EmbeddedPostgres pg(options_);
    pg.start();
    pqxx::connection c(pg.url());
    pqxx::work tx(c);
    tx.exec0("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
    tx.commit();
  }
  EmbeddedPostgres again(options_);
  again.start();
  EXPECT_FALSE(again.created_cluster());
  EXPECT_EQ(query_int(again.url(), "SELECT v FROM kept"), 42);
}

TEST_F(EmbeddedPostgresTest, ReusesARunningServerWithoutStoppingIt) {
  EmbeddedPostgres first(options_);
  first.start();
  {
    EmbeddedPostgres second(options_);
    second.start();
    EXPECT_TRUE(second.reused_running_server());
    EXPECT_EQ(query_int(second.url(), "SELECT 2"), 2);
  }
  EXPECT_TRUE(first.running());  // the second launcher did not stop a server it did not start
}

TEST_F(EmbeddedPostgresTest, RecoversStalePidFileAfterKill9) {
  int old_pid = 0;
  {
    EmbeddedPostgres pg(options_);
    pg.start();
    old_pid = pg.postmaster_pid();
    ASSERT_GT(old_pid, 0);
    kill(old_pid, SIGKILL);
    for (int i = 0; i < 100 && process_alive(old_pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_FALSE(process_alive(old_pid));
  }
  const std::string pid_file = options_.cluster_dir + "/postmaster.pid";
  ASSERT_TRUE(std::filesystem::exists(pid_file)) << "kill -9 should leave the lock file behind";

  // Make it worse: the PID in the lock file now belongs to another live program, as after a reboot.
  const pid_t impostor = fork();
  if (impostor == 0) {
    execlp("sleep", "sleep", "30", nullptr);
    _exit(127);
  }
  {
    std::ifstream in(pid_file);
    std::string first_line, rest((std::istreambuf_iterator<char>(std::getline(in, first_line))),
                                 std::istreambuf_iterator<char>());
    std::ofstream out(pid_file, std::ios::trunc);
    out << impostor << "\n" << rest;
  }

  EmbeddedPostgres pg(options_);
  pg.start();
  EXPECT_TRUE(pg.recovered_stale_pid());
  EXPECT_TRUE(pg.running());
  EXPECT_NE(pg.postmaster_pid(), impostor);
  EXPECT_EQ(query_int(pg.url(), "SELECT 7"), 7);
  kill(impostor, SIGKILL);
  waitpid(impostor, nullptr, 0);
}

}  // namespace
}  // namespace veil
