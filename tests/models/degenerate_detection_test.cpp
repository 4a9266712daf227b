// The detector on degenerate pictures: any size and aspect ratio runs (tiles under the
// network's minimum input are framed), and a black or nearly black picture (a lens cap) gives
// no face (models/region_detail.h), while a real face in a very dark photo is still found.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "models/face_detector.h"
#include "models/region_detail.h"
#include "tests/test_models.h"

namespace veil {
namespace {

using test::detector;
using test::thorough_detector;

// What a camera gives with its lens covered: black with a little sensor noise, through JPEG.
cv::Mat lens_cap(int width, int height, double mean, double sigma) {
  cv::Mat noise(height, width, CV_8UC3);
  cv::randn(noise, cv::Scalar::all(mean), cv::Scalar::all(sigma));
  std::vector<uchar> jpeg;
  EXPECT_TRUE(cv::imencode(".jpg", noise, jpeg));
  return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

cv::Mat obama() {
  cv::Mat m = cv::imread(test::testdata("faces/Barack_Obama/obama.jpg"), cv::IMREAD_COLOR);
  EXPECT_FALSE(m.empty());
  return m;
}

TEST(DegenerateDetection, AnySizeAndAspectRatioRuns) {
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(16, 16), cv::Size(32, 32), cv::Size(1, 60000),
                              cv::Size(60000, 1), cv::Size(5, 3000), cv::Size(64, 60000), cv::Size(62, 62)}) {
    const cv::Mat grey(size, CV_8UC3, cv::Scalar::all(128));
    std::vector<DetectedFace> faces;
    EXPECT_NO_THROW(faces = detector().detect(grey)) << size;
    EXPECT_TRUE(faces.empty()) << size;
    if (size.area() <= 64 * 64) {
      EXPECT_NO_THROW(thorough_detector().detect(grey)) << size;
    }
  }
}

TEST(DegenerateDetection, AFaceInATileNarrowerThanTheNetworkIsFound) {
  // A 120 x 20000 strip with a face about 115 px tall; with a small budget the finest pass is
  // under 64 px wide, so its tiles are framed for the network, and that pass finds the face.
  const cv::Mat photo = obama();
  cv::Mat face;
  cv::resize(photo(cv::Rect(320, 40, 360, 420)), face, cv::Size(120, 140), 0, 0, cv::INTER_AREA);
  cv::Mat strip(20000, 120, CV_8UC3, cv::Scalar::all(128));
  face.copyTo(strip(cv::Rect(0, 8000, 120, 140)));
  DetectorOptions options = test::detector_options();
  options.max_input_megapixels = 0.5f;
  options.edge_border = false;
  const auto passes = plan_detection_passes(strip.cols, strip.rows, options);
  ASSERT_GE(passes.size(), 2u);
  EXPECT_LT(passes.back().input_width, 64);
  FaceDetector narrow(options);
  const auto faces = narrow.detect(strip);
  ASSERT_FALSE(faces.empty());
  EXPECT_GT(faces[0].box.y, 7950.f);
  EXPECT_LT(faces[0].box.y + faces[0].box.h, 8200.f);
}

TEST(DegenerateDetection, BlackAndLensCapPicturesHaveNoFace) {
  const cv::Mat black = cv::Mat::zeros(960, 1280, CV_8UC3);
  EXPECT_TRUE(detector().detect(black).empty());
  EXPECT_TRUE(thorough_detector().detect(black).empty());
  EXPECT_TRUE(detector().detect(lens_cap(1280, 960, 3, 1.5)).empty());
  EXPECT_TRUE(detector().detect(lens_cap(1280, 960, 6, 4)).empty());
  EXPECT_TRUE(detector().detect(lens_cap(4000, 3000, 3, 1.5)).empty());
  EXPECT_TRUE(detector().detect(lens_cap(720, 1280, 3, 1.5)).empty());
}

TEST(DegenerateDetection, ARealFaceInAVeryDarkPhotoIsStillFound) {
  const cv::Mat photo = obama();
  const auto bright = detector().detect(photo);
  ASSERT_EQ(bright.size(), 1u);
  // Down to 5 % of its brightness (darker, YuNet does not find it at all: docs/models.md).
  for (const double gain : {0.2, 0.1, 0.05}) {
    cv::Mat dark;
    photo.convertTo(dark, -1, gain, 0);
    std::vector<uchar> jpeg;
    ASSERT_TRUE(cv::imencode(".jpg", dark, jpeg));
    const auto faces = detector().detect(cv::imdecode(jpeg, cv::IMREAD_COLOR));
    EXPECT_TRUE(std::any_of(faces.begin(), faces.end(),
                            [&](const DetectedFace& f) { return iou(f.box, bright[0].box) > 0.7f; }))
        << gain << ": " << faces.size() << " faces, none on the face";
    for (const DetectedFace& f : faces) EXPECT_GE(region_detail(dark, f.box), kMinFaceDetail) << gain;
  }
}

TEST(DegenerateDetection, RegionDetail) {
  const cv::Mat flat(100, 100, CV_8UC3, cv::Scalar::all(10));
  EXPECT_DOUBLE_EQ(region_detail(flat, Box{0, 0, 100, 100}), 0.0);
  EXPECT_TRUE(std::isinf(region_detail(flat, Box{200, 200, 10, 10})));  // outside: not measured
  cv::Mat halves = flat.clone();
  halves(cv::Rect(0, 0, 100, 50)).setTo(cv::Scalar::all(110));  // grey 100 levels apart
  EXPECT_NEAR(region_detail(halves, Box{0, 0, 100, 100}), 50.0, 2.0);
  // Noise averages out in the cells; the shading of a face does not.
  EXPECT_LT(region_detail(lens_cap(640, 480, 3, 1.5), Box{0, 0, 640, 480}), kMinFaceDetail);
  const cv::Mat photo = obama();
  EXPECT_GT(region_detail(photo, detector().detect(photo)[0].box), 10 * kMinFaceDetail);
}

}  // namespace
}  // namespace veil
