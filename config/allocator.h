// Process-wide allocator settings for image and video work. Call once, first thing in main(),
// before any thread starts.
//
// Why: glibc's malloc hands blocks above its mmap threshold (128 KiB, floating upwards) to the
// kernel with mmap/munmap, and trims the top of each heap back to the kernel past 128 KiB
// free. A video frame, the detector's float input blob and its activations are allocated and
// freed for every frame or photo, so each one would be taken again as fresh pages that the
// kernel must fault in and zero, and page faults are costly on a virtual machine
// (benchmarks/RESULTS.md has the counts).
//
// What: blocks up to 32 MiB (the most glibc allows for the heap) come from the heaps and are
// reused; a heap keeps up to 64 MiB free at its top before giving memory back. Buffers larger
// than 32 MiB (a large photo's pixels) are still mapped and unmapped per photo. Peak resident
// memory grows by what the heaps keep; it does not grow with the number of frames or photos.
#pragma once

#include <cstddef>

namespace veil {

// The largest block served from the heaps, and how much free memory a heap keeps at its top.
inline constexpr std::size_t kHeapBlockLimit = std::size_t(32) << 20;
inline constexpr std::size_t kHeapKeepFree = std::size_t(64) << 20;

// Applies the settings above with mallopt. Returns false if glibc refused one of them.
bool tune_allocator_for_media();

}  // namespace veil
