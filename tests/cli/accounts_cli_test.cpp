// veil accounts end to end on real PostgreSQL through the veil binary: passwords from a private
// file or standard input and never from argv, the rule, JSON Lines without hashes, audit rows.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_support.h"

namespace veil {
namespace {

namespace fs = std::filesystem;

class AccountsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
  }
  // Standard input is /dev/null unless the arguments redirect it: no terminal to prompt on.
  test::CommandResult veil(const std::string& args) {
    return test::run_command(test::binary_dir() + "/cli/veil --database-url '" + db_.url() + "' " + args +
                             " </dev/null");
  }
  std::string sql(const std::string& query) {
    const auto r = test::run_command("psql -tA -F '|' '" + db_.url() + "' -c \"" + query + "\"");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // A password file with `mode`.
  std::string password_file(const std::string& password, fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
    const std::string path = tmp_.path() + "/pw" + std::to_string(++files_);
    std::ofstream(path) << password << "\nthe second line is not read\n";
    fs::permissions(path, mode, fs::perm_options::replace);
    return path;
  }
  std::vector<nlohmann::json> list() {
    const auto r = veil("accounts list");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<nlohmann::json> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
  std::string hash_of(const std::string& name) {
    return sql("SELECT password_hash FROM accounts WHERE name = '" + name + "'");
  }
  test::ScratchDatabase db_;
  test::TempDir tmp_;
  int files_ = 0;
};

TEST_F(AccountsCli, AddWithAPasswordFileAndListWithoutTheHash) {
  ASSERT_EQ(veil("people add staff 'Mrs Patel'").exit_code, 0);
  const auto add = veil("accounts add patel --role staff --person 'Mrs Patel' --password-file " +
                        password_file("Correct-Horse-42"));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const auto added = nlohmann::json::parse(add.out);
  EXPECT_EQ(added["name"], "patel");
  EXPECT_EQ(added["role"], "staff");
  EXPECT_EQ(added["person"], "Mrs Patel");
  EXPECT_EQ(hash_of("patel").rfind("$argon2id$", 0), 0u) << "stored hashed";

  const auto add2 = veil("accounts add Head --role manager --password-file " + password_file("Battery-Staple-7"));
  ASSERT_EQ(add2.exit_code, 0) << add2.err;
  const auto accounts = list();
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0]["name"], "Head");
  EXPECT_EQ(accounts[0]["person"], nullptr);
  EXPECT_EQ(accounts[1]["name"], "patel");
  for (const auto& a : accounts) {
    for (const char* key : {"name", "role", "person", "disabled", "locked_until", "last_login"})
      EXPECT_TRUE(a.contains(key)) << key << " in " << a.dump();
    EXPECT_EQ(a["disabled"], false);
    EXPECT_EQ(a["last_login"], nullptr);
    EXPECT_EQ(a.dump().find("argon2"), std::string::npos) << a.dump();
    EXPECT_FALSE(a.contains("password_hash"));
  }
  EXPECT_EQ(sql("SELECT actor LIKE 'cli:%' FROM audit WHERE action = 'account.added' LIMIT 1"), "t\n");
  EXPECT_EQ(veil("accounts add PATEL --role senior --password-file " + password_file("Correct-Horse-42")).exit_code, 1)
      << "names are unique whatever the case";
}

TEST_F(AccountsCli, PasswordFileOthersCanReadIsRefused) {
  const auto r = veil("accounts add Head --role manager --password-file " +
                      password_file("Correct-Horse-42", fs::perms::owner_read | fs::perms::owner_write |
                                                            fs::perms::group_read | fs::perms::others_read));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("can be read or written by group or others (mode 0644): chmod 600"), std::string::npos)
      << r.err;
  EXPECT_EQ(sql("SELECT count(*) FROM accounts"), "0\n");
}

