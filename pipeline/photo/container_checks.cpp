// Byte-level checks of encoded files before libvips sees them (see container_checks.h).
#include "pipeline/photo/container_checks.h"

#include <cstring>

namespace veil {

// Walks a GIF's block structure (no LZW decoding): the bounding box of the logical
// screen and every image descriptor, and whether the first frame's data is complete
// (libnsgif would quietly render a cut frame). Stops at the trailer or where the data
// runs out.
GifScan scan_gif(const std::string& bytes) {
  const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  auto le16 = [&](size_t at) -> std::int64_t { return d[at] | (d[at + 1] << 8); };
  GifScan scan;
  if (size < 13) return scan;
  scan.width = le16(6);
  scan.height = le16(8);
  size_t pos = 13;
  if (d[10] & 0x80) pos += 3u * (1u << ((d[10] & 7) + 1));
  // True when the sub-blocks end with their zero-length terminator inside the data.
  auto skip_sub_blocks = [&] {
    while (pos < size) {
      const unsigned n = d[pos++];
      if (n == 0) return true;
      pos += n;
    }
    return false;
  };
  int frames = 0;
  while (pos < size) {
    const unsigned char block = d[pos];
    if (block == 0x3B) break;  // trailer
    if (block == 0x21) {       // extension: label, then sub-blocks
      pos += 2;
      if (!skip_sub_blocks()) break;
    } else if (block == 0x2C) {  // image descriptor
      if (pos + 10 > size) break;
      const std::int64_t left = le16(pos + 1), top = le16(pos + 3);
      const std::int64_t w = le16(pos + 5), h = le16(pos + 7);
      scan.width = std::max(scan.width, left + w);
      scan.height = std::max(scan.height, top + h);
      const unsigned char flags = d[pos + 9];
      pos += 10;
      if (flags & 0x80) pos += 3u * (1u << ((flags & 7) + 1));
      pos += 1;  // LZW minimum code size
      const bool complete = skip_sub_blocks();
      if (++frames == 1) scan.first_frame_complete = complete;
      if (!complete) break;
    } else {
      break;
    }
  }
  return scan;
}

// True when the first JPEG in `bytes` reaches its EOI marker: the header segments are
// walked by their lengths, entropy-coded data is scanned for the next marker (FF00 is a
// stuffed byte, FFD0-FFD7 are restart markers). A file cut anywhere before EOI is
// truncated. libvips 8.14 does not always report truncation (a libjpeg longjmp in one
// worker thread can be lost), so this check makes the refusal deterministic. Anything
// after the EOI (MPO / Ultra HDR secondary images) is ignored.
bool jpeg_reaches_eoi(const std::string& bytes) {
  const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  if (size < 4 || d[0] != 0xFF || d[1] != 0xD8) return false;
  size_t pos = 2;
  bool in_scan = false;
  while (pos < size) {
    if (in_scan) {
      const void* ff = std::memchr(d + pos, 0xFF, size - pos);
      if (!ff) return false;
      pos = static_cast<const unsigned char*>(ff) - d;
      if (pos + 1 >= size) return false;
      const unsigned char next = d[pos + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        pos += 2;
        continue;
      }
      if (next == 0xFF) {  // fill byte before a marker
        ++pos;
        continue;
      }
      in_scan = false;  // a marker: read it below
      continue;
    }
    if (d[pos] != 0xFF) {  // junk between segments (libjpeg skips it with a warning)
      ++pos;
      continue;
    }
    while (pos < size && d[pos] == 0xFF) ++pos;
    if (pos >= size) return false;
    const unsigned char marker = d[pos++];
    if (marker == 0xD9) return true;
    if (marker == 0x00 || marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (pos + 2 > size) return false;
    const size_t length = (static_cast<size_t>(d[pos]) << 8) | d[pos + 1];
    if (length < 2 || pos + length > size) return false;
    pos += length;
    if (marker == 0xDA) in_scan = true;  // start of scan: entropy-coded data follows
  }
  return false;
}

// True when the PNG's chunks are all complete up to and including IEND.
bool png_reaches_iend(const std::string& bytes) {
  const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  size_t pos = 8;  // signature
  while (pos + 12 <= size) {
    const size_t length = (static_cast<size_t>(d[pos]) << 24) | (d[pos + 1] << 16) | (d[pos + 2] << 8) | d[pos + 3];
    if (length > size - pos - 12) return false;
    if (std::memcmp(d + pos + 4, "IEND", 4) == 0) return true;
    pos += 12 + length;
  }
  return false;
}

// The JPEG with its header rebuilt from well-formed segments only: junk bytes and FF00
// padding between segments are dropped, and so are the APPn/COM segments that play no
// part in the pixels (kept: SOFn, DHT, DQT, DRI, DAC, Exif APP1 for the orientation, ICC
// APP2, Adobe APP14 for the colour transform). Everything from the first start-of-scan
// on is copied unchanged. nullopt if the header is not well-formed enough to rebuild.
std::optional<std::string> rebuild_jpeg_header(const std::string& bytes) {
  const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  if (size < 4 || d[0] != 0xFF || d[1] != 0xD8) return std::nullopt;
  std::string out("\xFF\xD8", 2);
  size_t pos = 2;
  while (pos < size) {
    if (d[pos] != 0xFF) {  // junk
      ++pos;
      continue;
    }
    while (pos < size && d[pos] == 0xFF) ++pos;
    if (pos >= size) return std::nullopt;
    const unsigned char marker = d[pos++];
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // padding, stray
    if (marker == 0xD9 || pos + 2 > size) return std::nullopt;                              // no scan at all
    const size_t length = (static_cast<size_t>(d[pos]) << 8) | d[pos + 1];
    if (length < 2 || pos + length > size) return std::nullopt;
    if (marker == 0xDA) {
      out.append(bytes, pos - 2, std::string::npos);  // FF DA and everything after it
      return out;
    }
    const std::string_view payload(bytes.data() + pos + 2, length - 2);
    const bool keep = (marker >= 0xC0 && marker <= 0xCF) || marker == 0xDB || marker == 0xDD ||
                      (marker == 0xE1 && payload.substr(0, 6) == std::string_view("Exif\0\0", 6)) ||
                      (marker == 0xE2 && payload.substr(0, 12) == std::string_view("ICC_PROFILE\0", 12)) ||
                      (marker == 0xEE && payload.substr(0, 5) == "Adobe");
    if (keep) {
      out += '\xFF';
      out += static_cast<char>(marker);
      out.append(bytes, pos, length);
    }
    pos += length;
  }
  return std::nullopt;
}

}  // namespace veil
