// Which pipeline a file goes to, decided from its first bytes.
//
// Contract:
//  - A file that the photo decoder's allowlist recognises (looks_like_photo, pipeline/photo/
//    decode.h) is a photo: FFmpeg never parses it, and HEIF/AVIF, which are ISO-BMFF like MP4,
//    stay photos.
//  - Otherwise it is a video when its container is one the video pipeline handles
//    (looks_like_video, pipeline/video/probe.h); a video that passes may still be refused by
//    the pipeline's probe.
//  - Anything else, a file that cannot be read included, is not a video: it goes to the photo
//    pipeline, whose decoder refuses it.
#pragma once

#include <string>

namespace veil {

bool looks_like_video_file(const std::string& path);

}  // namespace veil
