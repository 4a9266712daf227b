// The ingest loop: requests in, durable originals + committed rows, ACK/NACK out. The parts
// are device authentication (daemon/device_auth.h), framing (daemon/ingest_framing.h),
// chunked uploads (daemon/upload_assembler.h) and storing (daemon/upload_store.h); Impl
// wires them together per command.
#include "daemon/ingest_server.h"

#include <sodium.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/device_auth.h"
#include "daemon/device_rate_limit.h"
#include "daemon/event_publisher.h"
#include "daemon/ingest_framing.h"
#include "daemon/ingest_request.h"
#include "daemon/upload_assembler.h"
#include "daemon/upload_store.h"
#include "ingest/protocol.h"

namespace veil {

using json = nlohmann::json;

struct IngestServer::Impl {
  zmq::context_t& context;
  IngestSettings settings;
  DeviceAuth* auth;
  EventPublisher* events;
  Metrics* metrics;
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<ReplySender> out;  // on `socket`
  UploadStore store;
  UploadAssembler uploads;
  DeviceRateLimit rate;
  std::atomic<bool> stop{false};

  Impl(zmq::context_t& c, IngestSettings s, DeviceAuth* a, EventPublisher* e, Metrics* m)
      : context(c), settings(std::move(s)), auth(a), events(e), metrics(m),
        store(settings.database_url, settings.originals_root, settings.master_key, m),
        uploads(settings.chunk_bytes, settings.max_open_uploads, settings.upload_idle_timeout_s),
        rate(settings.device_uploads_per_minute, settings.device_upload_burst) {}

  // Makes the original `writer` holds durable, then commits the rows; ACK or NACK.
  void finish(RequestContext& ctx, Submission& s, OriginalWriter& writer) {
    const auto stored = store.store(s, writer);
    const auto& sid = s.media.client_submission_id;
    if (const auto* n = std::get_if<Nack>(&stored)) return out->nack(ctx, *n, sid);
    const auto& inserted = std::get<InsertedMedia>(stored);
    out->ack(ctx, sid, inserted.media_id, !inserted.inserted);
    if (inserted.inserted && events) events->media_event(MediaState::received, inserted.media_id, "", s.media.journal_child_id);
  }

  // The submission header `h` describes, checked; nullopt when refused (answered).
  std::optional<Submission> parse(RequestContext& ctx, const json& h) {
    auto parsed = parse_submission(h, ctx.device ? &*ctx.device : nullptr, settings.max_file_bytes);
    if (auto* n = std::get_if<Nack>(&parsed)) {
      out->nack(ctx, *n, h.value("submission_id", ""));
      return std::nullopt;
    }
    return std::move(std::get<Submission>(parsed));
  }

  // The key to store admitted `s` with; nullopt when refused or stored already (answered).
  // A device over its rate (without CURVE: all local clients together) is refused first.
  std::optional<SecretKey> admit(RequestContext& ctx, Submission& s) {
    if (const double wait = rate.admit(ctx.device ? ctx.device->id : 0); wait > 0) {
      char why[160];
      std::snprintf(why, sizeof why, "this device started more than %d uploads a minute (ingest.device_uploads_per_minute); retry in %.0f s",
                    settings.device_uploads_per_minute, std::ceil(wait));
      out->nack(ctx, {"rate_limited", why, true}, s.media.client_submission_id);
      return std::nullopt;
    }
    const auto admitted = store.admit(s);
    const auto& sid = s.media.client_submission_id;
    if (const auto* n = std::get_if<Nack>(&admitted)) {
      out->nack(ctx, *n, sid);
      return std::nullopt;
    }
    const auto& a = std::get<Admission>(admitted);
    if (a.duplicate_of) {
      out->ack(ctx, sid, *a.duplicate_of, true);
      return std::nullopt;
    }
    return a.key;
  }

  void handle_submit(RequestContext& ctx, const json& h, const zmq::message_t* data) {
    auto s = parse(ctx, h);
    if (!s) return;
    const auto& sid = s->media.client_submission_id;
    if (!data) return out->nack(ctx, {"bad_request", "SUBMIT needs the file as frame 3"}, sid);
    if (static_cast<std::int64_t>(data->size()) > settings.max_file_bytes)
      return out->nack(ctx, {"too_large", "exceeds limits.max_file_bytes"}, sid);
    const auto key = admit(ctx, *s);
    if (!key) return;
    try {
      auto writer = store.open_original(*s, *key);
      writer->append(data->data(), data->size());
      finish(ctx, *s, *writer);
    } catch (const StorageError& e) {
      out->nack(ctx, {"storage_unavailable", e.what(), true}, sid);
    }
  }

