// `veil process` on videos, offline and against the database: the MP4, its poster and
// thumbnails, one face-index row per track, refusal of non-videos and broken videos.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace veil {
namespace {

std::string veil_bin() { return test::binary_dir() + "/cli/veil"; }

TEST(VeilProcessVideo, BlurAllWritesAPlayableVideoWithPosterAndThumbnails) {
  test::TempDir out;
  const auto r = test::run_command(veil_bin() + " process " +
                                   test::testdata("robustness/children/liveportrait_d11_child.mp4") +
                                   " --blur-all --out " + out.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["outcome"], "published") << r.out;
  ASSERT_GE(j["tracks"].size(), 1u);
  for (const auto& t : j["tracks"]) EXPECT_EQ(t["decision"], "blur");
  std::map<std::string, std::string> paths;
  for (const auto& o : j["outputs"]) paths[o["kind"]] = o["path"];
  ASSERT_TRUE(paths.count("video") && paths.count("poster") && paths.count("poster_thumb")) << r.out;
  // The poster (a redacted output frame) shows no face.
  const auto check = test::run_command(veil_bin() + " detect " + paths["poster"] + " " + paths["poster_thumb"]);
  ASSERT_EQ(check.exit_code, 0);
  EXPECT_EQ(check.out.find("\"score\""), std::string::npos) << check.out;
  // H.264 + AAC in MP4, upright 512x512.
  const auto probe = test::run_command("ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 " +
                                       paths["video"]);
  EXPECT_NE(probe.out.find("h264,512,512"), std::string::npos) << probe.out;
  EXPECT_NE(probe.out.find("aac"), std::string::npos) << probe.out;
}

TEST(VeilProcessVideo, BrokenVideoIsRejectedWithAReason) {
  test::TempDir tmp;
  const std::string clip = test::read_file(test::testdata("video/short_hamilton_clip.mp4"));
  const std::string cut = tmp.path() + "/cut.mp4";
  std::ofstream(cut, std::ios::binary) << clip.substr(0, clip.size() / 3);
  const auto r = test::run_command(veil_bin() + " process " + cut + " --blur-all --out " + tmp.path() + "/out");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["outcome"], "rejected");
  EXPECT_FALSE(j["reason"].get<std::string>().empty());
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/out/video.mp4")) << "never half-published";
}

TEST(VeilProcessVideo, JournalVideoIsRecordedWithOneFaceRowPerTrack) {
  test::ScratchDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
  test::TempDir out;
  const std::string veil = veil_bin() + " --database-url '" + db.url() + "' ";
  ASSERT_EQ(test::run_command(veil + "children add Kit").exit_code, 0);
  const auto r = test::run_command(veil + "process " + test::testdata("robustness/animated/faceapi_5frames_820x460.mp4") +
                                   " --journal Kit --out " + out.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const std::string media = j["media_id"];
  const auto rows = test::run_command("psql -tA '" + db.url() + "' -c \"SELECT count(*), count(DISTINCT frame_or_track), "
                                      "bool_and(decision = 'blur') FROM faces WHERE media_id = '" + media + "'\"");
  EXPECT_EQ(rows.out, std::to_string(j["tracks"].size()) + "|" + std::to_string(j["tracks"].size()) + "|t\n")
      << "every track is an unknown face, blurred";
  const auto kinds = test::run_command("psql -tA '" + db.url() + "' -c \"SELECT string_agg(kind || ':' || mime, ',' "
                                       "ORDER BY kind) FROM renditions WHERE media_id = '" + media + "'\"");
  EXPECT_NE(kinds.out.find("video:video/mp4"), std::string::npos) << kinds.out;
  EXPECT_NE(kinds.out.find("poster:image/jpeg"), std::string::npos) << kinds.out;
  const auto kind = test::run_command("psql -tA '" + db.url() + "' -c \"SELECT kind FROM media WHERE id = '" + media + "'\"");
  EXPECT_EQ(kind.out, "video\n");
}

}  // namespace
}  // namespace veil
