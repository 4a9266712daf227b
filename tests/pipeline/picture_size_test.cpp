// The minimum picture size (policy/picture_size.h) as the photo decoder applies it: a photo
// whose short side is under 64 px is refused as too_small from its header, in every format,
// whatever its aspect ratio; 64 px is accepted. (The video probe's side: video_probe_test.cpp.)
#include "policy/picture_size.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "pipeline/photo/decode.h"
#include "policy/reasons.h"
#include "tests/test_support.h"

namespace veil {
namespace {

std::string encoded(const std::string& ext, int width, int height) {
  std::vector<uchar> bytes;
  EXPECT_TRUE(cv::imencode(ext, cv::Mat(height, width, CV_8UC3, cv::Scalar(40, 80, 120)), bytes));
  return std::string(bytes.begin(), bytes.end());
}

TEST(PictureSize, TheRuleIsTheShortSide) {
  EXPECT_TRUE(too_small_to_process(1, 1));
  EXPECT_TRUE(too_small_to_process(16, 16));
  EXPECT_TRUE(too_small_to_process(1, 60000));
  EXPECT_TRUE(too_small_to_process(60000, 63));
  EXPECT_TRUE(too_small_to_process(0, 100));
  EXPECT_TRUE(too_small_to_process(-5, 100));
  EXPECT_FALSE(too_small_to_process(64, 64));
  EXPECT_FALSE(too_small_to_process(64, 60000));
  EXPECT_FALSE(too_small_to_process(4000, 3000));
  EXPECT_EQ(too_small_details(1, 60000), "1x60000 pixels, the short side is under the minimum of 64");
  EXPECT_STREQ(reason::too_small, "too_small");
  EXPECT_STREQ(to_string(DecodeErrorKind::too_small), reason::too_small);
}

TEST(PictureSize, PhotosUnderTheMinimumAreTooSmallInEveryFormat) {
  for (const std::string ext : {".png", ".jpg", ".webp", ".tiff"}) {
    // (WebP's largest side is 16383.)
    const int long_side = ext == ".webp" ? 16000 : 60000;
    for (const auto& [w, h] : std::vector<std::pair<int, int>>{{1, 1}, {16, 16}, {63, 500}, {500, 63}, {1, long_side}}) {
      try {
        decode_image(encoded(ext, w, h), DecodeLimits{});
        ADD_FAILURE() << ext << " " << w << "x" << h << " decoded";
      } catch (const DecodeError& e) {
        EXPECT_EQ(e.kind(), DecodeErrorKind::too_small) << ext << " " << w << "x" << h << ": " << e.what();
        EXPECT_EQ(reason::reason_code(e.what()), "too_small") << e.what();
        EXPECT_NE(std::string(e.what()).find(std::to_string(w) + "x" + std::to_string(h)), std::string::npos);
      }
    }
    const DecodedImage smallest = decode_image(encoded(ext, 64, 64), DecodeLimits{});
    EXPECT_EQ(smallest.bgr.size(), cv::Size(64, 64)) << ext;
    const DecodedImage thin = decode_image(encoded(ext, 64, long_side), DecodeLimits{});
    EXPECT_EQ(thin.bgr.size(), cv::Size(64, long_side)) << ext;
  }
}

TEST(PictureSize, ReducedDecodingChecksTheDeclaredSize) {
  // Reference photos (decode_image_reduced) follow the rule on their declared size, not on
  // the size they are shrunk to on load: 256x256 shrunk to 32 is accepted, 32x32 is not.
  EXPECT_EQ(decode_image_reduced(encoded(".jpg", 256, 256), DecodeLimits{}, 32).bgr.size(), cv::Size(32, 32));
  try {
    decode_image_reduced(encoded(".jpg", 32, 32), DecodeLimits{}, 16);
    ADD_FAILURE() << "32x32 decoded";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.kind(), DecodeErrorKind::too_small);
  }
}

}  // namespace
}  // namespace veil