  void handle_begin(RequestContext& ctx, const json& h) {
    auto s = parse(ctx, h);
    if (!s) return;
    const auto& sid = s->media.client_submission_id;
    if (s->declared_size < 0) return out->nack(ctx, {"bad_request", "BEGIN needs size"}, sid);
    if (const Upload* up = uploads.resume(*s)) return ready(ctx, *up);
    if (uploads.full()) return out->nack(ctx, {"busy", "too many uploads in progress; retry later", true}, sid);
    const auto key = admit(ctx, *s);
    if (!key) return;
    std::unique_ptr<OriginalWriter> writer;
    try {
      writer = store.open_original(*s, *key);
    } catch (const StorageError& e) {
      return out->nack(ctx, {"storage_unavailable", e.what(), true}, sid);
    }
    ready(ctx, uploads.open(std::move(*s), std::move(writer)));
  }

  // READY: send the chunks of `up` from the bytes it holds on.
  void ready(RequestContext& ctx, const Upload& up) {
    out->reply(ctx, protocol::kReady,
               {{"submission_id", up.submission.media.client_submission_id}, {"upload_id", up.id},
                {"offset", up.writer->bytes()}, {"chunk_bytes", settings.chunk_bytes}});
  }

  // The upload the header names, when this device opened it; else answers upload_unknown.
  Upload* find_upload(RequestContext& ctx, const json& h) {
    Upload* up = uploads.find(h.value("upload_id", ""), ctx.device ? ctx.device->id : 0);
    if (!up)
      out->nack(ctx,
                {"upload_unknown", "no such upload in progress (expired or the daemon restarted): BEGIN again", true});
    return up;
  }

  void handle_chunk(RequestContext& ctx, const json& h, const zmq::message_t* data) {
    Upload* up = find_upload(ctx, h);
    if (!up) return;
    const auto& sid = up->submission.media.client_submission_id;
    if (!data) return out->nack(ctx, {"bad_request", "CHUNK needs the bytes as frame 3"}, sid);
    const ChunkResult r = uploads.append(*up, h.value("offset", std::int64_t{-1}), data->data(), data->size());
    switch (r.outcome) {
      case ChunkResult::appended:
        return out->reply(ctx, protocol::kChunkOk, {{"upload_id", up->id}, {"received", up->writer->bytes()}});
      case ChunkResult::bad_offset:
        return out->bad_offset(ctx, sid, r.expected);
      case ChunkResult::refused:
        return out->nack(ctx, r.nack, sid);
      case ChunkResult::failed:
        out->nack(ctx, r.nack, sid);
        return uploads.drop(up->id);
    }
  }

  void handle_commit(RequestContext& ctx, const json& h) {
    Upload* up = find_upload(ctx, h);
    if (!up) return;
    auto& s = up->submission;
    const std::string sha = h.value("sha256", "");
    if (!is_sha256_hex(sha))
      return out->nack(ctx, {"bad_request", "COMMIT needs sha256 (64 lower-case hex digits)"},
                       s.media.client_submission_id);
    if (!s.declared_sha256.empty() && s.declared_sha256 != sha) {
      out->nack(ctx, {"checksum_mismatch", "COMMIT sha256 differs from BEGIN's", true}, s.media.client_submission_id);
      return uploads.drop(up->id);
    }
    s.declared_sha256 = sha;
    try {
      finish(ctx, s, *up->writer);
    } catch (const StorageError& e) {
      out->nack(ctx, {"storage_unavailable", e.what(), true}, s.media.client_submission_id);
    }
    uploads.drop(up->id);  // ACKed, or refused: a retry starts with BEGIN
  }

  void handle_abort(RequestContext& ctx, const json& h) {
    Upload* up = find_upload(ctx, h);
    if (!up) return;
    const std::string id = up->id;
    uploads.drop(id);
    out->reply(ctx, protocol::kAborted, {{"upload_id", id}});
  }

  void handle_status(RequestContext& ctx, const json& h) {
    const auto status = store.status(h.value("media_id", ""));
    if (const auto* n = std::get_if<Nack>(&status)) return out->nack(ctx, *n);
    const auto& st = std::get<MediaStatus>(status);
    out->reply(ctx, protocol::kStatusReply,
               {{"media_id", st.media_id}, {"state", st.state}, {"reason", st.reason},
                {"final", protocol::is_final_state(st.state)}});
  }

