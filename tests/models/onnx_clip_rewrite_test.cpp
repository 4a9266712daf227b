// The in-memory Clip rewrite that lets OpenCV 4.6 load MobileFaceNet, on the real model file.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "models/model_file.h"
#include "models/onnx_clip_rewrite.h"
#include "tests/test_support.h"

namespace veil {
namespace {

const char* kMobileFaceNet = "face_recognition_mobilefacenet_128d.onnx";
const char* kYuNet = "face_detection_yunet_2022mar.onnx";

std::string model_bytes(const char* name) { return read_verified_model(test::model_dir() + "/" + name, ""); }

TEST(ModelOnnxClipRewrite, MobileFaceNetDoesNotLoadAsPublished) {
  const std::string bytes = model_bytes(kMobileFaceNet);
  EXPECT_THROW(cv::dnn::readNetFromONNX(bytes.data(), bytes.size()), cv::Exception);
}

TEST(ModelOnnxClipRewrite, RewritesAllThirtyTwoClipsAndTheModelLoadsAndRuns) {
  const std::string bytes = model_bytes(kMobileFaceNet);
  const ClipRewrite r = rewrite_clip_to_attributes(bytes, kMobileFaceNet);
  EXPECT_EQ(r.clips_rewritten, 32);
  EXPECT_GT(r.constants_removed, 0);
  EXPECT_NE(r.model, bytes);

  cv::dnn::Net net = cv::dnn::readNetFromONNX(r.model.data(), r.model.size());
  ASSERT_FALSE(net.empty());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  cv::Mat blob(std::vector<int>{1, 3, 112, 112}, CV_32F);
  cv::randu(blob, -1.0, 1.0);
  net.setInput(blob);
  const cv::Mat out = net.forward();
  EXPECT_EQ(out.total(), 128u);
}

TEST(ModelOnnxClipRewrite, RewritingTwiceChangesNothingMore) {
  const ClipRewrite once = rewrite_clip_to_attributes(model_bytes(kMobileFaceNet), kMobileFaceNet);
  const ClipRewrite twice = rewrite_clip_to_attributes(once.model, kMobileFaceNet);
  EXPECT_EQ(twice.clips_rewritten, 0);
  EXPECT_EQ(twice.model, once.model);
}

TEST(ModelOnnxClipRewrite, AModelWithoutInputFormClipsComesBackByteForByte) {
  const std::string bytes = model_bytes(kYuNet);
  const ClipRewrite r = rewrite_clip_to_attributes(bytes, kYuNet);
  EXPECT_EQ(r.clips_rewritten, 0);
  EXPECT_EQ(r.model, bytes);
}

TEST(ModelOnnxClipRewrite, GarbageIsAModelErrorNamingTheModel) {
  try {
    rewrite_clip_to_attributes(std::string("\x08\x07garbage\xff\xff\xff", 12), "junk.onnx");
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.onnx"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace veil
