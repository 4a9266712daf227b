// The video pipeline as a module: pipeline/video_*.cpp and the FFmpeg libraries are built into
// libveil_video.so, which is opened with dlopen the first time a video is routed or processed.
// A program that handles only photos (most `veil` calls) then never loads FFmpeg and its ~60
// libraries at every start.
//
// Contract:
//  - video_module() opens the module once per process (thread-safe) and returns its entry
//    points. If it cannot be opened, or was built from other sources than this program, it
//    throws std::runtime_error naming the path and the reason; callers treat that as an
//    internal failure (the item is never published). veild opens it at start-up.
//  - The module's path: $VEIL_VIDEO_MODULE, else the one compiled in (the build tree's
//    pipeline/video/libveil_video.so), as with the models' directory.
//  - looks_like_video_file() routes a file without loading the module when the decoder's
//    allowlist recognises it as a photo; otherwise it asks the module's looks_like_video().
#pragma once

#include <cstddef>
#include <string>

#include "pipeline/video/process.h"
#include "pipeline/video/probe.h"

namespace veil {

struct VideoModule {
  // Checked when the module is opened: the module and the program share these types.
  std::size_t module_size = sizeof(VideoModule);
  std::size_t result_size = sizeof(VideoResult);
  std::size_t options_size = sizeof(VideoOptions);

  bool (*looks_like_video)(const std::string& path_or_first_bytes) = nullptr;
  VideoResult (*process_video)(const std::string& input_path, const std::string& output_mp4_path,
                               FaceDetector& detector, FaceEmbedder* embedder, FaceJudge& judge,
                               const VideoOptions& options) = nullptr;
  nlohmann::json (*video_result_json)(const VideoResult& result) = nullptr;
};

// The module's entry point, exported with C linkage by the module.
extern "C" const VideoModule* veil_video_module();

const VideoModule& video_module();
std::string video_module_path();

// Whether the file at `path` goes to the video pipeline (see the contract above).
bool looks_like_video_file(const std::string& path);

}  // namespace veil
