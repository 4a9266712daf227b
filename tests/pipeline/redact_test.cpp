// Redaction: the painted region, and that a redacted face is neither recognisable (its
// embedding no longer matches its owner) nor detected again.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "config/config.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/photo/redact.h"
#include "pipeline/stage_options.h"
#include "tests/test_support.h"

namespace veil {
namespace {

TEST(Redact, RegionIsExpandedAboutTheCentreAndClipped) {
  RedactOptions o;
  o.small_face_height = 0;  // every face with `expand`
  const Box r = redaction_region(Box{100, 100, 50, 60}, o, 1000, 1000);
  EXPECT_NEAR(r.w, 80, 1.5);
  EXPECT_NEAR(r.h, 96, 1.5);
  EXPECT_NEAR(r.x + r.w / 2, 125, 1.0) << "centred on the face box";
  EXPECT_NEAR(r.y + r.h / 2, 130, 1.0) << "centred on the face box";
  o.expand = 2.0f;
  const Box wide = redaction_region(Box{100, 100, 50, 60}, o, 1000, 1000);
  EXPECT_NEAR(wide.w, 100, 1.5);
  EXPECT_NEAR(wide.h, 120, 1.5);
  // A small face: the larger of expand and small_face_expand; a face at the bound: expand.
  o.expand = 1.6f, o.small_face_expand = 1.7f, o.small_face_height = 96;
  const Box small = redaction_region(Box{100, 100, 50, 60}, o, 1000, 1000);
  EXPECT_NEAR(small.w, 85, 1.5);
  EXPECT_NEAR(small.h, 102, 1.5);
  const Box at_bound = redaction_region(Box{100, 100, 80, 96}, o, 1000, 1000);
  EXPECT_NEAR(at_bound.h, 96 * 1.6, 1.5);
  o.small_face_expand = 1.2f;  // never smaller than expand
  EXPECT_NEAR(redaction_region(Box{100, 100, 50, 60}, o, 1000, 1000).h, 96, 1.5);
  o.expand = 2.0f;
  const Box clipped = redaction_region(Box{-10, -10, 40, 40}, o, 30, 30);
  EXPECT_EQ(clipped.x, 0);
  EXPECT_EQ(clipped.y, 0);
  EXPECT_LE(clipped.x + clipped.w, 30);
  EXPECT_LE(clipped.y + clipped.h, 30);
}

TEST(Redact, PaintsOnlyInsideTheEllipseAndSolidIsFlat) {
  cv::Mat img(200, 200, CV_8UC3);
  cv::randu(img, 0, 255);
  const cv::Mat before = img.clone();
  RedactOptions o;
  o.style = RedactionStyle::solid;
  const Box r = redact_face(img, Box{50, 50, 100, 100}, o);
  const cv::Vec3b centre = img.at<cv::Vec3b>(static_cast<int>(r.y + r.h / 2), static_cast<int>(r.x + r.w / 2));
  EXPECT_EQ(centre, cv::Vec3b(128, 128, 128));
  EXPECT_EQ(img.at<cv::Vec3b>(static_cast<int>(r.y) + 1, static_cast<int>(r.x) + 1),
            before.at<cv::Vec3b>(static_cast<int>(r.y) + 1, static_cast<int>(r.x) + 1))
      << "the corner outside the ellipse is untouched";
  EXPECT_EQ(img.at<cv::Vec3b>(5, 5), before.at<cv::Vec3b>(5, 5));
  EXPECT_TRUE(inside_painted_ellipse(Point{r.x + r.w / 2, r.y + r.h / 2}, r));
  EXPECT_FALSE(inside_painted_ellipse(Point{r.x + 1, r.y + 1}, r));
}

TEST(Redact, AFaceCutByTheImageEdgeKeepsItsWholeEllipse) {
  // A face whose expanded box runs 40 px past the right edge: the ellipse is the full one, cut
  // by the edge, so the face's corners at the edge are painted. An ellipse fitted into the
  // clipped box would leave them (a mouth at the edge of a selfie stayed visible that way).
  cv::Mat img(200, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  RedactOptions o;
  o.style = RedactionStyle::solid;
  const Box face{150, 50, 100, 100};  // expanded 1.6x: x 120..280, y 20..180
  const Box e = redaction_ellipse_box(face, o);
  EXPECT_EQ(e.x, 120);
  EXPECT_EQ(e.x + e.w, 280);
  const Box r = redact_face(img, face, o);
  EXPECT_EQ(r.x, 120);
  EXPECT_EQ(r.x + r.w, 200) << "the reported region is clipped to the image";
  // At the edge, 45 px above the face's centre: inside the full ellipse
  // ((199-200)/80)^2 + (45/80)^2 < 1, outside the one inscribed in the clipped box
  // ((199-160)/40)^2 + (45/80)^2 > 1.
  EXPECT_EQ(img.at<cv::Vec3b>(55, 199), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(img.at<cv::Vec3b>(145, 199), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(img.at<cv::Vec3b>(25, 125), cv::Vec3b(0, 0, 0)) << "the corner outside the ellipse is untouched";
  // Cells stay a `cells`-th of the whole ellipse: a cut face is not pixelated more finely.
  cv::Mat noise(200, 200, CV_8UC3);
  cv::randu(noise, 0, 255);
  redact_face(noise, face, RedactOptions{});
  cv::Scalar mean, stddev;
  cv::meanStdDev(noise(cv::Rect(170, 80, 25, 40)), mean, stddev);
  EXPECT_LT(stddev[0], 8.0);
}

TEST(Redact, PixelateBlurLeavesNoDetailFinerThanACell) {
  cv::Mat img(240, 240, CV_8UC3);
  cv::randu(img, 0, 255);
  RedactOptions o;
  const Box r = redact_face(img, Box{60, 60, 120, 120}, o);
  cv::Mat inner = img(cv::Rect(static_cast<int>(r.x + r.w * 0.35), static_cast<int>(r.y + r.h * 0.35),
                               static_cast<int>(r.w * 0.3), static_cast<int>(r.h * 0.3)));
  cv::Scalar mean, stddev;
  cv::meanStdDev(inner, mean, stddev);
  EXPECT_LT(stddev[0], 6.0) << "random noise (stddev ~74) must be averaged away";
}

// Real faces: after redaction the owner is not recognised and the face is not found again.
TEST(Redact, RedactedFacesNeitherMatchNorAreDetected) {
  Config config;
  auto detector = std::make_unique<FaceDetector>(detector_options(config));
  auto embedder = std::make_unique<FaceEmbedder>(embedder_options(config));
  const RedactOptions options = redact_options(config);
  int faces = 0;
  for (const char* file :
       {"faces/George_W_Bush/George_W_Bush_0001.jpg", "faces/Colin_Powell/Colin_Powell_0001.jpg",
        "faces/Kit_Harington/john2.jpeg", "faces/Rose_Leslie/img1.jpg", "faces/Barack_Obama/obama.jpg",
        "faces/Angelina_Jolie/img2.jpg", "faces/Mayim_Bialik/amy1.png", "faces/_unknown/kate_siegel_1.jpg",
        "robustness/formats/astronaut.png", "robustness/orientation/hopper.jpg"}) {
    SCOPED_TRACE(file);
    cv::Mat img = cv::imread(test::testdata(file), cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty());
    auto found = detector->detect(img);
    ASSERT_FALSE(found.empty());
    // The person's face: the best score. (Not the largest box: the edge rule adds a larger box
    // at 0.42 on astronaut.png's suit, cut by the bottom edge.)
    const auto& face = *std::max_element(found.begin(), found.end(),
                                         [](const auto& a, const auto& b) { return a.score < b.score; });
    const Embedding before = embedder->embed(img, face);
    redact_face(img, face.box, options);
    // The attacker's best case: aligned with the original landmarks.
    const Embedding after = embedder->embed(img, face);
    EXPECT_LT(cosine_similarity(before, after), config.matching.reject_threshold);
    for (const auto& again : detector->detect(img)) EXPECT_LT(iou(again.box, face.box), 0.3f) << "found again";
    ++faces;
  }
  EXPECT_EQ(faces, 10);
}

}  // namespace
}  // namespace veil
