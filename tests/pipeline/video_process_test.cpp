// The offline video pipeline end to end on real clips: faces blurred in every frame,
// output format (H.264 + AAC, MP4 faststart, yuv420p, upright, no input metadata),
// refusals, rotation, keep-all, recognition per track, holds and verification.
#include "pipeline/video/process.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/display.h>
}

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/video/reader.h"
#include "tests/pipeline/video_test_support.h"

namespace veil {
namespace {

const std::string kHamilton = "video/short_hamilton_clip.mp4";
const std::string kWalkers = "video/facenet_pytorch_walkers_1080p.mp4";
const std::string kChild = "robustness/children/liveportrait_d11_child.mp4";
const std::string kFiveFrames = "robustness/animated/faceapi_5frames_820x460.mp4";

using test::BlurAll;
using test::describe;
using test::detector;
using test::embedder;
using test::fast_options;
using test::frames_with_faces;
using test::frames_with_input_faces_visible;
using test::KeepAll;
using test::on_flat_paint;

// Asks for embeddings, records them, blurs every face and holds the item when told to.
class Recording : public FaceJudge {
 public:
  bool hold = false;
  std::vector<Embedding> seen;
  bool needs_embedding() const override { return true; }
  FaceJudgement judge(const Embedding& e) override {
    seen.push_back(e);
    FaceJudgement j;
    j.decision = Decision::blur;
    j.reason = e.empty() ? "no_embedding" : "unknown";
    j.hold = hold;
    return j;
  }
};

// Top-level MP4 box types in file order.
std::vector<std::string> top_level_boxes(const std::string& path) {
  const std::string bytes = test::read_file(path);
  std::vector<std::string> boxes;
  std::size_t pos = 0;
  while (pos + 8 <= bytes.size()) {
    auto u8 = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])); };
    std::uint64_t size = (u8(pos) << 24) | (u8(pos + 1) << 16) | (u8(pos + 2) << 8) | u8(pos + 3);
    boxes.push_back(bytes.substr(pos + 4, 4));
    if (size == 1 && pos + 16 <= bytes.size()) {
      size = 0;
      for (int i = 0; i < 8; ++i) size = (size << 8) | u8(pos + 8 + i);
    }
    if (size < 8) break;
    pos += size;
  }
  return boxes;
}

bool before(const std::vector<std::string>& boxes, const std::string& a, const std::string& b) {
  auto ia = std::find(boxes.begin(), boxes.end(), a), ib = std::find(boxes.begin(), boxes.end(), b);
  return ia != boxes.end() && ib != boxes.end() && ia < ib;
}

TEST(VideoProcess, ChildClipIsBlurredInEveryFrame) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/child.mp4";
  BlurAll judge;
  const VideoResult r = process_video(test::testdata(kChild), out, detector(), nullptr, judge, fast_options());
  EXPECT_EQ(r.output_path, out);
  EXPECT_EQ(r.width, 512);
  EXPECT_EQ(r.height, 512);
  EXPECT_EQ(r.frames, 225);
  EXPECT_EQ(r.decode_errors, 0);
  ASSERT_FALSE(r.tracks.empty());
  for (const VideoTrack& t : r.tracks) EXPECT_EQ(t.judgement.decision, Decision::blur);
  EXPECT_EQ(r.outcome.state, MediaState::published) << r.outcome.reason();
  EXPECT_GT(r.redacted_regions, 225 - 1);
  EXPECT_FALSE(r.poster.empty());
  EXPECT_EQ(r.poster.cols, 512);

  // The input has the child's face in (nearly) every frame (every 5th looked at); the output in none.
  int frames = 0;
  const auto before_faces = frames_with_faces(test::testdata(kChild), &frames, 5);
  EXPECT_GT(before_faces.size(), 40u);
  const auto after_faces = frames_with_faces(out, &frames);
  EXPECT_EQ(frames, 225);
  EXPECT_TRUE(after_faces.empty()) << "faces visible in frames " << describe(after_faces);
}

