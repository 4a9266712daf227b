// Face decisions made by people: a face blurred, unblurred or assigned to a child by an
// account, a face added by hand, and the move of the item to `processing` with the
// `reprocess` job that renders it again. Every function runs parameterised statements inside
// the caller's transaction and commits nothing; none writes the audit log (the caller does,
// in the same transaction).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <pqxx/types.hxx>

#include "storage/timestamps.h"

namespace veil {

// Sets the face row `face_id`'s decision (keep | blur) and reason, decided by `account_id`
// at `now`. When `child_id` is not 0 the face's matched child becomes that child and its
// consent_event_id `consent_event_id` (0: NULL); otherwise both are left as they are.
void decide_face(pqxx::transaction_base& tx, std::int64_t face_id, const std::string& decision,
                 const std::string& reason, std::int64_t account_id, TimePoint now, std::int64_t child_id = 0,
                 std::int64_t consent_event_id = 0);

// Adds a face row to the media for a box drawn by `account_id` (manual, no landmarks,
// det_score 1, decided blur with `reason`); returns its id.
std::int64_t add_manual_face(pqxx::transaction_base& tx, const std::string& media_id, const std::array<float, 4>& box,
                             const std::string& reason, std::int64_t account_id, TimePoint now);

// Moves the media to `processing` (keeping its reason) and queues a `reprocess` job for it at
// kPriorityManager, caused by "manager" (rendered even when no decision changed); returns the
// job's id.
std::int64_t queue_reprocess(pqxx::transaction_base& tx, const std::string& media_id);

}  // namespace veil
