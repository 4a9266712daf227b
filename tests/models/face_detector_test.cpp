// FaceDetector on the real YuNet 2022mar model and real photos from testdata.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "models/face_detector.h"
#include "models/model_file.h"
#include "tests/test_models.h"

namespace veil {
namespace {

const char* kSha = test::kDetectorSha256;
using test::detector;
using test::thorough_detector;

DetectorOptions options(bool thorough = false) { return test::detector_options(thorough); }

cv::Mat image(const std::string& relative) {
  cv::Mat m = cv::imread(test::testdata(relative), cv::IMREAD_COLOR);
  EXPECT_FALSE(m.empty()) << relative;
  return m;
}

TEST(ModelFaceDetector, FindsTheOneFaceInPortraits) {
  for (const char* f : {"robustness/orientation/hopper.jpg", "robustness/formats/astronaut.png"}) {
    const cv::Mat img = image(f);
    const auto faces = detector().detect(img);
    ASSERT_EQ(faces.size(), 1u) << f;
    EXPECT_GT(faces[0].score, 0.9f) << f;
    EXPECT_GT(faces[0].box.h, 40.f) << f;
    // Landmarks inside the box, eyes above the mouth.
    for (const auto& p : faces[0].landmarks) {
      EXPECT_GE(p.x, faces[0].box.x) << f;
      EXPECT_LE(p.x, faces[0].box.x + faces[0].box.w) << f;
    }
    EXPECT_LT(faces[0].landmarks[0].y, faces[0].landmarks[3].y) << f;
    EXPECT_LT(faces[0].landmarks[0].x, faces[0].landmarks[1].x) << f;  // image-left eye first
  }
}

// YuNet also fires on animal faces and some textures at the recall-first threshold: the cat
// (chelsea_cat.png, one box on the cat's face, score ~0.67), the dogs (dlib_dogs.jpg, the dog
// faces, up to 0.88) and flower.png (four boxes on petals, up to 0.75) give detections; they
// are documented in docs/models.md and not asserted here. Rocket and coffee give none.
TEST(ModelFaceDetector, FindsNoFaceInPhotosWithoutPeople) {
  for (const char* f : {"robustness/negatives/rocket.jpg", "robustness/negatives/coffee.png"}) {
    EXPECT_EQ(detector().detect(image(f)).size(), 0u) << f;
  }
  // The known false positives stay few: a regression here would blur far more than faces.
  EXPECT_LE(detector().detect(image("robustness/negatives/flower.png")).size(), 5u);
  EXPECT_LE(detector().detect(image("robustness/negatives/chelsea_cat.png")).size(), 2u);
}

struct Annotated {
  cv::Mat image;
  std::vector<Box> faces;
};

const std::vector<Annotated>& detection_set() {
  static const std::vector<Annotated> set = [] {
    std::vector<Annotated> out;
    std::map<std::string, std::size_t> index;
    std::ifstream in(test::testdata("detection/annotations.tsv"));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::stringstream ss(line);
      std::vector<std::string> c;
      std::string s;
      while (std::getline(ss, s, '\t')) c.push_back(s);
      if (c.size() < 7) continue;
      if (!index.count(c[0])) {
        index[c[0]] = out.size();
        out.push_back({image("detection/" + c[0]), {}});
      }
      out[index[c[0]]].faces.push_back({std::stof(c[3]), std::stof(c[4]), std::stof(c[5]), std::stof(c[6])});
    }
    return out;
  }();
  return set;
}

// Annotated faces matched by a detection with IoU >= 0.5 (>= 0.3 for faces under 20 px).
int matched_faces(FaceDetector& d, int* total = nullptr) {
  int found = 0, all = 0;
  for (const auto& a : detection_set()) {
    const auto dets = d.detect(a.image);
    std::vector<bool> used(dets.size(), false);
    for (const Box& t : a.faces) {
      ++all;
      const float need = t.h < 20 ? 0.3f : 0.5f;
      int best = -1;
      float best_iou = 0;
      for (std::size_t i = 0; i < dets.size(); ++i) {
        const float v = iou(t, dets[i].box);
        if (!used[i] && v >= need && v > best_iou) best_iou = v, best = static_cast<int>(i);
      }
      if (best >= 0) used[best] = true, ++found;
    }
  }
  if (total) *total = all;
  return found;
}

TEST(ModelFaceDetector, RecallOnTheAnnotatedSetStaysAboveItsMeasuredFloor) {
  int total = 0;
  const int found = matched_faces(detector(), &total);
  ASSERT_EQ(total, 238);
  // Measured 213/238 = 0.895 (docs/models.md); the floor leaves room for a few faces only.
  EXPECT_GE(double(found) / total, 0.87) << found << "/" << total;
}

TEST(ModelFaceDetector, ThoroughFindsAtLeastAsManyAnnotatedFacesAsDefault) {
  const int d = matched_faces(detector()), t = matched_faces(thorough_detector());
  EXPECT_GE(t, d);
}

TEST(ModelFaceDetector, BoxesAreClippedToTheImageAndScoresRespectTheThreshold) {
  // The selfie has faces cut by the image edge (found thanks to the border around the first pass).
  const cv::Mat img = image("detection/unannotated/deepface_selfie-many-people.jpg");
  const auto faces = detector().detect(img);
  EXPECT_GE(faces.size(), 6u);
  bool touches_edge = false;
  for (const auto& f : faces) {
    EXPECT_GE(f.box.x, 0.f);
    EXPECT_GE(f.box.y, 0.f);
    EXPECT_LE(f.box.x + f.box.w, float(img.cols));
    EXPECT_LE(f.box.y + f.box.h, float(img.rows));
    EXPECT_GE(f.score, detector().options().score_threshold);
    touches_edge |= f.box.x == 0.f || f.box.x + f.box.w == float(img.cols) || f.box.y + f.box.h == float(img.rows);
  }
  EXPECT_TRUE(touches_edge);
  for (std::size_t i = 1; i < faces.size(); ++i) EXPECT_GE(faces[i - 1].score, faces[i].score);  // best first
}

TEST(ModelFaceDetector, TiledPassesFindTheSameFaceInALargeImage) {
  // Hopper enlarged to 12 MP-ish: the fine pass is tiled; the face must come out once, in place.
  const cv::Mat small = image("robustness/orientation/hopper.jpg");
  cv::Mat canvas(2992, 3992, CV_8UC3, cv::Scalar(90, 110, 120));
  cv::Mat face;
  cv::resize(small, face, cv::Size(), 2.0, 2.0, cv::INTER_LINEAR);
  face.copyTo(canvas(cv::Rect(1800, 1400, face.cols, face.rows)));  // across several tile borders
  const auto faces = detector().detect(canvas);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_NEAR(faces[0].box.x, 1800 + 2 * 37, 16);
  EXPECT_NEAR(faces[0].box.y, 1400 + 2 * 23, 16);
}

// A video frame is a view of a buffer with spare rows (FrameScaler::to_bgr). What lies around
// a view must not reach the network: the border and FaceDetectorYN's padding to a multiple of
// 32 once filled from there, and heap bytes moved the boxes from run to run.
TEST(ModelFaceDetector, PixelsAroundAViewDoNotChangeTheResult) {
  const cv::Mat portrait = image("robustness/formats/astronaut.png");
  cv::Mat picture;
  cv::resize(portrait, picture, cv::Size(640, 360), 0, 0, cv::INTER_AREA);  // 360: not a multiple of 32
  for (bool border : {true, false}) {
    DetectorOptions o = options();
    o.edge_border = border;
    FaceDetector d(o);
    auto signature = [](const std::vector<DetectedFace>& faces) {
      std::ostringstream s;
      s.precision(9);
      for (const auto& f : faces) s << f.box.x << ' ' << f.box.y << ' ' << f.box.w << ' ' << f.box.h << ' ' << f.score << ';';
      return s.str();
    };
    const std::string alone = signature(d.detect(picture.clone()));
    ASSERT_FALSE(alone.empty());
    for (int seed : {1, 2}) {
      cv::Mat buffer(picture.rows + 80, picture.cols + 80, CV_8UC3);
      cv::theRNG().state = seed;
      cv::randu(buffer, 0, 256);
      const cv::Rect inside(40, 40, picture.cols, picture.rows);
      picture.copyTo(buffer(inside));
      EXPECT_EQ(signature(d.detect(buffer(inside))), alone) << "border " << border << " seed " << seed;
    }
  }
}

TEST(ModelFaceDetector, GreyBgraAndEmptyImages) {
  const cv::Mat img = image("robustness/orientation/hopper.jpg");
  cv::Mat grey, bgra;
  cv::extractChannel(img, grey, 1);
  cv::merge(std::vector<cv::Mat>{img, cv::Mat(img.size(), CV_8UC1, cv::Scalar(255))}, bgra);
  EXPECT_EQ(detector().detect(grey).size(), 1u);
  EXPECT_EQ(detector().detect(bgra).size(), 1u);
  EXPECT_TRUE(detector().detect(cv::Mat()).empty());
  EXPECT_THROW(detector().detect(cv::Mat(10, 10, CV_32FC3)), ModelError);
}

TEST(ModelFaceDetector, DefaultPlanFor12MegapixelsStaysWithinItsBudget) {
  const auto passes = plan_detection_passes(4000, 3000, options());
  ASSERT_EQ(passes.size(), 2u);
  EXPECT_NEAR(passes[0].scale, 640.0 / 4000, 1e-9);  // whole image, long edge 640
  EXPECT_GT(passes[0].pad, 0);
  double mp = 0;
  for (const auto& p : passes) mp += double(p.tile_width) * p.tile_height * p.tiles_x * p.tiles_y / 1e6;
  EXPECT_LE(mp, 4.0 + 1e-9);
  EXPECT_GT(passes[1].tiles_x * passes[1].tiles_y, 1);
  EXPECT_LE(passes[1].tile_width, 1024);
  EXPECT_LE(passes[1].tile_height, 1024);
  EXPECT_LE(smallest_planned_face(passes), 36.f);  // faces down to ~33 px in a 12 MP photo
}

TEST(ModelFaceDetector, EdgeBorderFramesOnlyTheWholeImagePassAndCanBeTurnedOff) {
  // A video frame scaled to 640x360 is one pass; the border adds 1/8 of the long edge per side.
  const auto framed = plan_detection_passes(640, 360, options());
  ASSERT_EQ(framed.size(), 1u);
  EXPECT_EQ(framed[0].pad, 80);
  EXPECT_EQ(framed[0].tile_width, 800);
  EXPECT_EQ(framed[0].tile_height, 520);
  DetectorOptions bare = options();
  bare.edge_border = false;
  const auto plain = plan_detection_passes(640, 360, bare);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].pad, 0);
  EXPECT_EQ(plain[0].tile_width, 640);
  EXPECT_EQ(plain[0].tile_height, 360);
  // Finer passes never had a border.
  const auto photo = plan_detection_passes(4000, 3000, options());
  ASSERT_GT(photo.size(), 1u);
  EXPECT_GT(photo[0].pad, 0);
  for (std::size_t i = 1; i < photo.size(); ++i) EXPECT_EQ(photo[i].pad, 0);
}

