// The offline video pipeline: analyse (pass 1), judge per track, render and verify (pass 2),
// commit; and the JSON form of the result.
#include "pipeline/video/process.h"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/video/passes.h"
#include "policy/reasons.h"

namespace veil {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Removes the temporary output unless the result was committed.
struct TempFile {
  std::string path;
  bool keep = false;
  ~TempFile() {
    if (!keep) std::remove(path.c_str());
  }
};

VideoTrack describe(const FaceTrack& track, const CoverageOptions& coverage, int frames) {
  VideoTrack t;
  t.id = track.id;
  t.first_frame = track.first_frame();
  t.last_frame = track.last_frame();
  t.covered_first = std::max(0, t.first_frame - coverage.dilation_frames);
  t.covered_last = std::min(frames - 1, t.last_frame + coverage.dilation_frames);
  t.detections = static_cast<int>(track.points.size());
  return t;
}

std::string hold_text(const VideoTrack& t) {
  return reason::with_details(reason::uncertain_match, "track " + std::to_string(t.id));
}

// Judges every pass-1 track once and sorts it into the plan's keep or blur list.
void judge_tracks(const Analysis& analysis, const CoverageOptions& coverage, FaceJudge& judge, RenderPlan& plan,
                  std::vector<VideoTrack>& tracks, std::vector<std::string>& holds) {
  for (const AnalysedTrack& a : analysis.tracks) {
    VideoTrack t = describe(a.track, coverage, analysis.frames);
    t.best_box = a.best_box;
    t.embeddings = a.embeddings;
    t.judgement = judge.judge(a.embedding);
    t.embedding = a.embedding;
    if (t.judgement.hold) holds.push_back(hold_text(t));
    (t.judgement.decision == Decision::keep ? plan.keep : plan.blur).push_back(&a.track);
    plan.first_late_id = std::max(plan.first_late_id, t.id + 1);
    tracks.push_back(std::move(t));
  }

  // A judge that keeps faces it could not recognise (an explicit keep-all) would keep what the
  // re-check finds too: then there is nothing for the re-check to do.
  for (std::size_t i = 0; i < analysis.tracks.size(); ++i)
    if (analysis.tracks[i].embedding.empty() && tracks[i].judgement.decision == Decision::keep) plan.recheck = false;
}

// A track the re-check found: already painted, so it stays painted whatever the judge says;
// judged with an empty embedding so that the judge's record of the item is complete.
VideoTrack judge_late_track(const FaceTrack& late, const CoverageOptions& coverage, int frames, bool solid,
                            FaceJudge& judge, std::vector<std::string>& holds) {
  VideoTrack t = describe(late, coverage, frames);
  t.found_in_recheck = true;
  t.painted_solid = solid;
  float best = -1;
  for (const TrackPoint& p : late.points)
    if (p.box.area() * p.score > best) {
      best = p.box.area() * p.score;
      t.best_box = p.box;
    }
  t.judgement = judge.judge(Embedding{});
  if (t.judgement.decision == Decision::keep) {
    t.judgement.decision = Decision::blur;
    t.judgement.reason = reason::found_after_redaction;
  }
  if (t.judgement.hold) holds.push_back(hold_text(t));
  return t;
}

// A face the verification found outside the kept tracks, or a written file short of frames,
// holds the item.
void add_verification_holds(const VerificationReport& v, int frames, std::vector<std::string>& holds) {
  if (!v.uncovered.empty()) {
    const VerificationFinding& f = v.uncovered.front();
    std::ostringstream why;
    why << v.uncovered.size() << " face(s) visible outside the kept tracks (first at frame "
        << f.frame << ", " << static_cast<int>(f.box.x) << "," << static_cast<int>(f.box.y) << " "
        << static_cast<int>(f.box.w) << "x" << static_cast<int>(f.box.h) << ")";
    holds.push_back(reason::with_details(reason::verification_failed, why.str()));
  }
  if (v.frames_decoded != frames)
    holds.push_back(reason::with_details(reason::verification_failed,
                                         "the output holds " + std::to_string(v.frames_decoded) + " frames, " +
                                             std::to_string(frames) + " were written"));
}

}  // namespace

