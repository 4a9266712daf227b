// The originals store: uploaded files, encrypted at rest, one data key per child.
//
// Layout: <root>/<child_id>/<media_id>.orig. Each file is
//   "VEILOR01" | secretstream header (24 bytes) | records
// where every record is crypto_secretstream_xchacha20poly1305 of up to 64 KiB of plaintext,
// with the media id as additional data, and the last record carries TAG_FINAL (so a
// truncated or swapped file is refused). The child's 32-byte data key lives in the
// child_keys table, wrapped with crypto_secretbox by the master key (<data_dir>/keys/master.key,
// 0600). Destroying a child's key (destroy_child_key) makes all that child's originals
// unreadable, including copies in backups of the store.
//
// Writes are durable before they are visible: data goes to a temporary file in the final
// directory, which is fsync'ed, renamed into place, and the directory fsync'ed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <pqxx/types.hxx>

namespace veil {

using SecretKey = std::array<unsigned char, 32>;

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads the 32-byte master key at `path`, creating it (0600, parent directory 0700) when
// missing. Throws StorageError when it exists with the wrong size or permissions wider than 0600.
SecretKey load_or_create_master_key(const std::string& path);

// The child's data key: unwrapped from child_keys, or created (committed in its own
// transaction, before any file is encrypted with it) when `create` and none exists.
// Throws StorageError when the key was destroyed or (create == false) never existed.
SecretKey child_data_key(pqxx::connection_base& db, const SecretKey& master, std::int64_t child_id, bool create);

// Forgets the child's key inside `tx`: every original of that child becomes unreadable.
void destroy_child_key(pqxx::transaction_base& tx, std::int64_t child_id);

// <root>/<child_id>/<media_id>.orig
std::string original_path(const std::string& root, std::int64_t child_id, const std::string& media_id);

// Streams plaintext into an encrypted temporary file next to the final path; commit()
// makes it durable and visible. Memory use is one 64 KiB record whatever the file size.
class OriginalWriter {
 public:
  OriginalWriter(const std::string& final_path, const SecretKey& key, const std::string& media_id);
  ~OriginalWriter();  // removes the temporary file unless committed
  OriginalWriter(const OriginalWriter&) = delete;
  OriginalWriter& operator=(const OriginalWriter&) = delete;

  void append(const void* data, std::size_t size);
  std::uint64_t bytes() const { return bytes_; }
  // Lower-case hex sha256 of the plaintext appended so far (call once, before commit).
  std::string sha256_hex();
  // Final record, fsync, rename, fsync of the directory. Throws StorageError on any failure.
  void commit();

 private:
  void flush_record(bool final);
  struct State;
  std::unique_ptr<State> state_;
  std::string final_path_, temp_path_;
  std::uint64_t bytes_ = 0;
  bool committed_ = false;
};

// Decrypts a whole original. Throws StorageError when the file is missing, truncated,
// altered or encrypted with another key.
std::string read_original(const std::string& path, const SecretKey& key, const std::string& media_id);

// Removes leftover temporary files older than `max_age_s` under `root` (uploads a crashed
// daemon never finished). Returns how many were removed.
int sweep_temporary_files(const std::string& root, int max_age_s);

// fsyncs a directory (after a rename into it).
void fsync_directory(const std::string& dir);

// Lower-case hex sha256 of a byte string.
std::string sha256_hex_of(const std::string& bytes);

}  // namespace veil
