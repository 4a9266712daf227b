// Helpers shared by the test suites: where test data, models and binaries are,
// running a command and capturing its output, temporary directories.
#pragma once

#include <string>

namespace veil::test {

// ../shared (VEIL_SHARED_DIR overrides): models/ and testdata/ live there.
std::string shared_dir();
std::string testdata(const std::string& relative);  // shared_dir()/testdata/relative
std::string model_dir();                            // where the fetched models are
std::string binary_dir();                           // the CMake build directory
std::string read_file(const std::string& path);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs a shell command line, capturing stdout and stderr.
CommandResult run_command(const std::string& command_line);

// A fresh directory under the system temp dir, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The libpq URL of the test PostgreSQL started by scripts/test (VEIL_TEST_DATABASE_URL), or "".
std::string test_database_url();

}  // namespace veil::test

namespace veil::test {
// A new, empty database on the test server, dropped when destroyed. url() is empty when
// no test server is configured (the test should then GTEST_SKIP).
class ScratchDatabase {
 public:
  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_, url_;
};
}  // namespace veil::test
