// Image decoding with libvips: every supported format to an upright 8-bit sRGB BGR
// cv::Mat, refusing bad input with a clear, typed error before it can hurt.
//
// Contract: the returned pixels are the first (primary) frame/page only, EXIF/container
// orientation applied, colour converted to sRGB (CMYK, grey, 16-bit, alpha dropped).
// Width x height is checked against limits.max_pixels, and the short side against the
// minimum picture size (policy/picture_size.h), from the header, before any pixel is decoded. Never crashes on hostile input: throws DecodeError instead.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace veil {

struct DecodeLimits {
  std::int64_t max_pixels = 100'000'000;
  std::int64_t max_file_bytes = 200LL * 1024 * 1024;
};

enum class DecodeErrorKind {
  empty,        // zero bytes
  too_large,    // file bytes over the limit
  unsupported,  // not an image type Veil accepts (includes random bytes)
  pixel_bomb,   // declared width x height over the limit
  corrupt,      // recognised type but the pixels cannot be decoded
  too_small,    // declared short side under kMinPictureSide: "too_small" (policy/reasons.h)
};

const char* to_string(DecodeErrorKind kind);

class DecodeError : public std::runtime_error {
 public:
  DecodeError(DecodeErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  DecodeErrorKind kind() const { return kind_; }

 private:
  DecodeErrorKind kind_;
};

struct DecodedImage {
  cv::Mat bgr;              // CV_8UC3, upright, sRGB
  std::string format;       // "jpeg", "png", "webp", "heif", "gif", "tiff", ...
  int orientation = 1;      // the EXIF orientation that was applied (1 = none)
  int frames = 1;           // frames/pages in the file; only the first is returned
};

// Decodes an in-memory file.
DecodedImage decode_image(const std::string& bytes, const DecodeLimits& limits);

// The same for a picture that is only looked at small (reference photos): a JPEG is decoded
// at 1/2, 1/4 or 1/8 of its size (libjpeg's shrink-on-load, much cheaper than decoding every
// pixel) when the long edge stays at least `min_long_edge`; other formats at full size. The
// limits apply to the declared (full) size, and errors are those of decode_image.
DecodedImage decode_image_reduced(const std::string& bytes, const DecodeLimits& limits, int min_long_edge);

// The metadata fields libvips sees in an encoded image (for example "exif-data",
// "xmp-data", "iptc-data", "icc-profile-data", "orientation"), read from the header only.
// Renditions are checked with it before they leave; tests use it too. Throws DecodeError
// like decode_image for input it cannot open.
std::vector<std::string> image_metadata_fields(const std::string& bytes);

// Whether a loader on the allowlist recognises these bytes (the start of a file is enough):
// JPEG/MPO, PNG, WebP, HEIF/AVIF, GIF, TIFF. Nothing is decoded. Used to route files
// (pipeline/route.h).
bool looks_like_photo(const std::string& first_bytes);

// Initialises libvips once per process, with the HEIF module as its only module (see
// decode.cpp). Safe to call many times, from any thread, but the first call briefly sets
// VIPSHOME in the environment: make it from main() before other threads start (veil and
// veild do); a later first call from a worker thread still works but races other getenv().
void ensure_vips_started();

}  // namespace veil
