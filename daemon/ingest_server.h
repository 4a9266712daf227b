// Ingest: veild's ZeroMQ ROUTER socket (protocol in docs/protocol.md, vocabulary in
// ingest/protocol.h). One thread owns the socket and answers every request in turn.
//
// An upload is acknowledged (ACK with the media id) only after
//   1. the original is written encrypted to the originals store, fsync'ed, renamed into
//      place and its directory fsync'ed (storage/originals_store.h), and
//   2. its media row, its `process` job and a media.received audit entry are committed in
//      one transaction (storage/media_repository.h).
// Anything else gives a NACK with a code, a reason and whether retrying may help.
// Re-sending a submission (same uploader, same client submission id) answers ACK with the
// same media id and "duplicate": true, without storing anything.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "storage/originals_store.h"

namespace zmq {
class context_t;
}

namespace veil {

class DeviceAuth;
class EventPublisher;
class Metrics;

struct IngestSettings {
  std::string endpoint;
  std::string secret_key;  // veild's CURVE secret key (Z85); empty: CURVE off
  std::string database_url;
  std::string originals_root;
  SecretKey master_key{};
  std::int64_t max_file_bytes = 200LL << 20;
  std::int64_t max_message_bytes = 16LL << 20;
  std::int64_t chunk_bytes = 1LL << 20;
  int upload_idle_timeout_s = 600;
  int max_open_uploads = 64;
  int device_uploads_per_minute = 0;  // 0: no per-device limit (daemon/device_rate_limit.h)
  int device_upload_burst = 1;
};

class IngestServer {
 public:
  // `auth` is required when CURVE is on; `events` and `metrics` may be null.
  IngestServer(zmq::context_t& context, IngestSettings settings, DeviceAuth* auth, EventPublisher* events,
               Metrics* metrics);
  ~IngestServer();
  IngestServer(const IngestServer&) = delete;
  IngestServer& operator=(const IngestServer&) = delete;

  // Binds (throws when the endpoint cannot be bound) and starts the thread.
  void start();
  void stop();
  // The bound endpoint (with the port chosen for "tcp://host:*").
  const std::string& endpoint() const { return bound_endpoint_; }
  bool running() const { return running_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string bound_endpoint_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace veil
