// probe_video() and the first pictures of a video from any bytes: VideoInfo and upright BGR
// pictures within the limits, or VideoError. The bytes go to a file because both take a path.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <opencv2/core/mat.hpp>

#include "pipeline/video/probe.h"
#include "pipeline/video/reader.h"

namespace {

std::string g_path;

veil::LimitsConfig limits() {
  veil::LimitsConfig l;
  l.max_file_bytes = 4 << 20;
  l.max_pixels = 1'000'000;
  l.max_video_long_edge = 1280;
  l.max_video_seconds = 30;
  return l;
}

void write_file(const std::uint8_t* data, std::size_t size) {
  const int fd = ::open(g_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("TMPDIR");
  g_path = std::string(dir && *dir ? dir : "/tmp") + "/veil-fuzz-video-" + std::to_string(::getpid());
  std::atexit([] { ::unlink(g_path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_file(data, size);
  const veil::LimitsConfig l = limits();
  try {
    const veil::VideoInfo info = veil::probe_video(g_path, l);
    if (info.width <= 0 || info.height <= 0 || std::max(info.width, info.height) > l.max_video_long_edge) std::abort();
    veil::VideoReader reader(g_path, l);
    cv::Mat bgr;
    for (int i = 0; i < 3 && reader.read(bgr, 160); ++i) {
      if (bgr.type() != CV_8UC3 || bgr.empty() || std::max(bgr.cols, bgr.rows) > 160) std::abort();
    }
  } catch (const veil::VideoError&) {
  }
  return 0;
}
