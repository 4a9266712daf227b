// Tests of pipeline/decode: orientation, colour conversion, formats, first-frame only,
// and every file of the robustness set (shared/testdata/robustness/manifest.tsv) with its
// expected outcome, plus synthetic hostile inputs.
#include "pipeline/photo/decode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/test_support.h"

namespace veil {
namespace {

std::string robustness(const std::string& relative) {
  return test::read_file(test::testdata("robustness/" + relative));
}

DecodedImage decode_file(const std::string& relative, const DecodeLimits& limits = {}) {
  return decode_image(robustness(relative), limits);
}

// Mean absolute difference per channel value between two same-size BGR images.
double mad(const cv::Mat& a, const cv::Mat& b) {
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.type(), b.type());
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  const cv::Scalar m = cv::mean(diff);
  return (m[0] + m[1] + m[2]) / 3.0;
}

// The kind of the DecodeError thrown by decoding `bytes`, or nullopt when it decodes.
std::optional<DecodeErrorKind> refusal(const std::string& bytes, const DecodeLimits& limits = {}) {
  try {
    decode_image(bytes, limits);
    return std::nullopt;
  } catch (const DecodeError& error) {
    return error.kind();
  }
}

void expect_valid(const DecodedImage& image) {
  ASSERT_FALSE(image.bgr.empty());
  EXPECT_EQ(image.bgr.type(), CV_8UC3);
  EXPECT_TRUE(image.bgr.isContinuous());
}

// ---------------------------------------------------------------- orientation

// The 8 EXIF orientations of `upright` as they would be stored (index = orientation).
std::vector<cv::Mat> dihedral(const cv::Mat& upright) {
  std::vector<cv::Mat> out(9);
  out[1] = upright.clone();
  cv::flip(upright, out[2], 1);                      // mirrored horizontally
  cv::rotate(upright, out[3], cv::ROTATE_180);       //
  cv::flip(upright, out[4], 0);                      // mirrored vertically
  cv::transpose(upright, out[5]);                    // transposed
  cv::rotate(upright, out[6], cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::rotate(upright, out[7], cv::ROTATE_180);
  cv::transpose(out[7], out[7]);                     // transverse
  cv::rotate(upright, out[8], cv::ROTATE_90_CLOCKWISE);
  return out;
}

TEST(Decode, ExifOrientationTwoToEightGivesTheUprightImage) {
  const DecodedImage reference = decode_file("orientation/hopper.jpg");
  expect_valid(reference);
  EXPECT_EQ(reference.orientation, 1);
  const auto candidates = dihedral(reference.bgr);

  for (int orientation = 2; orientation <= 8; ++orientation) {
    SCOPED_TRACE("orientation " + std::to_string(orientation));
    const DecodedImage image = decode_file("orientation/hopper_orientation_" + std::to_string(orientation) + ".jpg");
    expect_valid(image);
    EXPECT_EQ(image.orientation, orientation);
    EXPECT_EQ(image.format, "jpeg");
    // Same picture as the upright reference (the files are separate JPEG encodes) ...
    const double upright = mad(image.bgr, reference.bgr);
    EXPECT_LT(upright, 8.0);
    // ... and clearly closer to it than to any other flip or rotation of it.
    for (int other = 2; other <= 8; ++other) EXPECT_LT(upright * 3, mad(image.bgr, candidates[other])) << other;
  }
}

// Stored (ispe) width and height of an AVIF/HEIF file, read from the box bytes.
std::pair<int, int> ispe_size(const std::string& bytes) {
  const size_t at = bytes.find("ispe");
  if (at == std::string::npos || at + 16 > bytes.size()) return {0, 0};
  auto be32 = [&](size_t i) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + i);
    return static_cast<int>((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]);
  };
  return {be32(at + 8), be32(at + 12)};  // after version/flags
}

