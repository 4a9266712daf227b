// Implementation of the shared test helpers.
#include "tests/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace veil::test {

std::string shared_dir() {
  if (const char* env = std::getenv("VEIL_SHARED_DIR"); env && *env) return env;
  return VEIL_SHARED_DIR;
}

std::string testdata(const std::string& relative) { return shared_dir() + "/testdata/" + relative; }

std::string model_dir() {
  if (const char* env = std::getenv("VEIL_MODEL_DIR"); env && *env) return env;
  return std::string(VEIL_BINARY_DIR) + "/models";
}

std::string binary_dir() { return VEIL_BINARY_DIR; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

CommandResult run_command(const std::string& command_line) {
  TempDir tmp;
  const std::string out = tmp.path() + "/out", err = tmp.path() + "/err";
  const std::string full = "(" + command_line + ") >" + out + " 2>" + err;
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "veil-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string test_database_url() {
  const char* env = std::getenv("VEIL_TEST_DATABASE_URL");
  return env ? env : "";
}

}  // namespace veil::test

namespace veil::test {

static std::string with_database(const std::string& url, const std::string& db) {
  const auto slash = url.find("/", url.find("://") + 3);
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

ScratchDatabase::ScratchDatabase() {
  const std::string admin = test_database_url();
  if (admin.empty()) return;
  static int counter = 0;
  name_ = "veil_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  const auto r = run_command("psql -v ON_ERROR_STOP=1 -q '" + admin + "' -c 'CREATE DATABASE " + name_ + "'");
  if (r.exit_code != 0) throw std::runtime_error("cannot create scratch database: " + r.err);
  url_ = with_database(admin, name_);
}

ScratchDatabase::~ScratchDatabase() {
  if (url_.empty()) return;
  run_command("psql -q '" + test_database_url() + "' -c 'DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)'");
}

}  // namespace veil::test