int stride_across_phases(int sample_stride, int detect_stride) {
  int s = std::max(1, sample_stride);
  while (std::gcd(s, std::max(1, detect_stride)) != 1) ++s;
  return s;
}

int auto_detect_stride(double fps) {
  if (!(fps > 0)) return 2;
  return std::clamp(static_cast<int>(std::lround(fps / 12.0)), 1, 8);
}

VideoResult process_video(const std::string& input_path, const std::string& output_mp4_path,
                          FaceDetector& photo_detector, FaceEmbedder* embedder, FaceJudge& judge,
                          const VideoOptions& options) {
  VideoResult result;
  // Refuse early (header checks) before any decoding.
  result.input = probe_video(input_path, options.limits);
  // Videos use the first detector network only: the second (photos' masked faces) would add
  // about 0.6 of a detection to every frame looked at, and a video's tracks already carry a
  // face across the frames where the first network loses it (docs/models.md).
  std::unique_ptr<FaceDetector> first_only;
  if (!photo_detector.options().second_model_path.empty()) {
    DetectorOptions o = photo_detector.options();
    o.second_model_path.clear();
    first_only = std::make_unique<FaceDetector>(o);
  }
  FaceDetector& detector = first_only ? *first_only : photo_detector;
  const VideoInfo& info = result.input;
  // Every frame is examined once: pass 1 looks at every stride-th frame and the re-check at
  // the others; without the re-check pass 1 looks at them all.
  const int stride =
      !options.recheck ? 1 : options.detect_stride > 0 ? options.detect_stride : auto_detect_stride(info.fps);
  result.detect_stride = stride;
  CoverageOptions coverage = options.coverage;
  coverage.dilation_frames = std::max(coverage.dilation_frames, stride);

  // Pass 1: analyse.
  auto t0 = Clock::now();
  FaceEmbedder* used_embedder = judge.needs_embedding() ? embedder : nullptr;
  Analysis analysis = analyse_video(input_path, detector, used_embedder, stride, options);
  result.seconds_analyse = seconds_since(t0);
  result.decode_errors = analysis.decode_errors;
  result.detected_frames = analysis.detected_frames;
  if (analysis.frames == 0) throw VideoError(VideoErrorKind::corrupt, "no picture could be decoded");
  if (analysis.decode_errors > options.max_decode_errors ||
      analysis.decode_errors > options.max_decode_error_ratio * analysis.frames)
    throw VideoError(VideoErrorKind::corrupt, std::to_string(analysis.decode_errors) + " decode errors in " +
                                                  std::to_string(analysis.frames) + " frames");

  // Judge once per track.
  RenderPlan plan;
  plan.coverage = coverage;
  plan.frames = analysis.frames;
  plan.detect_stride = stride;
  plan.recheck = options.recheck;
  std::vector<std::string> holds;
  judge_tracks(analysis, coverage, judge, plan, result.tracks, holds);

  // Pass 2: render, with the verification (DESIGN.md section 5) on sampled output frames as
  // they are written.
  t0 = Clock::now();
  const std::string temp_path = output_mp4_path + ".tmp-" + std::to_string(::getpid());
  TempFile temp{temp_path};
  std::optional<FrameVerifier> verifier;
  if (options.verify) {
    VerifyOptions verify = options.verification;
    if (verify.long_edge == 0) verify.long_edge = options.detect_long_edge;
    verify.stride = stride_across_phases(verify.stride, stride);
    plan.verify_long_edge = verify.long_edge;
    verifier.emplace(detector, verify);  // pass 1 is over: the detector is the verifier's now
    plan.verifier = &*verifier;
  }
  RenderResult render = render_video(input_path, temp_path, info, plan, detector, options);
  result.seconds_render = seconds_since(t0);
  result.width = render.width;
  result.height = render.height;
  result.frames = render.frames;
  result.fps = render.fps;
  result.duration_s = info.duration_s > 0 ? info.duration_s : render.frames / render.fps;
  result.has_audio = render.has_audio;
  result.audio_copied = render.audio_copied;
  result.audio_errors = render.audio_errors;
  result.redacted_regions = render.redacted_regions;
  result.rechecked_frames = render.rechecked_frames;
  result.poster = render.poster;
  for (VideoTrack& t : result.tracks) t.painted_solid = render.solid_from.count(t.id) > 0;
  // Faces the re-check found were painted at once; the judge still sees each of them.
  for (const FaceTrack& late : render.late_tracks)
    result.tracks.push_back(judge_late_track(late, coverage, result.frames, render.solid_from.count(late.id) > 0,
                                             judge, holds));

  if (verifier) {
    t0 = Clock::now();
    result.verification = verifier->finish();
    // The written file must hold every frame that was encoded.
    result.verification.frames_decoded = count_video_frames(temp_path);
    add_verification_holds(result.verification, result.frames, holds);
    result.seconds_verify = seconds_since(t0);
  }

  for (std::string& why : holds) result.outcome.hold(std::move(why));

  std::filesystem::rename(temp_path, output_mp4_path);
  temp.keep = true;
  result.output_path = output_mp4_path;
  return result;
}