TEST(Decode, AvifContainerRotationIsApplied) {
  const std::string bytes = robustness("orientation/avif_rot1mir0.avif");
  const auto [stored_w, stored_h] = ispe_size(bytes);
  ASSERT_EQ(stored_w, 427);  // stored as a portrait...
  ASSERT_EQ(stored_h, 640);
  ASSERT_NE(bytes.find("irot"), std::string::npos);
  const DecodedImage image = decode_image(bytes, {});
  expect_valid(image);
  EXPECT_EQ(image.format, "heif");
  // ... irot angle 1 (90 degrees) turns it into a landscape.
  EXPECT_EQ(image.bgr.cols, 640);
  EXPECT_EQ(image.bgr.rows, 427);
  EXPECT_EQ(image.orientation, 1);  // nothing left for EXIF autorot to do
}

TEST(Decode, PngExifOrientationIsNotApplied) {
  // libvips 8.14 does not read orientation from a PNG eXIf chunk; the manifest allows it.
  const DecodedImage image = decode_file("orientation/exif_imagemagick_orientation.png");
  expect_valid(image);
  EXPECT_EQ(image.orientation, 1);
  EXPECT_EQ(image.bgr.cols, 512);
  EXPECT_EQ(image.bgr.rows, 512);
}

// ---------------------------------------------------------------- colour and depth

TEST(Decode, CmykJpegMatchesItsRgbTwin) {
  const DecodedImage cmyk = decode_file("formats/pil_sample_cmyk.jpg");
  const DecodedImage rgb = decode_file("formats/pil_sample_rgb.jpg");
  expect_valid(cmyk);
  expect_valid(rgb);
  // Not identical: the twin was made with a naive CMYK->RGB formula, Veil converts through
  // a CMYK profile (relative colorimetric, black point compensation).
  EXPECT_LT(mad(cmyk.bgr, rgb.bgr), 12.0);
  // Red letters on a black ground: the same colours at the same places.
  const cv::Vec3b red = cmyk.bgr.at<cv::Vec3b>(50, 10), black = cmyk.bgr.at<cv::Vec3b>(50, 20);
  const cv::Vec3b red_twin = rgb.bgr.at<cv::Vec3b>(50, 10);
  ASSERT_GT(red_twin[2], 200);  // the spot is red in the reference
  EXPECT_GT(red[2], 200);       // R
  EXPECT_LT(red[1], 60);        // G
  EXPECT_LT(red[0], 60);        // B
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(red[c], red_twin[c], 25) << "channel " << c;
  for (int c = 0; c < 3; ++c) EXPECT_LT(black[c], 30) << "channel " << c;
}

TEST(Decode, ChannelOrderIsBgr) {
  // OpenCV's own JPEG decoder is an independent reference for BGR order (on a file
  // without an ICC profile: OpenCV ignores profiles, Veil applies them).
  const std::string path = test::testdata("robustness/partial/obama-240p.jpg");
  const cv::Mat opencv = cv::imread(path, cv::IMREAD_COLOR);
  const DecodedImage image = decode_file("partial/obama-240p.jpg");
  expect_valid(image);
  EXPECT_LT(mad(image.bgr, opencv), 3.0);
}

TEST(Decode, GreyBecomesThreeEqualChannels) {
  for (const char* file : {"formats/hopper_gray.jpg", "formats/camera.png"}) {
    SCOPED_TRACE(file);
    const DecodedImage image = decode_file(file);
    expect_valid(image);
    std::vector<cv::Mat> channels;
    cv::split(image.bgr, channels);
    EXPECT_EQ(cv::norm(channels[0], channels[1], cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(channels[1], channels[2], cv::NORM_INF), 0.0);
  }
}

TEST(Decode, SixteenBitPngBecomesEightBit) {
  const DecodedImage image = decode_file("formats/hdr_room_16bit.png");
  expect_valid(image);
  EXPECT_EQ(image.bgr.cols, 676);
  EXPECT_EQ(image.bgr.rows, 449);
  cv::Scalar mean, stddev;
  cv::meanStdDev(image.bgr, mean, stddev);
  for (int c = 0; c < 3; ++c) {
    EXPECT_GT(mean[c], 20.0);
    EXPECT_LT(mean[c], 235.0);
    EXPECT_GT(stddev[c], 10.0);
  }
  // The file carries an HLG (BT.2100) ICC profile, which Veil applies, so compare the
  // picture's structure with OpenCV's plain >> 8 reading rather than exact values.
  const cv::Mat opencv = cv::imread(test::testdata("robustness/formats/hdr_room_16bit.png"), cv::IMREAD_COLOR);
  ASSERT_EQ(opencv.depth(), CV_8U);
  cv::Mat a, b;
  cv::cvtColor(image.bgr, a, cv::COLOR_BGR2GRAY);
  cv::cvtColor(opencv, b, cv::COLOR_BGR2GRAY);
  a.convertTo(a, CV_64F);
  b.convertTo(b, CV_64F);
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa);
  cv::meanStdDev(b, mb, sb);
  const double correlation = cv::mean((a - ma[0]).mul(b - mb[0]))[0] / (sa[0] * sb[0]);
  EXPECT_GT(correlation, 0.95);
}

