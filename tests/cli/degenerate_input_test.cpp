// `veil process` on degenerate input (issue 22): pictures too small to hold a face are
// rejected as too_small, photos and videos alike, with a JSON result every time; the smallest
// accepted size and a long thin picture are processed; a black or lens-cap photo is published
// with no face, and a real face in a very dark photo is still found and blurred. The same
// cases through the database (`--journal` alone: the consent judge, and the item recorded as
// veild records it) give the same state and reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace veil {
namespace {

std::string veil_bin() { return test::binary_dir() + "/cli/veil"; }

// A face found around obama.jpg's face and blurred, and no face in the display rendition.
void expect_face_blurred(const nlohmann::json& j) {
  ASSERT_FALSE(j["faces"].empty()) << j.dump();
  bool face_blurred = false;
  for (const auto& f : j["faces"]) {
    EXPECT_EQ(f["decision"], "blur");
    const double x = f["x"], y = f["y"], w = f["w"], h = f["h"];
    if (x < 430 && x + w > 560 && y < 130 && y + h > 380) face_blurred = true;
  }
  EXPECT_TRUE(face_blurred) << j.dump();
  // The display rendition shows no face. (Not the small thumbnails: on a dark 320-px picture
  // YuNet answers the top edge of its input with boxes of its own, docs/models.md.)
  bool display = false;
  for (const auto& o : j["outputs"]) {
    if (o["kind"] != "display") continue;
    display = true;
    const auto check = test::run_command(veil_bin() + " detect " + o["path"].get<std::string>());
    EXPECT_EQ(check.out.find("\"score\""), std::string::npos) << check.out;
  }
  EXPECT_TRUE(display) << j.dump();
}

class DegenerateInput : public ::testing::Test {
 protected:
  // A file made by `command` (with OUT for its path) in the temporary directory.
  std::string make(const std::string& name, const std::string& command) {
    const std::string path = tmp_.path() + "/" + name;
    std::string line = command;
    line.replace(line.find("OUT"), 3, "'" + path + "'");
    const auto r = test::run_command(line);
    EXPECT_EQ(r.exit_code, 0) << line << "\n" << r.err;
    return path;
  }
  std::string black_png(int w, int h) {
    return make("black_" + std::to_string(w) + "x" + std::to_string(h) + ".png",
                "vips black OUT " + std::to_string(w) + " " + std::to_string(h));
  }
  std::string black_video(const std::string& size) {
    return make("black_" + size + ".mp4", "ffmpeg -nostdin -v error -y -f lavfi -i color=c=black:s=" + size +
                                              ":d=1 -pix_fmt yuv420p OUT");
  }
  // What a camera gives with its lens covered: black with a little sensor noise, as JPEG.
  std::string lens_cap() {
    const std::string noise = make("noise.v", "vips gaussnoise OUT 1280 960 --sigma 1.5 --mean 3");
    const std::string grey = make("grey.v", "vips cast '" + noise + "' OUT uchar");
    return make("lens_cap.jpg", "vips bandjoin \"" + grey + " " + grey + " " + grey + "\" OUT");  // (no spaces in TempDir)
  }
  // `veil process FILE --blur-all`: the JSON result, which must always be there.
  nlohmann::json process(const std::string& file, int expected_exit) {
    const std::string out = tmp_.path() + "/out_" + std::to_string(runs_++);
    const auto r = test::run_command(veil_bin() + " process '" + file + "' --blur-all --out '" + out + "'");
    EXPECT_EQ(r.exit_code, expected_exit) << file << "\n" << r.out << r.err;
    EXPECT_FALSE(r.out.empty()) << file << ": no JSON result\n" << r.err;
    return r.out.empty() ? nlohmann::json::object() : nlohmann::json::parse(r.out);
  }
  void expect_too_small(const std::string& file, const std::string& size) {
    const nlohmann::json j = process(file, 1);
    EXPECT_EQ(j.value("outcome", ""), "rejected") << file;
    const std::string reason = j.value("reason", "");
    EXPECT_EQ(reason.rfind("too_small: " + size + " pixels", 0), 0u) << reason;
    EXPECT_EQ(j["reasons"].size(), 1u) << reason;
    EXPECT_TRUE(j["outputs"].empty()) << file;
    EXPECT_EQ(reason.find("OpenCV"), std::string::npos) << reason;
  }

