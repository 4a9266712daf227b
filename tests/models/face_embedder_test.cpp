// FaceEmbedder on the real MobileFaceNet model and real photos from testdata/faces.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "models/model_file.h"
#include "tests/test_models.h"

namespace veil {
namespace {

const std::string kSha = test::embedder_options().model_sha256;
using test::detector;
using test::embedder;
using test::embedder_options;

cv::Mat photo(const std::string& relative) {
  cv::Mat m = cv::imread(test::testdata("faces/" + relative), cv::IMREAD_COLOR);
  EXPECT_FALSE(m.empty()) << relative;
  return m;
}

// Embedding of the most confident face in a photo of one person.
Embedding embed_photo(const std::string& relative) {
  const cv::Mat image = photo(relative);
  const auto faces = detector().detect(image);
  EXPECT_FALSE(faces.empty()) << relative;
  if (faces.empty()) return {};
  return embedder().embed(image, faces.front());
}

double norm(const Embedding& e) {
  double s = 0;
  for (float v : e) s += double(v) * v;
  return std::sqrt(s);
}

TEST(ModelFaceEmbedder, LoadsThroughTheClipRewrite) {
  EXPECT_EQ(embedder().clips_rewritten(), 32);
  EXPECT_EQ(embedder().dimension(), 128);
}

TEST(ModelFaceEmbedder, EmbeddingsAre128DimensionalAndUnitLength) {
  const Embedding e = embed_photo("George_W_Bush/George_W_Bush_0001.jpg");
  ASSERT_EQ(e.size(), 128u);
  EXPECT_NEAR(norm(e), 1.0, 1e-4);
}

TEST(ModelFaceEmbedder, SamePersonIsClearlyMoreSimilarThanDifferentPeople) {
  const Embedding bush1 = embed_photo("George_W_Bush/George_W_Bush_0001.jpg");
  const Embedding bush2 = embed_photo("George_W_Bush/George_W_Bush_0002.jpg");
  const Embedding powell = embed_photo("Colin_Powell/Colin_Powell_0001.jpg");
  const Embedding jolie = embed_photo("Angelina_Jolie/img1.jpg");
  const float same = cosine_similarity(bush1, bush2);
  EXPECT_GT(same, 0.5f);  // the FAR 1e-3 threshold measured on testdata/faces is about 0.33
  EXPECT_GT(same, cosine_similarity(bush1, powell) + 0.25f);
  EXPECT_GT(same, cosine_similarity(bush1, jolie) + 0.25f);
  EXPECT_LT(cosine_similarity(bush1, powell), 0.35f);
}

TEST(ModelFaceEmbedder, AMirroredPhotoGivesNearlyTheSameEmbedding) {
  // Checks that the alignment keeps landmark order right: a mirrored face must align
  // onto the same template, not a flipped one.
  const cv::Mat image = photo("Colin_Powell/Colin_Powell_0001.jpg");
  cv::Mat mirrored;
  cv::flip(image, mirrored, 1);
  const auto a = detector().detect(image), b = detector().detect(mirrored);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_GT(cosine_similarity(embedder().embed(image, a.front()), embedder().embed(mirrored, b.front())), 0.7f);
}

TEST(ModelFaceEmbedder, AFaceWithoutLandmarksIsAlignedFromItsBox) {
  const cv::Mat image = photo("Colin_Powell/Colin_Powell_0001.jpg");
  const auto faces = detector().detect(image);
  ASSERT_FALSE(faces.empty());
  DetectedFace box_only;
  box_only.box = faces.front().box;
  const Embedding e = embedder().embed(image, box_only);
  ASSERT_EQ(e.size(), 128u);
  EXPECT_NEAR(norm(e), 1.0, 1e-4);
  EXPECT_GT(cosine_similarity(e, embedder().embed(image, faces.front())), 0.5f);
}

TEST(ModelFaceEmbedder, GreyAndBgraImagesAreAccepted) {
  const cv::Mat image = photo("Colin_Powell/Colin_Powell_0001.jpg");
  const auto faces = detector().detect(image);
  ASSERT_FALSE(faces.empty());
  cv::Mat grey, bgra;
  cv::extractChannel(image, grey, 1);
  cv::merge(std::vector<cv::Mat>{image, cv::Mat(image.size(), CV_8UC1, cv::Scalar(255))}, bgra);
  EXPECT_EQ(embedder().embed(grey, faces.front()).size(), 128u);
  EXPECT_GT(cosine_similarity(embedder().embed(bgra, faces.front()), embedder().embed(image, faces.front())), 0.999f);
}

TEST(ModelFaceEmbedder, AWrongSha256IsRefusedNamingFileExpectedAndActual) {
  EmbedderOptions o = embedder_options();
  o.model_sha256 = std::string(64, '0');
  try {
    FaceEmbedder e(o);
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(o.model_path), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string(64, '0')), std::string::npos) << msg;
    EXPECT_NE(msg.find(kSha), std::string::npos) << msg;
  }
}

TEST(ModelFaceEmbedder, AMissingModelPointsAtFetchModels) {
  test::TempDir dir;
  EmbedderOptions o = embedder_options();
  o.model_path = dir.path() + "/face_recognition_mobilefacenet_128d.onnx";
  try {
    FaceEmbedder e(o);
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("scripts/fetch-models"), std::string::npos) << msg;
    EXPECT_NE(msg.find(o.model_path), std::string::npos) << msg;
  }
}

TEST(ModelFaceEmbedder, AFileThatIsNotAModelIsAModelError) {
  test::TempDir dir;
  EmbedderOptions o = embedder_options();
  o.model_path = dir.path() + "/not_a_model.onnx";
  o.model_sha256.clear();
  std::ofstream(o.model_path) << "this is not an ONNX model";
  EXPECT_THROW(FaceEmbedder e(o), ModelError);
}

}  // namespace
}  // namespace veil