TEST(VideoProcess, HamiltonClipIsBlurredInEveryFrame) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/hamilton.mp4";
  BlurAll judge;
  const VideoResult r = process_video(test::testdata(kHamilton), out, detector(), nullptr, judge, fast_options());
  EXPECT_EQ(r.frames, 275);
  EXPECT_EQ(r.width, 640);
  EXPECT_EQ(r.height, 360);
  // Every face the detector finds in a frame of the input is gone from that frame of the output.
  const auto visible = frames_with_input_faces_visible(test::testdata(kHamilton), out);
  EXPECT_TRUE(visible.empty()) << "input faces visible in frames " << describe(visible);
  // Investigated (docs/video.md, "What the detector still sees"): at its 0.4 threshold the
  // detector also fires, a frame or a few at a time, on things that are not faces here: a
  // hand, a patterned dress, a shirt front, and the paintings of such false detections
  // (a round smooth patch). Every such detection was looked at frame by frame; none is a
  // face. They are not allowed to grow: at most 5 % of the frames (13 now, the same in every
  // run since the detector no longer sees heap bytes around a frame, docs/video.md).
  int frames = 0;
  const auto after_faces = frames_with_faces(out, &frames);
  EXPECT_EQ(frames, 275);
  EXPECT_LE(after_faces.size(), 13u) << after_faces.size() << " frames with a detection: " << describe(after_faces)
                                     << "; held: " << r.outcome.reason();
}

TEST(VideoProcess, OutputIsH264AacFaststartMp4WithoutInputMetadata) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/child.mp4";
  BlurAll judge;
  VideoOptions options = fast_options();
  options.verify = false;  // the format is what is looked at here
  options.recheck = false;
  options.detect_stride = 5;
  const VideoResult r = process_video(test::testdata(kChild), out, detector(), nullptr, judge, options);
  EXPECT_TRUE(r.has_audio);
  EXPECT_TRUE(r.audio_copied);

  const VideoInfo info = probe_video(out, LimitsConfig{});
  EXPECT_NE(info.container.find("mp4"), std::string::npos);
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_EQ(info.audio_codec, "aac");
  EXPECT_EQ(info.width, 512);
  EXPECT_EQ(info.frames, 225);
  EXPECT_NEAR(info.duration_s, 9.0, 0.2);

  const auto boxes = top_level_boxes(out);
  EXPECT_TRUE(before(boxes, "moov", "mdat")) << "moov must come first (faststart)";

  // The input says HandBrake, creation_time 2024-07-06 and a "Stereo" handler; none of it may survive.
  AVFormatContext* fmt = nullptr;
  ASSERT_EQ(avformat_open_input(&fmt, out.c_str(), nullptr, nullptr), 0);
  ASSERT_GE(avformat_find_stream_info(fmt, nullptr), 0);
  EXPECT_EQ(av_dict_get(fmt->metadata, "creation_time", nullptr, 0), nullptr);
  EXPECT_EQ(av_dict_get(fmt->metadata, "title", nullptr, 0), nullptr);
  const AVDictionaryEntry* encoder = av_dict_get(fmt->metadata, "encoder", nullptr, 0);
  EXPECT_TRUE(encoder == nullptr || std::string(encoder->value).find("HandBrake") == std::string::npos);
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    EXPECT_EQ(av_dict_get(fmt->streams[i]->metadata, "creation_time", nullptr, 0), nullptr);
    const AVDictionaryEntry* handler = av_dict_get(fmt->streams[i]->metadata, "handler_name", nullptr, 0);
    if (handler) {
      EXPECT_NE(std::string(handler->value), "Stereo");
    }
  }
  avformat_close_input(&fmt);
  const std::string bytes = test::read_file(out);
  EXPECT_EQ(bytes.find("HandBrake"), std::string::npos);
  EXPECT_EQ(bytes.find("2024-07-06"), std::string::npos);

  const nlohmann::json j = video_result_json(r);
  EXPECT_EQ(j["kind"], "video");
  EXPECT_EQ(j["frames"], 225);
  ASSERT_FALSE(j["tracks"].empty());
  EXPECT_EQ(j["tracks"][0]["decision"], "blur");
  EXPECT_TRUE(j["tracks"][0].contains("first_frame"));
  EXPECT_TRUE(j["tracks"][0].contains("similarity"));
}

TEST(VideoProcess, LargeVideoIsScaledToTheOutputLimit) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/walkers.mp4";
  BlurAll judge;
  VideoOptions options = fast_options();
  options.max_long_edge = 960;
  options.verify = false;
  options.recheck = false;
  options.detect_stride = 4;
  const VideoResult r = process_video(test::testdata(kWalkers), out, detector(), nullptr, judge, options);
  EXPECT_EQ(r.width, 960);
  EXPECT_EQ(r.height, 540);
  EXPECT_EQ(r.frames, 105);
  EXPECT_GT(r.tracks.size(), 3u);
  const VideoInfo info = probe_video(out, LimitsConfig{});
  EXPECT_EQ(info.width, 960);
  EXPECT_EQ(info.height, 540);
}