TEST(Decode, SixteenBitWithoutProfileIsShiftedToEightBit) {
  // A 16-bit PNG made here: every value v * 257 must come back as exactly v.
  cv::Mat eight(64, 96, CV_8UC3);
  cv::randu(eight, 0, 256);
  cv::Mat sixteen;
  eight.convertTo(sixteen, CV_16U, 257.0);
  std::vector<uchar> png;
  ASSERT_TRUE(cv::imencode(".png", sixteen, png));
  const DecodedImage image = decode_image(std::string(png.begin(), png.end()), {});
  expect_valid(image);
  EXPECT_EQ(image.format, "png");
  EXPECT_LE(cv::norm(image.bgr, eight, cv::NORM_INF), 1.0);
}

TEST(Decode, AlphaIsFlattenedOnWhite) {
  const DecodedImage image = decode_file("formats/obama_32bit_rgba.png");
  expect_valid(image);
  const cv::Mat rgba = cv::imread(test::testdata("robustness/formats/obama_32bit_rgba.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(rgba.channels(), 4);
  cv::Mat expected(rgba.size(), CV_8UC3);
  for (int y = 0; y < rgba.rows; ++y)
    for (int x = 0; x < rgba.cols; ++x) {
      const auto p = rgba.at<cv::Vec4b>(y, x);
      const double a = p[3] / 255.0;
      for (int c = 0; c < 3; ++c) expected.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(p[c] * a + 255.0 * (1 - a));
    }
  EXPECT_LT(mad(image.bgr, expected), 1.5);
}

TEST(Decode, EmbeddedIccProfileIsApplied) {
  // A 12 MP HEIC with an ICC profile (and EXIF): decodes to the stated size.
  const DecodedImage image = decode_file("heic/test-heic_image1.heic");
  expect_valid(image);
  EXPECT_EQ(image.format, "heif");
  EXPECT_EQ(image.bgr.cols, 3992);
  EXPECT_EQ(image.bgr.rows, 2992);
  // The 500 KB profile split over many APP2 segments.
  const DecodedImage big = decode_file("formats/icc_profile_big.jpg");
  expect_valid(big);
  EXPECT_EQ(big.bgr.cols, 425);
}

// ---------------------------------------------------------------- formats and frames

TEST(Decode, HeifAvifWebpSizes) {
  struct Case {
    const char* file;
    const char* format;
    int width, height;
  };
  for (const Case& c : {Case{"heic/hopper.heif", "heif", 128, 128}, Case{"heic/test-heic_image2.heic", "heif", 3464, 2130},
                        Case{"heic/test-heic_image4.heic", "heif", 700, 476},
                        Case{"formats/hopper.avif", "heif", 128, 128}, Case{"formats/hopper.webp", "webp", 128, 128}}) {
    SCOPED_TRACE(c.file);
    const DecodedImage image = decode_file(c.file);
    expect_valid(image);
    EXPECT_EQ(image.format, c.format);
    EXPECT_EQ(image.bgr.cols, c.width);
    EXPECT_EQ(image.bgr.rows, c.height);
  }
  // Same portrait in three containers: the same picture.
  const DecodedImage jpeg = decode_file("orientation/hopper.jpg");
  for (const char* file : {"heic/hopper.heif", "formats/hopper.avif", "formats/hopper.webp"}) {
    SCOPED_TRACE(file);
    EXPECT_LT(mad(decode_file(file).bgr, jpeg.bgr), 6.0);
  }
}

TEST(Decode, HeicWithTwoImagesGivesThePrimary) {
  const DecodedImage image = decode_file("heic/libheif_example.heic");
  expect_valid(image);
  EXPECT_EQ(image.bgr.cols, 1280);
  EXPECT_EQ(image.bgr.rows, 854);
  EXPECT_EQ(image.frames, 2);
}

TEST(Decode, MpoGivesTheFirstView) {
  const DecodedImage image = decode_file("formats/sugarshack.mpo");
  expect_valid(image);
  EXPECT_EQ(image.format, "jpeg");
  EXPECT_EQ(image.bgr.cols, 640);
  EXPECT_EQ(image.bgr.rows, 480);
  // OpenCV decodes the first JPEG of the file only.
  const cv::Mat opencv = cv::imread(test::testdata("robustness/formats/sugarshack.mpo"), cv::IMREAD_COLOR);
  EXPECT_LT(mad(image.bgr, opencv), 3.0);
}

TEST(Decode, TrailingSecondaryImageIsIgnored) {
  // Ultra HDR / MPO layout: a complete primary JPEG, then another JPEG after its EOI.
  // (formats/ultrahdr.jpg itself is a truncated test stub, see the manifest table.)
  const std::string primary = robustness("orientation/hopper.jpg");
  const std::string secondary = robustness("partial/obama-240p.jpg");
  const DecodedImage alone = decode_image(primary, {});
  const DecodedImage image = decode_image(primary + secondary, {});
  expect_valid(image);
  EXPECT_EQ(image.bgr.cols, 128);
  EXPECT_EQ(image.bgr.rows, 128);
  EXPECT_EQ(mad(image.bgr, alone.bgr), 0.0);
}

TEST(Decode, UltraHdrStubIsRefusedAsTruncated) {
  // Pillow's ultrahdr.jpg keeps the headers (EXIF, XMP, MPF, 1512x2688 SOF) but only 14
  // bytes of scan data and no EOI: decoding it would publish a grey picture.
  try {
    decode_file("formats/ultrahdr.jpg");
    FAIL() << "decoded a truncated JPEG";
  } catch (const DecodeError& error) {
    EXPECT_EQ(error.kind(), DecodeErrorKind::corrupt);
    EXPECT_NE(std::string(error.what()).find("truncated"), std::string::npos) << error.what();
  }
}

TEST(Decode, AnimatedGifGivesTheFirstFrame) {
  const DecodedImage smoke = decode_file("animated/elon-musk-smoke.gif");
  expect_valid(smoke);
  EXPECT_EQ(smoke.format, "gif");
  EXPECT_EQ(smoke.bgr.cols, 480);
  EXPECT_EQ(smoke.bgr.rows, 272);  // one frame, not 35 stacked
  EXPECT_EQ(smoke.frames, 35);

  const DecodedImage iss = decode_file("animated/iss634.gif");
  expect_valid(iss);
  EXPECT_EQ(iss.bgr.rows, 245);
  EXPECT_EQ(iss.frames, 42);

  const DecodedImage single = decode_file("animated/hopper.gif");
  EXPECT_EQ(single.frames, 1);
  EXPECT_LT(mad(single.bgr, decode_file("orientation/hopper.jpg").bgr), 12.0);
}

// ---------------------------------------------------------------- the robustness set

struct Expected {
  std::optional<DecodeErrorKind> refused;  // nullopt: decodes
  int width = 0, height = 0;               // when it decodes
};
Expected decodes(int w, int h) { return {std::nullopt, w, h}; }
Expected refused(DecodeErrorKind kind) { return {kind, 0, 0}; }

// Every file of robustness/manifest.tsv and what decode_image does with it.
const std::map<std::string, Expected>& robustness_table() {
  using K = DecodeErrorKind;
  static const std::map<std::string, Expected> table = {
      {"orientation/hopper_orientation_2.jpg", decodes(128, 128)},
      {"orientation/hopper_orientation_3.jpg", decodes(128, 128)},
      {"orientation/hopper_orientation_4.jpg", decodes(128, 128)},
      {"orientation/hopper_orientation_5.jpg", decodes(128, 128)},
      {"orientation/hopper_orientation_6.jpg", decodes(128, 128)},
      {"orientation/hopper_orientation_7.jpg", decodes(128, 128)},
      {"orientation/hopper_orientation_8.jpg", decodes(128, 128)},
      {"orientation/hopper.jpg", decodes(128, 128)},
      {"orientation/exif_imagemagick_orientation.png", decodes(512, 512)},
      {"orientation/avif_rot1mir0.avif", decodes(640, 427)},
      {"formats/pil_sample_cmyk.jpg", decodes(100, 100)},
      {"formats/pil_sample_rgb.jpg", decodes(100, 100)},
      {"formats/hopper_gray.jpg", decodes(128, 128)},
      {"formats/hopper_16bit_qtables.jpg", decodes(128, 128)},
      {"formats/app13-multiple_progressive.jpg", decodes(256, 160)},
      {"formats/icc_profile_big.jpg", decodes(425, 250)},
      {"formats/ultrahdr.jpg", refused(K::corrupt)},  // truncated test stub: fail closed
      {"formats/sugarshack.mpo", decodes(640, 480)},
      {"formats/hopper.webp", decodes(128, 128)},
      {"formats/hopper.avif", decodes(128, 128)},
      {"formats/obama_32bit_rgba.png", decodes(626, 1200)},
      {"formats/hdr_room_16bit.png", decodes(676, 449)},
      {"formats/astronaut.png", decodes(512, 512)},
      {"formats/camera.png", decodes(512, 512)},
      {"heic/libheif_example.heic", decodes(1280, 854)},
      {"heic/hopper.heif", decodes(128, 128)},
      {"heic/test-heic_image1.heic", decodes(3992, 2992)},
      {"heic/test-heic_image2.heic", decodes(3464, 2130)},
      {"heic/test-heic_image3.heic", decodes(4242, 2828)},
      {"heic/test-heic_image4.heic", decodes(700, 476)},
      {"corrupt/truncated_jpeg.jpg", refused(K::corrupt)},
      {"corrupt/skimage_truncated.jpg", refused(K::corrupt)},
      {"corrupt/junk_jpeg_header.jpg", decodes(1024, 768)},  // libjpeg warns, image intact
      {"corrupt/jpeg_ff00_header.jpg", decodes(300, 225)},
      {"corrupt/truncated_app14.jpg", decodes(100, 100)},
      {"corrupt/hopper_bad_exif.jpg", refused(K::corrupt)},  // corrupt entropy data
      {"corrupt/broken.png", refused(K::corrupt)},
      {"corrupt/truncated_image.png", refused(K::corrupt)},
      {"corrupt/decompression_bomb.gif", refused(K::pixel_bomb)},
      {"corrupt/decompression_bomb_extents.gif", refused(K::pixel_bomb)},
      {"animated/elon-musk-smoke.gif", decodes(480, 272)},
      {"animated/iss634.gif", decodes(245, 245)},
      {"animated/hopper.gif", decodes(128, 128)},
      {"animated/faceapi_5frames_820x460.mp4", refused(K::unsupported)},  // videos: another pipeline
      {"children/liveportrait_d11_child.mp4", refused(K::unsupported)},
      {"negatives/chelsea_cat.png", decodes(451, 300)},
      {"negatives/coffee.png", decodes(600, 400)},
      {"negatives/rocket.jpg", decodes(640, 427)},
      {"negatives/dlib_dogs.jpg", decodes(900, 916)},
      {"negatives/flower.png", decodes(2268, 1512)},
      {"partial/obama_partial_face.jpg", decodes(491, 1137)},
      {"partial/obama_partial_face2.jpg", decodes(551, 1137)},
      {"partial/obama-240p.jpg", decodes(427, 240)},
      {"partial/obama-1080p.jpg", decodes(1920, 1080)},
      {"partial/angelina_reflection.jpg", decodes(1174, 1564)},
  };
  return table;
}

std::vector<std::string> manifest_files() {
  std::istringstream in(test::read_file(test::testdata("robustness/manifest.tsv")));
  std::vector<std::string> files;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    files.push_back(line.substr(0, line.find('\t')));
  }
  return files;
}

TEST(DecodeRobustness, EveryManifestFileHasTheExpectedOutcome) {
  const auto files = manifest_files();
  ASSERT_GE(files.size(), 50u);
  const auto& table = robustness_table();
  EXPECT_EQ(files.size(), table.size()) << "manifest and table differ in length";
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const auto it = table.find(file);
    if (it == table.end()) {
      ADD_FAILURE() << file << " is in the manifest but not in the test table";
      continue;
    }
    const Expected& expected = it->second;
    const std::string bytes = robustness(file);
    const auto start = std::chrono::steady_clock::now();
    try {
      const DecodedImage image = decode_image(bytes, {});
      EXPECT_FALSE(expected.refused) << "decoded, expected refusal: " << to_string(*expected.refused);
      expect_valid(image);
      EXPECT_EQ(image.bgr.cols, expected.width);
      EXPECT_EQ(image.bgr.rows, expected.height);
    } catch (const DecodeError& error) {
      ASSERT_TRUE(expected.refused) << "refused, expected to decode: " << error.what();
      EXPECT_EQ(error.kind(), *expected.refused) << error.what();
      // One clean line, prefixed by its kind.
      const std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_EQ(message.rfind(to_string(error.kind()), 0), 0u) << message;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EXPECT_LT(seconds, 2.0) << "refusals must be quick";
    }
  }
}

