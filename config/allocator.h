// Process-wide allocator settings for image and video work. Call once, first thing in main().
//
// Why: glibc returns large freed blocks to the kernel (mmap threshold, heap trimming), so a
// process that handles a 12 MP photo or a stream of 1080p frames keeps taking fresh pages
// and the kernel zero-fills each one again: 9 % of a video run's CPU time went to page
// faults and clear_page. Keeping freed memory for reuse costs nothing in correctness; peak
// resident memory stays what the largest item needs (it is no longer handed back between
// items).
#pragma once

namespace veil {

void tune_allocator_for_media();

}  // namespace veil
