// The offline video pipeline: one video file in, one consent-safe MP4 out (see
// docs/video.md). Pass 1 decodes, detects faces on every `detect_stride`-th frame (on a
// downscaled copy, in a second thread), tracks them, and embeds each track's best views;
// then the FaceJudge decides keep/blur once per track; pass 2 decodes again, redacts every
// frame at full resolution with the boxes of the tracks to blur (interpolated between
// detections, dilated in time and space), re-checks with the detector every frame pass 1
// did not look at and paints what it finds, scales, hands a sample of the output frames to
// the verification (so the video is decoded twice, not three times), and encodes H.264/AAC MP4.
//
// Contract:
//  - Every frame: each frame of the output was examined by the detector at detect_long_edge,
//    by pass 1 or by the re-check. A face found on a frame no blurred track covers is painted
//    on that frame and on its neighbours (coverage.dilation_frames each side). The
//    verification's sample covers every phase of the detection stride.
//  - Fail closed: every track is blurred unless the judge says keep; a track too short or
//    too small to embed is judged with an empty embedding (which a judge blurs); a face
//    pass 2's re-check finds outside the kept tracks is painted at once (and judged with an
//    empty embedding afterwards); a face the verification pass finds outside a kept track
//    holds the item (outcome: held, "verification_failed: ...").
//  - Refusals are VideoError (pipeline/video/probe.h): limits, no video, corrupt input,
//    too many decode errors (more than max_decode_errors, or more than
//    max_decode_error_ratio of the frames). Nothing is ever half-published: the MP4 is
//    written under a temporary name and renamed to output_mp4_path only when complete;
//    on any exception no file is left at output_mp4_path.
//  - Output: upright (display rotation applied to the pixels), long edge <= max_long_edge,
//    even dimensions, yuv420p H.264 (libx264, crf/preset), audio copied when AAC or
//    re-encoded to AAC, MP4 with moov before mdat, no metadata from the input.
//  - Memory does not depend on the video's length: frames stream through; what is kept
//    per frame is a few boxes per detected face (tens of bytes).
//  - The detector, embedder and judge are used from one thread at a time (the detector
//    from pass 1's worker thread, then from the verification's thread in pass 2; the
//    embedder from pass 1's worker; the judge from the calling thread), never concurrently. Pass 2's re-check makes its own
//    FaceDetector from detector.options() (threshold lowered by recheck_margin).
//  - Videos use the detector's first network only: a detector with a second network
//    (DetectorOptions::second_model_path) is copied without it for the video.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/core/mat.hpp>

#include "config/config.h"
#include "models/face.h"
#include "policy/face_judge.h"
#include "policy/outcome.h"
#include "pipeline/photo/redact.h"
#include "pipeline/video/probe.h"
#include "pipeline/video/tracker.h"
#include "pipeline/video/verify.h"

namespace veil {

class FaceDetector;
class FaceEmbedder;

struct VideoOptions {
  LimitsConfig limits;                  // file bytes, pixels, duration, long edge of the input
  int max_decode_errors = 5;            // refuse when decode errors exceed this ...
  double max_decode_error_ratio = 0.01; // ... or this share of the frames

  // Detection and tracking.
  int detect_stride = 0;                // detect on every Nth frame; 0: auto (fps / 12, rounded: 2 at 25, 3 at 30, 5 at 60)
  int detect_long_edge = 640;           // detect on frames scaled to this long edge (0: full size)
  TrackerOptions tracker;
  CoverageOptions coverage;             // dilation_frames is raised to at least the stride

  // Recognition per track.
  int embeddings_per_track = 3;         // best views averaged into the track's embedding
  int min_embed_face_px = 24;           // smaller faces are never embedded
  int min_track_detections = 2;         // shorter tracks are judged with an empty embedding

  RedactOptions redact;                 // a track whose painting the detector still takes for a face is painted solid

  // Re-check in pass 2: detect again on every frame pass 1 did not look at, after painting,
  // and paint what is still found outside the kept tracks (see docs/video.md). Without it,
  // pass 1 looks at every frame (detect_stride is then 1).
  bool recheck = true;
  float recheck_margin = 0.1f;          // the re-check paints new faces from the detector's threshold minus
                                        // this, and turns paintings solid from minus twice this

  // Output.
  int max_long_edge = 1920;             // never upscaled
  int crf = 23;
  std::string preset = "veryfast";
  int threads = 0;                      // decoder and x264 threads, 0: automatic
  int audio_bitrate = 128000;           // when audio is re-encoded
  double poster_time_s = 1.0;           // the poster is the frame at this time (or the middle of shorter videos)

  // Verification of the written file.
  bool verify = true;
  VerifyOptions verification;           // long_edge 0 here means: detect_long_edge
};

struct VideoTrack {
  int id = 0;
  int first_frame = 0, last_frame = 0;  // first and last detection (frame indices from 0)
  int covered_first = 0, covered_last = 0;  // frames the track covers, with temporal dilation
  Box best_box;                          // the largest confident detection (upright input pixels)
  int detections = 0;
  int embeddings = 0;                    // views averaged into the embedding (0: judged with an empty one)
  Embedding embedding;                   // what it was judged with (the face index); empty: none
  bool found_in_recheck = false;         // found by pass 2's re-check (painted before it was judged)
  bool painted_solid = false;            // the detector still saw a face in its painting: painted solid
  FaceJudgement judgement;
};

struct VideoResult {
  // Output (upright).
  int width = 0, height = 0;
  double duration_s = 0;
  double fps = 0;
  int frames = 0;
  bool has_audio = false;
  bool audio_copied = false;             // AAC input copied rather than re-encoded
  std::string output_path;
  cv::Mat poster;                        // a redacted output frame (BGR), for renditions

  // Input.
  VideoInfo input;
  int decode_errors = 0;
  int audio_errors = 0;                  // audio packets dropped (the sound, not the picture)

  // Faces.
  std::vector<VideoTrack> tracks;
  int detect_stride = 1;
  int detected_frames = 0;               // frames the detector ran on in pass 1
  int rechecked_frames = 0;              // painted frames the detector ran on in pass 2
  int redacted_regions = 0;              // face regions painted, over all frames

  // Outcome: published, or held for the tracks the judge held and the verification's findings.
  Outcome outcome;
  VerificationReport verification;       // empty when options.verify is false

  // Wall-clock seconds per pass.
  double seconds_analyse = 0, seconds_render = 0, seconds_verify = 0;
};

// Runs the pipeline (see the top of this file). `embedder` may be null (every track is
// then judged with an empty embedding); it is used only when judge.needs_embedding().
// Throws VideoError for refused input, std::runtime_error for internal failures
// (encoder, file system), ModelError when a model cannot run.
VideoResult process_video(const std::string& input_path, const std::string& output_mp4_path, FaceDetector& detector,
                          FaceEmbedder* embedder, FaceJudge& judge, const VideoOptions& options);

// The result as JSON for `veil process`: output size, timing, audio, decode errors,
// outcome and reason, per-track entries (id, first/last frame, covered range, detections, box,
// decision, reason, match, similarity, hold) and the verification summary.
nlohmann::json video_result_json(const VideoResult& result);

// The detection stride for `fps` when VideoOptions::detect_stride is 0.
int auto_detect_stride(double fps);

// The verification's sampling stride: the smallest stride >= `sample_stride` that shares no
// factor with `detect_stride`, so that the sample walks through every phase of the
// detection stride (frames pass 1 looked at, and each phase the re-check looked at).
int stride_across_phases(int sample_stride, int detect_stride);

}  // namespace veil
