// Face tracking: constant-velocity prediction, greedy IoU association, and per-frame
// coverage boxes (interpolation and temporal/spatial dilation).
#include "pipeline/video/tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace veil {

namespace {

float centre_x(const Box& b) { return b.x + b.w / 2; }
float centre_y(const Box& b) { return b.y + b.h / 2; }

Box grow(const Box& b, float dx, float dy) { return Box{b.x - dx, b.y - dy, b.w + 2 * dx, b.h + 2 * dy}; }

Box lerp(const Box& a, const Box& b, float t) {
  return Box{a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.w + (b.w - a.w) * t, a.h + (b.h - a.h) * t};
}

// Centre velocity (pixels per frame) from the first or last two points of a track.
void velocity(const TrackPoint& a, const TrackPoint& b, float& vx, float& vy) {
  const float df = static_cast<float>(b.frame - a.frame);
  vx = df > 0 ? (centre_x(b.box) - centre_x(a.box)) / df : 0;
  vy = df > 0 ? (centre_y(b.box) - centre_y(a.box)) / df : 0;
}

}  // namespace

FaceTracker::FaceTracker(const TrackerOptions& options) : options_(options) {}

Box FaceTracker::predict(const Live& live, int frame) const {
  const Box& last = live.track.points.back().box;
  if (!live.has_velocity) return last;
  const float df = static_cast<float>(frame - live.track.points.back().frame);
  return Box{last.x + live.vx * df, last.y + live.vy * df, last.w, last.h};
}

std::vector<int> FaceTracker::update(int frame, const std::vector<DetectedFace>& faces) {
  // Every (track, detection) pair that may continue the track, best first.
  struct Pair {
    float iou, distance;
    std::size_t track, face;
  };
  std::vector<Pair> pairs;
  for (std::size_t t = 0; t < live_.size(); ++t) {
    const Box p = predict(live_[t], frame);
    // The gate widens with the time since the last detection: faster when no velocity is
    // known yet (a face that just appeared may already be moving), capped at 3 box widths.
    const float df = static_cast<float>(frame - live_[t].track.last_frame());
    const float gate = std::min(3.f, options_.max_centre_distance + (live_[t].has_velocity ? 0.1f : 0.25f) * df);
    for (std::size_t f = 0; f < faces.size(); ++f) {
      const Box& d = faces[f].box;
      const float overlap = iou(p, d);
      const float size = std::max({p.w, d.w, 1.f});
      const float distance = std::hypot(centre_x(p) - centre_x(d), centre_y(p) - centre_y(d)) / size;
      const float ratio = std::max(p.w, d.w) / std::max(std::min(p.w, d.w), 1.f);
      if (overlap >= options_.iou_threshold || (distance <= gate && ratio < 2.f))
        pairs.push_back({overlap, distance, t, f});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    return std::tie(b.iou, a.distance) < std::tie(a.iou, b.distance);
  });

  std::vector<int> ids(faces.size(), 0);
  std::vector<bool> track_used(live_.size(), false);
  for (const Pair& p : pairs) {
    if (track_used[p.track] || ids[p.face] != 0) continue;
    track_used[p.track] = true;
    Live& live = live_[p.track];
    const TrackPoint& last = live.track.points.back();
    const TrackPoint point{frame, faces[p.face].box, faces[p.face].score};
    float vx, vy;
    velocity(last, point, vx, vy);
    // Smoothed velocity: detections jitter by a few pixels.
    live.vx = live.has_velocity ? 0.5f * (live.vx + vx) : vx;
    live.vy = live.has_velocity ? 0.5f * (live.vy + vy) : vy;
    live.has_velocity = true;
    live.track.points.push_back(point);
    ids[p.face] = live.track.id;
  }
  for (std::size_t f = 0; f < faces.size(); ++f) {
    if (ids[f] != 0) continue;
    Live live;
    live.track.id = next_id_++;
    live.track.points.push_back(TrackPoint{frame, faces[f].box, faces[f].score});
    ids[f] = live.track.id;
    live_.push_back(std::move(live));
  }
  return ids;
}

std::vector<FaceTrack> FaceTracker::take_finished(int frame) {
  std::vector<FaceTrack> done;
  std::vector<Live> still;
  for (Live& l : live_) {
    if (frame - l.track.last_frame() > options_.max_missed_frames)
      done.push_back(std::move(l.track));
    else
      still.push_back(std::move(l));
  }
  live_ = std::move(still);
  return done;
}

std::vector<FaceTrack> FaceTracker::finish() {
  std::vector<FaceTrack> done;
  for (Live& l : live_) done.push_back(std::move(l.track));
  live_.clear();
  return done;
}

std::optional<Box> track_box_at(const FaceTrack& track, int frame, const CoverageOptions& options) {
  if (track.points.empty()) return std::nullopt;
  const int dilation = std::max(0, options.dilation_frames);
  const TrackPoint& first = track.points.front();
  const TrackPoint& last = track.points.back();
  if (frame < first.frame - dilation || frame > last.frame + dilation) return std::nullopt;

  Box box;
  if (frame <= first.frame || frame >= last.frame) {
    // Outside the detections: extrapolate at the velocity of the nearest two points and
    // grow by half the distance travelled (the face may as well have stood still).
    const bool before = frame <= first.frame;
    const TrackPoint& edge = before ? first : last;
    float vx = 0, vy = 0;
    if (track.points.size() >= 2) {
      if (before)
        velocity(track.points[0], track.points[1], vx, vy);
      else
        velocity(track.points[track.points.size() - 2], last, vx, vy);
    }
    const float df = static_cast<float>(frame - edge.frame);
    // Never more than one box size per step of extrapolation (a detection glitch can fake speed).
    const float dx = std::clamp(vx * df, -edge.box.w, edge.box.w);
    const float dy = std::clamp(vy * df, -edge.box.h, edge.box.h);
    box = Box{edge.box.x + dx, edge.box.y + dy, edge.box.w, edge.box.h};
    box = grow(box, std::fabs(dx) / 2, std::fabs(dy) / 2);
  } else {
    // Between two detections: the last point at or before `frame` and the one after it.
    auto after = std::upper_bound(track.points.begin(), track.points.end(), frame,
                                  [](int f, const TrackPoint& p) { return f < p.frame; });
    const TrackPoint& b = *after;
    const TrackPoint& a = *(after - 1);
    const float t = b.frame > a.frame ? static_cast<float>(frame - a.frame) / static_cast<float>(b.frame - a.frame) : 0.f;
    box = lerp(a.box, b.box, t);
    if (frame != a.frame) {
      const float moved_x = std::fabs(centre_x(b.box) - centre_x(a.box)) + std::fabs(b.box.w - a.box.w) / 2;
      const float moved_y = std::fabs(centre_y(b.box) - centre_y(a.box)) + std::fabs(b.box.h - a.box.h) / 2;
      box = grow(box, moved_x / 4, moved_y / 4);
    }
  }
  return grow(box, options.margin * box.w, options.margin * box.h);
}

}  // namespace veil