TEST(VideoProcess, KeepAllLeavesFacesVisible) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/child.mp4";
  KeepAll judge;
  const VideoResult r = process_video(test::testdata(kChild), out, detector(), nullptr, judge, fast_options());
  EXPECT_EQ(r.redacted_regions, 0);
  EXPECT_EQ(r.rechecked_frames, 0);  // a judge that keeps unrecognised faces would keep new ones too
  for (const VideoTrack& t : r.tracks) EXPECT_EQ(t.judgement.decision, Decision::keep);
  // Verification saw the faces. Most lie inside the kept tracks; one that pass 1 never
  // tracked (a frame where the child turned away, say) would hold the item: the judge was
  // never asked about it.
  EXPECT_GT(r.verification.faces_found, 0);
  EXPECT_LT(r.verification.uncovered.size(), static_cast<std::size_t>(r.verification.faces_found) / 2);
  if (r.outcome.state == MediaState::held) {
    EXPECT_NE(r.outcome.reason().find("verification"), std::string::npos) << r.outcome.reason();
  }
  int frames = 0;
  EXPECT_GT(frames_with_faces(out, &frames, 5).size(), 40u);  // every 5th frame looked at
}

TEST(VideoProcess, RecognisesOncePerTrackAndHoldsWhenTheJudgeSays) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/child.mp4";
  Recording judge;
  judge.hold = true;
  VideoOptions options = fast_options();
  options.detect_stride = 3;
  options.verify = false;
  const VideoResult r = process_video(test::testdata(kChild), out, detector(), &embedder(), judge, options);
  ASSERT_EQ(judge.seen.size(), r.tracks.size());  // one judgement per track
  // The child's track: long, large face, embedded from several views.
  const auto longest = std::max_element(r.tracks.begin(), r.tracks.end(), [](const VideoTrack& a, const VideoTrack& b) {
    return a.detections < b.detections;
  });
  EXPECT_GT(longest->detections, 40);
  EXPECT_EQ(longest->embeddings, 3);
  const Embedding& e = judge.seen[static_cast<std::size_t>(longest - r.tracks.begin())];
  ASSERT_EQ(e.size(), 128u);
  double norm = 0;
  for (float v : e) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-3);
  EXPECT_EQ(r.outcome.state, MediaState::held);
  EXPECT_EQ(r.outcome.reason().rfind("uncertain_match: track ", 0), 0u) << r.outcome.reason();
  EXPECT_TRUE(std::filesystem::exists(out));  // held items are written, then wait for moderation
}

TEST(VideoProcess, WithoutAnEmbedderTracksAreJudgedWithAnEmptyEmbedding) {
  test::TempDir tmp;
  Recording judge;
  const VideoResult r = process_video(test::testdata(kFiveFrames), tmp.path() + "/five.mp4", detector(), nullptr,
                                      judge, fast_options());
  EXPECT_EQ(r.frames, 5);
  for (const Embedding& e : judge.seen) EXPECT_TRUE(e.empty());
  for (const VideoTrack& t : r.tracks) EXPECT_EQ(t.embeddings, 0);
  EXPECT_FALSE(r.has_audio);
}

TEST(VideoProcess, VerificationReportsFacesOutsideTheKeptRegions) {
  // The untouched input has visible faces: with nowhere allowed, they are reported; with
  // the whole picture allowed, nothing is.
  VerifyOptions options;
  options.stride = 25;
  const auto nowhere = verify_video(test::testdata(kChild), detector(), [](int) { return FrameRegions{}; }, 225, options);
  EXPECT_EQ(nowhere.frames_decoded, 225);
  EXPECT_EQ(nowhere.frames_checked, 10);  // 0, 25, ..., 200 and the last
  EXPECT_GE(nowhere.uncovered.size(), 9u);
  EXPECT_FALSE(nowhere.clean(225));
  const auto everywhere = verify_video(test::testdata(kChild), detector(),
                                       [](int) { return FrameRegions{{Box{0, 0, 512, 512}}, {}}; }, 225, options);
  EXPECT_TRUE(everywhere.uncovered.empty());
  EXPECT_TRUE(everywhere.clean(225));
}

