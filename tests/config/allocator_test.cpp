// The media allocator settings: frame-sized blocks come from the heap and stay there for the
// next frame instead of being unmapped and faulted in again; very large blocks still go back.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "config/allocator.h"

namespace veil {
namespace {

// Under AddressSanitizer malloc is the sanitizer's own allocator: mallopt does nothing and
// mallinfo2 describes no heap, so there is nothing of glibc's to check (scripts/test --sanitize).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kGlibcMalloc = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kGlibcMalloc = false;
#else
constexpr bool kGlibcMalloc = true;
#endif
#else
constexpr bool kGlibcMalloc = true;
#endif

TEST(Allocator, FrameSizedBlocksComeFromTheHeapAndStayForReuse) {
  if (!kGlibcMalloc) GTEST_SKIP() << "malloc is AddressSanitizer's";
  ASSERT_TRUE(tune_allocator_for_media());
  const std::size_t frame = std::size_t(8) << 20;  // a 1080p BGR frame is ~6 MB
  const struct mallinfo2 before = mallinfo2();
  void* block = std::malloc(frame);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, frame);
  const struct mallinfo2 during = mallinfo2();
  EXPECT_EQ(during.hblks, before.hblks) << "an 8 MB block was mapped on its own";
  std::free(block);
  const struct mallinfo2 after = mallinfo2();
  EXPECT_EQ(after.arena, during.arena) << "the heap gave the freed block back to the kernel";
  EXPECT_GE(after.fordblks, frame);
}

TEST(Allocator, BlocksAboveTheLimitAreStillMappedAndReturned) {
  if (!kGlibcMalloc) GTEST_SKIP() << "malloc is AddressSanitizer's";
  ASSERT_TRUE(tune_allocator_for_media());
  const struct mallinfo2 before = mallinfo2();
  void* block = std::malloc(kHeapBlockLimit + (std::size_t(4) << 20));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(mallinfo2().hblks, before.hblks + 1);
  std::free(block);
  EXPECT_EQ(mallinfo2().hblks, before.hblks);
}

}  // namespace
}  // namespace veil