TEST(DecodeRobustness, ConcurrentDecodesGiveTheSameOutcomes) {
  // The worker pool decodes in several threads at once; libvips' error text is global.
  std::vector<std::pair<std::string, Expected>> cases;
  for (const auto& [file, expected] : robustness_table())
    if (file.find("test-heic") == std::string::npos && file.find(".mp4") == std::string::npos)
      cases.emplace_back(file, expected);
  std::vector<std::string> contents;
  for (const auto& c : cases) contents.push_back(robustness(c.first));
  std::vector<std::string> failures[3];
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2; ++round)
        for (size_t i = 0; i < cases.size(); ++i) {
          const size_t k = (i * 7 + t * 13 + round) % cases.size();
          const auto kind = refusal(contents[k]);
          if (kind != cases[k].second.refused) failures[t].push_back(cases[k].first);
        }
    });
  for (auto& thread : threads) thread.join();
  for (const auto& list : failures)
    for (const auto& file : list) ADD_FAILURE() << file << " had another outcome under concurrency";
}

TEST(DecodeRobustness, DecompressionBombsAreRefusedQuickly) {
  for (const char* file : {"corrupt/decompression_bomb.gif", "corrupt/decompression_bomb_extents.gif"}) {
    SCOPED_TRACE(file);
    const std::string bytes = robustness(file);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(refusal(bytes), DecodeErrorKind::pixel_bomb);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);
  }
}

