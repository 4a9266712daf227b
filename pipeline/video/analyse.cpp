// Pass 1 of the video pipeline: decode, detect on sampled frames (second thread), track,
// keep each track's best views and embed them when the track ends.
#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

#include <opencv2/core.hpp>

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/video/best_faces.h"
#include "pipeline/video/decoder.h"
#include "pipeline/video/orientation.h"
#include "pipeline/video/passes.h"
#include "pipeline/video/queue.h"
#include "pipeline/video/yuv.h"

namespace veil {

namespace {

struct DetectJob {
  int frame = 0;
  av::FramePtr picture;  // a reference to the decoded (stored, not upright) picture
};

// The face and twice its size around it, upright, from the full-resolution stored picture.
FaceCrop crop_face(const AVFrame* picture, int orientation, int upright_w, int upright_h, const DetectedFace& face) {
  const float cx = face.box.x + face.box.w / 2, cy = face.box.y + face.box.h / 2;
  const float x0 = std::max(0.f, cx - face.box.w), y0 = std::max(0.f, cy - face.box.h);
  const float x1 = std::min(static_cast<float>(upright_w), cx + face.box.w);
  const float y1 = std::min(static_cast<float>(upright_h), cy + face.box.h);
  FaceCrop crop;
  if (x1 <= x0 || y1 <= y0) return crop;
  cv::Point2f origin;
  crop.bgr = upright_crop(picture, orientation, Box{x0, y0, x1 - x0, y1 - y0}, origin);
  crop.face = face;
  crop.face.box.x -= origin.x;
  crop.face.box.y -= origin.y;
  for (Point& p : crop.face.landmarks) p = Point{p.x - origin.x, p.y - origin.y};
  return crop;
}

AnalysedTrack conclude(FaceTrack track, BestFaces& best, FaceEmbedder* embedder, const VideoOptions& options) {
  AnalysedTrack out;
  std::vector<FaceCrop> crops = best.take(track.id);
  if (embedder && static_cast<int>(track.points.size()) >= options.min_track_detections && !crops.empty())
    out.embedding = average_embedding(*embedder, crops, &out.embeddings);
  float best_value = -1;
  for (const TrackPoint& p : track.points) {
    const float value = p.box.area() * p.score;
    if (value > best_value) {
      best_value = value;
      out.best_box = p.box;
    }
  }
  out.track = std::move(track);
  return out;
}

}  // namespace

cv::Size detection_size(int width, int height, int long_edge) {
  const int longest = std::max(width, height);
  if (long_edge <= 0 || longest <= long_edge) return cv::Size(width, height);
  const double s = static_cast<double>(long_edge) / longest;
  return cv::Size(std::max(2, static_cast<int>(std::lround(width * s))),
                  std::max(2, static_cast<int>(std::lround(height * s))));
}

Analysis analyse_video(const std::string& path, FaceDetector& detector, FaceEmbedder* embedder, int stride,
                       const VideoOptions& options) {
  // Detection runs on a copy at a third of 1080p: the deblocking filter makes no difference
  // there and costs about a fifth of the decoding time.
  VideoDecoder decoder(path, VideoDecoder::Options{options.threads, false, options.limits, true});
  Analysis analysis;
  analysis.info = decoder.info();
  const int orientation = analysis.info.orientation;
  const int upright_w = analysis.info.display_width, upright_h = analysis.info.display_height;

  BoundedQueue<DetectJob> queue(4);
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      FaceTracker tracker(options.tracker);
      BestFaces best(options.embeddings_per_track, options.min_embed_face_px);
      FrameScaler scaler;
      cv::Mat stored_small, small;
      while (auto job = queue.pop()) {
        const AVFrame* picture = job->picture.get();
        const cv::Size size = detection_size(picture->width, picture->height, options.detect_long_edge);
        scaler.to_bgr(picture, size.width, size.height, stored_small);
        apply_orientation(stored_small, small, orientation);
        std::vector<DetectedFace> faces = detector.detect(small);
        const float fx = static_cast<float>(upright_w) / small.cols, fy = static_cast<float>(upright_h) / small.rows;
        for (DetectedFace& f : faces) {
          f.box = Box{f.box.x * fx, f.box.y * fy, f.box.w * fx, f.box.h * fy};
          for (Point& p : f.landmarks) p = Point{p.x * fx, p.y * fy};
        }
        const std::vector<int> ids = tracker.update(job->frame, faces);
        if (embedder) {
          for (std::size_t i = 0; i < faces.size(); ++i)
            best.offer(ids[i], faces[i], [&] { return crop_face(picture, orientation, upright_w, upright_h, faces[i]); });
        }
        for (FaceTrack& t : tracker.take_finished(job->frame))
          analysis.tracks.push_back(conclude(std::move(t), best, embedder, options));
        ++analysis.detected_frames;
      }
      for (FaceTrack& t : tracker.finish()) analysis.tracks.push_back(conclude(std::move(t), best, embedder, options));
    } catch (...) {
      failure = std::current_exception();
      queue.close(true);
    }
  });

  try {
    av::FramePtr last;  // the latest frame not sent to detection
    int index = 0;
    while (AVFrame* picture = decoder.next()) {
      av::FramePtr ref(av_frame_clone(picture));
      if (!ref) throw std::bad_alloc();
      if (index % stride == 0) {
        last.reset();
        if (!queue.push(DetectJob{index, std::move(ref)})) break;  // the worker failed
      } else {
        last = std::move(ref);
      }
      ++index;
    }
    // The last frame is always looked at: a face may have entered after the last sampled one.
    if (last) queue.push(DetectJob{index - 1, std::move(last)});
    analysis.frames = index;
    analysis.decode_errors = decoder.errors();
  } catch (...) {
    queue.close(true);
    worker.join();
    throw;
  }
  queue.close();
  worker.join();
  if (failure) std::rethrow_exception(failure);
  std::sort(analysis.tracks.begin(), analysis.tracks.end(),
            [](const AnalysedTrack& a, const AnalysedTrack& b) { return a.track.id < b.track.id; });
  return analysis;
}

}  // namespace veil
