// Video probing and admission: what a video file holds (container, streams, duration,
// size, frame rate, display rotation, audio) and whether Veil accepts it under the
// configured limits. Refusals are typed (VideoError with a VideoErrorKind) so that
// callers can tell a corrupt upload from an over-long one.
//
// Contract:
//  - probe_video() reads only the container header and stream parameters (no frame
//    is decoded); it throws VideoError for anything it refuses and never crashes on
//    hostile bytes.
//  - Limits are checked in this order: file bytes (before opening), container
//    recognised (unsupported), container readable (corrupt), a video stream present
//    (no_video_stream), a decoder for it (unsupported), pixels (too_many_pixels: long
//    edge over max_video_long_edge or width x height over max_pixels), the minimum size
//    (too_small: the short side under kMinPictureSide, the rule photos follow too,
//    policy/picture_size.h), duration (too_long). The decoder checks duration and decode errors again while it runs
//    (a header can lie).
//  - Only real video containers are accepted (MP4/MOV/3GP, Matroska/WebM, AVI, MPEG-TS/PS,
//    FLV, ASF/WMV); still images (JPEG, PNG, GIF, HEIF/AVIF) are "unsupported" here:
//    they belong to the photo pipeline (pipeline/photo/decode.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "config/config.h"

namespace veil {

enum class VideoErrorKind {
  no_video_stream,  // a readable container without any video stream (audio only, ...)
  too_long,         // duration over limits.max_video_seconds
  too_large,        // file bytes over limits.max_file_bytes
  too_many_pixels,  // long edge over limits.max_video_long_edge, or pixels over limits.max_pixels
  corrupt,          // recognised container that cannot be read, truncated, or too many decode errors
  unsupported,      // not a video container Veil accepts (random bytes, an image), or no decoder
  too_small,        // short side under kMinPictureSide: "too_small" (policy/reasons.h)
};

// "no_video_stream", "too_long", "too_large", "too_many_pixels", "corrupt", "unsupported",
// "too_small".
const char* to_string(VideoErrorKind kind);

// A refused video. what() is a one-line, human-readable reason.
class VideoError : public std::runtime_error {
 public:
  VideoError(VideoErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  VideoErrorKind kind() const { return kind_; }

 private:
  VideoErrorKind kind_;
};

struct VideoInfo {
  std::string container;        // libavformat demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::int64_t file_bytes = 0;
  double duration_s = 0;        // 0 when the container does not say
  int width = 0, height = 0;    // as stored (coded picture, before rotation)
  int display_width = 0, display_height = 0;  // upright, after rotation
  double fps = 0;               // guessed frame rate (0 when unknown)
  std::int64_t frames = 0;      // frame count from the container index (0 when unknown)
  int rotation = 0;             // clockwise degrees a player turns the picture: 0, 90, 180, 270
  int orientation = 1;          // the same transform in EXIF terms (1..8, 1 = as stored; 2,4,5,7 mirror)
  std::string video_codec;      // e.g. "h264", "hevc"
  std::string pixel_format;     // e.g. "yuv420p"
  int video_streams = 0;        // video streams that are not cover art
  bool has_audio = false;
  std::string audio_codec;      // e.g. "aac", "" without audio
  int audio_sample_rate = 0;
  int audio_channels = 0;
};

// Probes `path` and checks it against `limits` (max_file_bytes, max_pixels,
// max_video_seconds, max_video_long_edge) and the minimum size. Throws VideoError when refused.
VideoInfo probe_video(const std::string& path, const LimitsConfig& limits);

// The first `max_bytes` bytes of the file at `path` (fewer if it is shorter; empty if it
// cannot be read). Routing (pipeline/route.h) and probing both use it.
std::string read_file_head(const std::string& path, std::size_t max_bytes);

// Whether `path_or_first_bytes` is a video container Veil's video pipeline handles.
// The argument is taken as a path when it names an existing regular file (its first
// 64 KiB are read), otherwise as the first bytes of a file. Only the container
// signature is examined, nothing is decoded; a file that passes may still be refused
// by probe_video(). HEIF/AVIF (ISO-BMFF like MP4, but images) and GIF are not videos here.
bool looks_like_video(const std::string& path_or_first_bytes);

}  // namespace veil
