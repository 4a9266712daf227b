// Media rows written by ingest.
#include "storage/media_repository.h"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "storage/audit_log.h"
#include "storage/job_queue.h"
#include "storage/sql_arrays.h"

namespace veil {
namespace {

// A PostgreSQL array literal of the values, e.g. {1.000000,2.500000}.
template <std::size_t N>
std::string real_array(const std::array<float, N>& values) {
  std::string s = "{";
  bool first = true;
  for (float v : values) {
    s += (first ? "" : ",") + std::to_string(v);
    first = false;
  }
  return s + "}";
}

}  // namespace

std::string media_id_for_submission(const SecretKey& master, std::int64_t uploader_id,
                                    const std::string& client_submission_id) {
  if (sodium_init() < 0) throw StorageError("libsodium cannot be initialised");
  const std::string input = "veil-media-id\n" + std::to_string(uploader_id) + "\n" + client_submission_id;
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(input.data()), input.size(), master.data(),
                     master.size());
  h[6] = static_cast<unsigned char>((h[6] & 0x0f) | 0x40);
  h[8] = static_cast<unsigned char>((h[8] & 0x3f) | 0x80);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += digits[h[i] >> 4];
    out += digits[h[i] & 15];
  }
  return out;
}

std::optional<std::string> find_submission(pqxx::transaction_base& tx, std::int64_t uploader_id,
                                           const std::string& client_submission_id) {
  const auto r = tx.exec_params("SELECT id::text FROM media WHERE uploader_id = $1 AND client_submission_id = $2",
                                uploader_id, client_submission_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<std::string> child_status(pqxx::transaction_base& tx, std::int64_t child_id) {
  const auto r = tx.exec_params("SELECT status FROM children WHERE id = $1", child_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<std::string> person_kind(pqxx::transaction_base& tx, std::int64_t person_id) {
  const auto r = tx.exec_params("SELECT kind FROM people WHERE id = $1", person_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

InsertedMedia insert_received_media(pqxx::transaction_base& tx, const NewMedia& m) {
  const auto r = tx.exec_params(
      "INSERT INTO media (id, client_submission_id, journal_child_id, observation_ref, uploader_id, uploader_role, "
      "  kind, original_name, original_sha256, bytes, device_id) "
      "VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, NULLIF($8, ''), $9, $10, NULLIF($11, 0)) "
      "ON CONFLICT (uploader_id, client_submission_id) WHERE client_submission_id IS NOT NULL DO NOTHING "
      "RETURNING id::text",
      m.media_id, m.client_submission_id, m.journal_child_id, m.observation_ref, m.uploader_id, m.uploader_role,
      m.kind, m.original_name, m.original_sha256, m.bytes, m.device_id);
  if (r.empty()) {
    const auto existing = find_submission(tx, m.uploader_id, m.client_submission_id);
    if (!existing) throw StorageError("submission conflict without an existing row");
    return {*existing, false};
  }
  const std::int64_t job = JobQueue::enqueue(tx, m.media_id, "process");
  append_audit(tx, AuditEntry{m.device_id ? "device:" + std::to_string(m.device_id) : "veild", "media.received",
                              m.media_id, m.journal_child_id,
                              nlohmann::json{{"uploader_id", m.uploader_id},
                                             {"uploader_role", m.uploader_role},
                                             {"kind", m.kind},
                                             {"bytes", m.bytes},
                                             {"sha256", m.original_sha256},
                                             {"client_submission_id", m.client_submission_id},
                                             {"job_id", job}}
                                  .dump()});
  return {m.media_id, true};
}

std::optional<MediaStatus> media_status(pqxx::transaction_base& tx, const std::string& media_id) {
  const auto r = tx.exec_params(
      "SELECT id::text, state, coalesce(reason, ''), coalesce(journal_child_id, 0) FROM media WHERE id::text = $1",
      media_id);
  if (r.empty()) return std::nullopt;
  return MediaStatus{r[0][0].as<std::string>(), r[0][1].as<std::string>(), r[0][2].as<std::string>(),
                     r[0][3].as<std::int64_t>()};
}

std::string insert_processing_media(pqxx::transaction_base& tx, std::int64_t journal_child_id,
                                    const std::string& uploader_role, const std::string& kind,
                                    const std::string& original_sha256, std::int64_t bytes) {
  return tx
      .exec_params1(
          "INSERT INTO media (id, journal_child_id, uploader_role, kind, original_sha256, bytes, state) "
          "VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'processing') RETURNING id::text",
          journal_child_id, uploader_role, kind, original_sha256, bytes)[0]
      .as<std::string>();
}

int journal_media_count(pqxx::transaction_base& tx, std::int64_t child_id) {
  return tx.exec_params1("SELECT count(*) FROM media WHERE journal_child_id = $1", child_id)[0].as<int>();
}

std::optional<MediaOriginal> media_original(pqxx::transaction_base& tx, const std::string& media_id) {
  const auto r = tx.exec_params("SELECT coalesce(journal_child_id, 0), original_sha256 FROM media WHERE id = $1",
                                media_id);
  if (r.empty()) return std::nullopt;
  return MediaOriginal{r[0][0].as<std::int64_t>(), r[0][1].as<std::string>()};
}

std::optional<MediaToProcess> media_to_process(pqxx::transaction_base& tx, const std::string& media_id) {
  const auto r = tx.exec_params(
      "SELECT coalesce(journal_child_id, 0), uploader_role, kind, coalesce(reason, ''), coalesce(enrolment_version, 0), "
      "state, coalesce(detection, '') FROM media WHERE id = $1",
      media_id);
  if (r.empty()) return std::nullopt;
  return MediaToProcess{r[0][0].as<std::int64_t>(), r[0][1].as<std::string>(), r[0][2].as<std::string>(),
                        r[0][3].as<std::string>(), r[0][4].as<std::int64_t>(), r[0][5].as<std::string>(),
                        r[0][6].as<std::string>()};
}

int next_rendition_version(pqxx::transaction_base& tx, const std::string& media_id) {
  return tx.exec_params1("SELECT coalesce(max(version), 0) + 1 FROM renditions WHERE media_id = $1", media_id)[0]
      .as<int>();
}

std::map<std::string, int> current_rendition_versions(pqxx::transaction_base& tx) {
  std::map<std::string, int> out;
  for (const auto& row : tx.exec("SELECT media_id::text, min(version) FROM renditions GROUP BY media_id"))
    out.emplace(row[0].as<std::string>(), row[1].as<int>());
  return out;
}

void delete_media_results(pqxx::transaction_base& tx, const std::string& media_id) {
  tx.exec_params0("DELETE FROM renditions WHERE media_id = $1", media_id);
  delete_media_faces(tx, media_id);
}

void delete_media_faces(pqxx::transaction_base& tx, const std::string& media_id) {
  tx.exec_params0("DELETE FROM faces WHERE media_id = $1", media_id);
}

void insert_rendition(pqxx::transaction_base& tx, const std::string& media_id, const NewRendition& r) {
  tx.exec_params0(
      "INSERT INTO renditions (media_id, version, kind, path, mime, width, height, bytes, sha256) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      media_id, r.version, r.kind, r.path, r.mime, r.width, r.height, r.bytes, r.sha256);
}

void insert_face(pqxx::transaction_base& tx, const std::string& media_id, const NewFace& f) {
  tx.exec_params0(
      "INSERT INTO faces (media_id, frame_or_track, bbox, landmarks, det_score, matched_child_id, similarity, "
      "decision, decision_reason, consent_event_id, decided_by, decided_at, manual, embedding, embedder) "
      "VALUES ($1, $10, $2::real[], "
      "CASE WHEN $11 THEN $3::real[] END, $4, NULLIF($5, 0), $6, $7, $8, NULLIF($9, 0), NULLIF($12, 0), "
      "CASE WHEN $12 <> 0 THEN " +
          timestamptz_param(13) + " END, $14, CASE WHEN $15 <> '{}' THEN $15::real[] END, NULLIF($16, ''))",
      media_id, real_array(f.bbox), real_array(f.landmarks), f.det_score, f.matched_child_id, f.similarity,
      f.decision, f.decision_reason, f.consent_event_id, f.frame_or_track, f.has_landmarks, f.decided_by,
      f.decided_at ? unix_micros(*f.decided_at) : 0, f.manual, real_array_literal(f.embedding),
      f.embedder);
}

void set_media_state(pqxx::transaction_base& tx, const std::string& media_id, const std::string& state,
                     const std::string& reason, std::int64_t enrolment_version) {
  tx.exec_params0("UPDATE media SET state = $2, reason = NULLIF($3, ''), enrolment_version = $4, updated_at = now() "
                  "WHERE id = $1",
                  media_id, state, reason, enrolment_version);
}

bool lock_media_row(pqxx::transaction_base& tx, const std::string& media_id) {
  return !tx.exec_params("SELECT 1 FROM media WHERE id = $1 FOR UPDATE", media_id).empty();
}

void move_media(pqxx::transaction_base& tx, const std::string& media_id, const std::string& state) {
  tx.exec_params0("UPDATE media SET state = $2, updated_at = now() WHERE id = $1", media_id, state);
}

void set_media_detection(pqxx::transaction_base& tx, const std::string& media_id, const std::string& detection) {
  tx.exec_params0("UPDATE media SET detection = NULLIF($2, '') WHERE id = $1", media_id, detection);
}

void set_media_size(pqxx::transaction_base& tx, const std::string& media_id, int width, int height) {
  tx.exec_params0("UPDATE media SET width = NULLIF($2, 0), height = NULLIF($3, 0) WHERE id = $1", media_id, width,
                  height);
}

std::vector<std::string> delete_renditions(pqxx::transaction_base& tx, const std::string& media_id) {
  std::vector<std::string> paths;
  for (const auto& r : tx.exec_params("DELETE FROM renditions WHERE media_id = $1 RETURNING path", media_id))
    paths.push_back(r[0].as<std::string>());
  return paths;
}

std::vector<RenditionRow> list_renditions(pqxx::transaction_base& tx, const std::string& media_id) {
  std::vector<RenditionRow> out;
  for (const auto& r : tx.exec_params("SELECT kind, path, width, height, mime FROM renditions WHERE media_id = $1 "
                                      "ORDER BY id",
                                      media_id))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int>(), r[3].as<int>(),
                   r[4].as<std::string>()});
  return out;
}

MediaOutcome media_outcome(pqxx::transaction_base& tx, const std::string& media_id) {
  const auto r = tx.exec_params1(
      "SELECT (SELECT count(*) FROM faces WHERE media_id = $1), "
      "(SELECT count(*) FROM faces WHERE media_id = $1 AND decision = 'blur'), "
      "coalesce(reason, ''), coalesce(journal_child_id, 0) FROM media WHERE id = $1",
      media_id);
  return MediaOutcome{r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::string>(),
                      r[3].as<std::int64_t>()};
}

}  // namespace veil
