// RAII helpers and error text for the FFmpeg-based video pipeline.
#include "pipeline/video/ffmpeg.h"

#include <cstdlib>
#include <mutex>
#include <new>

namespace veil::av {

FramePtr make_frame() {
  AVFrame* f = av_frame_alloc();
  if (!f) throw std::bad_alloc();
  return FramePtr(f);
}

PacketPtr make_packet() {
  AVPacket* p = av_packet_alloc();
  if (!p) throw std::bad_alloc();
  return PacketPtr(p);
}

std::string error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

void quiet_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("VEIL_FFMPEG_LOG");
    av_log_set_level(env && *env ? AV_LOG_INFO : AV_LOG_FATAL);
  });
}

}  // namespace veil::av
