// The spellings of MediaState.
#include "policy/media_state.h"

namespace veil {

namespace {
constexpr MediaState kAll[] = {MediaState::received, MediaState::processing, MediaState::published, MediaState::held,
                               MediaState::withdrawn, MediaState::rejected, MediaState::failed,     MediaState::deleted};
}  // namespace

const char* to_string(MediaState state) {
  switch (state) {
    case MediaState::received: return "received";
    case MediaState::processing: return "processing";
    case MediaState::published: return "published";
    case MediaState::held: return "held";
    case MediaState::withdrawn: return "withdrawn";
    case MediaState::rejected: return "rejected";
    case MediaState::failed: return "failed";
    case MediaState::deleted: return "deleted";
  }
  return "unknown";
}

std::optional<MediaState> parse_media_state(std::string_view text) {
  for (MediaState s : kAll)
    if (text == to_string(s)) return s;
  return std::nullopt;
}

}  // namespace veil
