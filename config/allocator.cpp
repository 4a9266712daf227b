// Allocator settings for image and video work (see allocator.h).
#include "config/allocator.h"

#include <malloc.h>

namespace veil {

bool tune_allocator_for_media() {
  // Setting either value also stops glibc from moving the mmap threshold by itself.
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapBlockLimit)) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kHeapKeepFree)) == 1;
  return mmap_ok && trim_ok;
}

}  // namespace veil
