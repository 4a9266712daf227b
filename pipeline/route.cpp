// Routing of a file to the photo or the video pipeline (see route.h).
#include "pipeline/route.h"

#include "pipeline/photo/decode.h"
#include "pipeline/video/probe.h"

namespace veil {

bool looks_like_video_file(const std::string& path) {
  if (looks_like_photo(read_file_head(path, 64 * 1024))) return false;
  return looks_like_video(path);
}

}  // namespace veil
