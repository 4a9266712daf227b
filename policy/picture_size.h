// The smallest picture Veil processes, the same rule for photos and videos: the short side
// (the smaller of width and height, before or after rotation alike) must be at least
// kMinPictureSide pixels. A smaller picture is rejected with the reason `too_small`
// (policy/reasons.h): nothing of it is published, and the uploader is told why. The photo
// decoder (pipeline/photo/decode.h) checks it from the header, the video probe
// (pipeline/video/probe.h) from the stream parameters, both before any pixel is decoded.
//
// Why reject rather than publish "with no faces": Veil cannot promise that a tiny picture
// shows no one (people recognise a familiar face from a few hundred pixels), and it has not
// measured its detector on such pictures: YuNet's network needs an input of 63 pixels or more
// each side, so anything smaller is enlarged beyond what the detection plan was measured on
// (docs/models.md). Rejecting fails closed, and it costs nothing real: no camera, phone or
// tablet makes pictures this small, and Veil's own thumbnails are larger. Why 64: the first
// size the network takes as it is. An extreme aspect ratio (64 x 60000) is not refused by this
// rule: the detector pads what is too narrow for its network (models/face_detector.h).
#pragma once

#include <cstdint>
#include <string>

namespace veil {

inline constexpr int kMinPictureSide = 64;

// Whether a width x height picture is below the minimum (a zero or negative size is too).
bool too_small_to_process(std::int64_t width, std::int64_t height);

// The details of a `too_small` reason for a width x height picture, for a person:
// "1x60000 pixels, the short side is under the minimum of 64".
std::string too_small_details(std::int64_t width, std::int64_t height);

}  // namespace veil
