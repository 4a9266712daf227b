// Face tracks across the frames of a video: associates the faces detected on sampled
// frames (every `stride`-th frame) into tracks with a constant-velocity predictor and
// greedy IoU matching, and answers, for any frame, where a track's face may be, so that
// a face is covered in every frame where it is visible, not only where it was detected.
//
// Pure geometry: no pixels, no FFmpeg, no OpenCV. Memory: a finished track keeps one
// TrackPoint (frame, box, score) per detection, a few tens of bytes.
#pragma once

#include <optional>
#include <vector>

#include "models/face.h"

namespace veil {

struct TrackerOptions {
  // A detection continues a track when IoU(predicted box, detection) >= iou_threshold, or
  // (fast motion) when their centres are closer than a gate and their sizes differ by less
  // than 2x. The gate is max_centre_distance x the larger box width, plus 0.1 (0.25 while
  // the track has no velocity yet) per frame since its last detection, at most 3 widths.
  // Best pairs (highest IoU, then nearest) are matched first.
  float iou_threshold = 0.2f;
  float max_centre_distance = 0.75f;
  // A track ends when it has not been detected for more than this many frames; a face
  // missed on a few sampled frames inside this gap stays one track (and stays covered).
  int max_missed_frames = 15;
};

struct TrackPoint {
  int frame = 0;
  Box box;          // the detected face box (upright, full-resolution pixels)
  float score = 0;  // detector confidence
};

struct FaceTrack {
  int id = 0;
  std::vector<TrackPoint> points;  // one per detection, frames strictly increasing
  int first_frame() const { return points.empty() ? 0 : points.front().frame; }
  int last_frame() const { return points.empty() ? 0 : points.back().frame; }
};

class FaceTracker {
 public:
  explicit FaceTracker(const TrackerOptions& options = {});

  // The faces detected on `frame` (frames must increase from call to call). Returns, for
  // each detection, the id of the track it now belongs to (a new track when it matches none).
  std::vector<int> update(int frame, const std::vector<DetectedFace>& faces);

  // Moves out the tracks that have ended by `frame` (not detected for more than
  // max_missed_frames frames before it).
  std::vector<FaceTrack> take_finished(int frame);

  // Ends and moves out every track still live (at the end of the video).
  std::vector<FaceTrack> finish();

  std::size_t live_tracks() const { return live_.size(); }

 private:
  struct Live {
    FaceTrack track;
    float vx = 0, vy = 0;  // centre velocity, pixels per frame (smoothed)
    bool has_velocity = false;
  };
  Box predict(const Live& live, int frame) const;

  TrackerOptions options_;
  std::vector<Live> live_;
  int next_id_ = 1;
};

struct CoverageOptions {
  // Frames before the first and after the last detection during which the track is still
  // covered (temporal dilation); at least the detection stride, so that a face that
  // appeared just after a sampled frame is covered from its first visible frame.
  int dilation_frames = 4;
  // Each side of the box grows by margin x the box size (spatial dilation), before
  // redaction's own expansion.
  float margin = 0.15f;
};

// Where `track`'s face may be in `frame`, or nothing when the track does not cover that
// frame. Between two detections: linear interpolation, grown by a quarter of the distance
// the face moved between them (motion need not be linear). Before the first and after the
// last detection (up to dilation_frames): extrapolated at the track's velocity and grown by
// half the distance travelled. Then grown by margin on each side. Not clipped to the picture.
std::optional<Box> track_box_at(const FaceTrack& track, int frame, const CoverageOptions& options);

}  // namespace veil
