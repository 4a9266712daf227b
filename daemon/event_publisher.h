// Events for the journal front end: a ZeroMQ PUB socket. Each message has two frames, the
// topic ("media.received", "media.published", "media.held", "media.rejected",
// "media.failed"; for managers' actions also "media.approved", "media.processing" and
// "media.updated", ingest/protocol.h) and a JSON object {"event", "media_id", "state", "reason",
// "journal_child", "at"}. Subscribers filter by topic prefix ("media." for all).
// The socket is a CURVE server like ingest (same key, same device check) unless CURVE is
// off. Publishing is thread-safe (workers and ingest publish). PUB drops messages for a
// subscriber that is not connected or too slow: PostgreSQL stays the source of truth
// (STATUS requests, the media table).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "policy/media_state.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace veil {

class EventPublisher {
 public:
  // `secret_key` empty: no CURVE.
  EventPublisher(zmq::context_t& context, const std::string& endpoint, const std::string& secret_key);
  ~EventPublisher();
  const std::string& endpoint() const { return endpoint_; }

  void publish(const std::string& topic, const std::string& json_body);
  // media.<state> for a media item.
  void media_event(MediaState state, const std::string& media_id, const std::string& reason,
                   std::int64_t journal_child = 0);
  // The same body under another topic (e.g. media.updated, media.approved).
  void media_event(const std::string& topic, MediaState state, const std::string& media_id, const std::string& reason,
                   std::int64_t journal_child = 0);
  std::uint64_t published() const { return published_; }

 private:
  std::mutex mutex_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::string endpoint_;
  std::uint64_t published_ = 0;
};

}  // namespace veil
