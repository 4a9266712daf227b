// Pass 2 of the video pipeline: upright, paint, re-check with the detector through a short
// delay line, scale, encode.
//
// Why a re-check: the detector's score for a face depends on its surroundings. Painting one
// face can lift a dim background face over the threshold, and a face pass 1 missed on its
// sampled frames may be plain on the others. Re-detecting on every frame pass 1 did not look
// at (so that together they look at every frame once) and painting what is found, back into
// the frames still in the delay line, makes the written file clean rather than merely held. A detection inside one of our own paintings means the redaction style
// still looks like a face to the detector: that track is painted solid from then on. Faces
// found by the re-check are painted solid from the start.
#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>

#include "models/face_detector.h"
#include "pipeline/photo/redact.h"
#include "pipeline/video/decoder.h"
#include "pipeline/video/orientation.h"
#include "pipeline/video/passes.h"
#include "pipeline/video/writer.h"
#include "pipeline/video/yuv.h"

namespace veil {

namespace {

// Even, rounded down (never upscaled), at least 2.
int even(double v) { return std::max(2, static_cast<int>(std::floor(v / 2 + 1e-6)) * 2); }

// Whether the centre of `face` lies inside the ellipse that redaction paints in `region`.
bool centre_in_ellipse(const Box& face, const Box& region) {
  return inside_painted_ellipse(Point{face.x + face.w / 2, face.y + face.h / 2}, region);
}

struct Paint {
  int track = 0;
  Box box;       // the coverage box that was painted
  Box region;    // what redaction painted
  bool solid = false;
};

struct Pending {
  int index = 0;
  std::int64_t pts = 0;
  av::FramePtr frame;     // upright yuv420p
  bool writable = false;  // our own copy (else a reference to the decoder's picture)
  std::vector<Paint> paints;
};

class Renderer {
 public:
  Renderer(const VideoInfo& info, const RenderPlan& plan, FaceDetector& detector, const VideoOptions& options)
      : info_(info), plan_(plan), detector_(recheck_detector(detector, options)), options_(options),
        late_tracker_(options.tracker) {
    solid_ = options.redact;
    solid_.style = RedactionStyle::solid;
    new_face_threshold_ = detector.options().score_threshold - std::max(0.f, options.recheck_margin);
  }

  // The re-check looks harder than the verification will: scores near the threshold move
  // with encoding noise, and a face the detector half-sees on a painted frame now may be
  // fully seen in the written file.
  // Inside one of our pixelated paintings it looks harder still: making a painting solid
  // costs nothing in privacy, so a faint resemblance is enough.
  static std::unique_ptr<FaceDetector> recheck_detector(FaceDetector& detector, const VideoOptions& options) {
    DetectorOptions o = detector.options();
    o.score_threshold = std::max(0.05f, o.score_threshold - 2 * std::max(0.f, options.recheck_margin));
    // Without the black border: faces cut by the frame's edge are pass 1's (which has it), and
    // the border would make every re-check ~1.8x as costly.
    o.edge_border = false;
    return std::make_unique<FaceDetector>(o);
  }

  // Paints every track that covers frame `p.index` and has not painted it yet.
  void paint_planned(Pending& p) {
    for (const FaceTrack* t : plan_.blur)
      if (auto box = track_box_at(*t, p.index, plan_.coverage)) paint(p, t->id, *box);
    for (const auto& [id, t] : late_)
      if (auto box = track_box_at(t, p.index, plan_.coverage)) paint(p, id, *box);
  }

  // Re-detects on the painted frame; returns true when something new was painted.
  void recheck(Pending& p, std::deque<Pending>& pending) {
    ++result.rechecked_frames;
    const AVFrame* f = p.frame.get();
    const cv::Size size = detection_size(f->width, f->height, options_.detect_long_edge);
    scaler_.to_bgr(f, size.width, size.height, small_);
    std::vector<DetectedFace> faces = detector_->detect(small_);
    const float fx = static_cast<float>(f->width) / small_.cols, fy = static_cast<float>(f->height) / small_.rows;

    std::vector<DetectedFace> found;
    for (DetectedFace& face : faces) {
      face.box = Box{face.box.x * fx, face.box.y * fy, face.box.w * fx, face.box.h * fy};
      if (kept(face.box, p.index)) continue;
      // Inside one of our paintings: the painting still looks like a face to the detector.
      const Paint* inside = nullptr;
      for (const Paint& paint : p.paints)
        if (centre_in_ellipse(face.box, paint.region) && share_inside(face.box, paint.region) >= 0.5f &&
            (!inside || (inside->solid && !paint.solid)))  // a pixelated one first: it can be made solid
          inside = &paint;
      if (inside) {
        // A pixelated painting that still looks like a face: solid from now on. A detection
        // on a solid painting is the flat grey ellipse itself: there is nothing left to hide.
        if (!inside->solid) escalate(inside->track, pending);
        continue;
      }
      if (face.score < new_face_threshold_) continue;
      // Anything else the detector calls a face outside the kept regions is painted, even
      // next to a painting: privacy first, the detector decides.
      found.push_back(face);
    }
    const std::vector<int> ids = late_tracker_.update(p.index, found);
    late_tracker_.take_finished(p.index);  // ended tracks stay in late_ for coverage
    for (std::size_t i = 0; i < found.size(); ++i) {
      const int id = plan_.first_late_id + ids[i] - 1;
      FaceTrack& t = late_[id];
      t.id = id;
      t.points.push_back(TrackPoint{p.index, found[i].box, found[i].score});
      // Solid from the start: what is found on painted frames is where pixelation is not
      // enough (a face next to a painting, or a painting the detector reads as a face).
      result.solid_from.emplace(id, 0);
    }
    if (found.empty()) return;
    // Back-fill: the new faces' coverage into the frames still waiting.
    for (Pending& q : pending) paint_planned(q);
  }

