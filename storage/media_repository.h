// Media rows as ingest writes them: a received upload becomes one media row and one
// `process` job, committed together (with an audit entry) after the original is durable.
// Also the rest of a media item's rows: the one `veil process --journal` inserts, what a
// worker reads before processing, and the result record() writes (faces, renditions, state).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "models/face.h"
#include "storage/originals_store.h"
#include "storage/timestamps.h"

namespace veil {

struct NewMedia {
  std::string media_id;
  std::string client_submission_id;
  std::int64_t journal_child_id = 0;
  std::string observation_ref;
  std::int64_t uploader_id = 0;
  std::string uploader_role;  // staff | parent
  std::string kind;           // photo | video
  std::string original_name;
  std::string original_sha256;
  std::int64_t bytes = 0;
  std::int64_t device_id = 0;  // 0: none (CURVE off)
};

struct InsertedMedia {
  std::string media_id;
  bool inserted = false;  // false: the submission existed already (its media id is returned)
};

// The media id for a submission: a UUID (version 4 layout) derived from the uploader and the
// client submission id with a keyed hash (BLAKE2b keyed by the master key), so that a
// re-sent submission writes to the same path and ids stay unguessable.
std::string media_id_for_submission(const SecretKey& master, std::int64_t uploader_id,
                                    const std::string& client_submission_id);

// The media id of an earlier submission with the same (uploader, client submission id), if any.
std::optional<std::string> find_submission(pqxx::transaction_base& tx, std::int64_t uploader_id,
                                           const std::string& client_submission_id);

// children.status of the child, or nullopt when there is no such child.
std::optional<std::string> child_status(pqxx::transaction_base& tx, std::int64_t child_id);
// people.kind of the person, or nullopt.
std::optional<std::string> person_kind(pqxx::transaction_base& tx, std::int64_t person_id);

// Inserts the media row (state received), its process job and a media.received audit entry.
// When the submission exists already (a concurrent re-send through another daemon), inserts
// nothing and returns the existing media id.
InsertedMedia insert_received_media(pqxx::transaction_base& tx, const NewMedia& media);

struct MediaStatus {
  std::string media_id;
  std::string state;
  std::string reason;
  std::int64_t journal_child_id = 0;
};
std::optional<MediaStatus> media_status(pqxx::transaction_base& tx, const std::string& media_id);

// Inserts a media row for `veil process --journal`: a random id, no submission, no job, state
// processing. Returns the new id.
std::string insert_processing_media(pqxx::transaction_base& tx, std::int64_t journal_child_id,
                                    const std::string& uploader_role, const std::string& kind,
                                    const std::string& original_sha256, std::int64_t bytes);

// The number of media rows whose journal child is `child_id`.
int journal_media_count(pqxx::transaction_base& tx, std::int64_t child_id);

struct MediaOriginal {
  std::int64_t journal_child_id = 0;  // 0: none
  std::string original_sha256;
};
// What a worker needs to find and check the stored original of the media, or nullopt when
// there is no such media row.
std::optional<MediaOriginal> media_original(pqxx::transaction_base& tx, const std::string& media_id);

struct MediaToProcess {
  std::int64_t journal_child_id = 0;  // 0: none
  std::string uploader_role;          // staff | parent
  std::string kind;                   // photo | video
  std::string reason;                 // media.reason, "" when none
  std::int64_t enrolment_version = 0; // of the recorded result; 0: none yet
  std::string state;                  // media.state
  std::string detection;              // the detection settings of its recorded faces; "": none recorded
};
// What the consent policy and the pipeline need to know of the media, or nullopt when there
// is no such media row.
std::optional<MediaToProcess> media_to_process(pqxx::transaction_base& tx, const std::string& media_id);

// Results of processing. record() replaces them: next_rendition_version(), then
// delete_media_results(), then insert_rendition()/insert_face() and set_media_state().

// One more than the highest rendition version of the media (1 when it has none).
int next_rendition_version(pqxx::transaction_base& tx, const std::string& media_id);
// For every item with renditions, the lowest version its rendition rows name: any version
// directory below it is superseded (versions only grow), whatever is being written meanwhile.
std::map<std::string, int> current_rendition_versions(pqxx::transaction_base& tx);

// Deletes the media's renditions and faces rows (an earlier result about to be replaced).
void delete_media_results(pqxx::transaction_base& tx, const std::string& media_id);
// Deletes the media's faces rows only (faces judged again, renditions kept).
void delete_media_faces(pqxx::transaction_base& tx, const std::string& media_id);

struct NewRendition {
  int version = 0;
  std::string kind;  // display, thumb, thumb_square; for a video: video, poster, poster_thumb...
  std::string path;  // the file, written before the transaction commits
  std::string mime;
  int width = 0, height = 0;
  std::int64_t bytes = 0;
  std::string sha256;
};
// Inserts one renditions row of the media.
void insert_rendition(pqxx::transaction_base& tx, const std::string& media_id, const NewRendition& rendition);

struct NewFace {
  int frame_or_track = 0;                 // 0 for a photo face, the track id for a video
  std::array<float, 4> bbox{};            // x, y, w, h
  std::array<float, 10> landmarks{};      // x, y of the five landmarks
  float det_score = 0;
  std::int64_t matched_child_id = 0;      // 0: none (stored as NULL)
  float similarity = 0;
  std::string decision;                   // keep | blur
  std::string decision_reason;
  std::int64_t consent_event_id = 0;      // 0: none (stored as NULL)
  bool has_landmarks = true;              // false: landmarks stored as NULL (a box added by hand)
  std::int64_t decided_by = 0;            // accounts.id of the person who decided it; 0: the policy
  std::optional<TimePoint> decided_at;    // set exactly when decided_by is
  bool manual = false;                    // a box added by hand
  Embedding embedding;                    // the face index; empty: not embeddable (stored as NULL)
  std::string embedder;                   // the embedder the face was judged with; "": none (a box drawn by hand)
};
// Inserts one faces row of the media.
void insert_face(pqxx::transaction_base& tx, const std::string& media_id, const NewFace& face);

// Sets the media's state, reason (NULL when empty), enrolment version and updated_at.
void set_media_state(pqxx::transaction_base& tx, const std::string& media_id, const std::string& state,
                     const std::string& reason, std::int64_t enrolment_version);

// Locks the media row until the transaction ends (decisions on one item one after another);
// false when there is no such row.
bool lock_media_row(pqxx::transaction_base& tx, const std::string& media_id);

// Sets the media's state and updated_at, keeping its reason.
void move_media(pqxx::transaction_base& tx, const std::string& media_id, const std::string& state);

// Records the detection settings that found the media's faces (docs/architecture.md, the
// face index).
void set_media_detection(pqxx::transaction_base& tx, const std::string& media_id, const std::string& detection);

// Records the size of the photo (or video) as uploaded.
void set_media_size(pqxx::transaction_base& tx, const std::string& media_id, int width, int height);

// Deletes the media's renditions rows; returns their files' paths (the caller deletes the
// files once the transaction has committed).
std::vector<std::string> delete_renditions(pqxx::transaction_base& tx, const std::string& media_id);

struct RenditionRow {
  std::string kind;
  std::string path;
  int width = 0, height = 0;
  std::string mime;
};
// The media's renditions, in the order they were inserted.
std::vector<RenditionRow> list_renditions(pqxx::transaction_base& tx, const std::string& media_id);

struct MediaOutcome {
  std::int64_t faces = 0;    // faces rows of the media
  std::int64_t blurred = 0;  // of which decided blur
  std::string reason;        // "" when none
  std::int64_t journal_child_id = 0;
};
// The recorded result of the media, as reported in logs, metrics and events. Throws when
// there is no such media row.
MediaOutcome media_outcome(pqxx::transaction_base& tx, const std::string& media_id);

}  // namespace veil
