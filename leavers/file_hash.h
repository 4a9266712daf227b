// Streaming sha256 for files and ZIP entries too large to hold whole: what the export format
// records for every file and what an import checks.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace veil {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void update(const void* data, std::size_t size);
  // Lower-case hex of everything updated so far; call once.
  std::string hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Lower-case hex sha256 of the file at `path`, read in 1 MiB blocks; `bytes` (when not null)
// gets its size. Throws std::runtime_error naming the path when it cannot be read.
std::string sha256_of_file(const std::string& path, std::int64_t* bytes = nullptr);

}  // namespace veil
