// The moderation queue: media items held for a manager's decision, one `moderation` row per
// hold (pending until approved or rejected by an account). An item's moderation state is its
// latest row. Every function runs parameterised statements inside the caller's transaction
// and commits nothing; none writes the audit log (the callers do, in the same transaction).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "storage/timestamps.h"

namespace veil {

// Adds a pending moderation row for the media with `reason`, unless one is pending already
// (a re-recorded result never queues the item twice). Inside the caller's transaction.
void enqueue_for_moderation(pqxx::transaction_base& tx, const std::string& media_id, const std::string& reason);

// Whether the media has a pending moderation row.
bool has_pending_moderation(pqxx::transaction_base& tx, const std::string& media_id);

struct ModerationRow {
  std::int64_t id = 0;
  std::string media_id;
  std::string reason;
  std::string state;                      // pending | approved | rejected
  std::int64_t decided_by = 0;            // accounts.id, 0: not decided
  std::string decided_by_name;            // "" when not decided
  std::optional<TimePoint> decided_at;
  std::optional<std::string> note;
};

// The media's latest moderation row, or nullopt when it has none.
std::optional<ModerationRow> latest_moderation(pqxx::transaction_base& tx, const std::string& media_id);

struct QueueQuery {
  std::string state = "pending";   // pending | approved | rejected: of the item's latest row
  std::int64_t key_person = 0;     // 0: every item; else only items whose journal child has this key person
  int limit = 50;
  std::int64_t after = 0;          // a moderation row id: rows after it; 0 from the start
  TimePoint now;                   // for the age buckets
};

struct QueuePage {
  std::vector<std::string> media_ids;            // oldest row first
  std::int64_t last_row = 0;                     // the moderation row id of the last media id
  bool more = false;                             // rows follow last_row
  std::int64_t total = 0;                        // rows in the whole list
  std::map<std::string, std::int64_t> by_reason;  // reason code (the text before ": " of each "; "-part) -> rows
  std::map<std::string, std::int64_t> by_age;     // age of the item (now - received): under_1h, under_1d, under_1w, older
};

QueuePage list_moderation(pqxx::transaction_base& tx, const QueueQuery& query);

// Whether a moderation row with this id exists (a cursor's check).
bool moderation_row_exists(pqxx::transaction_base& tx, std::int64_t id);

// Decides the media's pending row: `state` (approved | rejected) by `account_id` at `now` with
// `note` ("" stored as NULL). When no row is pending (a published item rejected) a row is
// made for it already decided, with the reason "". Returns the row's id.
std::int64_t decide_moderation(pqxx::transaction_base& tx, const std::string& media_id, const std::string& state,
                               std::int64_t account_id, const std::string& note, TimePoint now);

}  // namespace veil
