// Output verification: decode, detect on sampled frames, compare with the kept regions.
#include "pipeline/video/verify.h"

#include <algorithm>
#include <exception>
#include <thread>

#include <opencv2/core/mat.hpp>

#include "models/face_detector.h"
#include "pipeline/photo/redact.h"
#include "pipeline/video/ffmpeg.h"
#include "pipeline/video/queue.h"
#include "pipeline/video/reader.h"

namespace veil {

namespace {

bool centre_in_ellipse(const Box& face, const Box& region) {
  return inside_painted_ellipse(Point{face.x + face.w / 2, face.y + face.h / 2}, region);
}

struct Sample {
  int frame;
  cv::Mat bgr;
  float scale;  // output pixels per sample pixel
  FrameRegions regions;
};

}  // namespace

struct FrameVerifier::Impl {
  Impl(FaceDetector& d, const VerifyOptions& o) : detector(d), options(o), queue(3) {
    worker = std::thread([this] { run(); });
  }
  ~Impl() {
    queue.close(true);
    if (worker.joinable()) worker.join();
  }

  void run() {
    try {
      while (auto sample = queue.pop()) {
        const std::vector<DetectedFace> faces = detector.detect(sample->bgr);
        report.faces_found += static_cast<int>(faces.size());
        const FrameRegions& done = sample->regions;
        for (const DetectedFace& f : faces) {
          const Box box{f.box.x * sample->scale, f.box.y * sample->scale, f.box.w * sample->scale,
                        f.box.h * sample->scale};
          if (std::any_of(done.kept.begin(), done.kept.end(),
                          [&](const Box& r) { return share_inside(box, r) >= options.min_overlap; }))
            continue;
          if (std::any_of(done.solid.begin(), done.solid.end(), [&](const Box& r) {
                return centre_in_ellipse(box, r) && share_inside(box, r) >= options.min_overlap;
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
  }

  FaceDetector& detector;
  VerifyOptions options;
  BoundedQueue<Sample> queue;
  VerificationReport report;  // written by the worker until it is joined
  int checked = 0;
  std::exception_ptr failure;
  std::thread worker;
};

FrameVerifier::FrameVerifier(FaceDetector& detector, const VerifyOptions& options)
    : impl_(std::make_unique<Impl>(detector, options)) {}

FrameVerifier::~FrameVerifier() = default;

bool FrameVerifier::wants(int frame, int expected_frames) const {
  return frame % std::max(1, impl_->options.stride) == 0 || frame == expected_frames - 1;
}

void FrameVerifier::check(int frame, cv::Mat bgr, float scale, FrameRegions regions) {
  ++impl_->checked;
  impl_->queue.push(Sample{frame, std::move(bgr), scale, std::move(regions)});  // false: the worker failed
}

VerificationReport FrameVerifier::finish() {
  impl_->queue.close();
  if (impl_->worker.joinable()) impl_->worker.join();
  if (impl_->failure) std::rethrow_exception(impl_->failure);
  VerificationReport report = std::move(impl_->report);
  report.frames_checked = impl_->checked;
  std::sort(report.uncovered.begin(), report.uncovered.end(),
            [](const VerificationFinding& a, const VerificationFinding& b) { return a.frame < b.frame; });
  return report;
}

VerificationReport verify_video(const std::string& path, FaceDetector& detector,
                                const std::function<FrameRegions(int frame)>& regions, int expected_frames,
                                const VerifyOptions& options) {
  VideoReader reader(path);
  const int full_long = std::max(reader.info().display_width, reader.info().display_height);
  FrameVerifier verifier(detector, options);
  int frame = 0;
  while (true) {
    if (!verifier.wants(frame, expected_frames)) {
      if (!reader.skip()) break;
    } else {
      cv::Mat bgr;
      if (!reader.read(bgr, options.long_edge)) break;
      const float scale = bgr.cols > 0 ? static_cast<float>(full_long) / std::max(bgr.cols, bgr.rows) : 1.f;
      verifier.check(frame, std::move(bgr), scale, regions(frame));
    }
    ++frame;
  }
  VerificationReport report = verifier.finish();
  report.frames_decoded = frame;
  report.decode_errors = reader.errors();
  return report;
}

int count_video_frames(const std::string& path) {
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  AVFormatContext* raw = nullptr;
  const int opened = avformat_open_input(&raw, ("file:" + path).c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (opened < 0) return -1;
  av::InputPtr input(raw);
  const int video = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return -1;
  av::PacketPtr packet = av::make_packet();
  int frames = 0;
  while (true) {
    const int ret = av_read_frame(input.get(), packet.get());
    if (ret == AVERROR_EOF) break;
    if (ret < 0) return -1;
    if (packet->stream_index == video) ++frames;
    av_packet_unref(packet.get());
  }
  return frames;
}

}  // namespace veil
