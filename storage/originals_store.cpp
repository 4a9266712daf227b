// Encrypted originals: master key file, per-child keys in PostgreSQL, streaming writer/reader.
#include "storage/originals_store.h"

#include "storage/durable_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include <pqxx/pqxx>

namespace veil {
namespace {

constexpr char kMagic[8] = {'V', 'E', 'I', 'L', 'O', 'R', '0', '1'};
constexpr std::size_t kRecordPlain = 64 * 1024;
constexpr std::size_t kRecordCipher = kRecordPlain + crypto_secretstream_xchacha20poly1305_ABYTES;

void init_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw StorageError("libsodium cannot be initialised");
}

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, const void* data, std::size_t size, const std::string& what) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw StorageError("cannot write " + what + ": " + errno_text());
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Reads up to `size` bytes; returns how many (short only at end of file).
std::size_t read_full(int fd, void* data, std::size_t size, const std::string& what) {
  auto* p = static_cast<unsigned char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, p + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StorageError("cannot read " + what + ": " + errno_text());
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();
  return hex;
}

std::vector<unsigned char> from_hex(const std::string& hex) {
  std::vector<unsigned char> bin(hex.size() / 2);
  size_t len = 0;
  if (sodium_hex2bin(bin.data(), bin.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0)
    throw StorageError("malformed hex key");
  bin.resize(len);
  return bin;
}

}  // namespace

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw StorageError("cannot open directory " + dir + ": " + errno_text());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw StorageError("cannot fsync directory " + dir + ": " + errno_text());
}

std::string sha256_hex_of(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(digest, sizeof digest);
}

SecretKey load_or_create_master_key(const std::string& path) {
  init_sodium();
  namespace fs = std::filesystem;
  const fs::path p(path);
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  ::chmod(p.parent_path().c_str(), 0700);
  SecretKey key{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    randombytes_buf(key.data(), key.size());
    const std::string tmp = path + ".tmp";
    const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) throw StorageError("cannot create " + tmp + ": " + errno_text());
    write_all(out, key.data(), key.size(), tmp);
    if (::fsync(out) != 0) {
      ::close(out);
      throw StorageError("cannot fsync " + tmp + ": " + errno_text());
    }
    ::close(out);
    // link() refuses to replace a key another process created meanwhile.
    if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST)
      throw StorageError("cannot install " + path + ": " + errno_text());
    ::unlink(tmp.c_str());
    fsync_directory(p.parent_path().string());
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) throw StorageError("cannot open master key " + path + ": " + errno_text());
  struct stat st {};
  ::fstat(fd, &st);
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    throw StorageError("master key " + path + " is open to others (mode " + mode + "): chmod 600 it");
  }
  const std::size_t n = read_full(fd, key.data(), key.size(), path);
  char extra;
  const std::size_t more = read_full(fd, &extra, 1, path);
  ::close(fd);
  if (n != key.size() || more != 0) throw StorageError("master key " + path + " must hold exactly 32 bytes");
  return key;
}

SecretKey child_data_key(pqxx::connection_base& db, const SecretKey& master, std::int64_t child_id, bool create) {
  init_sodium();
  auto unwrap = [&](const std::string& hex) {
    const auto blob = from_hex(hex);
    if (blob.size() != crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 32)
      throw StorageError("child " + std::to_string(child_id) + ": malformed wrapped key");
    SecretKey key{};
    if (crypto_secretbox_open_easy(key.data(), blob.data() + crypto_secretbox_NONCEBYTES,
                                   blob.size() - crypto_secretbox_NONCEBYTES, blob.data(), master.data()) != 0)
      throw StorageError("child " + std::to_string(child_id) + ": key cannot be unwrapped (wrong master key?)");
    return key;
  };
  for (int round = 0; round < 2; ++round) {
    {
      pqxx::read_transaction tx(db);
      const auto r = tx.exec_params("SELECT wrapped_key FROM child_keys WHERE child_id = $1", child_id);
      if (!r.empty()) {
        if (r[0][0].is_null()) throw StorageError("child " + std::to_string(child_id) + ": key destroyed");
        return unwrap(r[0][0].as<std::string>());
      }
    }
    if (!create) throw StorageError("child " + std::to_string(child_id) + ": no key");
    SecretKey key{};
    randombytes_buf(key.data(), key.size());
    std::vector<unsigned char> blob(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + key.size());
    randombytes_buf(blob.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(blob.data() + crypto_secretbox_NONCEBYTES, key.data(), key.size(), blob.data(),
                          master.data());
    pqxx::work tx(db);
    // Concurrent creators (several ingest threads or daemons): the first one wins, the
    // others read its key in the next round.
    tx.exec_params("INSERT INTO child_keys (child_id, wrapped_key) VALUES ($1, $2) ON CONFLICT DO NOTHING", child_id,
                   to_hex(blob.data(), blob.size()));
    tx.commit();
  }
  throw StorageError("child " + std::to_string(child_id) + ": key cannot be created");
}

void destroy_child_key(pqxx::transaction_base& tx, std::int64_t child_id) {
  tx.exec_params(
      "INSERT INTO child_keys (child_id, wrapped_key, destroyed_at) VALUES ($1, NULL, now()) "
      "ON CONFLICT (child_id) DO UPDATE SET wrapped_key = NULL, destroyed_at = now()",
      child_id);
}

std::string original_path(const std::string& root, std::int64_t child_id, const std::string& media_id) {
  return root + "/" + std::to_string(child_id) + "/" + media_id + ".orig";
}

struct OriginalWriter::State {
  int fd = -1;
  crypto_secretstream_xchacha20poly1305_state stream;
  crypto_hash_sha256_state hash;
  std::string media_id;
  std::vector<unsigned char> plain;   // pending plaintext, < one record
  std::vector<unsigned char> cipher;  // one record
  bool hashed = false;
};

OriginalWriter::OriginalWriter(const std::string& final_path, const SecretKey& key, const std::string& media_id)
    : state_(std::make_unique<State>()), final_path_(final_path) {
  init_sodium();
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(final_path).parent_path();
  std::error_code ec;
  if (fs::create_directories(dir, ec)) fsync_directory(dir.parent_path().string());  // the new directory's entry
  if (ec) throw StorageError("cannot create " + dir.string() + ": " + ec.message());
  unsigned char nonce[8];
  randombytes_buf(nonce, sizeof nonce);
  temp_path_ = (dir / ("." + fs::path(final_path).filename().string() + "." + to_hex(nonce, sizeof nonce) + ".tmp"))
                   .string();
  state_->fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (state_->fd < 0) throw StorageError("cannot create " + temp_path_ + ": " + errno_text());
  state_->media_id = media_id;
  crypto_hash_sha256_init(&state_->hash);
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&state_->stream, header, key.data());
  write_all(state_->fd, kMagic, sizeof kMagic, temp_path_);
  write_all(state_->fd, header, sizeof header, temp_path_);
  state_->plain.reserve(kRecordPlain);
  state_->cipher.resize(kRecordCipher);
}

