// Process-wide allocator settings for image and video work. Call once, first thing in main(),
// before any thread starts.
//
// Why: glibc's malloc hands blocks above its mmap threshold (128 KiB, floating upwards) to the
// kernel with mmap/munmap, and trims the top of each heap back to the kernel past 128 KiB
// free. A 1080p frame (3-6 MB), the detector's float input blob (~3 MB at 640x360) and its activations are
// allocated and freed for every frame or photo, so each one was taken again as fresh pages
// that the kernel must fault in and zero: 230,000 page faults for the 4-second walkers clip,
// 58,000 for one 12 MP photo. On a virtual machine a fault costs ~10 us.
//
// What: blocks up to 32 MiB (the most glibc allows for the heap) come from the heaps and are
// reused; a heap keeps up to 64 MiB free at its top before giving memory back. A 12 MP photo's
// 36 MB pixel buffers are still mapped and unmapped per photo. Peak resident memory grows by
// what the heaps keep (docs/performance.md gives the figures); it does not grow with the
// number of frames or photos.
#pragma once

#include <cstddef>

namespace veil {

// The largest block served from the heaps, and how much free memory a heap keeps at its top.
inline constexpr std::size_t kHeapBlockLimit = std::size_t(32) << 20;
inline constexpr std::size_t kHeapKeepFree = std::size_t(64) << 20;

// Applies the settings above with mallopt. Returns false if glibc refused one of them.
bool tune_allocator_for_media();

}  // namespace veil
