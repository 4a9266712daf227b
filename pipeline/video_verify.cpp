// Output verification: decode, detect on sampled frames, compare with the kept regions.
#include "pipeline/video_verify.h"

#include <algorithm>
#include <exception>
#include <thread>

#include <opencv2/core/mat.hpp>

#include "models/face_detector.h"
#include "pipeline/video_queue.h"
#include "pipeline/video_reader.h"

namespace veil {

namespace {

float overlap_share(const Box& face, const Box& region) {
  const float x1 = std::max(face.x, region.x), y1 = std::max(face.y, region.y);
  const float x2 = std::min(face.x + face.w, region.x + region.w);
  const float y2 = std::min(face.y + face.h, region.y + region.h);
  const float inter = (x2 > x1 && y2 > y1) ? (x2 - x1) * (y2 - y1) : 0.f;
  return face.area() > 0 ? inter / face.area() : 1.f;
}

bool centre_in_ellipse(const Box& face, const Box& region) {
  if (region.w <= 0 || region.h <= 0) return false;
  const float dx = (face.x + face.w / 2 - (region.x + region.w / 2)) / (region.w / 2);
  const float dy = (face.y + face.h / 2 - (region.y + region.h / 2)) / (region.h / 2);
  return dx * dx + dy * dy <= 1.f;
}

struct Sample {
  int frame;
  cv::Mat bgr;
  float scale;  // output pixels per sample pixel
};

}  // namespace

VerificationReport verify_video(const std::string& path, FaceDetector& detector,
                                const std::function<FrameRegions(int frame)>& regions, int expected_frames,
                                const VerifyOptions& options) {
  VerificationReport report;
  VideoReader reader(path);
  const int stride = std::max(1, options.stride);
  const int full_long = std::max(reader.info().display_width, reader.info().display_height);

  BoundedQueue<Sample> queue(3);
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      while (auto sample = queue.pop()) {
        const std::vector<DetectedFace> faces = detector.detect(sample->bgr);
        report.faces_found += static_cast<int>(faces.size());
        if (faces.empty()) continue;
        const FrameRegions done = regions(sample->frame);
        for (const DetectedFace& f : faces) {
          const Box box{f.box.x * sample->scale, f.box.y * sample->scale, f.box.w * sample->scale,
                        f.box.h * sample->scale};
          if (std::any_of(done.kept.begin(), done.kept.end(),
                          [&](const Box& r) { return overlap_share(box, r) >= options.min_overlap; }))
            continue;
          if (std::any_of(done.solid.begin(), done.solid.end(), [&](const Box& r) {
                return centre_in_ellipse(box, r) && overlap_share(box, r) >= options.min_overlap;
              })) {
            ++report.on_solid_paint;
            continue;
          }
          report.uncovered.push_back({sample->frame, box, f.score});
        }
      }
    } catch (...) {
      failure = std::current_exception();
      queue.close(true);
    }
  });

  try {
    int frame = 0;
    while (true) {
      const bool wanted = frame % stride == 0 || frame == expected_frames - 1;
      if (!wanted) {
        if (!reader.skip()) break;
      } else {
        Sample s{frame, cv::Mat(), 1.f};
        if (!reader.read(s.bgr, options.long_edge)) break;
        s.scale = s.bgr.cols > 0 ? static_cast<float>(full_long) / std::max(s.bgr.cols, s.bgr.rows) : 1.f;
        ++report.frames_checked;
        if (!queue.push(std::move(s))) break;  // the worker failed
      }
      ++frame;
    }
    report.frames_decoded = frame;
    report.decode_errors = reader.errors();
  } catch (...) {
    queue.close(true);
    worker.join();
    throw;
  }
  queue.close();
  worker.join();
  if (failure) std::rethrow_exception(failure);
  std::sort(report.uncovered.begin(), report.uncovered.end(),
            [](const VerificationFinding& a, const VerificationFinding& b) { return a.frame < b.frame; });
  return report;
}

}  // namespace veil
