// veil: a launcher that starts the command-line tool, veil-core (in the same directory), with
// glibc's malloc set to use transparent huge pages (config/huge_pages.h says why). It links
// nothing but the C and C++ runtimes, so it costs about a millisecond; arguments, standard
// streams and the exit code are veil-core's.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "config/huge_pages.h"

int main(int argc, char** argv) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    std::fprintf(stderr, "veil: cannot find its own executable: %s\n", std::strerror(errno));
    return 70;
  }
  std::string core(self, static_cast<size_t>(n));
  core = core.substr(0, core.rfind('/') + 1) + "veil-core";
  const std::string tunables = veil::tunables_with_huge_pages(std::getenv("GLIBC_TUNABLES"));
  setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  execv(core.c_str(), argv);
  std::fprintf(stderr, "veil: cannot start %s: %s\n", core.c_str(), std::strerror(errno));
  return 70;
}