nlohmann::json video_result_json(const VideoResult& r) {
  using nlohmann::json;
  auto box_json = [](const Box& b) {
    return json{{"x", std::lround(b.x)}, {"y", std::lround(b.y)}, {"w", std::lround(b.w)}, {"h", std::lround(b.h)}};
  };
  json tracks = json::array();
  for (const VideoTrack& t : r.tracks) {
    tracks.push_back(json{{"id", t.id},
                          {"first_frame", t.first_frame},
                          {"last_frame", t.last_frame},
                          {"covered_first_frame", t.covered_first},
                          {"covered_last_frame", t.covered_last},
                          {"detections", t.detections},
                          {"embeddings", t.embeddings},
                          {"found_in_recheck", t.found_in_recheck},
                          {"painted_solid", t.painted_solid},
                          {"box", box_json(t.best_box)},
                          {"decision", to_string(t.judgement.decision)},
                          {"reason", t.judgement.reason},
                          {"match", t.judgement.match},
                          {"similarity", t.judgement.similarity},
                          {"hold", t.judgement.hold}});
  }
  json uncovered = json::array();
  for (const VerificationFinding& f : r.verification.uncovered)
    uncovered.push_back(json{{"frame", f.frame}, {"box", box_json(f.box)}, {"score", f.score}});
  return json{{"kind", "video"},
              {"width", r.width},
              {"height", r.height},
              {"duration_s", r.duration_s},
              {"fps", r.fps},
              {"frames", r.frames},
              {"has_audio", r.has_audio},
              {"audio", r.has_audio ? (r.audio_copied ? "aac (copied)" : "aac (re-encoded)") : "none"},
              {"output", r.output_path},
              {"input",
               {{"container", r.input.container},
                {"width", r.input.width},
                {"height", r.input.height},
                {"rotation", r.input.rotation},
                {"video_codec", r.input.video_codec},
                {"audio_codec", r.input.audio_codec},
                {"bytes", r.input.file_bytes}}},
              {"decode_errors", r.decode_errors},
              {"audio_errors", r.audio_errors},
              {"detect_stride", r.detect_stride},
              {"detected_frames", r.detected_frames},
              {"rechecked_frames", r.rechecked_frames},
              {"redacted_regions", r.redacted_regions},
              {"outcome", to_string(r.outcome.state)},
              {"reason", r.outcome.reason()},
              {"tracks", tracks},
              {"verification",
               {{"frames_decoded", r.verification.frames_decoded},
                {"frames_checked", r.verification.frames_checked},
                {"faces_found", r.verification.faces_found},
                {"on_solid_paint", r.verification.on_solid_paint},
                {"uncovered", uncovered}}},
              {"seconds", {{"analyse", r.seconds_analyse}, {"render", r.seconds_render}, {"verify", r.seconds_verify}}}};
}

}  // namespace veil
