// The video module's entry point (see video_module.h): built into libveil_video.so only.
#include "pipeline/video_module.h"

extern "C" const veil::VideoModule* veil_video_module() {
  static const veil::VideoModule module = [] {
    veil::VideoModule m;
    m.looks_like_video = &veil::looks_like_video;
    m.process_video = &veil::process_video;
    m.video_result_json = &veil::video_result_json;
    return m;
  }();
  return &module;
}