TEST(VideoProcess, FrameVerifierChecksHandedFramesAgainstWhatWasDone) {
  // The render pass hands sampled frames over as they are written: the same rules as
  // verify_video(), without decoding the file again.
  VideoReader reader(test::testdata(kChild));
  cv::Mat frame;
  ASSERT_TRUE(reader.read(frame, 0));
  const std::vector<DetectedFace> faces = detector().detect(frame);
  ASSERT_FALSE(faces.empty());
  const Box face = faces.front().box;
  VerifyOptions options;
  options.stride = 10;
  FrameVerifier verifier(detector(), options);
  EXPECT_TRUE(verifier.wants(0, 225));
  EXPECT_FALSE(verifier.wants(5, 225));
  EXPECT_TRUE(verifier.wants(20, 225));
  EXPECT_TRUE(verifier.wants(224, 225));  // the last frame
  verifier.check(0, frame.clone(), 1.f, FrameRegions{});                    // nothing allowed: reported
  verifier.check(10, frame.clone(), 1.f, FrameRegions{{face}, {}});         // kept there: fine
  verifier.check(20, frame.clone(), 1.f, FrameRegions{{}, {face}});         // "solid paint": counted apart
  cv::Mat half;
  cv::resize(frame, half, cv::Size(frame.cols / 2, frame.rows / 2), 0, 0, cv::INTER_AREA);
  verifier.check(30, half, 2.f, FrameRegions{{face}, {}});  // reduced for the detector, boxes scaled back
  const VerificationReport report = verifier.finish();
  EXPECT_EQ(report.frames_checked, 4);
  ASSERT_FALSE(report.uncovered.empty());
  for (const VerificationFinding& f : report.uncovered) EXPECT_EQ(f.frame, 0);
  EXPECT_GE(report.on_solid_paint, 1);
  EXPECT_GE(report.faces_found, 4);
}

TEST(VideoProcess, CountsTheFramesOfAWrittenFileWithoutDecoding) {
  EXPECT_EQ(count_video_frames(test::testdata(kChild)), 225);
  EXPECT_EQ(count_video_frames(test::testdata(kFiveFrames)), 5);
  test::TempDir tmp;
  const std::string empty = tmp.path() + "/empty.mp4";
  std::ofstream(empty).close();
  EXPECT_EQ(count_video_frames(empty), -1);
  EXPECT_EQ(count_video_frames("/nonexistent/video.mp4"), -1);
}

TEST(VideoProcess, VerificationLooksAtSampledOutputFramesAsTheyAreWritten) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/child.mp4";
  BlurAll judge;
  VideoOptions options = fast_options();
  options.verification.stride = 10;
  const VideoResult r = process_video(test::testdata(kChild), out, detector(), nullptr, judge, options);
  EXPECT_EQ(r.frames, 225);
  // 25 fps: detection stride 2, so the sample is every 11th frame (both phases of the stride):
  // 0, 11, ..., 220 and the last.
  EXPECT_EQ(r.detect_stride, 2);
  EXPECT_EQ(r.verification.frames_checked, 22);
  EXPECT_EQ(r.verification.frames_decoded, 225);  // counted in the written file
  EXPECT_TRUE(r.verification.uncovered.empty()) << r.outcome.reason();
  EXPECT_EQ(r.outcome.state, MediaState::published) << r.outcome.reason();
}

TEST(VideoProcess, TheVerificationSampleWalksThroughEveryPhaseOfTheStride) {
  EXPECT_EQ(stride_across_phases(10, 1), 10);
  EXPECT_EQ(stride_across_phases(10, 2), 11);
  EXPECT_EQ(stride_across_phases(10, 3), 10);
  EXPECT_EQ(stride_across_phases(10, 4), 11);
  EXPECT_EQ(stride_across_phases(10, 5), 11);
  EXPECT_EQ(stride_across_phases(1, 5), 1);
  for (int detect = 1; detect <= 8; ++detect) {
    const int sample = stride_across_phases(10, detect);
    std::set<int> phases;
    for (int k = 0; k < detect; ++k) phases.insert((k * sample) % detect);
    EXPECT_EQ(static_cast<int>(phases.size()), detect) << "stride " << detect;
  }
}

