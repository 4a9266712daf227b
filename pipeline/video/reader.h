// Reading a video's pictures one by one as upright BGR images: used by the
// verification pass, by tests and tools that need to look at every frame of a file.
//
// Contract: read() returns pictures in presentation order, turned upright as a player
// shows them (display matrix applied), 8-bit BGR, optionally scaled down. Decode errors
// are counted (errors()), never thrown; opening refuses like probe_video() (VideoError).
// Memory does not depend on the length of the video.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "config/config.h"
#include "pipeline/video/probe.h"

namespace veil {

class VideoReader {
 public:
  // `limits`: the checks probe_video() makes; the default has none but the built-in ones.
  explicit VideoReader(const std::string& path, const LimitsConfig& limits = no_limits());
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  // The next picture, upright BGR with its long edge at most `max_long_edge` (0: full size,
  // never upscaled), in a newly allocated buffer. False at the end of the video.
  bool read(cv::Mat& bgr, int max_long_edge = 0);

  // Decodes the next picture without converting it. False at the end of the video.
  bool skip();

  const VideoInfo& info() const;
  std::int64_t frames() const;  // pictures read or skipped so far
  int errors() const;           // decode errors so far
  double seconds() const;       // timestamp of the last picture, from the start of the file

  // Limits that refuse nothing (for reading files Veil wrote itself).
  static LimitsConfig no_limits();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil
