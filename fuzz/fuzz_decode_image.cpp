// decode_image() on any bytes: an upright 8-bit BGR picture within the limits, or DecodeError.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipeline/photo/decode.h"

namespace {

// Smaller than the defaults so that a declared size is what decides, not the machine's memory.
const veil::DecodeLimits kLimits{4'000'000, 4 << 20};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  veil::ensure_vips_started();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const veil::DecodedImage image = veil::decode_image(bytes, kLimits);
    const auto pixels = static_cast<std::int64_t>(image.bgr.cols) * image.bgr.rows;
    if (image.bgr.type() != CV_8UC3 || image.bgr.empty() || pixels > kLimits.max_pixels) std::abort();
  } catch (const veil::DecodeError&) {
  }
  return 0;
}
