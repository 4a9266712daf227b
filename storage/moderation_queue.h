// The moderation queue: media items held for a manager's decision, one `moderation` row per
// hold (pending until approved or rejected).
#pragma once

#include <string>

#include <pqxx/types.hxx>

namespace veil {

// Adds a pending moderation row for the media with `reason`, unless one is pending already
// (a re-recorded result never queues the item twice). Inside the caller's transaction.
void enqueue_for_moderation(pqxx::transaction_base& tx, const std::string& media_id, const std::string& reason);

}  // namespace veil
