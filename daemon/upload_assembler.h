// Chunked uploads in progress (BEGIN, CHUNK..., COMMIT or ABORT; docs/protocol.md): each
// streams its chunks, in order, into an OriginalWriter, an encrypted temporary file that
// becomes the original only when it is stored (daemon/upload_store.h).
//
// An upload is known by a random id (handed to the client in READY) and by its resume key,
// (device, uploader, client submission id), so that a client that lost its connection can
// BEGIN the same submission again and go on from the bytes already received. Uploads live in
// memory only: after a restart the client starts again with BEGIN. Dropping an upload
// removes its temporary file.
//
// Not thread-safe: used by the ingest thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "daemon/ingest_request.h"
#include "storage/originals_store.h"

namespace veil {

struct Upload {
  std::string id;
  std::string resume_key;
  std::int64_t device_id = 0;  // 0: CURVE off
  Submission submission;       // as BEGIN declared it (COMMIT adds the sha256)
  std::unique_ptr<OriginalWriter> writer;
  std::chrono::steady_clock::time_point last_activity;
};

// What append() did with a chunk.
struct ChunkResult {
  enum Outcome {
    appended,    // the chunk is written; the upload goes on
    bad_offset,  // not at the upload's offset: nothing written, `expected` says where to resume
    refused,     // `nack`; nothing written, the upload goes on
    failed,      // `nack`; the upload cannot go on and is to be dropped
  };
  Outcome outcome = appended;
  Nack nack;
  std::int64_t expected = 0;
};

class UploadAssembler {
 public:
  // `chunk_bytes`: the largest chunk accepted; `max_open`: uploads in progress at once;
  // `idle_timeout_s`: an upload without a request for that long is dropped by expire_idle().
  UploadAssembler(std::int64_t chunk_bytes, int max_open, int idle_timeout_s)
      : chunk_bytes_(chunk_bytes), max_open_(max_open), idle_timeout_s_(idle_timeout_s) {}

  // The upload in progress of the same submission as `s` (same device, uploader and client
  // submission id), when it declared the same size and sha256: marked active and returned,
  // to be resumed. One that declared another file is dropped (the client starts again) and
  // null returned, as when there is none.
  Upload* resume(const Submission& s);
  // Whether no further upload may open (max_open are in progress).
  bool full() const { return static_cast<int>(uploads_.size()) >= max_open_; }
  // Opens an upload of `s` into `writer` under a new random id. The returned reference
  // stays valid until the upload is dropped.
  Upload& open(Submission s, std::unique_ptr<OriginalWriter> writer);

  // The upload `id` when `device_id` opened it (marked active), else null.
  Upload* find(const std::string& id, std::int64_t device_id);
  // Appends a chunk of `size` bytes said to start at `offset`. A chunk over chunk_bytes is
  // refused; one past the declared size, or that cannot be written, fails the upload.
  ChunkResult append(Upload& up, std::int64_t offset, const void* data, std::size_t size);

  // Drops the upload (nothing when there is none): its temporary file is removed.
  void drop(const std::string& id);
  // Drops, and logs, every upload idle for longer than idle_timeout_s.
  void expire_idle();
  // Drops every upload.
  void clear();

 private:
  std::int64_t chunk_bytes_;
  int max_open_;
  int idle_timeout_s_;
  std::map<std::string, std::unique_ptr<Upload>> uploads_;   // by upload id
  std::map<std::string, std::string> by_resume_key_;         // -> upload id
};

}  // namespace veil
