// Opens the video module (see video_module.h) and routes files between photo and video.
// Also holds to_string(VideoErrorKind) and read_file_head(), which code outside the module
// needs too (the module links this file as well).
#include "pipeline/video_module.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "pipeline/photo/decode.h"

namespace veil {

const char* to_string(VideoErrorKind kind) {
  switch (kind) {
    case VideoErrorKind::no_video_stream: return "no_video_stream";
    case VideoErrorKind::too_long: return "too_long";
    case VideoErrorKind::too_large: return "too_large";
    case VideoErrorKind::too_many_pixels: return "too_many_pixels";
    case VideoErrorKind::corrupt: return "corrupt";
    case VideoErrorKind::unsupported: return "unsupported";
  }
  return "unknown";
}

std::string video_module_path() {
  const char* configured = std::getenv("VEIL_VIDEO_MODULE");
  return configured && *configured ? configured : VEIL_VIDEO_MODULE_PATH;
}

namespace {

const VideoModule& open_video_module() {
  const std::string path = video_module_path();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error("video support unavailable: cannot open " + path + ": " + dlerror());
  using Entry = const VideoModule* (*)();
  const auto entry = reinterpret_cast<Entry>(dlsym(handle, "veil_video_module"));
  const VideoModule* module = entry ? entry() : nullptr;
  const VideoModule expected;
  if (!module || module->module_size != expected.module_size || module->result_size != expected.result_size ||
      module->options_size != expected.options_size || !module->looks_like_video || !module->process_video ||
      !module->video_result_json)
    throw std::runtime_error("video support unavailable: " + path + " was built from other sources than this program");
  return *module;  // the handle stays open for the life of the process
}

}  // namespace

const VideoModule& video_module() {
  static const VideoModule& module = open_video_module();  // retried on the next call if it threw
  return module;
}

std::string read_file_head(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string head(max_bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(max_bytes));
  head.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return head;
}

bool looks_like_video_file(const std::string& path) {
  if (looks_like_photo(read_file_head(path, 64 * 1024))) return false;
  return video_module().looks_like_video(path);
}

}  // namespace veil