VideoErrorKind refusal(const std::string& path, const VideoOptions& options, const std::string& out) {
  BlurAll judge;
  try {
    process_video(path, out, detector(), nullptr, judge, options);
  } catch (const VideoError& e) {
    EXPECT_FALSE(std::filesystem::exists(out)) << "nothing may be published";
    return e.kind();
  }
  ADD_FAILURE() << path << " was processed";
  return VideoErrorKind::unsupported;
}

TEST(VideoProcess, RefusesCorruptAndOverLimitInput) {
  test::TempDir tmp;
  const std::string out = tmp.path() + "/out.mp4";
  const VideoOptions options = fast_options();
  auto write = [&](const std::string& name, const std::string& bytes) {
    const std::string path = tmp.path() + "/" + name;
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  };
  const std::string clip = test::read_file(test::testdata(kHamilton));
  EXPECT_EQ(refusal(write("half.mp4", clip.substr(0, clip.size() / 2)), options, out), VideoErrorKind::corrupt);
  std::string noise(100000, '\0');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
  EXPECT_EQ(refusal(write("random.mp4", noise), options, out), VideoErrorKind::unsupported);
  EXPECT_EQ(refusal(test::testdata("faces/_multi/two_people.jpg"), options, out), VideoErrorKind::unsupported);

  VideoOptions short_limit = options;
  short_limit.limits.max_video_seconds = 2;
  EXPECT_EQ(refusal(test::testdata(kHamilton), short_limit, out), VideoErrorKind::too_long);
  VideoOptions small_limit = options;
  small_limit.limits.max_video_long_edge = 640;
  EXPECT_EQ(refusal(test::testdata(kWalkers), small_limit, out), VideoErrorKind::too_many_pixels);
}

