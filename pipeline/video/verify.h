// Verification of a video before it is published (DESIGN.md section 5): the face detector
// runs on sampled output frames (every Nth, plus the first and the last) and every face that
// lies outside the regions where a visible face is allowed (the tracks the policy kept) is
// reported. The caller holds the item for moderation when the report is not clean; this
// check is what makes the video pipeline fail closed even when tracking missed a face. A
// detection centred on a flat grey ellipse the pipeline painted (solid style) is counted
// apart: the detector sometimes takes the ellipse itself for a face, and there is nothing
// left under it to see.
//
// Two ways in: FrameVerifier checks frames as the pipeline hands them over (the render pass
// offers each sampled frame, painted and scaled, just before it is encoded: the video is
// not decoded again), and verify_video() decodes a written file and checks it the same
// way (tests, and files from elsewhere).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

class FaceDetector;

struct VerifyOptions {
  int stride = 10;           // check every stride-th frame (1: every frame), plus the first and the last
  int long_edge = 640;       // detect on the frame scaled to this long edge (0: full size)
  float min_overlap = 0.5f;  // a face is allowed when this share of its box lies in an allowed region
};

struct VerificationFinding {
  int frame = 0;
  Box box;          // in output pixels
  float score = 0;
};

// What the pipeline did to one output frame, in output pixels.
struct FrameRegions {
  std::vector<Box> kept;   // where a visible face is allowed (kept tracks)
  std::vector<Box> solid;  // regions painted solid (redaction_region() of the painted box)
};

struct VerificationReport {
  // verify_video(): frames the file decoded to. After a FrameVerifier, the caller counts the
  // written file's frames with count_video_frames() instead.
  int frames_decoded = 0;
  int frames_checked = 0;
  int decode_errors = 0;
  int faces_found = 0;                           // all faces the detector saw on checked frames
  int on_solid_paint = 0;                        // of which centred on a solid painted ellipse
  std::vector<VerificationFinding> uncovered;    // faces outside every allowed region
  bool clean(int expected_frames) const {
    return uncovered.empty() && decode_errors == 0 && frames_decoded == expected_frames;
  }
};

// Checks frames on a second thread, so that the caller goes on decoding and encoding while
// the detector runs (at most a few frames wait: memory stays bounded).
class FrameVerifier {
 public:
  FrameVerifier(FaceDetector& detector, const VerifyOptions& options);
  ~FrameVerifier();  // stops the thread (a report not taken is dropped)
  FrameVerifier(const FrameVerifier&) = delete;
  FrameVerifier& operator=(const FrameVerifier&) = delete;

  // Whether frame `frame` of `expected_frames` (0: unknown) is one to check.
  bool wants(int frame, int expected_frames) const;
  // Checks output frame `frame`: `bgr` is the frame reduced for the detector (see
  // options.long_edge), `scale` output pixels per `bgr` pixel, `regions` what the pipeline did
  // to the frame, in output pixels.
  void check(int frame, cv::Mat bgr, float scale, FrameRegions regions);
  // Waits for the checks still queued and returns the report (frames_checked, faces_found,
  // on_solid_paint, uncovered sorted by frame); rethrows what the detector threw.
  VerificationReport finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `regions(frame)`: what the pipeline did to output frame `frame`. A face is fine when
// min_overlap of its box lies in a kept region, or when its centre lies in the ellipse of a
// solid region with min_overlap of its box inside that region. `expected_frames`: how many
// frames were written (0: unknown; then only the stride applies, plus the first frame).
// Detection runs on a second thread while the main one decodes.
VerificationReport verify_video(const std::string& path, FaceDetector& detector,
                                const std::function<FrameRegions(int frame)>& regions, int expected_frames,
                                const VerifyOptions& options);

// The video frames (packets) in the file at `path`, read without decoding: checks that a file
// the pipeline has just written holds every frame it wrote. -1 when it cannot be read.
int count_video_frames(const std::string& path);

}  // namespace veil
