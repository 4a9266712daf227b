// What veild's ingest server does with a message before it touches the database or the disk
// (daemon/ingest_server.cpp handle()): read_request() on any frames, then for SUBMIT and BEGIN
// parse_submission() with and without a device, and the reply. A refusal is a NACK; a header
// that is JSON but of the wrong shape may also throw nlohmann::json::exception, which the
// server answers as bad_request. Anything else is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "daemon/ingest_framing.h"
#include "daemon/ingest_request.h"
#include "daemon/metrics.h"
#include "ingest/protocol.h"

namespace {

struct Replies {
  zmq::context_t context;
  zmq::socket_t socket{context, zmq::socket_type::router};
  veil::Metrics metrics;
  veil::ReplySender sender{socket, &metrics};
  Replies() { socket.bind("inproc://fuzz-ingest"); }  // nobody connects: every reply is dropped
};

Replies* g_replies = nullptr;
constexpr std::int64_t kMaxFileBytes = 10 << 20;

void submission(const veil::RequestContext& ctx, const nlohmann::json& header, const veil::Device* device,
                std::int64_t max_bytes) {
  try {
    const auto parsed = veil::parse_submission(header, device, max_bytes);
    if (const auto* nack = std::get_if<veil::Nack>(&parsed)) {
      if (nack->code.empty() || nack->reason.empty()) std::abort();
      g_replies->sender.nack(ctx, *nack, header.is_object() ? header.value("submission_id", "") : "");
      return;
    }
    const auto& s = std::get<veil::Submission>(parsed);
    const auto& m = s.media;
    if (m.client_submission_id.empty() || m.client_submission_id.size() > 256) std::abort();
    if (m.kind != "photo" && m.kind != "video") std::abort();
    if (m.uploader_id == 0 || s.declared_size > max_bytes) std::abort();
    if (device && device->owner != 0 && m.uploader_id != device->owner) std::abort();
    if (m.original_name.find('/') != std::string::npos) std::abort();
    g_replies->sender.ack(ctx, m.client_submission_id, "00000000-0000-0000-0000-000000000000", false);
  } catch (const nlohmann::json::exception& e) {
    g_replies->sender.nack(ctx, {"bad_request", std::string("malformed header: ") + e.what()});
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  g_replies = new Replies;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The input is the frames after the routing id, one per line: "VEIL/1", the command, the
  // JSON header, then the bytes (the rest of the input, newlines included).
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<zmq::message_t> frames;
  frames.emplace_back(std::string("client"));
  std::size_t start = 0;
  while (frames.size() < 4) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    frames.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  // A last line without a newline is a frame too; after the header, only bytes that are there.
  if (frames.size() < 4 || start < text.size()) frames.emplace_back(text.substr(start));

  const std::size_t received = frames.size();
  auto request = veil::read_request(frames);
  if (!request) {
    if (received >= 2) std::abort();
    return 0;
  }
  if (request->malformed) {
    g_replies->sender.nack(request->ctx, *request->malformed);
    return 0;
  }
  if (request->command == veil::protocol::kSubmit || request->command == veil::protocol::kBegin) {
    veil::Device device;
    device.id = 3;
    device.owner = 7;
    submission(request->ctx, request->header, nullptr, kMaxFileBytes);
    submission(request->ctx, request->header, &device, kMaxFileBytes);
  } else {
    g_replies->sender.reply(request->ctx, veil::protocol::kPong, nlohmann::json::object());
  }
  return 0;
}
