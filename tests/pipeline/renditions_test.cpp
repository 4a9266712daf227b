// Tests of pipeline/renditions: sizes, formats, no metadata in any output, fidelity.
#include "pipeline/photo/renditions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/photo/decode.h"
#include "tests/test_support.h"

namespace veil {
namespace {

// A photo-like test image: smooth gradients, shapes and a little noise.
cv::Mat synthetic(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(255 * x / width), static_cast<uchar>(255 * y / height),
                                            static_cast<uchar>(128 + 100 * std::sin((x + y) / 50.0)));
  cv::circle(image, {width / 2, height / 2}, std::min(width, height) / 4, cv::Scalar(20, 200, 240), cv::FILLED);
  cv::rectangle(image, cv::Rect(width / 10, height / 10, width / 5, height / 6), cv::Scalar(250, 30, 30), cv::FILLED);
  cv::Mat noise(image.size(), CV_8UC3);
  cv::randu(noise, 0, 8);
  image += noise;
  return image;
}

const Rendition* find(const std::vector<Rendition>& renditions, const std::string& kind) {
  for (const auto& r : renditions)
    if (r.kind == kind) return &r;
  return nullptr;
}

// Opens an encoded rendition with the production decoder and checks its reported size.
DecodedImage reopen(const Rendition& rendition) {
  DecodedImage image = decode_image(rendition.bytes, {});
  EXPECT_EQ(image.bgr.cols, rendition.width) << rendition.kind;
  EXPECT_EQ(image.bgr.rows, rendition.height) << rendition.kind;
  return image;
}

double mad(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  const cv::Scalar m = cv::mean(diff);
  return (m[0] + m[1] + m[2]) / 3.0;
}

// Every APPn / COM segment of a JPEG, as (marker, first bytes of the payload).
std::vector<std::pair<int, std::string>> jpeg_segments(const std::string& bytes) {
  std::vector<std::pair<int, std::string>> segments;
  size_t i = 2;  // after SOI
  while (i + 4 <= bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) != 0xff) break;
    const int marker = static_cast<unsigned char>(bytes[i + 1]);
    if (marker == 0xda || marker == 0xd9) break;  // start of scan: no more headers
    const size_t length = (static_cast<unsigned char>(bytes[i + 2]) << 8) | static_cast<unsigned char>(bytes[i + 3]);
    if ((marker >= 0xe0 && marker <= 0xef) || marker == 0xfe)
      segments.emplace_back(marker, bytes.substr(i + 4, std::min<size_t>(length - 2, 32)));
    i += 2 + length;
  }
  return segments;
}

void expect_no_metadata(const Rendition& rendition) {
  SCOPED_TRACE(rendition.kind);
  for (const std::string& field : image_metadata_fields(rendition.bytes)) {
    EXPECT_NE(field, "exif-data");
    EXPECT_NE(field, "xmp-data");
    EXPECT_NE(field, "iptc-data");
    EXPECT_NE(field, "icc-profile-data");
    EXPECT_NE(field.rfind("exif-ifd", 0), 0u) << field;
  }
  if (rendition.mime == "image/jpeg") {
    ASSERT_EQ(rendition.bytes.substr(0, 2), "\xff\xd8");
    for (const auto& [marker, payload] : jpeg_segments(rendition.bytes)) {
      EXPECT_TRUE(marker == 0xe0) << "unexpected segment 0x" << std::hex << marker;  // JFIF APP0 only
      EXPECT_EQ(payload.find("Exif"), std::string::npos);
      EXPECT_EQ(payload.find("http://ns.adobe.com"), std::string::npos);
      EXPECT_EQ(payload.find("ICC_PROFILE"), std::string::npos);
    }
    EXPECT_EQ(rendition.bytes.find("Exif\0\0", 0, 6), std::string::npos);
  } else {
    ASSERT_EQ(rendition.bytes.substr(0, 4), "RIFF");
    ASSERT_EQ(rendition.bytes.substr(8, 4), "WEBP");
    for (const char* chunk : {"EXIF", "XMP ", "ICCP"}) EXPECT_EQ(rendition.bytes.find(chunk), std::string::npos) << chunk;
  }
}

TEST(Renditions, LandscapeSizes) {
  const cv::Mat image = synthetic(4000, 3000);
  const auto renditions = make_renditions(image, {});
  ASSERT_EQ(renditions.size(), 3u);
  const Rendition* display = find(renditions, "display");
  const Rendition* thumb = find(renditions, "thumb");
  const Rendition* square = find(renditions, "thumb_square");
  ASSERT_TRUE(display && thumb && square);
  EXPECT_EQ(display->width, 2048);
  EXPECT_EQ(display->height, 1536);
  EXPECT_EQ(thumb->width, 320);
  EXPECT_EQ(thumb->height, 240);
  EXPECT_EQ(square->width, 320);
  EXPECT_EQ(square->height, 320);
  for (const auto& r : renditions) {
    EXPECT_EQ(r.mime, "image/jpeg");
    EXPECT_EQ(r.ext, "jpg");
    reopen(r);
    expect_no_metadata(r);
  }
}

