// MP4 writing: libx264 video, AAC audio (copied or re-encoded), faststart, no metadata.
#include "pipeline/video/writer.h"

#include <algorithm>
#include <stdexcept>

namespace veil {

namespace {

void check(int ret, const char* what) {
  if (ret < 0) throw std::runtime_error(std::string(what) + ": " + av::error_text(ret));
}

bool supports_rate(const AVCodec* codec, int rate) {
  if (!codec->supported_samplerates) return true;
  for (const int* r = codec->supported_samplerates; *r; ++r)
    if (*r == rate) return true;
  return false;
}

}  // namespace

Mp4Writer::Mp4Writer(const std::string& path, const VideoEncodeSettings& settings, const AVStream* audio_in,
                     std::int64_t start_time)
    : settings_(settings), start_time_(start_time) {
  // The url is needed: faststart reopens the file to move the moov box to the front.
  check(avformat_alloc_output_context2(&out_, nullptr, "mp4", path.c_str()), "cannot create the MP4 muxer");
  // No "encoder" tag or other version strings in the file.
  out_->flags |= AVFMT_FLAG_BITEXACT;
  packet_ = av::make_packet();

  const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
  if (!x264) throw std::runtime_error("libavcodec has no libx264 encoder");
  video_enc_.reset(avcodec_alloc_context3(x264));
  if (!video_enc_) throw std::bad_alloc();
  AVCodecContext* enc = video_enc_.get();
  enc->width = settings.width;
  enc->height = settings.height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = settings.time_base;
  enc->framerate = settings.frame_rate;
  enc->sample_aspect_ratio = settings.sample_aspect_ratio;
  enc->thread_count = settings.threads;
  if (settings.colour) {
    enc->color_range = settings.colour->color_range;
    enc->colorspace = settings.colour->color_space;
    enc->color_primaries = settings.colour->color_primaries;
    enc->color_trc = settings.colour->color_trc;
    if (settings.colour->format == AV_PIX_FMT_YUVJ420P) enc->color_range = AVCOL_RANGE_JPEG;
  }
  if (out_->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check(av_opt_set(enc->priv_data, "preset", settings.preset.c_str(), 0), "bad x264 preset");
  check(av_opt_set_double(enc->priv_data, "crf", settings.crf, 0), "bad x264 crf");
  check(avcodec_open2(enc, x264, nullptr), "cannot open the H.264 encoder");

  video_out_ = avformat_new_stream(out_, nullptr);
  if (!video_out_) throw std::bad_alloc();
  check(avcodec_parameters_from_context(video_out_->codecpar, enc), "video stream parameters");
  video_out_->time_base = enc->time_base;
  video_out_->sample_aspect_ratio = enc->sample_aspect_ratio;

  if (audio_in) open_audio(audio_in);

  check(avio_open(&out_->pb, path.c_str(), AVIO_FLAG_WRITE), ("cannot write " + path).c_str());
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "+faststart", 0);
  const int ret = avformat_write_header(out_, &opts);
  av_dict_free(&opts);
  check(ret, "cannot write the MP4 header");
}

void Mp4Writer::open_audio(const AVStream* audio_in) {
  const AVCodecParameters* in = audio_in->codecpar;
  const AVCodec* decoder = avcodec_find_decoder(in->codec_id);
  const AVCodec* aac = avcodec_find_encoder_by_name("aac");
  // An audio codec FFmpeg cannot decode: the video is published without sound.
  if (in->codec_id != AV_CODEC_ID_AAC && (!decoder || !aac)) return;
  audio_in_ = audio_in;
  audio_out_ = avformat_new_stream(out_, nullptr);
  if (!audio_out_) throw std::bad_alloc();

  if (in->codec_id == AV_CODEC_ID_AAC) {
    // Already AAC: copy the packets (only the codec parameters, never the stream's tags).
    check(avcodec_parameters_copy(audio_out_->codecpar, in), "audio stream parameters");
    audio_out_->codecpar->codec_tag = 0;
    audio_out_->time_base = audio_in->time_base;
    audio_copy_ = true;
    return;
  }

  audio_dec_.reset(avcodec_alloc_context3(decoder));
  if (!audio_dec_) throw std::bad_alloc();
  check(avcodec_parameters_to_context(audio_dec_.get(), in), "audio decoder parameters");
  audio_dec_->pkt_timebase = audio_in->time_base;
  check(avcodec_open2(audio_dec_.get(), decoder, nullptr), "cannot open the audio decoder");
  if (audio_dec_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
    const int channels = std::max(1, audio_dec_->ch_layout.nb_channels);
    av_channel_layout_uninit(&audio_dec_->ch_layout);
    av_channel_layout_default(&audio_dec_->ch_layout, channels);
  }

  audio_enc_.reset(avcodec_alloc_context3(aac));
  if (!audio_enc_) throw std::bad_alloc();
  AVCodecContext* enc = audio_enc_.get();
  enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
  const int in_rate = audio_dec_->sample_rate > 0 ? audio_dec_->sample_rate : 48000;
  enc->sample_rate = supports_rate(aac, in_rate) ? in_rate : 48000;
  const AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO, stereo = AV_CHANNEL_LAYOUT_STEREO;
  check(av_channel_layout_copy(&enc->ch_layout, audio_dec_->ch_layout.nb_channels == 1 ? &mono : &stereo),
        "audio channel layout");
  enc->bit_rate = settings_.audio_bitrate;
  enc->time_base = AVRational{1, enc->sample_rate};
  if (out_->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check(avcodec_open2(enc, aac, nullptr), "cannot open the AAC encoder");
  check(avcodec_parameters_from_context(audio_out_->codecpar, enc), "audio stream parameters");
  audio_out_->time_base = enc->time_base;

  SwrContext* swr = nullptr;
  check(swr_alloc_set_opts2(&swr, &enc->ch_layout, enc->sample_fmt, enc->sample_rate, &audio_dec_->ch_layout,
                            audio_dec_->sample_fmt, audio_dec_->sample_rate, 0, nullptr),
        "audio resampler");
  swr_.reset(swr);
  check(swr_init(swr), "audio resampler");
  fifo_.reset(av_audio_fifo_alloc(enc->sample_fmt, enc->ch_layout.nb_channels, std::max(enc->frame_size, 1024) * 4));
  if (!fifo_) throw std::bad_alloc();
  audio_frame_ = av::make_frame();
  audio_out_frame_ = av::make_frame();
}

Mp4Writer::~Mp4Writer() {
  if (out_) {
    if (out_->pb) avio_closep(&out_->pb);
    avformat_free_context(out_);
  }
}

void Mp4Writer::mux(AVPacket* packet) {
  check(av_interleaved_write_frame(out_, packet), "cannot write to the MP4 file");
}

void Mp4Writer::drain_video(bool flush) {
  AVCodecContext* enc = video_enc_.get();
  while (true) {
    const int ret = avcodec_receive_packet(enc, packet_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    check(ret, "H.264 encoding failed");
    // libx264 leaves durations at 0; without one the MP4 edit list would cut the last frame.
    if (packet_->duration <= 0)
      packet_->duration = std::max<std::int64_t>(1, av_rescale_q(1, av_inv_q(settings_.frame_rate), enc->time_base));
    av_packet_rescale_ts(packet_.get(), enc->time_base, video_out_->time_base);
    packet_->stream_index = video_out_->index;
    mux(packet_.get());
  }
  (void)flush;
}

void Mp4Writer::write_video(AVFrame* frame) {
  frame->pict_type = AV_PICTURE_TYPE_NONE;  // x264 would otherwise copy the input's frame types
  frame->key_frame = 0;
  check(avcodec_send_frame(video_enc_.get(), frame), "H.264 encoding failed");
  ++video_frames_;
  drain_video(false);
}

void Mp4Writer::write_audio(const AVPacket* in_packet) {
  if (!audio_out_) return;
  const std::int64_t offset = av_rescale_q(start_time_, AV_TIME_BASE_Q, audio_in_->time_base);
  if (audio_copy_) {
    AVPacket* p = packet_.get();
    check(av_packet_ref(p, in_packet), "audio packet");
    if (p->pts != AV_NOPTS_VALUE) p->pts -= offset;
    if (p->dts != AV_NOPTS_VALUE) p->dts -= offset;
    av_packet_rescale_ts(p, audio_in_->time_base, audio_out_->time_base);
    p->stream_index = audio_out_->index;
    p->pos = -1;
    mux(p);
    return;
  }
  if (avcodec_send_packet(audio_dec_.get(), in_packet) < 0) {
    ++audio_errors_;
    return;
  }
  drain_audio(false);
}

void Mp4Writer::drain_audio(bool flush) {
  AVCodecContext* enc = audio_enc_.get();
  while (true) {
    const int ret = avcodec_receive_frame(audio_dec_.get(), audio_frame_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
    if (ret < 0) {
      ++audio_errors_;
      continue;
    }
    if (audio_next_pts_ == AV_NOPTS_VALUE) {
      const std::int64_t offset = av_rescale_q(start_time_, AV_TIME_BASE_Q, audio_in_->time_base);
      const std::int64_t pts = audio_frame_->best_effort_timestamp;
      audio_next_pts_ = pts == AV_NOPTS_VALUE ? 0
                                              : std::max<std::int64_t>(0, av_rescale_q(pts - offset, audio_in_->time_base,
                                                                                       enc->time_base));
    }
    const int max_out = swr_get_out_samples(swr_.get(), audio_frame_->nb_samples);
    uint8_t** buffers = nullptr;
    check(av_samples_alloc_array_and_samples(&buffers, nullptr, enc->ch_layout.nb_channels, max_out,
                                             enc->sample_fmt, 0),
          "audio buffer");
    const int got = swr_convert(swr_.get(), buffers, max_out, const_cast<const uint8_t**>(audio_frame_->extended_data),
                                audio_frame_->nb_samples);
    if (got > 0) av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(buffers), got);
    av_freep(&buffers[0]);
    av_freep(&buffers);
    av_frame_unref(audio_frame_.get());
    encode_audio_fifo(false);
  }
  if (flush) {
    // What the resampler still holds.
    const int max_out = swr_get_out_samples(swr_.get(), 0);
    if (max_out > 0) {
      uint8_t** buffers = nullptr;
      check(av_samples_alloc_array_and_samples(&buffers, nullptr, enc->ch_layout.nb_channels, max_out,
                                               enc->sample_fmt, 0),
            "audio buffer");
      const int got = swr_convert(swr_.get(), buffers, max_out, nullptr, 0);
      if (got > 0) av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(buffers), got);
      av_freep(&buffers[0]);
      av_freep(&buffers);
    }
    encode_audio_fifo(true);
  }
}

void Mp4Writer::encode_audio_fifo(bool flush) {
  AVCodecContext* enc = audio_enc_.get();
  const int frame_size = enc->frame_size > 0 ? enc->frame_size : 1024;
  // Muxes every AAC packet the encoder has ready.
  auto drain = [&] {
    while (true) {
      const int ret = avcodec_receive_packet(enc, packet_.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
      check(ret, "AAC encoding failed");
      av_packet_rescale_ts(packet_.get(), enc->time_base, audio_out_->time_base);
      packet_->stream_index = audio_out_->index;
      mux(packet_.get());
    }
  };
  while (av_audio_fifo_size(fifo_.get()) >= frame_size || (flush && av_audio_fifo_size(fifo_.get()) > 0)) {
    const int n = std::min(frame_size, av_audio_fifo_size(fifo_.get()));
    AVFrame* f = audio_out_frame_.get();
    av_frame_unref(f);
    f->nb_samples = n;
    f->format = enc->sample_fmt;
    f->sample_rate = enc->sample_rate;
    check(av_channel_layout_copy(&f->ch_layout, &enc->ch_layout), "audio frame");
    check(av_frame_get_buffer(f, 0), "audio frame");
    av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(f->data), n);
    f->pts = audio_next_pts_;
    audio_next_pts_ += n;
    check(avcodec_send_frame(enc, f), "AAC encoding failed");
    drain();
  }
  if (flush) {
    check(avcodec_send_frame(enc, nullptr), "AAC encoding failed");
    drain();
  }
}

void Mp4Writer::finish() {
  if (finished_) return;
  finished_ = true;
  check(avcodec_send_frame(video_enc_.get(), nullptr), "H.264 encoding failed");
  drain_video(true);
  if (audio_out_ && !audio_copy_) {
    avcodec_send_packet(audio_dec_.get(), nullptr);
    if (audio_next_pts_ == AV_NOPTS_VALUE) audio_next_pts_ = 0;
    drain_audio(true);
  }
  check(av_write_trailer(out_), "cannot finish the MP4 file");
  check(avio_closep(&out_->pb), "cannot close the MP4 file");
}

}  // namespace veil
