// What ingest keeps of an upload, and when it answers ACK: the original written encrypted
// and durable to the originals store (storage/originals_store.h), then its media row, its
// `process` job and a media.received audit entry committed in one transaction
// (storage/media_repository.h). A submission is idempotent: its media id is derived from
// (uploader, client submission id), so a re-send finds the earlier row (a duplicate) or, when
// the earlier attempt stopped between the file and the rows, rewrites the same file.
//
// Also answers STATUS from the media rows. Every refusal is a Nack; database errors are
// retryable ones, after which the connection is dropped and made again on the next call.
//
// Not thread-safe: one PostgreSQL connection, used by the ingest thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <pqxx/types.hxx>

#include "daemon/ingest_request.h"
#include "storage/media_repository.h"
#include "storage/originals_store.h"

namespace veil {

class Metrics;

// A submission the database accepts.
struct Admission {
  std::optional<std::string> duplicate_of;  // set: stored already as this media id (store nothing)
  SecretKey key{};                          // else: the child's data key to encrypt with
};

class UploadStore {
 public:
  // `metrics` (may be null, not owned) counts the bytes stored.
  UploadStore(const std::string& database_url, std::string originals_root, SecretKey master_key, Metrics* metrics);
  ~UploadStore();
  UploadStore(const UploadStore&) = delete;
  UploadStore& operator=(const UploadStore&) = delete;

  // Checks `s` against the database: an earlier identical submission (then a duplicate),
  // the child (exists, active), the uploader (staff or a parent, the role when given). Fills
  // in the uploader's role when not given and the media id. Returns the admission or the
  // refusal (unknown_child, child_not_active, unknown_uploader, role_mismatch,
  // storage_unavailable, database_unavailable).
  std::variant<Admission, Nack> admit(Submission& s);

  // A writer for the original of admitted `s`, encrypted with `key`. Throws StorageError
  // when its temporary file cannot be made.
  std::unique_ptr<OriginalWriter> open_original(const Submission& s, const SecretKey& key) const;

  // Stores the original `writer` holds as `s` (admitted, opened with open_original()): checks
  // its size and sha256 against those `s` declares, makes it durable, commits the rows.
  // Returns the media as inserted (inserted false: a concurrent re-send stored it first) or
  // the refusal (size_mismatch, checksum_mismatch, storage_unavailable,
  // database_unavailable, internal_error). Logs what it stored and counts its bytes. After a
  // database refusal the file stays: a re-send writes the same path.
  std::variant<InsertedMedia, Nack> store(Submission& s, OriginalWriter& writer);

  // The state of `media_id`, or the refusal (unknown_media, database_unavailable).
  std::variant<MediaStatus, Nack> status(const std::string& media_id);

 private:
  struct Connection;
  pqxx::connection_base& db();  // connects when there is no open connection
  Nack database_nack(const std::exception& e);

  std::string db_url_;
  std::string originals_root_;
  SecretKey master_key_;
  Metrics* metrics_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace veil
