// An item's state: one type and one spelling for the photo and video pipelines, the database
// (media.state), the events (media.<state>) and the CLI. docs/consent-policy.md lists them.
#pragma once

#include <optional>
#include <string_view>

namespace veil {

enum class MediaState {
  received,    // acknowledged; its original is stored and its job queued
  processing,  // a worker has it
  published,   // renditions may be shown: every face that may not appear is painted
  held,        // waits for a manager (moderation queue): nothing is shown
  withdrawn,   // showed a child whose consent was withdrawn: nothing is shown until rendered again
  rejected,    // the file is not a photo or video Veil can read; the reason says why
  failed,      // processing failed for good (after retries); nothing is shown
  deleted,     // removed
};

// "received", "processing", "published", "held", "withdrawn", "rejected", "failed", "deleted".
const char* to_string(MediaState state);

// The state spelled `text`, or nullopt.
std::optional<MediaState> parse_media_state(std::string_view text);

}  // namespace veil