TEST(ModelFaceDetector, PlansNativeResolutionForPhoneSizedAndUpscalingOnlyInThorough) {
  const auto hd = plan_detection_passes(1920, 1080, options());
  ASSERT_EQ(hd.size(), 2u);
  EXPECT_DOUBLE_EQ(hd[1].scale, 1.0);
  EXPECT_LE(smallest_planned_face(hd), 16.f);

  const auto small = plan_detection_passes(400, 300, options());
  ASSERT_EQ(small.size(), 1u);
  EXPECT_NEAR(small[0].scale, 1.6, 1e-9);
  const auto small_thorough = plan_detection_passes(400, 300, options(true));
  ASSERT_EQ(small_thorough.size(), 2u);
  EXPECT_NEAR(small_thorough[1].scale, 2.0, 1e-9);
  EXPECT_TRUE(small_thorough[0].mirrored);

  const auto big_thorough = plan_detection_passes(4000, 3000, options(true));
  EXPECT_GT(big_thorough.back().scale, plan_detection_passes(4000, 3000, options()).back().scale);
}

TEST(ModelFaceDetector, AWrongSha256IsRefused) {
  DetectorOptions o = options();
  o.model_sha256 = std::string(64, 'f');
  try {
    FaceDetector d(o);
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(o.model_path), std::string::npos) << msg;
    EXPECT_NE(msg.find(kSha), std::string::npos) << msg;
  }
}

TEST(ModelFaceDetector, AMissingModelPointsAtFetchModels) {
  DetectorOptions o = options();
  o.model_path = "/nonexistent/face_detection_yunet_2022mar.onnx";
  try {
    FaceDetector d(o);
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("scripts/fetch-models"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace veil
