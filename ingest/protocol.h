// The ingest protocol's vocabulary (docs/protocol.md is the full description).
//
// A client talks to veild's ROUTER socket from a DEALER socket. Every message is
//   frame 0  "VEIL/1"
//   frame 1  command: SUBMIT | BEGIN | CHUNK | COMMIT | ABORT | STATUS | PING
//   frame 2  a JSON object (the header; "seq" is echoed in the reply)
//   frame 3  bytes (SUBMIT: the whole file; CHUNK: one chunk) — only for those two
// and every reply is "VEIL/1", a reply type (ACK | NACK | READY | CHUNK_OK | ABORTED |
// STATUS | PONG) and a JSON object.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "policy/media_state.h"

namespace veil::protocol {

inline constexpr const char* kVersion = "VEIL/1";

// Requests.
inline constexpr const char* kSubmit = "SUBMIT";
inline constexpr const char* kBegin = "BEGIN";
inline constexpr const char* kChunk = "CHUNK";
inline constexpr const char* kCommit = "COMMIT";
inline constexpr const char* kAbort = "ABORT";
inline constexpr const char* kStatus = "STATUS";
inline constexpr const char* kPing = "PING";

// Replies.
inline constexpr const char* kAck = "ACK";
inline constexpr const char* kNack = "NACK";
inline constexpr const char* kReady = "READY";
inline constexpr const char* kChunkOk = "CHUNK_OK";
inline constexpr const char* kAborted = "ABORTED";
inline constexpr const char* kStatusReply = "STATUS";
inline constexpr const char* kPong = "PONG";

// ZAP domains of veild's two CURVE server sockets.
inline constexpr const char* kIngestDomain = "veil-ingest";
inline constexpr const char* kEventsDomain = "veil-events";

// Event topics (first frame of every PUB message; the second is a JSON object).
inline constexpr const char* kMediaReceived = "media.received";
inline constexpr const char* kMediaPublished = "media.published";
inline constexpr const char* kMediaHeld = "media.held";
inline constexpr const char* kMediaRejected = "media.rejected";
inline constexpr const char* kMediaFailed = "media.failed";
// A manager's decisions (moderation/): approved (now published), and a face change (the item
// is `processing` until rendered again); media.rejected as above.
inline constexpr const char* kMediaApproved = "media.approved";
inline constexpr const char* kMediaProcessing = "media.processing";
// An item rendered again after a face change: its state ("held", "published") is in the body.
inline constexpr const char* kMediaUpdated = "media.updated";
// A consent withdrawal: drop the item's renditions now; media.updated follows once it is
// rendered again.
inline constexpr const char* kMediaWithdrawn = "media.withdrawn";

// MediaState::published -> "media.published", ...
inline std::string event_for_state(MediaState state) { return std::string("media.") + to_string(state); }

// A final media state: nothing more will happen without a person (or a new job).
inline bool is_final_state(const std::string& state) {
  const auto s = parse_media_state(state);
  return s && *s != MediaState::received && *s != MediaState::processing && *s != MediaState::withdrawn;
}

// "image/jpeg" -> "photo", "video/mp4" -> "video", anything else -> "".
inline std::string kind_for_content_type(const std::string& type) {
  if (type.rfind("image/", 0) == 0) return "photo";
  if (type.rfind("video/", 0) == 0) return "video";
  return "";
}

// A content type from a file name's extension ("application/octet-stream" when unknown).
std::string content_type_for_name(const std::string& file_name);

// Nesting allowed in JSON from outside (ingest headers, the HTTP API's bodies): far more than
// any message of the protocol or the API has.
inline constexpr int kMaxJsonDepth = 64;

// JSON from outside: throws nlohmann::json::parse_error for text that is not JSON, and
// std::invalid_argument for arrays or objects nested deeper than `max_depth`, refused while
// parsing, before they are built: a value that deep would exhaust the stack when it is copied,
// written out or destroyed.
nlohmann::json parse_untrusted_json(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace veil::protocol
