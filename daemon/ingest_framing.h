// Ingest messages as frames on veild's ROUTER socket (the layout is in ingest/protocol.h):
// read_request() turns a received multipart message into a request, and ReplySender writes
// the replies (ACK, NACK, READY, ...) back to the client that sent it.
//
// Neither touches the database or the disk; both are used by the one thread that owns the
// socket (daemon/ingest_server.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "daemon/ingest_request.h"
#include "storage/device_repository.h"

namespace veil {

class Metrics;

// Whom a reply goes to, and what it echoes.
struct RequestContext {
  zmq::message_t identity;       // the ROUTER's routing id of the client
  nlohmann::json seq;            // the request header's "seq", echoed in the reply (null: none)
  std::optional<Device> device;  // the sending device (CURVE on), set by the caller
};

struct IncomingRequest {
  RequestContext ctx;
  std::string command;           // SUBMIT, BEGIN, ... (not checked here)
  nlohmann::json header;         // the parsed JSON header (any JSON value)
  const zmq::message_t* data = nullptr;  // the bytes frame, null when absent; points into the frames
  // Set when the frames are not a VEIL/1 request: the NACK to answer with (then only
  // ctx.identity is set).
  std::optional<Nack> malformed;
};

// Reads `frames` as received (routing id, "VEIL/1", command, header[, bytes]). The identity
// frame is moved out; the request's `data` points into `frames`, which must outlive it.
// Returns nullopt when there is no one to answer (fewer than two frames).
std::optional<IncomingRequest> read_request(std::vector<zmq::message_t>& frames);

// Sends replies on `socket` without blocking; a reply that cannot be sent (the client is
// gone, its queue is full) is logged and dropped. Counts ACKs and NACKs in `metrics` (may be
// null). Neither is owned; both must outlive the sender.
class ReplySender {
 public:
  ReplySender(zmq::socket_t& socket, Metrics* metrics) : socket_(socket), metrics_(metrics) {}

  // "VEIL/1", `type`, `body` with the request's seq added.
  void reply(const RequestContext& ctx, const char* type, nlohmann::json body);
  // A NACK with the refusal (and the submission id when given), logged.
  void nack(const RequestContext& ctx, const Nack& n, const std::string& submission_id = "");
  // An ACK: the submission is stored as `media_id` (`duplicate`: it was already).
  void ack(const RequestContext& ctx, const std::string& submission_id, const std::string& media_id, bool duplicate);
  // A bad_offset NACK for a chunk not at `expected`, the offset the client resumes from
  // (not logged).
  void bad_offset(const RequestContext& ctx, const std::string& submission_id, std::int64_t expected);

 private:
  zmq::socket_t& socket_;
  Metrics* metrics_;
};

}  // namespace veil
