// The minimum picture size (see picture_size.h for the rule and why).
#include "policy/picture_size.h"

#include <algorithm>

namespace veil {

bool too_small_to_process(std::int64_t width, std::int64_t height) {
  return std::min(width, height) < kMinPictureSide;
}

std::string too_small_details(std::int64_t width, std::int64_t height) {
  return std::to_string(width) + "x" + std::to_string(height) + " pixels, the short side is under the minimum of " +
         std::to_string(kMinPictureSide);
}

}  // namespace veil
