// Streaming video decoding with the FFmpeg 5.1 send/receive API, counting errors.
#include "pipeline/video/decoder.h"

#include <algorithm>
#include <cmath>

#include "policy/picture_size.h"

namespace veil {

VideoDecoder::VideoDecoder(const std::string& path, const Options& options) : options_(options) {
  fmt_ = open_video_input(path, options.limits, info_);
  const VideoInfo& info = info_;

  // The same stream choice as probe_video(): the largest picture that is not cover art,
  // and the audio stream with the most channels.
  for (unsigned i = 0; i < fmt_->nb_streams; ++i) {
    AVStream* st = fmt_->streams[i];
    const AVCodecParameters* par = st->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      if (!video_ || static_cast<std::int64_t>(par->width) * par->height >
                         static_cast<std::int64_t>(video_->codecpar->width) * video_->codecpar->height)
        video_ = st;
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && options.with_audio) {
      if (!audio_ || par->ch_layout.nb_channels > audio_->codecpar->ch_layout.nb_channels) audio_ = st;
    }
  }
  for (unsigned i = 0; i < fmt_->nb_streams; ++i) {
    AVStream* st = fmt_->streams[i];
    st->discard = (st == video_ || st == audio_) ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }

  const AVCodec* decoder = avcodec_find_decoder(video_->codecpar->codec_id);
  codec_.reset(avcodec_alloc_context3(decoder));
  if (!codec_) throw std::bad_alloc();
  int ret = avcodec_parameters_to_context(codec_.get(), video_->codecpar);
  if (ret < 0) throw VideoError(VideoErrorKind::corrupt, "bad video stream parameters: " + av::error_text(ret));
  codec_->pkt_timebase = video_->time_base;
  codec_->thread_count = options.threads;
  codec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (options.skip_deblocking) codec_->skip_loop_filter = AVDISCARD_ALL;
  ret = avcodec_open2(codec_.get(), decoder, nullptr);
  if (ret < 0) throw VideoError(VideoErrorKind::unsupported, "cannot open the video decoder: " + av::error_text(ret));

  start_time_ = fmt_->start_time != AV_NOPTS_VALUE ? fmt_->start_time : 0;
  fps_ = info.fps > 0 ? info.fps : 25.0;
  packet_ = av::make_packet();
  frame_ = av::make_frame();
}

VideoDecoder::~VideoDecoder() = default;

double VideoDecoder::seconds_of(const AVFrame* frame, std::int64_t index) const {
  if (frame && frame->best_effort_timestamp != AV_NOPTS_VALUE) {
    const double t = static_cast<double>(frame->best_effort_timestamp) * av_q2d(video_->time_base);
    return t - static_cast<double>(start_time_) / AV_TIME_BASE;
  }
  return static_cast<double>(index) / fps_;
}

void VideoDecoder::count_missing_frames() {
  // The container index announced more pictures than came out: a truncated file. Packets
  // an edit list cuts (flagged discard) never become pictures and are not missing.
  const std::int64_t expected = video_->nb_frames - discarded_;
  if (video_->nb_frames > 0 && frames_ < expected)
    errors_ += static_cast<int>(std::min<std::int64_t>(expected - frames_, 1 << 30));
}

AVFrame* VideoDecoder::deliver(AVFrame* frame) {
  if (frame->decode_error_flags != 0 || (frame->flags & AV_FRAME_FLAG_CORRUPT)) ++errors_;
  if (width_ == 0) {
    width_ = frame->width;
    height_ = frame->height;
    const LimitsConfig& limits = options_.limits;
    if ((limits.max_video_long_edge > 0 && std::max(width_, height_) > limits.max_video_long_edge) ||
        (limits.max_pixels > 0 && static_cast<std::int64_t>(width_) * height_ > limits.max_pixels))
      throw VideoError(VideoErrorKind::too_many_pixels, "decoded picture is larger than the limits");
    if (too_small_to_process(width_, height_))
      throw VideoError(VideoErrorKind::too_small, "decoded picture is " + too_small_details(width_, height_));
  } else if (frame->width != width_ || frame->height != height_) {
    throw VideoError(VideoErrorKind::unsupported, "the picture size changes in the middle of the video");
  }
  const double seconds = seconds_of(frame, frames_);
  const double max_s = options_.limits.max_video_seconds;
  // One second of slack: a header rounded down, a last frame's duration.
  if (max_s > 0 && (seconds > max_s + 1.0 || static_cast<double>(frames_) > (max_s + 1.0) * 240.0))
    throw VideoError(VideoErrorKind::too_long, "video runs past the limit of " + std::to_string(max_s) + " s");
  ++frames_;

  if (frame->format == AV_PIX_FMT_YUV420P || frame->format == AV_PIX_FMT_YUVJ420P) return frame;
  // Any other format (10-bit, 4:2:2, 4:4:4, NV12, ...) becomes 8-bit yuv420p.
  if (!converted_) {
    converted_ = av::make_frame();
    converted_->format = AV_PIX_FMT_YUV420P;
    converted_->width = frame->width;
    converted_->height = frame->height;
    if (av_frame_get_buffer(converted_.get(), 0) < 0) throw std::bad_alloc();
    sws_.reset(sws_getContext(frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                              frame->width, frame->height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr,
                              nullptr, nullptr));
    if (!sws_) throw VideoError(VideoErrorKind::unsupported, "cannot convert the picture format");
  }
  if (av_frame_make_writable(converted_.get()) < 0) throw std::bad_alloc();
  sws_scale(sws_.get(), frame->data, frame->linesize, 0, frame->height, converted_->data, converted_->linesize);
  av_frame_copy_props(converted_.get(), frame);
  return converted_.get();
}

AVFrame* VideoDecoder::next() {
  if (finished_) return nullptr;
  av_frame_unref(frame_.get());
  while (true) {
    int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret == 0) return deliver(frame_.get());
    if (ret == AVERROR_EOF) {
      finished_ = true;
      count_missing_frames();
      return nullptr;
    }
    if (ret != AVERROR(EAGAIN)) {
      ++errors_;  // a picture the codec could not decode
      if (flushed_ && errors_ < (1 << 20)) continue;
    }
    if (flushed_) {
      // EAGAIN after the flush packet cannot happen with a conforming codec; stop anyway.
      finished_ = true;
      count_missing_frames();
      return nullptr;
    }
    ret = av_read_frame(fmt_.get(), packet_.get());
    if (ret < 0) {
      if (ret != AVERROR_EOF) ++errors_;  // a read error or a broken container
      avcodec_send_packet(codec_.get(), nullptr);
      flushed_ = true;
      continue;
    }
    if (packet_->stream_index == video_->index) {
      if (packet_->flags & AV_PKT_FLAG_CORRUPT) ++errors_;
      if (packet_->flags & AV_PKT_FLAG_DISCARD) ++discarded_;
      ret = avcodec_send_packet(codec_.get(), packet_.get());
      if (ret < 0 && ret != AVERROR(EAGAIN)) ++errors_;
    } else if (audio_ && packet_->stream_index == audio_->index && on_audio) {
      on_audio(packet_.get());
    }
    av_packet_unref(packet_.get());
  }
}

}  // namespace veil
