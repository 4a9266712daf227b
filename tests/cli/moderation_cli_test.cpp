// veil moderation and veil media end to end on real PostgreSQL through the veil binary: a
// parent's photo processed by `veil process --journal` is held; it is listed, shown, approved
// and rejected as an account; refusals exit non-zero with their reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_support.h"

namespace veil {
namespace {

class ModerationCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
  }
  test::CommandResult veil(const std::string& args) {
    return test::run_command(test::binary_dir() + "/cli/veil --database-url '" + db_.url() + "' --data-dir " +
                             tmp_.path() + "/data " + args + " </dev/null");
  }
  std::string sql(const std::string& query) {
    const auto r = test::run_command("psql -tA -F '|' '" + db_.url() + "' -c \"" + query + "\"");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  static std::vector<nlohmann::json> lines(const std::string& out) {
    std::vector<nlohmann::json> parsed;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) parsed.push_back(nlohmann::json::parse(line));
    return parsed;
  }
  // A held item: Kit's mum's photo of Kit, processed by hand.
  std::string held_item() {
    EXPECT_EQ(veil("people add staff 'Mrs Patel'").exit_code, 0);
    EXPECT_EQ(veil("children add Kit --key-person 'Mrs Patel'").exit_code, 0);
    const auto enrol = veil("enrol Kit " + test::testdata("faces/Kit_Harington/john1.jpeg"));
    EXPECT_EQ(enrol.exit_code, 0) << enrol.err;
    const auto r = veil("process " + test::testdata("faces/Kit_Harington/john2.jpeg") + " --journal Kit --role parent --out " +
                        tmp_.path() + "/out");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["outcome"], "held") << r.out;
    // Accounts as `veil accounts add` makes them (the hash is not used here).
    sql("INSERT INTO accounts (name, role, password_hash) VALUES ('Ada', 'manager', 'x'), ('Sam', 'senior', 'x')");
    sql("INSERT INTO accounts (name, role, person_id, password_hash) SELECT 'patel', 'staff', id, 'x' FROM people");
    sql("INSERT INTO accounts (name, role, password_hash, disabled) VALUES ('Old', 'manager', 'x', true)");
    return out["media_id"];
  }
  test::ScratchDatabase db_;
  test::TempDir tmp_;
};

TEST_F(ModerationCli, ListShowApproveAndTheMediaCommands) {
  const std::string id = held_item();
  const auto list = veil("moderation list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto queue = lines(list.out);
  ASSERT_EQ(queue.size(), 1u) << list.out;
  EXPECT_EQ(queue[0]["id"], id);
  EXPECT_EQ(queue[0]["reasons"], nlohmann::json::array({"parent_upload"}));
  EXPECT_EQ(queue[0]["journal_child"]["name"], "Kit");
  EXPECT_TRUE(lines(veil("moderation list --state approved").out).empty());

  const auto show = veil("media show " + id);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  const auto item = nlohmann::json::parse(show.out);
  ASSERT_FALSE(item["renditions"].empty());
  for (const auto& r : item["renditions"]) {
    EXPECT_TRUE(std::filesystem::exists(r["path"].get<std::string>())) << r;
    EXPECT_TRUE(r.contains("kind"));
  }
  EXPECT_EQ(item["faces"].size(), 1u);
  EXPECT_EQ(item["faces"][0]["reason"], "journal_owner");
  EXPECT_EQ(nlohmann::json::parse(veil("moderation show " + id).out)["moderation"]["state"], "pending");

  const auto held = lines(veil("media list --state held,published --journal Kit").out);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0]["id"], id);
  EXPECT_EQ(held[0]["state"], "held");
  EXPECT_TRUE(lines(veil("media list --state published").out).empty());
  EXPECT_EQ(veil("media list --state waiting").exit_code, 2);
  EXPECT_EQ(veil("media list --journal Nobody").exit_code, 2);

  const auto unknown = veil("moderation approve " + id + " --as Nobody");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no account 'Nobody'"), std::string::npos) << unknown.err;
  EXPECT_EQ(veil("moderation approve " + id + " --as Old").exit_code, 2) << "a disabled account";
  const auto staff = veil("moderation approve " + id + " --as patel");
  EXPECT_EQ(staff.exit_code, 1);
  EXPECT_NE(staff.err.find("only managers and seniors"), std::string::npos) << staff.err;

  const auto approve = veil("moderation approve " + id + " --as Ada --note 'looks fine'");
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  const auto approved = nlohmann::json::parse(approve.out);
  EXPECT_EQ(approved["state"], "published");
  EXPECT_EQ(approved["moderation"]["decided_by"], "Ada");
  EXPECT_EQ(approved["moderation"]["note"], "looks fine");
  EXPECT_EQ(sql("SELECT actor || ' ' || action FROM audit ORDER BY id DESC LIMIT 1"), "Ada media.approved");
  EXPECT_EQ(lines(veil("moderation list --state approved").out).size(), 1u);
}

TEST_F(ModerationCli, RejectDeletesTheFilesAndFaceChangesNeedTheStoredOriginal) {
  const std::string id = held_item();
  const auto item = nlohmann::json::parse(veil("media show " + id).out);

  // `veil process` keeps no original: there is nothing to render again from.
  const auto blur = veil("moderation blur " + id + " 1 --as Sam");
  EXPECT_EQ(blur.exit_code, 1);
  EXPECT_NE(blur.err.find("original"), std::string::npos) << blur.err;
  EXPECT_EQ(veil("moderation add-face " + id + " 1 2 3 --as Sam").exit_code, 2) << "a box is four numbers";
  EXPECT_EQ(veil("moderation blur " + id + " 7 --as Sam").exit_code, 1);

  const auto reject = veil("moderation reject " + id + " --as Sam --note 'wrong journal'");
  ASSERT_EQ(reject.exit_code, 0) << reject.err;
  EXPECT_EQ(nlohmann::json::parse(reject.out)["state"], "rejected");
  for (const auto& r : item["renditions"]) EXPECT_FALSE(std::filesystem::exists(r["path"].get<std::string>())) << r;
  EXPECT_EQ(sql("SELECT state || '|' || note FROM moderation"), "rejected|wrong journal");
  EXPECT_EQ(sql("SELECT actor || ' ' || action FROM audit ORDER BY id DESC LIMIT 1"), "Sam media.rejected");
  const auto again = veil("moderation approve " + id + " --as Ada");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("only a held item"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace veil
