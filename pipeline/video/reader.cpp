// Upright BGR pictures from a video file (VideoDecoder + swscale + orientation).
#include "pipeline/video/reader.h"

#include <algorithm>
#include <cmath>

#include "pipeline/video/decoder.h"
#include "pipeline/video/orientation.h"
#include "pipeline/video/yuv.h"

namespace veil {

struct VideoReader::Impl {
  explicit Impl(const std::string& path, const LimitsConfig& limits)
      : decoder(path, VideoDecoder::Options{0, false, limits, false}) {}
  VideoDecoder decoder;
  FrameScaler scaler;
  cv::Mat stored;
  double seconds = 0;
};

LimitsConfig VideoReader::no_limits() {
  LimitsConfig l;
  l.max_pixels = 0;
  l.max_file_bytes = 0;
  l.max_video_seconds = 0;
  l.max_video_long_edge = 0;
  return l;
}

VideoReader::VideoReader(const std::string& path, const LimitsConfig& limits)
    : impl_(std::make_unique<Impl>(path, limits)) {}

VideoReader::~VideoReader() = default;

bool VideoReader::read(cv::Mat& bgr, int max_long_edge) {
  const AVFrame* f = impl_->decoder.next();
  if (!f) return false;
  impl_->seconds = impl_->decoder.seconds_of(f, impl_->decoder.frames() - 1);
  int w = f->width, h = f->height;
  const int long_edge = std::max(w, h);
  if (max_long_edge > 0 && long_edge > max_long_edge) {
    const double s = static_cast<double>(max_long_edge) / long_edge;
    w = std::max(1, static_cast<int>(std::lround(w * s)));
    h = std::max(1, static_cast<int>(std::lround(h * s)));
  }
  const int orientation = impl_->decoder.info().orientation;
  bgr.release();  // a fresh buffer: the caller may still hold the previous picture
  if (orientation == 1) {
    impl_->scaler.to_bgr(f, w, h, bgr);
  } else {
    impl_->scaler.to_bgr(f, w, h, impl_->stored);
    apply_orientation(impl_->stored, bgr, orientation);
  }
  return true;
}

bool VideoReader::skip() {
  const AVFrame* f = impl_->decoder.next();
  if (!f) return false;
  impl_->seconds = impl_->decoder.seconds_of(f, impl_->decoder.frames() - 1);
  return true;
}

const VideoInfo& VideoReader::info() const { return impl_->decoder.info(); }
std::int64_t VideoReader::frames() const { return impl_->decoder.frames(); }
int VideoReader::errors() const { return impl_->decoder.errors(); }
double VideoReader::seconds() const { return impl_->seconds; }

}  // namespace veil
