// Durable whole-file writes: after write_file_durably() returns, the file holds exactly
// `bytes` and survives a crash or power loss; before it returns, readers see the old file or
// none, never a partial one.
#pragma once

#include <sys/types.h>

#include <string>

namespace veil {

// The whole content of the file at `path`. Throws std::runtime_error("cannot open PATH") when
// it cannot be opened.
std::string read_whole_file(const std::string& path);

// Writes `bytes` to `path` through a temporary file beside it: write, fsync, rename over
// `path`, then fsync of the directory so that the rename itself is durable. The file gets
// `mode` (before the rename). Throws StorageError naming the path and the system error; the
// temporary file is removed on failure.
void write_file_durably(const std::string& path, const std::string& bytes, mode_t mode);

// The last step of the same, for a file written through its own descriptor (a streamed
// original): fsync `fd`, close it, rename `temp_path` to `final_path`, fsync the directory.
// `fd` is closed whatever happens. Throws StorageError naming the path and the system error.
void commit_file_durably(int fd, const std::string& temp_path, const std::string& final_path);

}  // namespace veil
