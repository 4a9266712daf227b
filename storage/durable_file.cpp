// temp file, fsync, rename, fsync of the directory.
#include "storage/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "storage/originals_store.h"

namespace veil {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void write_file_durably(const std::string& path, const std::string& bytes, mode_t mode) {
  const std::string tmp = path + ".tmp";
  auto fail = [&](const std::string& what) {
    const std::string error = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw StorageError("cannot " + what + " " + path + ": " + error);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) fail("create");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) {
    ::close(fd);
    fail("chmod");
  }
  try {
    commit_file_durably(fd, tmp, path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

void commit_file_durably(int fd, const std::string& temp_path, const std::string& final_path) {
  auto error = [](const std::string& what, const std::string& path) {
    return StorageError("cannot " + what + " " + path + ": " + std::strerror(errno));
  };
  if (::fsync(fd) != 0) {
    const StorageError e = error("fsync", temp_path);
    ::close(fd);
    throw e;
  }
  if (::close(fd) != 0) throw error("close", temp_path);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) throw error("rename into", final_path);
  const std::filesystem::path parent = std::filesystem::path(final_path).parent_path();
  fsync_directory(parent.empty() ? "." : parent.string());
}

}  // namespace veil