  void handle(std::vector<zmq::message_t>& frames) {
    auto request = read_request(frames);
    if (!request) return;
    auto& ctx = request->ctx;
    if (request->malformed) return out->nack(ctx, *request->malformed);
    if (auth) {
      ctx.device = auth->device_of(frames[1]);
      if (!ctx.device) return out->nack(ctx, {"unauthorized", "device key not registered or revoked"});
    }
    const std::string& command = request->command;
    const json& header = request->header;
    const zmq::message_t* data = request->data;
    try {
      if (command == protocol::kSubmit) handle_submit(ctx, header, data);
      else if (command == protocol::kBegin) handle_begin(ctx, header);
      else if (command == protocol::kChunk) handle_chunk(ctx, header, data);
      else if (command == protocol::kCommit) handle_commit(ctx, header);
      else if (command == protocol::kAbort) handle_abort(ctx, header);
      else if (command == protocol::kStatus) handle_status(ctx, header);
      else if (command == protocol::kPing) out->reply(ctx, protocol::kPong, json::object());
      else out->nack(ctx, {"bad_request", "unknown command " + command});
    } catch (const json::exception& e) {
      out->nack(ctx, {"bad_request", std::string("malformed header: ") + e.what()});
    } catch (const std::exception& e) {
      spdlog::error("ingest: {} failed: {}", command, e.what());
      out->nack(ctx, {"internal_error", e.what(), true});
    }
  }

  void run() {
    using Clock = std::chrono::steady_clock;
    auto last_sweep = Clock::now();
    while (!stop) {
      zmq::pollitem_t item{static_cast<void*>(*socket), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(200));
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        continue;
      }
      if (item.revents & ZMQ_POLLIN) {
        for (int i = 0; i < 64 && !stop; ++i) {
          std::vector<zmq::message_t> frames;
          zmq::recv_result_t got;
          try {
            got = zmq::recv_multipart(*socket, std::back_inserter(frames), zmq::recv_flags::dontwait);
          } catch (const zmq::error_t& e) {
            break;
          }
          if (!got) break;
          handle(frames);
        }
      }
      if (Clock::now() - last_sweep > std::chrono::seconds(1)) {
        uploads.expire_idle();
        last_sweep = Clock::now();
      }
    }
  }
};

IngestServer::IngestServer(zmq::context_t& context, IngestSettings settings, DeviceAuth* auth,
                           EventPublisher* events, Metrics* metrics)
    : impl_(std::make_unique<Impl>(context, std::move(settings), auth, events, metrics)) {}

IngestServer::~IngestServer() { stop(); }

void IngestServer::start() {
  auto& s = impl_->settings;
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  std::filesystem::create_directories(s.originals_root);
  impl_->socket = std::make_unique<zmq::socket_t>(impl_->context, zmq::socket_type::router);
  auto& sock = *impl_->socket;
  sock.set(zmq::sockopt::linger, 0);
  sock.set(zmq::sockopt::router_mandatory, 0);
  // Frames above this are refused by libzmq before they are buffered (the sender is
  // disconnected): SUBMIT up to max_message_bytes, CHUNK up to chunk_bytes, plus headers.
  sock.set(zmq::sockopt::maxmsgsize, std::max(s.max_message_bytes, s.chunk_bytes) + 65536);
  make_curve_server(sock, s.secret_key, protocol::kIngestDomain);
  try {
    sock.bind(s.endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("ingest.endpoint " + s.endpoint + ": cannot bind: " + e.what() +
                             " (is another veild running? set another endpoint in the configuration)");
  }
  bound_endpoint_ = sock.get(zmq::sockopt::last_endpoint);
  impl_->out = std::make_unique<ReplySender>(sock, impl_->metrics);
  spdlog::info("ingest: listening on {} (CURVE {})", bound_endpoint_, s.secret_key.empty() ? "off" : "on");
  running_ = true;
  thread_ = std::thread([this] {
    try {
      impl_->run();
    } catch (const std::exception& e) {
      spdlog::critical("ingest: stopped by an unexpected error: {}", e.what());
    }
    running_ = false;
  });
}

void IngestServer::stop() {
  impl_->stop = true;
  if (thread_.joinable()) thread_.join();
  impl_->uploads.clear();
  impl_->out.reset();
  impl_->socket.reset();
  running_ = false;
}

}  // namespace veil