  void emit(Pending& p, Mp4Writer& writer, int out_w, int out_h, int poster_index) {
    AVFrame* work = p.frame.get();
    if (work->width != out_w || work->height != out_h) {
      output_scaler_.to_yuv(work, out_w, out_h, resized_);
      work = resized_.get();
    }
    if (work->format == AV_PIX_FMT_YUVJ420P) work->format = AV_PIX_FMT_YUV420P;  // same layout; range is flagged
    work->pts = p.pts;
    if (p.index == poster_index) poster_scaler_.to_bgr(work, work->width, work->height, result.poster);
    if (plan_.verifier && plan_.verifier->wants(p.index, plan_.frames)) offer_for_verification(p, work);
    writer.write_video(work);
  }

  std::vector<FaceTrack> late_tracks() const {
    std::vector<FaceTrack> out;
    for (const auto& [id, t] : late_) out.push_back(t);
    return out;
  }

  RenderResult result;

 private:
  // The output frame as the verification sees it, and what was done to it (output pixels):
  // where the kept tracks are, and the regions painted solid.
  void offer_for_verification(const Pending& p, const AVFrame* out) {
    const cv::Size size = detection_size(out->width, out->height, plan_.verify_long_edge);
    cv::Mat bgr;
    verify_scaler_.to_bgr(out, size.width, size.height, bgr);
    const float sx = static_cast<float>(out->width) / info_.display_width;
    const float sy = static_cast<float>(out->height) / info_.display_height;
    auto scaled = [&](const Box& b) { return Box{b.x * sx, b.y * sy, b.w * sx, b.h * sy}; };
    FrameRegions regions;
    for (const FaceTrack* t : plan_.keep)
      if (auto box = track_box_at(*t, p.index, plan_.coverage)) regions.kept.push_back(scaled(*box));
    for (const Paint& paint : p.paints)
      if (paint.solid) regions.solid.push_back(scaled(paint.region));
    const float scale = static_cast<float>(out->width) / std::max(1, bgr.cols);
    plan_.verifier->check(p.index, std::move(bgr), scale, std::move(regions));
  }

  bool kept(const Box& face, int index) const {
    for (const FaceTrack* t : plan_.keep)
      if (auto box = track_box_at(*t, index, plan_.coverage))
        if (share_inside(face, *box) >= 0.5f) return true;
    return false;
  }

  // Paints `track` into frame `p` once (again only when it has just turned solid).
  void paint(Pending& p, int track, const Box& box) {
    const bool solid = result.solid_from.count(track) > 0;
    for (const Paint& done : p.paints)
      if (done.track == track && (done.solid || !solid)) return;
    if (!p.writable) {
      // The decoder's picture may be a reference for later pictures: paint a copy.
      av::FramePtr copy(av_frame_clone(p.frame.get()));
      if (!copy || av_frame_make_writable(copy.get()) < 0) throw std::bad_alloc();
      p.frame = std::move(copy);
      p.writable = true;
    }
    const Box region = redact_yuv(p.frame.get(), box, solid ? solid_ : options_.redact, YuvMatrix::for_frame(p.frame.get()));
    p.paints.push_back(Paint{track, box, region, solid});
    ++result.redacted_regions;
  }

  void escalate(int track, std::deque<Pending>& pending) {
    if (result.solid_from.count(track)) return;
    result.solid_from[track] = pending.empty() ? 0 : pending.front().index;
    for (Pending& q : pending) {
      const std::vector<Paint> before = q.paints;
      for (const Paint& done : before)
        if (done.track == track) paint(q, track, done.box);
    }
  }

