// Video probing, container recognition and refusals with the right kind, on the real
// test clips and on broken copies of them made in a temporary directory.
#include "pipeline/video/probe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "pipeline/video/reader.h"
#include "tests/test_support.h"

namespace veil {
namespace {

const std::string kHamilton = "video/short_hamilton_clip.mp4";
const std::string kWalkers = "video/facenet_pytorch_walkers_1080p.mp4";
const std::string kChild = "robustness/children/liveportrait_d11_child.mp4";
const std::string kFiveFrames = "robustness/animated/faceapi_5frames_820x460.mp4";

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

VideoErrorKind refusal(const std::string& path, const LimitsConfig& limits = LimitsConfig{}) {
  try {
    probe_video(path, limits);
  } catch (const VideoError& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
    return e.kind();
  }
  ADD_FAILURE() << path << " was accepted";
  return VideoErrorKind::unsupported;
}

TEST(VideoProbe, DescribesTheTestClips) {
  const VideoInfo h = probe_video(test::testdata(kHamilton), LimitsConfig{});
  EXPECT_NE(h.container.find("mp4"), std::string::npos);
  EXPECT_EQ(h.width, 640);
  EXPECT_EQ(h.height, 360);
  EXPECT_EQ(h.display_width, 640);
  EXPECT_EQ(h.rotation, 0);
  EXPECT_EQ(h.orientation, 1);
  EXPECT_NEAR(h.fps, 29.97, 0.01);
  EXPECT_NEAR(h.duration_s, 10.0, 0.1);
  EXPECT_EQ(h.frames, 275);
  EXPECT_EQ(h.video_codec, "h264");
  EXPECT_EQ(h.pixel_format, "yuv420p");
  EXPECT_TRUE(h.has_audio);
  EXPECT_EQ(h.audio_codec, "aac");
  EXPECT_EQ(h.video_streams, 1);

  const VideoInfo w = probe_video(test::testdata(kWalkers), LimitsConfig{});
  EXPECT_EQ(w.width, 1920);
  EXPECT_EQ(w.height, 1080);
  EXPECT_NEAR(w.fps, 25.0, 0.01);
  EXPECT_EQ(w.frames, 105);

  const VideoInfo five = probe_video(test::testdata(kFiveFrames), LimitsConfig{});
  EXPECT_EQ(five.frames, 5);
  EXPECT_FALSE(five.has_audio);
}

TEST(VideoProbe, RecognisesVideoContainersOnly) {
  EXPECT_TRUE(looks_like_video(test::testdata(kHamilton)));
  EXPECT_TRUE(looks_like_video(test::testdata(kChild)));
  // First bytes instead of a path.
  EXPECT_TRUE(looks_like_video(test::read_file(test::testdata(kWalkers)).substr(0, 4096)));
  EXPECT_FALSE(looks_like_video(test::testdata("robustness/formats/astronaut.png")));
  EXPECT_FALSE(looks_like_video(test::testdata("robustness/heic/hopper.heif")));
  EXPECT_FALSE(looks_like_video(test::testdata("robustness/animated/elon-musk-smoke.gif")));
  EXPECT_FALSE(looks_like_video(test::testdata("faces/_multi/two_people.jpg")));
  EXPECT_FALSE(looks_like_video(std::string("not a file and not a video")));
  EXPECT_FALSE(looks_like_video(std::string()));
}

TEST(VideoProbe, RefusesBrokenFilesWithTheRightKind) {
  test::TempDir tmp;
  const std::string bytes = test::read_file(test::testdata(kHamilton));

  const std::string half = tmp.path() + "/half.mp4";
  write_file(half, bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(refusal(half), VideoErrorKind::corrupt);

  const std::string empty = tmp.path() + "/empty.mp4";
  write_file(empty, "");
  EXPECT_EQ(refusal(empty), VideoErrorKind::corrupt);

  std::mt19937 rng(7);
  std::string noise(200000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  const std::string random = tmp.path() + "/random.mp4";
  write_file(random, noise);
  EXPECT_EQ(refusal(random), VideoErrorKind::unsupported);

  // A photo renamed to .mp4 is not a video.
  const std::string jpeg = tmp.path() + "/photo.mp4";
  write_file(jpeg, test::read_file(test::testdata("faces/_multi/two_people.jpg")));
  EXPECT_EQ(refusal(jpeg), VideoErrorKind::unsupported);
  EXPECT_EQ(refusal(test::testdata("faces/_multi/two_people.jpg")), VideoErrorKind::unsupported);

  EXPECT_EQ(refusal(tmp.path() + "/missing.mp4"), VideoErrorKind::corrupt);
}

TEST(VideoProbe, RefusesAudioOnlyFiles) {
  test::TempDir tmp;
  const std::string audio = tmp.path() + "/audio.m4a";
  const auto r = test::run_command("ffmpeg -nostdin -v error -y -i '" + test::testdata(kHamilton) +
                                   "' -vn -c:a copy '" + audio + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(refusal(audio), VideoErrorKind::no_video_stream);
}

TEST(VideoProbe, RefusesOverTheLimits) {
  LimitsConfig limits;
  limits.max_video_seconds = 2;
  EXPECT_EQ(refusal(test::testdata(kHamilton), limits), VideoErrorKind::too_long);

  limits = LimitsConfig{};
  limits.max_video_long_edge = 640;
  EXPECT_EQ(refusal(test::testdata(kWalkers), limits), VideoErrorKind::too_many_pixels);
  EXPECT_NO_THROW(probe_video(test::testdata(kHamilton), limits));  // exactly 640 is allowed

  limits = LimitsConfig{};
  limits.max_pixels = 1920 * 1080 - 1;
  EXPECT_EQ(refusal(test::testdata(kWalkers), limits), VideoErrorKind::too_many_pixels);

  limits = LimitsConfig{};
  limits.max_file_bytes = 100000;
  EXPECT_EQ(refusal(test::testdata(kHamilton), limits), VideoErrorKind::too_large);
}

// The minimum picture size (policy/picture_size.h), the rule photos follow too: a 32x32 or a
// 64x32 video is refused as too_small from its stream parameters; 64x64 is the smallest accepted.
TEST(VideoProbe, RefusesPicturesUnderTheMinimumSize) {
  test::TempDir tmp;
  const auto make = [&](const std::string& size) {
    const std::string path = tmp.path() + "/black_" + size + ".mp4";
    const auto r = test::run_command("ffmpeg -nostdin -v error -y -f lavfi -i color=c=black:s=" + size +
                                     ":d=0.5 -pix_fmt yuv420p '" + path + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  };
  EXPECT_EQ(refusal(make("32x32")), VideoErrorKind::too_small);
  EXPECT_EQ(refusal(make("64x32")), VideoErrorKind::too_small);
  EXPECT_EQ(refusal(make("32x64")), VideoErrorKind::too_small);
  EXPECT_STREQ(to_string(VideoErrorKind::too_small), "too_small");
  try {
    probe_video(make("16x16"), LimitsConfig{});
    ADD_FAILURE() << "16x16 accepted";
  } catch (const VideoError& e) {
    EXPECT_EQ(std::string(e.what()), "16x16 pixels, the short side is under the minimum of 64");
  }
  const VideoInfo smallest = probe_video(make("64x64"), LimitsConfig{});
  EXPECT_EQ(smallest.width, 64);
}

TEST(VideoReader, ReadsEveryFrameUpright) {
  VideoReader reader(test::testdata(kFiveFrames));
  cv::Mat frame;
  int n = 0;
  while (reader.read(frame)) {
    EXPECT_EQ(frame.cols, 820);
    EXPECT_EQ(frame.rows, 460);
    EXPECT_EQ(frame.type(), CV_8UC3);
    ++n;
  }
  EXPECT_EQ(n, 5);
  EXPECT_EQ(reader.errors(), 0);

  VideoReader small(test::testdata(kWalkers));
  ASSERT_TRUE(small.read(frame, 640));
  EXPECT_EQ(frame.cols, 640);
  EXPECT_EQ(frame.rows, 360);
  ASSERT_TRUE(small.skip());
  EXPECT_EQ(small.frames(), 2);
}

}  // namespace
}  // namespace veil
