// Byte-level checks of encoded photos, run before libvips sees the file (internal to the
// photo decoder): libvips 8.14 does not always report a truncated file, and a GIF's frame
// descriptors can declare frames far outside its canvas. Pure functions of the bytes:
// nothing is decoded, nothing allocated beyond the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace veil {

// A GIF's logical screen and frame descriptors, walked block by block (no LZW decoding).
struct GifScan {
  std::int64_t width = 0, height = 0;  // bounding box of the screen and every frame
  bool first_frame_complete = false;   // the first frame's image data is all there
};
GifScan scan_gif(const std::string& bytes);

// True when the first JPEG in `bytes` reaches its EOI marker; data after it (MPO / Ultra
// HDR secondary images) is ignored.
bool jpeg_reaches_eoi(const std::string& bytes);

// True when the PNG's chunks are all complete up to and including IEND.
bool png_reaches_iend(const std::string& bytes);

// The JPEG with its header rebuilt from well-formed segments only (junk and padding between
// segments and the APPn/COM segments that play no part in the pixels dropped); everything
// from the first start-of-scan on is copied unchanged. nullopt if the header is not
// well-formed enough to rebuild.
std::optional<std::string> rebuild_jpeg_header(const std::string& bytes);

}  // namespace veil
