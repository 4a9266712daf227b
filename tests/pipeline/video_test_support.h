// Helpers for the video pipeline's tests: judges that blur or keep everything, fast encoder
// settings, and the checks that look at every frame of a written file with the detector.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "policy/face_judge.h"
#include "pipeline/video/process.h"
#include "pipeline/video/reader.h"
#include "tests/test_models.h"

namespace veil::test {

class BlurAll : public FaceJudge {
 public:
  bool needs_embedding() const override { return false; }
  FaceJudgement judge(const Embedding&) override {
    FaceJudgement j;
    j.decision = Decision::blur;
    j.reason = "blur_all";
    return j;
  }
};

class KeepAll : public FaceJudge {
 public:
  bool needs_embedding() const override { return false; }
  FaceJudgement judge(const Embedding&) override {
    FaceJudgement j;
    j.decision = Decision::keep;
    j.reason = "keep_all";
    return j;
  }
};

// Fast settings for tests where picture quality does not matter.
inline VideoOptions fast_options() {
  VideoOptions o;
  o.preset = "ultrafast";
  return o;
}

// Whether most of `box` is the flat grey of a solid painting: the detector sometimes takes
// the painted ellipse itself for a face, and a uniform grey box shows nothing of anyone.
inline bool on_flat_paint(const cv::Mat& frame, const Box& box) {
  const cv::Rect r = cv::Rect(static_cast<int>(box.x), static_cast<int>(box.y), static_cast<int>(box.w),
                              static_cast<int>(box.h)) &
                     cv::Rect(0, 0, frame.cols, frame.rows);
  if (r.area() == 0) return false;
  cv::Mat grey;
  cv::inRange(frame(r), cv::Scalar(118, 118, 118), cv::Scalar(138, 138, 138), grey);
  return cv::countNonZero(grey) >= 0.6 * r.area();
}

// Runs the detector on every `every`-th frame of `path` at full size; returns the frames
// with a face that is not on flat paint, and the number of frames in `frames`.
inline std::vector<int> frames_with_faces(const std::string& path, int* frames = nullptr, int every = 1) {
  VideoReader reader(path);
  std::vector<int> found;
  cv::Mat frame;
  int n = 0;
  while (true) {
    if (n % every != 0) {
      if (!reader.skip()) break;
      ++n;
      continue;
    }
    if (!reader.read(frame)) break;
    for (const DetectedFace& f : detector().detect(frame)) {
      if (!on_flat_paint(frame, f.box)) {
        found.push_back(n);
        break;
      }
    }
    ++n;
  }
  if (frames) *frames = n;
  return found;
}

// Frames of `output` where the detector finds one of the faces it finds in the same frame of
// `input` (the same face: IoU >= 0.3, or the output face's centre inside the input face and
// at least a quarter of its area: a face partly covered).
inline std::vector<int> frames_with_input_faces_visible(const std::string& input, const std::string& output) {
  VideoReader in(input), out(output);
  std::vector<int> found;
  cv::Mat a, b;
  for (int n = 0; in.read(a) && out.read(b); ++n) {
    const auto before = detector().detect(a);
    if (before.empty()) continue;
    for (const DetectedFace& f : detector().detect(b)) {
      if (on_flat_paint(b, f.box)) continue;
      const float cx = f.box.x + f.box.w / 2, cy = f.box.y + f.box.h / 2;
      const bool same = std::any_of(before.begin(), before.end(), [&](const DetectedFace& g) {
        return iou(f.box, g.box) >= 0.3f ||
               (cx >= g.box.x && cy >= g.box.y && cx <= g.box.x + g.box.w && cy <= g.box.y + g.box.h &&
                f.box.area() >= 0.25f * g.box.area());
      });
      if (same) {
        found.push_back(n);
        break;
      }
    }
  }
  return found;
}

// The first frame numbers of `frames`, for messages.
inline std::string describe(const std::vector<int>& frames) {
  std::string s;
  for (std::size_t i = 0; i < frames.size() && i < 20; ++i) s += std::to_string(frames[i]) + " ";
  return s;
}

}  // namespace veil::test