TEST_F(AccountsCli, AWeakPasswordIsRefusedWithTheRule) {
  const auto r = veil("accounts add Head --role manager --password-file " + password_file("password"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the password needs at least 12 characters (it has 8), an upper-case letter (A-Z) and a "
                       "digit (0-9)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(sql("SELECT count(*) FROM accounts"), "0\n");
  // The configured rule is the one applied.
  const std::string config = tmp_.path() + "/veil.toml";
  std::ofstream(config) << "[accounts]\npassword_min_length = 20\n";
  const auto longer = veil("--config " + config + " accounts add Head --role manager --password-file " +
                           password_file("Correct-Horse-42"));
  EXPECT_EQ(longer.exit_code, 1);
  EXPECT_NE(longer.err.find("at least 20 characters (it has 16)"), std::string::npos) << longer.err;
}

TEST_F(AccountsCli, APasswordIsNeverTakenFromTheCommandLine) {
  for (const std::string args : {"accounts add Head --role manager --password Secret-Horse-42",
                                 "accounts add Head --role manager --password=Secret-Horse-42",
                                 "accounts add Head Secret-Horse-42 --role manager",
                                 "accounts passwd Head Secret-Horse-42"}) {
    const auto r = veil(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.err.find("Secret-Horse-42"), std::string::npos) << "the password is not repeated: " << r.err;
    EXPECT_NE(r.err.find("A password is never taken from the command line"), std::string::npos) << r.err;
  }
  // Without a file and without a terminal there is nothing to ask on.
  const auto no_tty = veil("accounts add Head --role manager");
  EXPECT_EQ(no_tty.exit_code, 2);
  EXPECT_NE(no_tty.err.find("no terminal to ask for the password on"), std::string::npos) << no_tty.err;
  EXPECT_EQ(sql("SELECT count(*) FROM accounts"), "0\n");
}

TEST_F(AccountsCli, PasswdFromStandardInputReplacesTheHash) {
  ASSERT_EQ(veil("accounts add Head --role manager --password-file " + password_file("Correct-Horse-42")).exit_code, 0);
  const std::string before = hash_of("Head");
  const auto r = test::run_command("printf 'Battery-Staple-7\\n' | " + test::binary_dir() + "/cli/veil --database-url '" +
                                   db_.url() + "' accounts passwd head --password-file -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["name"], "Head");
  EXPECT_NE(hash_of("Head"), before);
  EXPECT_EQ(sql("SELECT count(*) FROM audit WHERE action = 'account.password_changed' AND actor LIKE 'cli:%'"), "1\n");
  const auto weak = veil("accounts passwd Head --password-file " + password_file("weak"));
  EXPECT_EQ(weak.exit_code, 1);
  EXPECT_NE(weak.err.find("the password needs"), std::string::npos) << weak.err;
  EXPECT_EQ(veil("accounts passwd Nobody --password-file " + password_file("Correct-Horse-42")).exit_code, 1);
}

TEST_F(AccountsCli, DisableAndEnable) {
  ASSERT_EQ(veil("accounts add Head --role manager --password-file " + password_file("Correct-Horse-42")).exit_code, 0);
  const auto off = veil("accounts disable head");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(nlohmann::json::parse(off.out)["disabled"], true);
  EXPECT_EQ(list()[0]["disabled"], true);
  // A lockout, lifted by enable too.
  sql("UPDATE accounts SET locked_until = now() - interval '1 minute'");
  EXPECT_EQ(list()[0]["locked_until"], nullptr) << "a lock that has run out is not shown";
  sql("UPDATE accounts SET locked_until = now() + interval '10 minutes'");
  EXPECT_NE(list()[0]["locked_until"], nullptr);
  const auto on = veil("accounts enable Head");
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_EQ(nlohmann::json::parse(on.out)["disabled"], false);
  EXPECT_EQ(nlohmann::json::parse(on.out)["locked_until"], nullptr);
  EXPECT_EQ(sql("SELECT string_agg(action, ',' ORDER BY id) FROM audit WHERE actor LIKE 'cli:%'"),
            "account.added,account.disabled,account.enabled\n");
  const auto missing = veil("accounts disable Nobody");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no account 'Nobody'"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace veil
