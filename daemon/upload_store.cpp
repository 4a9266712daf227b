// Admitting a submission, storing its original and rows, answering STATUS.
#include "daemon/upload_store.h"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "daemon/device_auth.h"
#include "daemon/metrics.h"

namespace veil {

struct UploadStore::Connection {
  explicit Connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

UploadStore::UploadStore(const std::string& database_url, std::string originals_root, SecretKey master_key,
                         Metrics* metrics)
    : db_url_(with_connect_timeout(database_url, 3)), originals_root_(std::move(originals_root)),
      master_key_(master_key), metrics_(metrics) {}

UploadStore::~UploadStore() = default;

pqxx::connection_base& UploadStore::db() {
  if (!conn_ || !conn_->conn.is_open()) {
    conn_.reset();
    conn_ = std::make_unique<Connection>(db_url_);
  }
  return conn_->conn;
}

Nack UploadStore::database_nack(const std::exception& e) {
  conn_.reset();
  return {"database_unavailable", std::string("database unavailable: ") + e.what(), true};
}

std::variant<Admission, Nack> UploadStore::admit(Submission& s) {
  auto& m = s.media;
  try {
    auto& c = db();
    Admission a;
    {
      pqxx::read_transaction tx(c);
      if (auto existing = find_submission(tx, m.uploader_id, m.client_submission_id)) {
        a.duplicate_of = *existing;
        return a;
      }
      const auto status = child_status(tx, m.journal_child_id);
      if (!status) return Nack{"unknown_child", "no child with id " + std::to_string(m.journal_child_id)};
      if (*status != "active")
        return Nack{"child_not_active", "child " + std::to_string(m.journal_child_id) + " is " + *status};
      const auto kind = person_kind(tx, m.uploader_id);
      if (!kind) return Nack{"unknown_uploader", "no person with id " + std::to_string(m.uploader_id)};
      if (*kind != "staff" && *kind != "parent")
        return Nack{"unknown_uploader", "person " + std::to_string(m.uploader_id) + " is not staff or a parent"};
      if (m.uploader_role.empty()) m.uploader_role = *kind;
      if (m.uploader_role != *kind)
        return Nack{"role_mismatch", "person " + std::to_string(m.uploader_id) + " is " + *kind + ", not " +
                                         m.uploader_role};
    }
    a.key = child_data_key(c, master_key_, m.journal_child_id, true);
    m.media_id = media_id_for_submission(master_key_, m.uploader_id, m.client_submission_id);
    return a;
  } catch (const StorageError& e) {
    return Nack{"storage_unavailable", e.what(), false};
  } catch (const pqxx::failure& e) {
    return database_nack(e);
  }
}

std::unique_ptr<OriginalWriter> UploadStore::open_original(const Submission& s, const SecretKey& key) const {
  return std::make_unique<OriginalWriter>(original_path(originals_root_, s.media.journal_child_id, s.media.media_id),
                                          key, s.media.media_id);
}

std::variant<InsertedMedia, Nack> UploadStore::store(Submission& s, OriginalWriter& writer) {
  auto& m = s.media;
  const std::string sha = writer.sha256_hex();
  if (s.declared_size >= 0 && static_cast<std::int64_t>(writer.bytes()) != s.declared_size)
    return Nack{"size_mismatch",
                "received " + std::to_string(writer.bytes()) + " bytes, declared " + std::to_string(s.declared_size),
                true};
  if (!s.declared_sha256.empty() && sha != s.declared_sha256)
    return Nack{"checksum_mismatch", "sha256 of the received bytes is " + sha + ", declared " + s.declared_sha256,
                true};
  m.original_sha256 = sha;
  m.bytes = static_cast<std::int64_t>(writer.bytes());
  try {
    writer.commit();
  } catch (const StorageError& e) {
    return Nack{"storage_unavailable", std::string("original not stored: ") + e.what(), true};
  }
  InsertedMedia inserted;
  try {
    pqxx::work tx(db());
    inserted = insert_received_media(tx, m);
    tx.commit();
  } catch (const pqxx::failure& e) {
    // The file stays: a re-send of this submission writes the same path (same media id).
    return database_nack(e);
  } catch (const std::exception& e) {
    return Nack{"internal_error", e.what(), true};
  }
  if (metrics_) metrics_->add_ingest_bytes(m.bytes);
  spdlog::info("ingest: {} {} ({} bytes, child {}, uploader {} {}) -> media {}",
               inserted.inserted ? "stored" : "duplicate of", m.client_submission_id, m.bytes, m.journal_child_id,
               m.uploader_role, m.uploader_id, inserted.media_id);
  return inserted;
}

std::variant<MediaStatus, Nack> UploadStore::status(const std::string& media_id) {
  try {
    pqxx::read_transaction tx(db());
    auto st = media_status(tx, media_id);
    if (!st) return Nack{"unknown_media", "no media " + media_id};
    return std::move(*st);
  } catch (const pqxx::failure& e) {
    return database_nack(e);
  }
}

}  // namespace veil
