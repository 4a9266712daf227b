// The reference client of the ingest protocol (docs/protocol.md), used by `veil submit`,
// the tests and the throughput benchmark. A DEALER socket, CURVE client keys when the
// server key is given. Not thread-safe: one client per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace veil {

struct IngestClientOptions {
  std::string endpoint;           // e.g. "tcp://127.0.0.1:5560" or "ipc:///run/veil/ingest"
  std::string server_public_key;  // Z85; empty: no CURVE
  std::string public_key, secret_key;  // this device's keys (Z85)
  int timeout_ms = 15000;         // per request
  std::int64_t single_message_max = 8LL << 20;  // larger files go in chunks
  std::int64_t chunk_bytes = 1LL << 20;
  int window = 4;                 // chunks in flight
};

struct SubmitRequest {
  std::string submission_id;
  std::int64_t journal_child = 0;
  std::string observation_ref;
  std::int64_t uploader = 0;  // 0: the device's owner
  std::string role;           // "staff", "parent" or "" (the uploader's kind)
  std::string file_name;
  std::string content_type;   // "": from the file name
};

struct SubmitReply {
  bool acked = false;
  std::string media_id;
  bool duplicate = false;
  std::string code;    // NACK code, or "timeout"
  std::string reason;
  bool retryable = false;
};

struct StatusReply {
  bool ok = false;
  std::string media_id, state, reason;
  bool final = false;
  std::string error;  // when !ok
};

class IngestClient {
 public:
  explicit IngestClient(IngestClientOptions options);
  ~IngestClient();
  IngestClient(const IngestClient&) = delete;
  IngestClient& operator=(const IngestClient&) = delete;

  // One SUBMIT message with the bytes.
  SubmitReply submit_bytes(const SubmitRequest& request, const std::string& bytes);
  // BEGIN / CHUNK... / COMMIT: memory stays at `window` chunks whatever the size.
  // `progress(sent, total)` is called as chunks are acknowledged.
  SubmitReply submit_chunked(const SubmitRequest& request, const std::string& path,
                             const std::function<void(std::int64_t, std::int64_t)>& progress = {});
  // Chooses one of the two by size.
  SubmitReply submit_file(const SubmitRequest& request, const std::string& path,
                          const std::function<void(std::int64_t, std::int64_t)>& progress = {});
  StatusReply status(const std::string& media_id);
  bool ping();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lower-case hex sha256 of a file, streamed.
std::string sha256_of_file(const std::string& path);

// An endpoint a client can connect to: "tcp://*:5560" -> "tcp://127.0.0.1:5560".
std::string connectable_endpoint(const std::string& bind_endpoint);

}  // namespace veil
