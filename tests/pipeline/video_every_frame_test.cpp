// No frame of a published video goes unexamined: clips made here from a real face photo at
// 24, 25, 30, 50 and 60 fps, with the face on exactly one frame (once for every phase of the
// detection stride), on alternate frames, and on 60 % of the frames at random. Each clip goes
// through process_video with a judge that blurs every face; the item is either held, or the
// detector finds no face on any frame of the written file.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>

#include "tests/pipeline/video_test_support.h"

namespace veil {
namespace {

// A clip of `on.size()` frames at `fps`: a people-free photo as background, and the face photo pasted in
// the middle on the frames where `on` is true. Encoded with x264 at high quality, so that
// what the detector finds in the file is what was drawn.
std::string make_clip(const std::string& dir, const std::string& name, int fps, const std::vector<bool>& on) {
  // A people-free photo in which the pipeline finds nothing (TheBackgroundAloneHasNothingToPaint).
  cv::Mat background = cv::imread(test::testdata("robustness/negatives/rocket.jpg"), cv::IMREAD_COLOR);
  EXPECT_FALSE(background.empty());
  cv::resize(background, background, cv::Size(480, 360), 0, 0, cv::INTER_AREA);
  cv::Mat face = cv::imread(test::testdata("faces/George_W_Bush/George_W_Bush_0001.jpg"), cv::IMREAD_COLOR);
  EXPECT_FALSE(face.empty());
  cv::resize(face, face, cv::Size(150, 150), 0, 0, cv::INTER_AREA);
  const std::string frames = dir + "/" + name;
  std::filesystem::create_directories(frames);
  for (std::size_t i = 0; i < on.size(); ++i) {
    cv::Mat frame = background.clone();
    if (on[i]) face.copyTo(frame(cv::Rect(165, 105, face.cols, face.rows)));
    char file[32];
    std::snprintf(file, sizeof file, "/%04zu.png", i);
    cv::imwrite(frames + file, frame);
  }
  const std::string out = dir + "/" + name + ".mp4";
  const auto r = test::run_command("ffmpeg -nostdin -v error -y -framerate " + std::to_string(fps) + " -i '" + frames +
                                   "/%04d.png' -c:v libx264 -preset ultrafast -crf 12 -pix_fmt yuv420p '" + out + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

std::vector<int> indices(const std::vector<bool>& on) {
  std::vector<int> out;
  for (std::size_t i = 0; i < on.size(); ++i)
    if (on[i]) out.push_back(static_cast<int>(i));
  return out;
}

class EveryFrame : public ::testing::TestWithParam<int> {
 protected:
  // Processes the clip; the item must be held, or have no face left on any frame.
  void expect_no_face_goes_out(const std::vector<bool>& on, const std::string& name) {
    const int fps = GetParam();
    const std::string clip = make_clip(tmp_.path(), name, fps, on);
    // The clip is a fair test: the detector finds the face on every frame it was drawn on.
    const std::vector<int> drawn = indices(on);
    const std::vector<int> seen = test::frames_with_faces(clip);
    for (int f : drawn)
      ASSERT_TRUE(std::binary_search(seen.begin(), seen.end(), f)) << "the face drawn on frame " << f << " is not found";

    test::BlurAll judge;
    const std::string out = tmp_.path() + "/" + name + "-out.mp4";
    const VideoResult r = process_video(clip, out, test::detector(), nullptr, judge, test::fast_options());
    EXPECT_EQ(r.frames, static_cast<int>(on.size()));
    EXPECT_EQ(r.detect_stride, auto_detect_stride(fps));
    if (r.outcome.state == MediaState::held) {
      std::printf("%s at %d fps: held (%s)\n", name.c_str(), fps, r.outcome.reason().c_str());
      return;
    }
    int frames = 0;
    const std::vector<int> visible = test::frames_with_faces(out, &frames);
    EXPECT_EQ(frames, static_cast<int>(on.size()));
    EXPECT_TRUE(visible.empty()) << name << " at " << fps << " fps, published with a face on frames "
                                 << test::describe(visible) << "(drawn on " << test::describe(drawn) << ")";
    EXPECT_GT(r.redacted_regions, 0);
  }

  test::TempDir tmp_;
};

// The control: without the face the pipeline finds nothing to paint, so whatever is painted
// in the other tests is the face, and a face left unpainted cannot hide under a false
// detection's painting.
TEST_P(EveryFrame, TheBackgroundAloneHasNothingToPaint) {
  const std::string clip = make_clip(tmp_.path(), "empty", GetParam(), std::vector<bool>(60, false));
  test::BlurAll judge;
  const VideoResult r = process_video(clip, tmp_.path() + "/empty-out.mp4", test::detector(), nullptr, judge,
                                      test::fast_options());
  EXPECT_TRUE(r.tracks.empty()) << video_result_json(r).dump();
  EXPECT_EQ(r.redacted_regions, 0);
  EXPECT_EQ(r.outcome.state, MediaState::published) << r.outcome.reason();
}

TEST_P(EveryFrame, AFaceOnASingleFrameInEveryPhaseOfTheStride) {
  const int stride = auto_detect_stride(GetParam());
  // One appearance per phase, each far from the others (more than the tracker's gap).
  std::vector<bool> on;
  for (int phase = 0; phase < stride; ++phase) {
    const int frame = stride * ((24 * (phase + 1) + stride - 1) / stride) + phase;
    on.resize(frame + 1, false);
    on[frame] = true;
  }
  on.resize(on.size() + 12, false);
  expect_no_face_goes_out(on, "single");
}

TEST_P(EveryFrame, AFaceFlickeringOnAlternateFrames) {
  std::vector<bool> on(48, false);
  for (std::size_t i = 1; i < on.size(); i += 2) on[i] = true;
  expect_no_face_goes_out(on, "flicker");
}

TEST_P(EveryFrame, AFaceOnSixtyPercentOfFramesAtRandom) {
  std::mt19937 random(GetParam());
  std::bernoulli_distribution sixty(0.6);
  std::vector<bool> on(60);
  for (std::size_t i = 0; i < on.size(); ++i) on[i] = sixty(random);
  expect_no_face_goes_out(on, "random");
}

INSTANTIATE_TEST_SUITE_P(Fps, EveryFrame, ::testing::Values(24, 25, 30, 50, 60),
                         [](const ::testing::TestParamInfo<int>& param_info) { return std::to_string(param_info.param) + "fps"; });

}  // namespace
}  // namespace veil