  const VideoInfo& info_;
  const RenderPlan& plan_;
  std::unique_ptr<FaceDetector> detector_;
  const VideoOptions& options_;
  RedactOptions solid_;
  float new_face_threshold_ = 0;
  FaceTracker late_tracker_;
  std::map<int, FaceTrack> late_;
  FrameScaler scaler_, output_scaler_, poster_scaler_, verify_scaler_;
  cv::Mat small_;
  av::FramePtr resized_;
};

}  // namespace

RenderResult render_video(const std::string& input_path, const std::string& output_path, const VideoInfo& info,
                          const RenderPlan& plan, FaceDetector& detector, const VideoOptions& options) {
  VideoDecoder decoder(input_path, VideoDecoder::Options{options.threads, true, options.limits, false});
  AVStream* in_video = decoder.video_stream();
  const int upright_w = info.display_width, upright_h = info.display_height;
  const double out_scale =
      options.max_long_edge > 0 ? std::min(1.0, static_cast<double>(options.max_long_edge) / std::max(upright_w, upright_h))
                                : 1.0;
  const int out_w = even(upright_w * out_scale), out_h = even(upright_h * out_scale);

  AVRational rate = av_guess_frame_rate(decoder.format(), in_video, nullptr);
  if (rate.num <= 0 || rate.den <= 0) rate = AVRational{25, 1};
  VideoEncodeSettings settings;
  settings.width = out_w;
  settings.height = out_h;
  settings.time_base = in_video->time_base;
  settings.frame_rate = rate;
  settings.sample_aspect_ratio = in_video->codecpar->sample_aspect_ratio;
  if (orientation_swaps_axes(info.orientation))
    std::swap(settings.sample_aspect_ratio.num, settings.sample_aspect_ratio.den);
  settings.colour = in_video->codecpar;
  settings.crf = options.crf;
  settings.preset = options.preset;
  settings.threads = options.threads;
  settings.audio_bitrate = options.audio_bitrate;
  Mp4Writer writer(output_path, settings, decoder.audio_stream(), decoder.start_time());
  decoder.on_audio = [&](AVPacket* p) { writer.write_audio(p); };

  Renderer renderer(info, plan, detector, options);
  const std::int64_t offset = av_rescale_q(decoder.start_time(), AV_TIME_BASE_Q, in_video->time_base);
  const std::int64_t frame_ticks = std::max<std::int64_t>(1, av_rescale_q(1, av_inv_q(rate), in_video->time_base));
  int poster_index = static_cast<int>(std::lround(options.poster_time_s * (info.fps > 0 ? info.fps : 25.0)));
  poster_index = std::min(poster_index, plan.frames / 2);
  // Frames wait here until no re-check can paint them any more.
  const int delay = plan.recheck ? plan.coverage.dilation_frames : 0;
  std::deque<Pending> pending;
  std::int64_t last_pts = AV_NOPTS_VALUE;
  int index = 0;
  while (AVFrame* picture = decoder.next()) {
    if (index >= plan.frames) throw std::runtime_error("the second decoding pass found more frames than the first");
    Pending p;
    p.index = index;
    if (info.orientation != 1) {
      orient_yuv(picture, p.frame, info.orientation);
      p.writable = true;
    } else {
      p.frame.reset(av_frame_clone(picture));
      if (!p.frame) throw std::bad_alloc();
    }
    std::int64_t pts = picture->best_effort_timestamp;
    pts = pts == AV_NOPTS_VALUE ? (last_pts == AV_NOPTS_VALUE ? 0 : last_pts + frame_ticks) : pts - offset;
    if (last_pts != AV_NOPTS_VALUE && pts <= last_pts) pts = last_pts + 1;
    last_pts = p.pts = pts;

    renderer.paint_planned(p);
    pending.push_back(std::move(p));
    // Every frame is examined: by pass 1 or here. At stride 1 pass 1 saw every frame unpainted,
    // and the re-check looks at every painted one (a painting can lift a dim face over the
    // threshold).
    if (plan.recheck && (plan.detect_stride == 1 || index % plan.detect_stride != 0))
      renderer.recheck(pending.back(), pending);
    while (!pending.empty() && pending.front().index < index - delay) {
      renderer.emit(pending.front(), writer, out_w, out_h, poster_index);
      pending.pop_front();
    }
    ++index;
  }
  for (Pending& p : pending) renderer.emit(p, writer, out_w, out_h, poster_index);
  pending.clear();
  if (index != plan.frames)
    throw std::runtime_error("the second decoding pass found " + std::to_string(index) + " frames, the first " +
                             std::to_string(plan.frames));
  writer.finish();

  RenderResult result = std::move(renderer.result);
  result.width = out_w;
  result.height = out_h;
  result.frames = index;
  result.fps = av_q2d(rate);
  result.has_audio = writer.has_audio();
  result.audio_copied = writer.audio_copied();
  result.audio_errors = writer.audio_errors();
  result.late_tracks = renderer.late_tracks();
  return result;
}

}  // namespace veil