// ---------------------------------------------------------------- synthetic hostile input

TEST(DecodeRobustness, EmptyInput) { EXPECT_EQ(refusal(""), DecodeErrorKind::empty); }

TEST(DecodeRobustness, RandomBytesAreUnsupported) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 5; ++round) {
    std::string bytes(4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    EXPECT_EQ(refusal(bytes), DecodeErrorKind::unsupported) << "round " << round;
  }
}

TEST(DecodeRobustness, OtherTypesAreUnsupported) {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\">"
      "<rect width=\"100\" height=\"100\" fill=\"red\"/></svg>\n";
  EXPECT_EQ(refusal(svg), DecodeErrorKind::unsupported);
  EXPECT_EQ(refusal("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
            DecodeErrorKind::unsupported);
  EXPECT_EQ(refusal("P3\n2 2\n255\n255 0 0 0 255 0 0 0 255 255 255 255\n"), DecodeErrorKind::unsupported);  // PPM
  EXPECT_EQ(refusal("2 2\n1 2\n3 4\n"), DecodeErrorKind::unsupported);  // vips matrix text
  EXPECT_EQ(refusal("1,2,3\n4,5,6\n"), DecodeErrorKind::unsupported);   // CSV
}

TEST(DecodeRobustness, FileOverTheByteLimitIsTooLarge) {
  DecodeLimits limits;
  limits.max_file_bytes = 1000;
  EXPECT_EQ(refusal(robustness("orientation/hopper.jpg"), limits), DecodeErrorKind::too_large);
}

TEST(DecodeRobustness, DeclaredPixelsOverTheLimitArePixelBomb) {
  DecodeLimits limits;
  limits.max_pixels = 512 * 512 - 1;
  EXPECT_EQ(refusal(robustness("formats/astronaut.png"), limits), DecodeErrorKind::pixel_bomb);
  limits.max_pixels = 512 * 512;
  EXPECT_EQ(refusal(robustness("formats/astronaut.png"), limits), std::nullopt);
  // Animated GIF: the limit applies to one frame.
  limits.max_pixels = 480 * 272;
  EXPECT_EQ(refusal(robustness("animated/elon-musk-smoke.gif"), limits), std::nullopt);
}

TEST(Decode, ReducedJpegIsShrunkOnLoad) {
  cv::Mat picture(1200, 1600, CV_8UC3);
  cv::randu(picture, 0, 255);
  cv::GaussianBlur(picture, picture, cv::Size(0, 0), 6);
  cv::rectangle(picture, cv::Rect(0, 0, 400, 300), cv::Scalar(0, 0, 255), cv::FILLED);  // red top-left
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", picture, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95});
  const std::string bytes(jpeg.begin(), jpeg.end());

  const DecodedImage full = decode_image(bytes, {});
  ASSERT_EQ(full.bgr.size(), cv::Size(1600, 1200));
  // Long edge at least 300: 1/4 (400 px), not 1/8 (200 px).
  const DecodedImage quarter = decode_image_reduced(bytes, {}, 300);
  expect_valid(quarter);
  EXPECT_EQ(quarter.bgr.size(), cv::Size(400, 300));
  cv::Mat shrunk;
  cv::resize(full.bgr, shrunk, quarter.bgr.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(mad(quarter.bgr, shrunk), 6.0);
  EXPECT_GT(quarter.bgr.at<cv::Vec3b>(20, 20)[2], 200);  // still red at the top left
  // More than half the size asked for: decoded whole.
  EXPECT_EQ(decode_image_reduced(bytes, {}, 900).bgr.size(), cv::Size(1600, 1200));
  // The limits apply to the declared size, not the reduced one.
  DecodeLimits limits;
  limits.max_pixels = 1600 * 1200 - 1;
  EXPECT_EQ(([&]() -> std::optional<DecodeErrorKind> {
              try {
                decode_image_reduced(bytes, limits, 300);
                return std::nullopt;
              } catch (const DecodeError& e) {
                return e.kind();
              }
            }()),
            DecodeErrorKind::pixel_bomb);
  // Other formats come whole.
  EXPECT_EQ(decode_image_reduced(robustness("formats/astronaut.png"), {}, 100).bgr.size(), cv::Size(512, 512));
}

TEST(Decode, ReducedJpegIsStillUpright) {
  const DecodedImage reference = decode_file("orientation/hopper.jpg");
  const auto candidates = dihedral(reference.bgr);
  const DecodedImage image = decode_image_reduced(robustness("orientation/hopper_orientation_6.jpg"), {}, 32);
  expect_valid(image);
  EXPECT_EQ(image.orientation, 6);
  ASSERT_EQ(image.bgr.size(), cv::Size(32, 32));
  auto shrunk = [&](const cv::Mat& m) {
    cv::Mat out;
    cv::resize(m, out, image.bgr.size(), 0, 0, cv::INTER_AREA);
    return out;
  };
  const double upright = mad(image.bgr, shrunk(reference.bgr));
  EXPECT_LT(upright, 10.0);
  for (int other = 2; other <= 8; ++other) EXPECT_LT(upright * 2, mad(image.bgr, shrunk(candidates[other]))) << other;
}

TEST(DecodeRobustness, JpegHeaderClaimingHugeSizeIsPixelBombBeforeDecoding) {
  // hopper.jpg with its SOF patched to 60000 x 60000: 3.6 G pixels claimed, ~20 KB given.
  std::string bytes = robustness("orientation/hopper.jpg");
  size_t sof = std::string::npos;
  for (size_t i = 2; i + 9 < bytes.size(); ++i) {
    const auto m = static_cast<unsigned char>(bytes[i + 1]);
    if (static_cast<unsigned char>(bytes[i]) == 0xff && (m == 0xc0 || m == 0xc1 || m == 0xc2)) {
      sof = i;
      break;
    }
  }
  ASSERT_NE(sof, std::string::npos);
  bytes[sof + 5] = static_cast<char>(60000 >> 8);
  bytes[sof + 6] = static_cast<char>(60000 & 0xff);
  bytes[sof + 7] = static_cast<char>(60000 >> 8);
  bytes[sof + 8] = static_cast<char>(60000 & 0xff);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(refusal(bytes), DecodeErrorKind::pixel_bomb);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);
}

TEST(DecodeRobustness, TruncatedFilesFailClosed) {
  // Cut good files anywhere inside the pixel data: never a partial image. Repeated,
  // because libvips 8.14 alone reports a truncated JPEG only most of the time.
  for (const char* file : {"negatives/rocket.jpg", "formats/app13-multiple_progressive.jpg", "formats/astronaut.png",
                           "animated/hopper.gif"}) {
    const std::string bytes = robustness(file);
    for (double fraction : {0.3, 0.5, 0.8, 0.97, 0.995}) {
      SCOPED_TRACE(std::string(file) + " cut at " + std::to_string(fraction));
      const std::string cut = bytes.substr(0, static_cast<size_t>(bytes.size() * fraction));
      for (int round = 0; round < 5; ++round) EXPECT_EQ(refusal(cut), DecodeErrorKind::corrupt);
    }
    // One byte short (the JPEG EOI, the PNG IEND CRC, the GIF trailer).
    SCOPED_TRACE(std::string(file) + " minus one byte");
    const auto kind = refusal(bytes.substr(0, bytes.size() - 1));
    if (std::string(file).find(".gif") != std::string::npos)
      EXPECT_EQ(kind, std::nullopt);  // the frame itself is complete
    else
      EXPECT_EQ(kind, DecodeErrorKind::corrupt);
  }
}

TEST(DecodeRobustness, FlippedBytesNeverCrash) {
  // Light fuzzing: whatever happens, it is an image or a DecodeError.
  std::mt19937 rng(42);
  for (const char* file : {"orientation/hopper.jpg", "animated/hopper.gif", "heic/hopper.heif", "formats/hopper.webp"}) {
    const std::string original = robustness(file);
    for (int round = 0; round < 40; ++round) {
      std::string bytes = original;
      for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
      try {
        const DecodedImage image = decode_image(bytes, {});
        EXPECT_EQ(image.bgr.type(), CV_8UC3);
      } catch (const DecodeError&) {
      }
    }
  }
}

TEST(DecodeRobustness, ErrorKindNames) {
  EXPECT_STREQ(to_string(DecodeErrorKind::empty), "empty");
  EXPECT_STREQ(to_string(DecodeErrorKind::too_large), "too_large");
  EXPECT_STREQ(to_string(DecodeErrorKind::unsupported), "unsupported");
  EXPECT_STREQ(to_string(DecodeErrorKind::pixel_bomb), "pixel_bomb");
  EXPECT_STREQ(to_string(DecodeErrorKind::corrupt), "corrupt");
}

TEST(Decode, MetadataFieldsAreListed) {
  const auto fields = image_metadata_fields(robustness("heic/test-heic_image1.heic"));
  auto has = [&](const char* name) { return std::find(fields.begin(), fields.end(), name) != fields.end(); };
  EXPECT_TRUE(has("exif-data"));
  EXPECT_TRUE(has("icc-profile-data"));
  EXPECT_THROW(image_metadata_fields("not an image"), DecodeError);
}

}  // namespace
}  // namespace veil
