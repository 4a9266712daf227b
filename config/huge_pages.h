// Transparent huge pages for glibc's malloc, which can only be asked for in the environment
// (GLIBC_TUNABLES is read once, when a process starts).
//
// Why: processing a large photo touches hundreds of megabytes of fresh memory (pixels, the
// detector's blobs and activations); in 4 KiB pages the page faults are a large share of the
// time, and huge pages cut them several times over (benchmarks/RESULTS.md). Debian's kernel
// gives huge pages only to memory that asks for them (transparent_hugepage=madvise), and glibc
// asks only when this tunable is set. So `veil` is a small launcher (cli/veil_launcher.cpp)
// that adds it and starts `veil-core` beside itself, and veild and the benchmark drivers
// restart themselves with it once.
#pragma once

#include <sys/auxv.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "config/allocator.h"

namespace veil {

inline constexpr std::string_view kHugePageTunable = "glibc.malloc.hugetlb=1";

// GLIBC_TUNABLES with the huge-page tunable added. A value that already sets
// glibc.malloc.hugetlb (the user's choice) is returned unchanged; null means unset.
inline std::string tunables_with_huge_pages(const char* current) {
  const std::string now = current ? current : "";
  if (now.find("glibc.malloc.hugetlb=") != std::string::npos) return now;
  return now.empty() ? std::string(kHugePageTunable) : now + ":" + std::string(kHugePageTunable);
}

// For long-running programs (veild, the benchmark drivers), first thing in main(): unless the
// tunable is already in GLIBC_TUNABLES, adds it and executes this program again with the same
// arguments (one extra start of the program). Returns only if nothing was done or the exec failed;
// the program then runs without huge pages. Never in secure-execution mode (set-user-ID),
// where glibc drops GLIBC_TUNABLES and the restart would repeat for ever.
inline void restart_with_huge_pages(char** argv) {
  if (getauxval(AT_SECURE) != 0) return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  const std::string wanted = tunables_with_huge_pages(current);
  if (current && wanted == current) return;
  setenv("GLIBC_TUNABLES", wanted.c_str(), 1);
  execv("/proc/self/exe", argv);
}

// The start of a long-running media program's main(): restart_with_huge_pages(), then
// tune_allocator_for_media() (config/allocator.h).
inline void start_media_process(char** argv) {
  restart_with_huge_pages(argv);
  tune_allocator_for_media();
}

}  // namespace veil
