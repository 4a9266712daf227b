// The rows of the leaver flow (docs/operations.md, "When a child leaves"): the leavers table,
// what an export reads of a child's journal, the items an import inserts, and the deletion of
// every row of a purged child. Every function runs inside the caller's transaction and
// commits nothing; callers take the leaver row's lock (find_leaver(..., lock = true)) before
// the audit log's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

namespace veil {

struct LeaverRow {
  std::int64_t child_id = 0;
  std::string left_on;    // YYYY-MM-DD
  std::string purge_due;  // YYYY-MM-DD: purged on or after this day
  std::string export_path;  // "" until the export job has run
  std::int64_t export_bytes = 0;
  std::string export_sha256;
  std::string exported_at;  // ISO 8601, "" until exported
};

// Starts the flow: left on `left_on` (YYYY-MM-DD; "" is today), due `grace_days` later.
// Throws std::invalid_argument for a malformed date.
LeaverRow insert_leaver(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& left_on,
                        int grace_days);
// The child's leaver row; with `lock`, locked until the transaction ends.
std::optional<LeaverRow> find_leaver(pqxx::transaction_base& tx, std::int64_t child_id, bool lock = false);
// Whether the leaver's purge is due: purge_due on or before the database's today.
bool purge_is_due(pqxx::transaction_base& tx, const LeaverRow& leaver);
// Children whose purge is due (purge_due on or before today), oldest due first.
std::vector<std::int64_t> due_leavers(pqxx::transaction_base& tx);
void record_leaver_export(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& path,
                          std::int64_t bytes, const std::string& sha256);
void delete_leaver(pqxx::transaction_base& tx, std::int64_t child_id);

// Deletes the child's queued export and purge jobs (a running one finds no leaver row when it
// records, and records nothing); returns how many.
int cancel_child_jobs(pqxx::transaction_base& tx, std::int64_t child_id);

// Whether the child has an export or purge job of `kind` queued or running.
bool child_job_open(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& kind);

struct JournalRendition {
  std::string kind;  // display, thumb, thumb_square; video, poster, poster_thumb...
  std::string path;
  std::string mime;
  int width = 0, height = 0;
  std::int64_t bytes = 0;
  std::string sha256;
};
struct JournalItem {
  std::string media_id;
  std::string kind;        // photo | video
  std::string created_at;  // ISO 8601 UTC
  std::string observation_ref;
  std::vector<JournalRendition> renditions;
};
// The published items of the child's own journal with their current renditions (what the
// journal_renditions view shows), oldest first.
std::vector<JournalItem> published_journal(pqxx::transaction_base& tx, std::int64_t child_id);

// Inserts an item imported from another setting into `child_id`'s journal: published, with
// `created_at` (ISO 8601) kept, no original (original_sha256 and bytes are those of its main
// rendition), no job. Returns the new media id.
std::string insert_imported_media(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& kind,
                                  const std::string& observation_ref, const std::string& created_at,
                                  const std::string& main_sha256, std::int64_t main_bytes);

// Unlinks the child from faces in other children's journals: matched_child_id, the consent
// event they cite and their face index entry (embedding, embedder) become NULL, so that no
// row links the child to a face; rendered again, such a face is detected and embedded again
// as an unknown face. Returns how many.
int unlink_child_faces(pqxx::transaction_base& tx, std::int64_t child_id);

struct DeletedChildRows {
  std::vector<std::string> media_ids;        // the child's own journal, every state
  std::vector<std::string> rendition_paths;  // their renditions' files (deleted by the caller after commit)
  int faces = 0, templates = 0, consent_events = 0, jobs = 0;
};
// Deletes every row of the child: their journal's media with its faces, renditions,
// moderation rows and jobs; their templates, consent events (the one deletion migration 041
// allows), data key, leaver row and export/purge jobs (but `keep_job`, left with child_id NULL:
// the running purge job completes after this), and the children row itself. Faces in other
// journals must be unlinked first (unlink_child_faces()).
DeletedChildRows delete_child_rows(pqxx::transaction_base& tx, std::int64_t child_id, std::int64_t keep_job);

}  // namespace veil
