// Requests read off the ROUTER socket, replies written to it.
#include "daemon/ingest_framing.h"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include "daemon/metrics.h"
#include "ingest/protocol.h"

namespace veil {

using json = nlohmann::json;

std::optional<IncomingRequest> read_request(std::vector<zmq::message_t>& frames) {
  if (frames.size() < 2) return std::nullopt;
  IncomingRequest r;
  r.ctx.identity = std::move(frames[0]);
  if (frames.size() < 4 || frames[1].to_string_view() != protocol::kVersion) {
    r.malformed = Nack{"bad_request", "expected frames: \"VEIL/1\", command, JSON header[, bytes]"};
    return r;
  }
  try {
    r.header = protocol::parse_untrusted_json(frames[3].to_string_view());
  } catch (const json::exception& e) {
    r.malformed = Nack{"bad_request", std::string("header is not JSON: ") + e.what()};
    return r;
  } catch (const std::invalid_argument& e) {
    r.malformed = Nack{"bad_request", std::string("header refused: ") + e.what()};
    return r;
  }
  if (r.header.is_object() && r.header.contains("seq")) r.ctx.seq = r.header["seq"];
  r.command = frames[2].to_string();
  r.data = frames.size() > 4 ? &frames[4] : nullptr;
  return r;
}

void ReplySender::reply(const RequestContext& ctx, const char* type, json body) {
  if (!ctx.seq.is_null()) body["seq"] = ctx.seq;
  std::vector<zmq::message_t> frames;
  frames.emplace_back(ctx.identity.data(), ctx.identity.size());
  frames.emplace_back(std::string(protocol::kVersion));
  frames.emplace_back(std::string(type));
  // A reason may quote the client's bytes (a header that is not JSON, an unknown command),
  // which need not be UTF-8: they are replaced rather than thrown on, so every request is answered.
  frames.emplace_back(body.dump(-1, ' ', false, json::error_handler_t::replace));
  try {
    zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::warn("ingest: reply {} not sent: {}", type, e.what());
  }
}

void ReplySender::nack(const RequestContext& ctx, const Nack& n, const std::string& submission_id) {
  json body{{"code", n.code}, {"reason", n.reason}, {"retryable", n.retryable}};
  if (!submission_id.empty()) body["submission_id"] = submission_id;
  if (metrics_) metrics_->count_ingest("nack:" + n.code);
  spdlog::log(n.retryable ? spdlog::level::warn : spdlog::level::info, "ingest: NACK {}{}: {}", n.code,
              submission_id.empty() ? "" : " for " + submission_id, n.reason);
  reply(ctx, protocol::kNack, body);
}

void ReplySender::ack(const RequestContext& ctx, const std::string& submission_id, const std::string& media_id,
                      bool duplicate) {
  if (metrics_) metrics_->count_ingest(duplicate ? "duplicate" : "ack");
  reply(ctx, protocol::kAck, {{"submission_id", submission_id}, {"media_id", media_id}, {"duplicate", duplicate}});
}

void ReplySender::bad_offset(const RequestContext& ctx, const std::string& submission_id, std::int64_t expected) {
  json body{{"code", "bad_offset"},
            {"reason", "expected offset " + std::to_string(expected)},
            {"retryable", true},
            {"expected", expected},
            {"submission_id", submission_id}};
  if (metrics_) metrics_->count_ingest("nack:bad_offset");
  reply(ctx, protocol::kNack, body);
}

}  // namespace veil
