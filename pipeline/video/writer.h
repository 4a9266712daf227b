// Internal to the video pipeline (includes FFmpeg headers): writes the published MP4:
// H.264 (libx264 through libavcodec, yuv420p) plus the input's audio, copied when it is
// already AAC and otherwise re-encoded to AAC (libavcodec's native "aac" encoder, samples
// converted by libswresample), muxed with movflags=+faststart (moov before mdat).
//
// Contract:
//  - Nothing of the input's metadata is written: no container or stream tags (title,
//    location, creation_time, handler names, encoder strings), no chapters, no cover art.
//    Only codec parameters, timing, colour description and sample aspect ratio carry over.
//  - Frames must be 8-bit yuv420p of exactly width x height, with strictly increasing
//    pts in `time_base`. Their picture types are ignored (x264 chooses).
//  - The file is complete only after finish(); a writer destroyed before that leaves a
//    partial file that the caller must delete (process_video writes to a temporary name).
//  - Throws std::runtime_error when an encoder or the muxer fails.
#pragma once

#include <cstdint>
#include <string>

#include "pipeline/video/ffmpeg.h"

namespace veil {

struct VideoEncodeSettings {
  int width = 0, height = 0;              // even
  AVRational time_base{1, 25};            // of the frames' pts
  AVRational frame_rate{25, 1};           // nominal, for rate control
  AVRational sample_aspect_ratio{0, 1};
  const AVCodecParameters* colour = nullptr;  // colour range/space/primaries/transfer to declare (may be null)
  int crf = 23;
  std::string preset = "veryfast";
  int threads = 0;                        // 0: x264 decides (about 1.5 per core)
  int audio_bitrate = 128000;             // when audio is re-encoded
};

class Mp4Writer {
 public:
  // `audio_in`: the input audio stream whose packets write_audio() will receive, or null.
  // `start_time`: the input's start (AV_TIME_BASE units), subtracted from audio timestamps.
  Mp4Writer(const std::string& path, const VideoEncodeSettings& settings, const AVStream* audio_in,
            std::int64_t start_time);
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  void write_video(AVFrame* frame);
  void write_audio(const AVPacket* packet);  // a packet of audio_in
  void finish();

  bool audio_copied() const { return audio_copy_; }
  bool has_audio() const { return audio_out_ != nullptr; }
  int audio_errors() const { return audio_errors_; }  // audio packets that could not be decoded (dropped)
  std::int64_t video_frames() const { return video_frames_; }

 private:
  void open_audio(const AVStream* audio_in);
  void drain_video(bool flush);
  void encode_audio_fifo(bool flush);
  void drain_audio(bool flush);
  void mux(AVPacket* packet);

  VideoEncodeSettings settings_;
  AVFormatContext* out_ = nullptr;
  av::CodecPtr video_enc_;
  AVStream* video_out_ = nullptr;
  av::PacketPtr packet_;

  const AVStream* audio_in_ = nullptr;
  AVStream* audio_out_ = nullptr;
  bool audio_copy_ = false;
  av::CodecPtr audio_dec_;
  av::CodecPtr audio_enc_;
  av::SwrPtr swr_;
  av::FifoPtr fifo_;
  av::FramePtr audio_frame_;
  av::FramePtr audio_out_frame_;
  std::int64_t audio_next_pts_ = AV_NOPTS_VALUE;  // in 1/sample_rate
  std::int64_t start_time_ = 0;
  int audio_errors_ = 0;
  std::int64_t video_frames_ = 0;
  bool finished_ = false;
};

}  // namespace veil
