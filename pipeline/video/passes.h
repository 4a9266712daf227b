// Internal to the video pipeline (includes FFmpeg headers): the two decoding passes of
// process_video() and what they hand each other. Pass 1 (analyse_video) finds and tracks
// faces and embeds each track; pass 2 (render_video) paints, re-checks and encodes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "models/face.h"
#include "pipeline/video/probe.h"
#include "pipeline/video/process.h"
#include "pipeline/video/tracker.h"
#include "pipeline/video/verify.h"

namespace veil {

class FaceDetector;
class FaceEmbedder;

struct AnalysedTrack {
  FaceTrack track;
  Embedding embedding;  // empty when not embedded (no embedder, too short, too small)
  int embeddings = 0;   // views averaged into it
  Box best_box;         // largest area x score
};

struct Analysis {
  VideoInfo info;
  std::vector<AnalysedTrack> tracks;  // by id
  int frames = 0;
  int detected_frames = 0;
  int decode_errors = 0;
};

// Pass 1: decodes every frame; on every stride-th frame and the last one, detects faces on a
// copy scaled to options.detect_long_edge (upright, in a second thread), tracks them, and,
// when `embedder` is given, embeds each track's best views.
Analysis analyse_video(const std::string& path, FaceDetector& detector, FaceEmbedder* embedder, int stride,
                       const VideoOptions& options);

struct RenderPlan {
  std::vector<const FaceTrack*> blur;  // pass-1 tracks to paint
  std::vector<const FaceTrack*> keep;  // pass-1 tracks that stay visible
  CoverageOptions coverage;            // dilation already raised to at least the strides
  int frames = 0;                      // frames pass 1 decoded (pass 2 must find the same)
  int detect_stride = 1;               // pass 1 looked at frames with index % detect_stride == 0
  bool recheck = false;                // re-detect on every frame pass 1 did not look at (stride 1: on all)
  int first_late_id = 1;               // ids of tracks found by the re-check start here
  // When set, every output frame it wants is handed to it, painted and scaled, just before it
  // is encoded, reduced to verify_long_edge (the verification pass, without decoding again).
  FrameVerifier* verifier = nullptr;
  int verify_long_edge = 640;
};

struct RenderResult {
  int width = 0, height = 0, frames = 0;
  double fps = 0;
  int redacted_regions = 0;
  int rechecked_frames = 0;
  cv::Mat poster;
  bool has_audio = false, audio_copied = false;
  int audio_errors = 0;
  std::vector<FaceTrack> late_tracks;  // faces the re-check found outside every kept region (painted)
  // Tracks painted solid because the detector still saw a face in their painting: track id ->
  // first frame painted solid (earlier frames of the track were already written pixelated).
  std::map<int, int> solid_from;
};

// Pass 2: decodes again, turns frames upright, paints the planned tracks, re-checks painted
// frames with the detector (faces it still finds outside kept regions become new painted
// tracks, back-filled into the frames still waiting in a short delay line; a face found
// inside a painting gets that track painted solid from then on), scales, hands sampled frames
// to plan.verifier, encodes.
RenderResult render_video(const std::string& input_path, const std::string& output_path, const VideoInfo& info,
                          const RenderPlan& plan, FaceDetector& detector, const VideoOptions& options);

// The stored frame size scaled so that its long edge is at most `long_edge` (0: unchanged).
cv::Size detection_size(int width, int height, int long_edge);

}  // namespace veil
