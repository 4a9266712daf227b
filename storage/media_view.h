// Reading a media item as the people who review it see it: the media row with its journal
// child and uploader, its face rows with who decided them, its current renditions, and lists
// of items. Read-only: every function runs parameterised SELECTs inside the caller's
// transaction.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "storage/timestamps.h"

namespace veil {

struct MediaView {
  std::string id;
  std::string kind;    // photo | video
  std::string state;   // media.state
  std::string reason;  // media.reason, "" when none
  std::int64_t journal_child_id = 0;  // 0: none
  std::string journal_child_name;
  std::int64_t journal_key_person = 0;  // the journal child's key_person (people.id), 0: none
  std::int64_t uploader_id = 0;         // people.id, 0: none
  std::string uploader_name;
  std::string uploader_role;            // staff | parent
  TimePoint received_at;                // media.created_at
  TimePoint updated_at;
  int width = 0, height = 0;            // 0: not recorded
};

// The media row, or nullopt when there is none. `media_id` must be a UUID (check with
// is_uuid() first: PostgreSQL refuses other text).
std::optional<MediaView> find_media_view(pqxx::transaction_base& tx, const std::string& media_id);

// Whether `text` is a UUID as media ids are written (8-4-4-4-12 hex digits).
bool is_uuid(const std::string& text);

struct FaceView {
  std::int64_t id = 0;                  // faces.id
  int n = 0;                            // 1-based, in faces.id order
  int frame_or_track = 0;
  std::array<float, 4> bbox{};
  std::array<float, 10> landmarks{};    // zeros when none (a box added by hand)
  bool has_landmarks = false;
  float det_score = 0;
  std::int64_t matched_child_id = 0;    // 0: none
  std::string matched_child_name;
  float similarity = 0;
  std::string decision;                 // keep | blur
  std::string reason;
  std::int64_t consent_event_id = 0;    // 0: none
  std::int64_t decided_by = 0;          // accounts.id, 0: decided by the policy
  std::string decided_by_name;
  std::optional<TimePoint> decided_at;
  bool manual = false;
};

// The media's faces rows, in the order they were found (faces.id).
std::vector<FaceView> media_faces(pqxx::transaction_base& tx, const std::string& media_id);

struct RenditionView {
  int version = 0;
  std::string kind;
  std::string path;
  std::string mime;
  int width = 0, height = 0;
};

// The renditions of the media's highest version, in the order they were inserted.
std::vector<RenditionView> current_renditions(pqxx::transaction_base& tx, const std::string& media_id);

struct MediaListQuery {
  std::vector<std::string> states;  // empty: every state
  std::int64_t journal_child = 0;   // 0: any
  std::int64_t key_person = 0;      // 0: any; else only items whose journal child has this key person
  int limit = 50;
  std::string after;                // a media id: items after it in the order; "" from the start
};

struct MediaListPage {
  std::vector<std::string> ids;  // newest first (received_at, then id)
  std::int64_t total = 0;        // items matching the query, all pages
  bool more = false;             // items follow the last id
};

// Media ids by the query. An `after` that names no media row starts from the beginning of
// nothing: the caller checks it (find_media_view) first.
MediaListPage list_media(pqxx::transaction_base& tx, const MediaListQuery& query);

}  // namespace veil
