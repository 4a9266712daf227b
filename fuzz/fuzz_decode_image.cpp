// decode_image() on any bytes: an upright 8-bit BGR picture within the limits, or DecodeError.
// The limits are small (4 MP, 2 MiB) so that a run spends its time on parsing, not on
// decoding large valid pictures.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <opencv2/core.hpp>

#include "pipeline/photo/decode.h"
#include "policy/picture_size.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  veil::DecodeLimits limits;
  limits.max_pixels = 4'000'000;
  limits.max_file_bytes = 2 * 1024 * 1024;
  try {
    const veil::DecodedImage image = veil::decode_image(bytes, limits);
    const cv::Mat& m = image.bgr;
    if (m.type() != CV_8UC3 || m.empty()) std::abort();
    if (static_cast<std::int64_t>(m.cols) * m.rows > limits.max_pixels) std::abort();
    if (veil::too_small_to_process(m.cols, m.rows)) std::abort();
  } catch (const veil::DecodeError&) {
  }
  return 0;
}
