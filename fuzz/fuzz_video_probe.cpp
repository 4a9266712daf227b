// probe_video() and the first pictures' decoding (VideoDecoder) on any bytes: a VideoInfo
// within the limits and upright-sized 8-bit yuv420p pictures of one size, or VideoError.
// Probing takes a path, as the pipeline gives it one, so the bytes are written to a file of
// this process first. The limits are small and only the first pictures are decoded, so that a
// run spends its time in the demuxers and the first frames' decoding.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
}

#include "pipeline/video/decoder.h"
#include "pipeline/video/probe.h"
#include "policy/picture_size.h"

namespace {

const std::string& input_path() {
  static const std::string path = "/tmp/veil-fuzz-video-" + std::to_string(getpid());
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(input_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) std::abort();  // the fuzzer's own file: not the code under test
  }
  veil::LimitsConfig limits;
  limits.max_pixels = 1'000'000;
  limits.max_file_bytes = 2 * 1024 * 1024;
  limits.max_video_seconds = 30;
  limits.max_video_long_edge = 1280;
  try {
    const veil::VideoInfo info = veil::probe_video(input_path(), limits);
    if (info.width <= 0 || info.height <= 0) std::abort();
    if (static_cast<std::int64_t>(info.width) * info.height > limits.max_pixels) std::abort();
    if (veil::too_small_to_process(info.width, info.height)) std::abort();
    if (info.rotation % 90 != 0 || info.orientation < 1 || info.orientation > 8) std::abort();

    veil::VideoDecoder::Options options;
    options.threads = 1;
    options.with_audio = true;
    options.limits = limits;
    veil::VideoDecoder decoder(input_path(), options);
    decoder.on_audio = [](AVPacket*) {};
    int width = 0, height = 0;
    for (int i = 0; i < 8; ++i) {
      const AVFrame* frame = decoder.next();
      if (frame == nullptr) break;
      if (frame->format != AV_PIX_FMT_YUV420P && frame->format != AV_PIX_FMT_YUVJ420P) std::abort();
      if (width == 0) width = frame->width, height = frame->height;
      if (frame->width != width || frame->height != height) std::abort();
      if (static_cast<std::int64_t>(width) * height > limits.max_pixels) std::abort();
    }
  } catch (const veil::VideoError&) {
  }
  return 0;
}
