// Issue acceptance, end to end on real PostgreSQL through the veil binary: three enrolled
// children (consent yes, consent no, journal owner) and an unknown person in one photo.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "tests/test_support.h"

namespace veil {
namespace {

class ConsentEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
  }
  test::CommandResult veil(const std::string& args) {
    return test::run_command(test::binary_dir() + "/cli/veil --database-url '" + db_.url() + "' " + args);
  }
  std::string sql(const std::string& query) {
    const auto r = test::run_command("psql -tA -F '|' '" + db_.url() + "' -c \"" + query + "\"");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  test::ScratchDatabase db_;
  test::TempDir tmp_;
};

// Four real single-person photos side by side, scaled to one height.
std::string compose_group_photo(const std::vector<std::string>& files, const std::string& out) {
  std::vector<cv::Mat> parts;
  for (const auto& f : files) {
    cv::Mat img = cv::imread(f, cv::IMREAD_COLOR), scaled;
    cv::resize(img, scaled, cv::Size(img.cols * 400 / img.rows, 400), 0, 0, cv::INTER_AREA);
    parts.push_back(scaled);
  }
  cv::Mat group;
  cv::hconcat(parts, group);
  cv::imwrite(out, group);
  return out;
}

TEST_F(ConsentEndToEnd, DecisionsFaceIndexConsentCitedAndAuditChain) {
  ASSERT_EQ(veil("people add staff 'Mrs Patel'").exit_code, 0);
  for (const char* child : {"Barack", "Rose", "Kit"}) {
    const auto r = veil(std::string("children add ") + child + " --key-person 'Mrs Patel'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Enrol from other photos than the ones in the group photo.
  auto enrol = [&](const std::string& child, const std::string& photo) {
    const auto r = veil("enrol " + child + " " + test::testdata(photo));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  };
  enrol("Barack", "faces/Barack_Obama/obama1.jpg");
  enrol("Barack", "faces/Barack_Obama/obama_small.jpg");
  enrol("Rose", "faces/Rose_Leslie/img1.jpg");
  enrol("Kit", "faces/Kit_Harington/john1.jpeg");
  enrol("Kit", "faces/Kit_Harington/johnsnow_test1.jpg");

  auto consent = [&](const std::string& child, const std::string& answer) {
    const auto r = veil("consent " + child + " --photos-in-others " + answer +
                        " --recorded-by 'Mrs Patel' --evidence 'signed form, office file 3'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["event"].get<long long>();
  };
  consent("Barack", "no");
  const long long barack_yes = consent("Barack", "yes");  // the latest event counts
  const long long rose_no = consent("Rose", "no");

  const std::string photo =
      compose_group_photo({test::testdata("faces/Barack_Obama/obama.jpg"), test::testdata("faces/Rose_Leslie/img2.jpg"),
                           test::testdata("faces/Kit_Harington/john2.jpeg"),
                           test::testdata("faces/_unknown/paul_rudd_1.jpg")},
                          tmp_.path() + "/group.jpg");
  const auto r = veil("process " + photo + " --journal Kit --out " + tmp_.path() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto result = nlohmann::json::parse(r.out);
  const std::string media_id = result["media_id"];

  std::map<std::string, nlohmann::json> by_match;
  int unknown = 0;
  for (const auto& f : result["faces"]) {
    if (f["match"].is_string()) by_match[f["match"]] = f;
    else if (f["reason"] == "unknown") ++unknown;
  }
  ASSERT_EQ(by_match.count("Barack"), 1u) << r.out;
  ASSERT_EQ(by_match.count("Rose"), 1u) << r.out;
  ASSERT_EQ(by_match.count("Kit"), 1u) << r.out;
  EXPECT_EQ(by_match["Barack"]["decision"], "keep");
  EXPECT_EQ(by_match["Barack"]["reason"], "consent_yes");
  EXPECT_EQ(by_match["Barack"]["consent_event_id"], barack_yes);
  EXPECT_EQ(by_match["Rose"]["decision"], "blur");
  EXPECT_EQ(by_match["Rose"]["reason"], "consent_no");
  EXPECT_EQ(by_match["Rose"]["consent_event_id"], rose_no);
  EXPECT_EQ(by_match["Kit"]["decision"], "keep");
  EXPECT_EQ(by_match["Kit"]["reason"], "journal_owner");
  EXPECT_EQ(unknown, 1) << "the stranger is unknown and blurred: " << r.out;
  EXPECT_EQ(result["outcome"], "published") << r.out;

  // The stored face index: one row per face, with the decision and the consent event cited.
  const std::string rows = sql("SELECT c.display_name, f.decision, f.decision_reason, coalesce(f.consent_event_id, 0) "
                               "FROM faces f LEFT JOIN children c ON c.id = f.matched_child_id "
                               "WHERE f.media_id = '" + media_id + "' ORDER BY f.bbox[1]");
  EXPECT_EQ(rows, "Barack|keep|consent_yes|" + std::to_string(barack_yes) + "\nRose|blur|consent_no|" +
                      std::to_string(rose_no) + "\nKit|keep|journal_owner|0\n|blur|unknown|0\n");
  EXPECT_EQ(sql("SELECT state FROM media WHERE id = '" + media_id + "'"), "published\n");
  EXPECT_EQ(sql("SELECT count(*) FROM renditions WHERE media_id = '" + media_id + "'"), "3\n");

  // The audit chain holds the decisions and verifies.
  EXPECT_NE(sql("SELECT detail::text FROM audit WHERE action = 'media.processed' AND media_id = '" + media_id + "'")
                .find("\"consent_event_id\": " + std::to_string(rose_no)),
            std::string::npos);
  const auto verify = veil("audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_TRUE(nlohmann::json::parse(verify.out)["ok"].get<bool>());
  EXPECT_GT(nlohmann::json::parse(verify.out)["rows"].get<int>(), 10);

  // After Rose's parent gives consent, Rose is kept when the photo is processed again.
  consent("Rose", "yes");
  const auto again = veil("process " + photo + " --journal Kit --out " + tmp_.path() + "/out2");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const auto& f : nlohmann::json::parse(again.out)["faces"]) {
    if (f["match"] == "Rose") {
      EXPECT_EQ(f["decision"], "keep") << again.out;
    }
  }

  // One row altered behind the append-only trigger's back (its owner switches it off): `veil
  // audit verify` fails and names exactly that row; the rows before it still verify.
  const std::string victim = sql("SELECT id FROM audit WHERE action = 'media.processed' AND media_id = '" + media_id +
                                 "' ORDER BY id LIMIT 1");
  ASSERT_FALSE(victim.empty());
  sql("BEGIN; ALTER TABLE audit DISABLE TRIGGER audit_append_only; UPDATE audit SET detail = detail || "
      "jsonb_build_object('faces', 0) WHERE id = " + victim.substr(0, victim.size() - 1) +
      "; ALTER TABLE audit ENABLE TRIGGER audit_append_only; COMMIT;");
  const auto tampered = veil("audit verify");
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out;
  const auto t = nlohmann::json::parse(tampered.out);
  EXPECT_FALSE(t["ok"].get<bool>());
  EXPECT_EQ(std::to_string(t["first_broken_id"].get<std::int64_t>()) + "\n", victim) << tampered.out;
  EXPECT_EQ(t["problem"], "hash does not match the row's content") << tampered.out;
}

TEST_F(ConsentEndToEnd, EnrolmentRefusesUnsuitablePhotos) {
  ASSERT_EQ(veil("children add Kit").exit_code, 0);
  const auto several = veil("enrol Kit " + test::testdata("faces/_multi/kit_with_rose.jpg"));
  EXPECT_EQ(several.exit_code, 1);
  EXPECT_NE(several.out.find("faces found: a reference photo must show one face"), std::string::npos) << several.out;
  const auto none = veil("enrol Kit " + test::testdata("robustness/negatives/rocket.jpg"));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.out.find("no face found"), std::string::npos) << none.out;
  // A face too small: the limit and the measured value are both said.
  const auto small = veil("--config /dev/null enrol Kit " + test::testdata("faces/Kit_Harington/john1.jpeg"));
  EXPECT_EQ(small.exit_code, 0) << small.out << small.err;
  test::TempDir cfg;
  const std::string strict = cfg.path() + "/strict.toml";
  std::ofstream(strict) << "[enrolment]\nmin_face_px = 4000\n";
  const auto too_small = veil("--config " + strict + " enrol Kit " + test::testdata("faces/Kit_Harington/john2.jpeg"));
  EXPECT_EQ(too_small.exit_code, 1);
  EXPECT_NE(too_small.out.find("face too small: "), std::string::npos) << too_small.out;
  EXPECT_NE(too_small.out.find("the limit is 4000 px"), std::string::npos) << too_small.out;
  // A blurred copy of a good photo is refused for sharpness.
  cv::Mat img = cv::imread(test::testdata("faces/Kit_Harington/john2.jpeg")), blurred;
  cv::GaussianBlur(img, blurred, cv::Size(0, 0), 6);
  cv::imwrite(cfg.path() + "/blurred.jpg", blurred);
  const auto soft = veil("enrol Kit " + cfg.path() + "/blurred.jpg");
  EXPECT_EQ(soft.exit_code, 1);
  EXPECT_NE(soft.out.find("face too blurred: sharpness "), std::string::npos) << soft.out;
  EXPECT_EQ(sql("SELECT count(*) FROM face_templates"), "1\n");
}

TEST_F(ConsentEndToEnd, ConsentHistoryIsKeptAndLeaversStopMatching) {
  ASSERT_EQ(veil("people add staff Sam").exit_code, 0);
  ASSERT_EQ(veil("children add Amara").exit_code, 0);
  EXPECT_EQ(veil("consent Amara --photos-in-others yes --recorded-by Sam --evidence 'form A'").exit_code, 0);
  EXPECT_EQ(veil("consent Amara --photos-in-others no --recorded-by Sam --evidence 'email'").exit_code, 0);
  const auto history = veil("consent Amara --history");
  ASSERT_EQ(history.exit_code, 0);
  std::istringstream lines(history.out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(nlohmann::json::parse(first)["photos_in_others"], "yes");
  EXPECT_EQ(nlohmann::json::parse(second)["photos_in_others"], "no");
  const auto show = veil("children show Amara");
  EXPECT_EQ(nlohmann::json::parse(show.out)["consent"], "no");
  const auto leave = veil("children leave Amara --no-wait");  // the export job left to veild: no data directory here
  EXPECT_EQ(leave.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(leave.out)["status"], "left");
  EXPECT_EQ(veil("children list").out, "") << "left children are not listed by default";
  EXPECT_EQ(veil("consent Nobody --history").exit_code, 1);
  EXPECT_EQ(veil("consent Amara --photos-in-others maybe").exit_code, 2);
}

}  // namespace
}  // namespace veil