OriginalWriter::~OriginalWriter() {
  if (state_->fd >= 0) ::close(state_->fd);
  if (!committed_) ::unlink(temp_path_.c_str());
  sodium_memzero(&state_->stream, sizeof state_->stream);
}

void OriginalWriter::flush_record(bool final) {
  unsigned long long len = 0;
  const auto& ad = state_->media_id;
  crypto_secretstream_xchacha20poly1305_push(
      &state_->stream, state_->cipher.data(), &len, state_->plain.data(), state_->plain.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
      final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  write_all(state_->fd, state_->cipher.data(), static_cast<std::size_t>(len), temp_path_);
  state_->plain.clear();
}

void OriginalWriter::append(const void* data, std::size_t size) {
  if (committed_) throw StorageError("append after commit");
  const auto* p = static_cast<const unsigned char*>(data);
  crypto_hash_sha256_update(&state_->hash, p, size);
  bytes_ += size;
  while (size > 0) {
    const std::size_t take = std::min(size, kRecordPlain - state_->plain.size());
    state_->plain.insert(state_->plain.end(), p, p + take);
    p += take;
    size -= take;
    if (state_->plain.size() == kRecordPlain) flush_record(false);
  }
}

std::string OriginalWriter::sha256_hex() {
  if (state_->hashed) throw StorageError("sha256_hex called twice");
  state_->hashed = true;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_->hash, digest);
  return to_hex(digest, sizeof digest);
}

void OriginalWriter::commit() {
  flush_record(true);
  const int fd = state_->fd;
  state_->fd = -1;  // commit_file_durably closes it
  commit_file_durably(fd, temp_path_, final_path_);
  committed_ = true;
}

std::string read_original(const std::string& path, const SecretKey& key, const std::string& media_id) {
  init_sodium();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StorageError("cannot open original " + path + ": " + errno_text());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  char magic[sizeof kMagic];
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  if (read_full(fd, magic, sizeof magic, path) != sizeof magic || std::memcmp(magic, kMagic, sizeof magic) != 0)
    throw StorageError(path + ": not a Veil original");
  if (read_full(fd, header, sizeof header, path) != sizeof header) throw StorageError(path + ": truncated header");
  crypto_secretstream_xchacha20poly1305_state st;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&st, header, key.data()) != 0)
    throw StorageError(path + ": bad header");
  std::string out;
  std::vector<unsigned char> cipher(kRecordCipher), plain(kRecordPlain);
  for (;;) {
    const std::size_t n = read_full(fd, cipher.data(), cipher.size(), path);
    unsigned long long len = 0;
    unsigned char tag = 0;
    if (n < crypto_secretstream_xchacha20poly1305_ABYTES ||
        crypto_secretstream_xchacha20poly1305_pull(&st, plain.data(), &len, &tag, cipher.data(), n,
                                                   reinterpret_cast<const unsigned char*>(media_id.data()),
                                                   media_id.size()) != 0)
      throw StorageError(path + ": cannot be decrypted (altered, truncated, or its key destroyed)");
    out.append(reinterpret_cast<const char*>(plain.data()), static_cast<std::size_t>(len));
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
      char extra;
      if (read_full(fd, &extra, 1, path) != 0) throw StorageError(path + ": data after the final record");
      return out;
    }
    if (n < cipher.size()) throw StorageError(path + ": truncated");
  }
}

int sweep_temporary_files(const std::string& root, int max_age_s) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(root, ec)) return 0;
  int removed = 0;
  const auto now = fs::file_time_type::clock::now();
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (!it->is_regular_file(ec) || name.empty() || name[0] != '.' || it->path().extension() != ".tmp") continue;
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - it->last_write_time(ec)).count();
    if (age >= max_age_s && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace veil