  test::TempDir tmp_;
  int runs_ = 0;
};

TEST_F(DegenerateInput, PicturesUnderTheMinimumAreRejectedAsTooSmall) {
  expect_too_small(black_png(1, 1), "1x1");
  expect_too_small(black_png(16, 16), "16x16");
  expect_too_small(black_png(1, 60000), "1x60000");
  expect_too_small(black_png(60000, 1), "60000x1");
  expect_too_small(make("grey_63x500.jpg", "vips black OUT 63 500 --bands 3"), "63x500");
  expect_too_small(black_video("32x32"), "32x32");
  expect_too_small(black_video("16x16"), "16x16");
  expect_too_small(black_video("640x32"), "640x32");
}

TEST_F(DegenerateInput, TheSmallestAcceptedAndALongThinPictureArePublishedWithoutFaces) {
  for (const std::string& file : {black_png(64, 64), black_png(64, 20000), black_video("64x64")}) {
    const nlohmann::json j = process(file, 0);
    EXPECT_EQ(j.value("outcome", ""), "published") << file << " " << j.dump();
    EXPECT_FALSE(j["outputs"].empty()) << file;
    EXPECT_TRUE(j.value("faces", nlohmann::json::array()).empty()) << file;
    EXPECT_TRUE(j.value("tracks", nlohmann::json::array()).empty()) << file;
  }
}

TEST_F(DegenerateInput, ABlackOrLensCapPhotoIsPublishedWithNoFace) {
  const std::vector<std::string> photos = {
      make("black.jpg", "vips black OUT 1280 960 --bands 3"),
      lens_cap(),
  };
  for (const std::string& photo : photos) {
    const nlohmann::json j = process(photo, 0);
    EXPECT_EQ(j.value("outcome", ""), "published") << photo << " " << j.dump();
    EXPECT_TRUE(j["faces"].empty()) << photo << " " << j.dump();
  }
}

TEST_F(DegenerateInput, ARealFaceInAVeryDarkPhotoIsBlurred) {
  // obama.jpg at 5 % of its brightness: the face (x 384, y 79, 228 x 341 in the bright photo)
  // is found and blurred.
  for (const std::string gain : {"0.05"}) {
    const std::string dark = make("dark_" + gain + ".jpg", "vips linear " +
                                                               test::testdata("faces/Barack_Obama/obama.jpg") +
                                                               " OUT " + gain + " 0");
    expect_face_blurred(process(dark, 0));
  }
}

TEST_F(DegenerateInput, TheDatabaseRecordsTheSameStateAndReason) {
  test::ScratchDatabase db;
  if (db.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
  const std::string veil = veil_bin() + " --database-url '" + db.url() + "' ";
  ASSERT_EQ(test::run_command(veil + "children add Kit").exit_code, 0);
  struct Case {
    std::string file, state, reason_prefix;
  };
  const std::vector<Case> cases = {
      {black_png(16, 16), "rejected", "too_small: 16x16 pixels"},
      {black_video("32x32"), "rejected", "too_small: 32x32 pixels"},
      {make("black.jpg", "vips black OUT 1280 960 --bands 3"), "published", ""},
  };
  for (const Case& c : cases) {
    const auto r = test::run_command(veil + "process '" + c.file + "' --journal Kit --out " + tmp_.path() + "/db");
    EXPECT_EQ(r.exit_code, c.state == "rejected" ? 1 : 0) << r.out << r.err;
    ASSERT_FALSE(r.out.empty()) << c.file << ": no JSON result\n" << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.value("outcome", ""), c.state) << r.out;
    const auto row = test::run_command("psql -tA '" + db.url() + "' -c \"SELECT state || '|' || coalesce(reason, '') "
                                       "FROM media WHERE id = '" + j.value("media_id", "") + "'\"");
    EXPECT_EQ(row.out.rfind(c.state + "|" + c.reason_prefix, 0), 0u) << row.out;
  }
}

}  // namespace
}  // namespace veil