TEST(VideoProcess, TruncatedFaststartFileIsRefusedForItsDecodeErrors) {
  // With moov first, half a file still opens: the missing frames count as decode errors.
  test::TempDir tmp;
  const std::string whole = tmp.path() + "/whole.mp4";
  BlurAll judge;
  VideoOptions options = fast_options();
  options.verify = false;
  process_video(test::testdata(kFiveFrames), whole, detector(), nullptr, judge, options);
  ASSERT_TRUE(before(top_level_boxes(whole), "moov", "mdat"));
  const std::string bytes = test::read_file(whole);
  const std::string half = tmp.path() + "/half.mp4";
  std::ofstream(half, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  EXPECT_EQ(refusal(half, options, tmp.path() + "/out.mp4"), VideoErrorKind::corrupt);
}

TEST(VideoProcess, UnusualInputIsNormalised) {
  // Odd picture size, 4:4:4 FFV1 in Matroska with PCM sound; 10-bit H.264 in MP4.
  test::TempDir tmp;
  const std::string odd = tmp.path() + "/odd.mkv", ten = tmp.path() + "/ten.mp4";
  auto r1 = test::run_command("ffmpeg -nostdin -v error -y -i '" + test::testdata(kFiveFrames) +
                              "' -f lavfi -i sine=frequency=440:duration=0.3 -vf scale=323:181,format=yuv444p "
                              "-c:v ffv1 -c:a pcm_s16le -shortest '" + odd + "'");
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  auto r2 = test::run_command("ffmpeg -nostdin -v error -y -i '" + test::testdata(kFiveFrames) +
                              "' -c:v libx264 -preset ultrafast -pix_fmt yuv420p10le '" + ten + "'");
  ASSERT_EQ(r2.exit_code, 0) << r2.err;

  BlurAll judge;
  const VideoResult a = process_video(odd, tmp.path() + "/odd.mp4", detector(), nullptr, judge, fast_options());
  EXPECT_EQ(a.width, 322);  // even, rounded down: never upscaled
  EXPECT_EQ(a.height, 180);
  EXPECT_EQ(a.frames, 5);
  EXPECT_TRUE(a.has_audio);
  EXPECT_FALSE(a.audio_copied);  // PCM re-encoded to AAC
  const VideoInfo ai = probe_video(tmp.path() + "/odd.mp4", LimitsConfig{});
  EXPECT_EQ(ai.pixel_format, "yuv420p");
  EXPECT_EQ(ai.audio_codec, "aac");
  EXPECT_EQ(ai.width, 322);

  const VideoResult b = process_video(ten, tmp.path() + "/ten.mp4", detector(), nullptr, judge, fast_options());
  EXPECT_EQ(b.frames, 5);
  EXPECT_EQ(b.input.pixel_format, "yuv420p10le");
  EXPECT_EQ(probe_video(tmp.path() + "/ten.mp4", LimitsConfig{}).pixel_format, "yuv420p");
  EXPECT_FALSE(b.tracks.empty());
  EXPECT_GT(b.redacted_regions, 0);
}

// Copies `in` to `out` (streams copied, no re-encoding) with a display matrix on the video
// stream: av_display_rotation_set(angle), i.e. shown turned `angle` degrees clockwise.
void remux_with_rotation(const std::string& in, const std::string& out, double angle) {
  AVFormatContext* ifmt = nullptr;
  ASSERT_EQ(avformat_open_input(&ifmt, in.c_str(), nullptr, nullptr), 0);
  ASSERT_GE(avformat_find_stream_info(ifmt, nullptr), 0);
  AVFormatContext* ofmt = nullptr;
  ASSERT_GE(avformat_alloc_output_context2(&ofmt, nullptr, "mp4", out.c_str()), 0);
  for (unsigned i = 0; i < ifmt->nb_streams; ++i) {
    AVStream* os = avformat_new_stream(ofmt, nullptr);
    ASSERT_GE(avcodec_parameters_copy(os->codecpar, ifmt->streams[i]->codecpar), 0);
    os->codecpar->codec_tag = 0;
    os->time_base = ifmt->streams[i]->time_base;
    if (ifmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      auto* m = reinterpret_cast<int32_t*>(av_stream_new_side_data(os, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
      ASSERT_NE(m, nullptr);
      av_display_rotation_set(m, angle);
    }
  }
  ASSERT_GE(avio_open(&ofmt->pb, out.c_str(), AVIO_FLAG_WRITE), 0);
  ASSERT_GE(avformat_write_header(ofmt, nullptr), 0);
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(ifmt, pkt) >= 0) {
    const AVStream* is = ifmt->streams[pkt->stream_index];
    av_packet_rescale_ts(pkt, is->time_base, ofmt->streams[pkt->stream_index]->time_base);
    pkt->pos = -1;
    ASSERT_GE(av_interleaved_write_frame(ofmt, pkt), 0);
  }
  av_packet_free(&pkt);
  av_write_trailer(ofmt);
  avio_closep(&ofmt->pb);
  avformat_free_context(ofmt);
  avformat_close_input(&ifmt);
}

double mean_difference(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size()) return 1e9;
  return cv::mean(cv::abs(a - b))[0];
}

TEST(VideoProcess, RotatedInputComesOutUpright) {
  test::TempDir tmp;
  const std::string rotated = tmp.path() + "/rotated.mp4";
  remux_with_rotation(test::testdata(kFiveFrames), rotated, 90);
  const VideoInfo info = probe_video(rotated, LimitsConfig{});
  EXPECT_EQ(info.rotation, 90);
  EXPECT_EQ(info.display_width, 460);
  EXPECT_EQ(info.display_height, 820);

  const std::string out = tmp.path() + "/out.mp4";
  KeepAll judge;
  const VideoResult r = process_video(rotated, out, detector(), nullptr, judge, fast_options());
  EXPECT_EQ(r.width, 460);
  EXPECT_EQ(r.height, 820);
  const VideoInfo out_info = probe_video(out, LimitsConfig{});
  EXPECT_EQ(out_info.width, 460);
  EXPECT_EQ(out_info.height, 820);
  EXPECT_EQ(out_info.rotation, 0);  // the pixels are upright; no display matrix left

  // The same picture as ffmpeg's own autorotation shows (and not a mirror or the other way round).
  const std::string reference = tmp.path() + "/reference.mp4";
  const auto cmd = test::run_command("ffmpeg -nostdin -v error -y -i '" + rotated +
                                     "' -c:v libx264 -preset ultrafast -crf 18 -an '" + reference + "'");
  ASSERT_EQ(cmd.exit_code, 0) << cmd.err;
  VideoReader ours(out), theirs(reference);
  cv::Mat a, b;
  ASSERT_TRUE(ours.read(a));
  ASSERT_TRUE(theirs.read(b));
  ASSERT_EQ(a.size(), b.size());
  cv::Mat a16, b16, flipped;
  a.convertTo(a16, CV_16SC3);
  b.convertTo(b16, CV_16SC3);
  cv::flip(b16, flipped, -1);
  EXPECT_LT(mean_difference(a16, b16), 6.0);
  EXPECT_GT(mean_difference(a16, flipped), 15.0);
}

}  // namespace
}  // namespace veil
