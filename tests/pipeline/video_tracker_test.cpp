// Face tracking on synthetic boxes: association, track ends, interpolation and dilation
// cover the face in every frame where it is, including frames between sampled ones.
#include "pipeline/video/tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace veil {
namespace {

DetectedFace face_at(float x, float y, float size, float score = 0.9f) {
  DetectedFace f;
  f.box = Box{x, y, size, size};
  f.score = score;
  return f;
}

// True when `outer` contains `inner` entirely.
bool contains(const Box& outer, const Box& inner) {
  return outer.x <= inner.x + 1e-3f && outer.y <= inner.y + 1e-3f && outer.x + outer.w >= inner.x + inner.w - 1e-3f &&
         outer.y + outer.h >= inner.y + inner.h - 1e-3f;
}

TEST(VideoTracker, FollowsAMovingFaceAcrossSampledFrames) {
  FaceTracker tracker;
  int id = 0;
  for (int frame = 0; frame <= 60; frame += 3) {
    const auto ids = tracker.update(frame, {face_at(100.f + 4.f * frame, 80.f, 60.f)});
    ASSERT_EQ(ids.size(), 1u);
    if (frame == 0) id = ids[0];
    EXPECT_EQ(ids[0], id) << "frame " << frame;
  }
  auto tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].points.size(), 21u);
  EXPECT_EQ(tracks[0].first_frame(), 0);
  EXPECT_EQ(tracks[0].last_frame(), 60);
}

TEST(VideoTracker, FastMotionStaysOneTrackThanksToThePredictor) {
  // 15 px per frame with a 40 px face, sampled every 3 frames: consecutive boxes do not
  // overlap at all; the widened gate, then the constant-velocity prediction, follow it.
  FaceTracker tracker;
  std::map<int, int> seen;
  for (int frame = 0; frame <= 30; frame += 3) {
    const auto ids = tracker.update(frame, {face_at(10.f + 15.f * frame, 200.f, 40.f)});
    seen[ids[0]]++;
  }
  EXPECT_EQ(seen.size(), 1u);
  // A second, still face nearby is not taken for it.
  FaceTracker two;
  const int still = two.update(0, {face_at(500, 200, 40)})[0];
  for (int frame = 3; frame <= 30; frame += 3) {
    const auto ids = two.update(frame, {face_at(10.f + 15.f * frame, 200.f, 40.f), face_at(500, 200, 40)});
    EXPECT_EQ(ids[1], still) << frame;
    EXPECT_NE(ids[0], still) << frame;
  }
}

TEST(VideoTracker, TwoFacesKeepTheirIdentitiesAndNewFacesGetNewTracks) {
  FaceTracker tracker;
  auto first = tracker.update(0, {face_at(100, 100, 50), face_at(400, 100, 50)});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0], first[1]);
  // Order of detections swapped, slight motion: association is by position, not order.
  auto second = tracker.update(3, {face_at(405, 102, 50), face_at(103, 101, 50)});
  EXPECT_EQ(second[0], first[1]);
  EXPECT_EQ(second[1], first[0]);
  auto third = tracker.update(6, {face_at(106, 102, 50), face_at(410, 104, 50), face_at(700, 300, 30)});
  EXPECT_EQ(third[0], first[0]);
  EXPECT_EQ(third[1], first[1]);
  EXPECT_NE(third[2], first[0]);
  EXPECT_NE(third[2], first[1]);
  EXPECT_EQ(tracker.live_tracks(), 3u);
}

TEST(VideoTracker, MissedDetectionsInsideTheGapKeepTheTrackThenItEnds) {
  TrackerOptions options;
  options.max_missed_frames = 10;
  FaceTracker tracker(options);
  const int id = tracker.update(0, {face_at(100, 100, 50)})[0];
  tracker.update(3, {});  // missed
  tracker.update(6, {});  // missed
  EXPECT_TRUE(tracker.take_finished(9).empty());
  EXPECT_EQ(tracker.update(9, {face_at(102, 100, 50)})[0], id);
  EXPECT_TRUE(tracker.take_finished(19).empty());
  const auto done = tracker.take_finished(20);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, id);
  EXPECT_EQ(tracker.live_tracks(), 0u);
  // The face comes back later: a new track.
  EXPECT_NE(tracker.update(30, {face_at(102, 100, 50)})[0], id);
}

TEST(VideoTracker, CoverageContainsTheFaceInEveryFrameOfLinearMotion) {
  // The true face moves 5 px per frame and grows slowly; detected every 4th frame.
  auto truth = [](int frame) { return Box{50.f + 5.f * frame, 60.f + 1.f * frame, 40.f + 0.5f * frame, 40.f + 0.5f * frame}; };
  FaceTracker tracker;
  for (int frame = 8; frame <= 40; frame += 4) {
    DetectedFace f;
    f.box = truth(frame);
    f.score = 0.9f;
    tracker.update(frame, {f});
  }
  const auto tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  CoverageOptions coverage;
  coverage.dilation_frames = 4;
  coverage.margin = 0.1f;
  // The face was visible from frame 5 (between samples 4 and 8) to 43: all covered.
  for (int frame = 5; frame <= 43; ++frame) {
    const auto box = track_box_at(tracks[0], frame, coverage);
    ASSERT_TRUE(box.has_value()) << "frame " << frame;
    EXPECT_TRUE(contains(*box, truth(frame))) << "frame " << frame;
  }
  EXPECT_FALSE(track_box_at(tracks[0], 3, coverage).has_value());
  EXPECT_FALSE(track_box_at(tracks[0], 45, coverage).has_value());
}

TEST(VideoTracker, ASingleDetectionIsCoveredForTheDilationOnBothSides) {
  FaceTracker tracker;
  tracker.update(30, {face_at(10, 10, 20)});
  const auto tracks = tracker.finish();
  CoverageOptions coverage;
  coverage.dilation_frames = 6;
  for (int frame = 24; frame <= 36; ++frame) EXPECT_TRUE(track_box_at(tracks[0], frame, coverage).has_value());
  EXPECT_FALSE(track_box_at(tracks[0], 23, coverage).has_value());
  EXPECT_FALSE(track_box_at(tracks[0], 37, coverage).has_value());
  const Box b = *track_box_at(tracks[0], 30, coverage);
  EXPECT_TRUE(contains(b, Box{10, 10, 20, 20}));
  EXPECT_NEAR(b.w, 20 * (1 + 2 * coverage.margin), 1e-3);
}

TEST(VideoTracker, GapsBetweenDetectionsAreInterpolated) {
  FaceTracker tracker;
  tracker.update(0, {face_at(0, 0, 100)});
  tracker.update(12, {face_at(120, 0, 100)});
  const auto tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  CoverageOptions coverage;
  coverage.margin = 0;
  const Box mid = *track_box_at(tracks[0], 6, coverage);
  // Centre half way, grown by a quarter of the 120 px travelled on each side.
  EXPECT_NEAR(mid.x + mid.w / 2, 110.f, 1e-3);
  EXPECT_NEAR(mid.w, 100.f + 2 * 30.f, 1e-3);
}

}  // namespace
}  // namespace veil
