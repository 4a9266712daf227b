// The leaver flow end to end through the veil binary on real PostgreSQL (issue 19): export,
// leave, import into a second setting (a damaged file refused whole), purge when due, the
// audit chain still valid.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace veil {
namespace {

class LeaverEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty() || second_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set";
  }
  test::CommandResult veil(const std::string& args, const test::ScratchDatabase* db = nullptr,
                           const std::string& data = "/data") {
    return test::run_command(test::binary_dir() + "/cli/veil --database-url '" + (db ? db : &db_)->url() +
                             "' --data-dir '" + tmp_.path() + data + "' " + args);
  }
  std::string sql(const std::string& query, const test::ScratchDatabase* db = nullptr) {
    const auto r = test::run_command("psql -tA -F '|' '" + (db ? db : &db_)->url() + "' -c \"" + query + "\"");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  static nlohmann::json last_line(const std::string& out) {
    const auto end = out.find_last_not_of('\n');
    const auto start = out.rfind('\n', end);
    return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1, end + 1));
  }
  test::ScratchDatabase db_, second_;
  test::TempDir tmp_;
};

TEST_F(LeaverEndToEnd, ExportLeaveImportPurge) {
  ASSERT_EQ(veil("people add staff 'Mrs Patel'").exit_code, 0);
  ASSERT_EQ(veil("children add Kit --key-person 'Mrs Patel'").exit_code, 0);
  const auto enrol = veil("enrol Kit " + test::testdata("faces/Kit_Harington/john1.jpeg") + " " +
                          test::testdata("faces/Kit_Harington/johnsnow_test1.jpg"));
  ASSERT_EQ(enrol.exit_code, 0) << enrol.out << enrol.err;
  ASSERT_EQ(veil("consent Kit --photos-in-others yes --recorded-by 'Mrs Patel' --evidence 'form'").exit_code, 0);
  for (const char* photo : {"faces/Kit_Harington/john2.jpeg", "faces/George_W_Bush/George_W_Bush_0001.jpg"}) {
    const auto r = veil("process " + test::testdata(photo) + " --journal Kit --out " + tmp_.path() + "/renditions");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_EQ(nlohmann::json::parse(r.out)["outcome"], "published") << r.out;
  }

  // On demand.
  const std::string zip = tmp_.path() + "/kit.zip";
  const auto exported = veil("export Kit --out " + zip);
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto e = nlohmann::json::parse(exported.out);
  EXPECT_EQ(e["items"], 2);
  EXPECT_EQ(e["bytes"].get<std::int64_t>(), static_cast<std::int64_t>(std::filesystem::file_size(zip)));
  EXPECT_EQ(e["sha256"], test::run_command("sha256sum " + zip).out.substr(0, 64));

  // The leaver flow: the export built at once, the purge due 30 days after the date.
  const auto left = veil("children leave Kit --on 2026-01-05");
  ASSERT_EQ(left.exit_code, 0) << left.err;
  const auto l = nlohmann::json::parse(left.out);
  EXPECT_EQ(l["status"], "left");
  EXPECT_EQ(l["purge_due"], "2026-02-04");
  EXPECT_EQ(l["export"]["recorded"], true) << left.out;
  EXPECT_EQ(sql("SELECT export_sha256 FROM leavers"), l["export"]["sha256"].get<std::string>() + "\n");
  EXPECT_EQ(veil("children leave Kit").exit_code, 2) << "already left";
  const auto shown = nlohmann::json::parse(veil("children show Kit").out);
  EXPECT_EQ(shown["leaver"]["purge_due"], "2026-02-04");
  EXPECT_EQ(shown["leaver"]["export"]["sha256"], l["export"]["sha256"]);
  EXPECT_EQ(veil("children leave Rose --on 2026-02-30").exit_code, 1) << "no such child";
  ASSERT_EQ(veil("children add Rose").exit_code, 0);
  const auto bad_date = veil("children leave Rose --on 2026-02-30");
  EXPECT_EQ(bad_date.exit_code, 2) << bad_date.err;
  EXPECT_EQ(sql("SELECT status FROM children WHERE display_name = 'Rose'"), "active\n") << "nothing half-done";

  // The receiving setting: a damaged file is refused whole, the genuine one imported.
  ASSERT_EQ(veil("migrate", &second_, "/data2").exit_code, 0);
  std::string bytes = test::read_file(zip);
  bytes[bytes.size() / 3] ^= 0x01;
  std::ofstream(tmp_.path() + "/damaged.zip", std::ios::binary) << bytes;
  const auto refused = veil("children import " + tmp_.path() + "/damaged.zip", &second_, "/data2");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("refused, nothing imported"), std::string::npos) << refused.err;
  EXPECT_EQ(sql("SELECT count(*) FROM children", &second_), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM media", &second_), "0\n");
  const auto imported = veil("children import " + zip, &second_, "/data2");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(nlohmann::json::parse(imported.out)["items"], 2);
  EXPECT_EQ(sql("SELECT count(DISTINCT media_id) FROM journal_renditions", &second_), "2\n");
  EXPECT_EQ(veil("children import " + zip, &second_, "/data2").exit_code, 2) << "Kit exists there now";
  EXPECT_EQ(veil("audit verify", &second_, "/data2").exit_code, 0);

  // The purge.
  const auto purge = veil("purge --due");
  ASSERT_EQ(purge.exit_code, 0) << purge.out << purge.err;
  const auto summary = last_line(purge.out);
  EXPECT_EQ(summary["purged"], 1) << purge.out;
  EXPECT_EQ(sql("SELECT display_name FROM children"), "Rose\n") << "Kit's row is gone";
  EXPECT_EQ(sql("SELECT count(*) FROM media"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM renditions"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM face_templates"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM consent_events"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM faces"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM audit WHERE detail::text LIKE '%Kit%'"), "0\n");
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/data/exports/child-1.zip"));
  std::size_t files = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(tmp_.path() + "/renditions"))
    files += f.is_regular_file();
  EXPECT_EQ(files, 0u) << "every rendition deleted";
  const auto verify = veil("audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(last_line(veil("purge --due").out)["purged"], 0);
  EXPECT_NE(veil("children return Kit").exit_code, 0);
}

}  // namespace
}  // namespace veil