TEST(Renditions, PortraitSizes) {
  const auto renditions = make_renditions(synthetic(1500, 2000), {});
  EXPECT_EQ(find(renditions, "display")->width, 1500);  // already within 2048
  EXPECT_EQ(find(renditions, "display")->height, 2000);
  EXPECT_EQ(find(renditions, "thumb")->width, 240);
  EXPECT_EQ(find(renditions, "thumb")->height, 320);
  EXPECT_EQ(find(renditions, "thumb_square")->width, 320);
  EXPECT_EQ(find(renditions, "thumb_square")->height, 320);
  for (const auto& r : renditions) reopen(r);
}

TEST(Renditions, SmallImageIsNeverUpscaled) {
  const auto renditions = make_renditions(synthetic(300, 200), {});
  for (const char* kind : {"display", "thumb"}) {
    EXPECT_EQ(find(renditions, kind)->width, 300) << kind;
    EXPECT_EQ(find(renditions, kind)->height, 200) << kind;
  }
  EXPECT_EQ(find(renditions, "thumb_square")->width, 200);
  EXPECT_EQ(find(renditions, "thumb_square")->height, 200);
  for (const auto& r : renditions) reopen(r);
}

TEST(Renditions, OptionsAreHonoured) {
  RenditionOptions options;
  options.display_long_edge = 1000;
  options.thumb_size = 100;
  options.square_thumb = false;
  options.display_format = "webp";
  const auto renditions = make_renditions(synthetic(1200, 900), options);
  ASSERT_EQ(renditions.size(), 2u);
  EXPECT_EQ(find(renditions, "thumb_square"), nullptr);
  EXPECT_EQ(find(renditions, "display")->width, 1000);
  EXPECT_EQ(find(renditions, "display")->height, 750);
  EXPECT_EQ(find(renditions, "thumb")->width, 100);
  EXPECT_EQ(find(renditions, "thumb")->height, 75);
  for (const auto& r : renditions) {
    EXPECT_EQ(r.mime, "image/webp");
    EXPECT_EQ(r.ext, "webp");
    EXPECT_EQ(decode_image(r.bytes, {}).format, "webp");
    reopen(r);
    expect_no_metadata(r);
  }
}

TEST(Renditions, QualityChangesSize) {
  RenditionOptions low, high;
  low.quality = 40;
  high.quality = 95;
  const cv::Mat image = synthetic(1024, 768);
  EXPECT_LT(make_renditions(image, low)[0].bytes.size(), make_renditions(image, high)[0].bytes.size());
}

TEST(Renditions, DisplayPixelsMatchTheInput) {
  // A real photo at its own size: the display rendition is the same picture, same
  // channel order.
  const DecodedImage photo = decode_image(test::read_file(test::testdata("robustness/formats/astronaut.png")), {});
  const auto renditions = make_renditions(photo.bgr, {});
  const DecodedImage display = reopen(*find(renditions, "display"));
  ASSERT_EQ(display.bgr.size(), photo.bgr.size());
  EXPECT_LT(mad(display.bgr, photo.bgr), 3.0);

  // Pure colours survive with their channel order.
  cv::Mat red(64, 96, CV_8UC3, cv::Scalar(0, 0, 255));
  const DecodedImage red_out = reopen(*find(make_renditions(red, {}), "display"));
  const cv::Scalar mean = cv::mean(red_out.bgr);
  EXPECT_LT(mean[0], 10);
  EXPECT_LT(mean[1], 10);
  EXPECT_GT(mean[2], 245);

  // The thumbnail is a faithful reduction of the display image.
  const DecodedImage thumb = reopen(*find(renditions, "thumb"));
  cv::Mat reduced;
  cv::resize(photo.bgr, reduced, thumb.bgr.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(mad(thumb.bgr, reduced), 6.0);
}

TEST(Renditions, NothingFromTheOriginalFileSurvives) {
  // The source file has EXIF and an ICC profile; the renditions made from its pixels
  // have neither (and never could: only pixels go in).
  const std::string original = test::read_file(test::testdata("robustness/heic/test-heic_image4.heic"));
  const auto original_fields = image_metadata_fields(original);
  ASSERT_NE(std::find(original_fields.begin(), original_fields.end(), "exif-data"), original_fields.end());
  const DecodedImage photo = decode_image(original, {});
  for (const char* format : {"jpeg", "webp"}) {
    RenditionOptions options;
    options.display_format = format;
    for (const auto& r : make_renditions(photo.bgr, options)) expect_no_metadata(r);
  }
}

TEST(Renditions, NonContinuousInput) {
  const cv::Mat big = synthetic(800, 600);
  const cv::Mat roi = big(cv::Rect(100, 50, 500, 400));
  ASSERT_FALSE(roi.isContinuous());
  const auto renditions = make_renditions(roi, {});
  const DecodedImage display = reopen(*find(renditions, "display"));
  EXPECT_LT(mad(display.bgr, roi), 4.0);
}

TEST(Renditions, BadInputIsRefused) {
  EXPECT_THROW(make_renditions(cv::Mat(), {}), std::invalid_argument);
  EXPECT_THROW(make_renditions(cv::Mat(10, 10, CV_8UC1), {}), std::invalid_argument);
  RenditionOptions options;
  options.display_format = "gif";
  EXPECT_THROW(make_renditions(synthetic(10, 10), options), std::invalid_argument);
}

}  // namespace
}  // namespace veil
