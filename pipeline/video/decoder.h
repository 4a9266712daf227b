// Internal to the video pipeline (includes FFmpeg headers): streams the pictures of a
// video file one at a time through the FFmpeg 5.1 send/receive API, counting decode
// errors, and hands the packets of its audio stream to a callback.
//
// Contract:
//  - next() returns pictures in presentation order as 8-bit yuv420p (yuvj420p passes
//    through; any other format is converted), as stored (no rotation applied);
//    nullptr once the stream is exhausted. The returned frame belongs to the decoder
//    and is valid until the next call (av_frame_ref() it to keep it). Never write into it:
//    the codec may still use it as a reference picture.
//  - Decode errors are counted, not thrown: packets the demuxer flags corrupt or cannot
//    read, packets and frames the codec rejects, pictures flagged corrupt, and frames
//    the container index announced but that never came (truncation). The caller decides
//    how many are too many.
//  - Throws VideoError: corrupt/unsupported/no_video_stream when the file cannot be
//    opened, too_long when timestamps run past limits.max_video_seconds, too_many_pixels
//    when a picture is larger than the limits, too_small when the first is under the minimum
//    size (policy/picture_size.h: a header can lie), unsupported when the size changes mid-stream.
//  - Memory: one packet and the codec's own frame pool; independent of the file's length.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "config/config.h"
#include "pipeline/video/ffmpeg.h"
#include "pipeline/video/probe.h"

namespace veil {

// Opens `path` as probe_video() does (same checks, same VideoError refusals), filling `info`,
// and returns the open container with its stream information read. (video_probe.cpp)
av::InputPtr open_video_input(const std::string& path, const LimitsConfig& limits, VideoInfo& info);

class VideoDecoder {
 public:
  struct Options {
    int threads = 0;           // codec threads, 0 = one per core
    bool with_audio = false;   // keep the best audio stream and pass its packets to on_audio
    LimitsConfig limits;       // duration and picture size checked while decoding
    bool skip_deblocking = false;  // faster, slightly blockier pictures (for detection on a reduced copy)
  };

  VideoDecoder(const std::string& path, const Options& options);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  AVFrame* next();

  // Called from next() with each packet of the audio stream (with_audio only); the
  // packet is unreferenced after the call returns.
  std::function<void(AVPacket*)> on_audio;

  const VideoInfo& info() const { return info_; }  // what open_video_input() found
  AVFormatContext* format() const { return fmt_.get(); }
  AVStream* video_stream() const { return video_; }
  AVStream* audio_stream() const { return audio_; }       // nullptr without audio
  const AVCodecContext* codec() const { return codec_.get(); }

  // Start of the file in AV_TIME_BASE units (the earliest stream start; 0 when unknown):
  // subtract it from every stream so the output starts at 0 and stays in sync.
  std::int64_t start_time() const { return start_time_; }

  // The picture's timestamp in seconds from start_time(), or frame index / fps when it has none.
  double seconds_of(const AVFrame* frame, std::int64_t index) const;

  std::int64_t frames() const { return frames_; }  // pictures returned so far
  int errors() const { return errors_; }           // decode errors so far (missing frames added at the end)

 private:
  AVFrame* deliver(AVFrame* frame);
  void count_missing_frames();

  Options options_;
  VideoInfo info_;
  av::InputPtr fmt_;
  av::CodecPtr codec_;
  av::PacketPtr packet_;
  av::FramePtr frame_;
  av::FramePtr converted_;
  av::SwsPtr sws_;
  AVStream* video_ = nullptr;
  AVStream* audio_ = nullptr;
  std::int64_t start_time_ = 0;
  double fps_ = 0;
  std::int64_t frames_ = 0;
  std::int64_t discarded_ = 0;  // video packets an edit list cuts
  int errors_ = 0;
  int width_ = 0, height_ = 0;
  bool flushed_ = false;
  bool finished_ = false;
};

}  // namespace veil
