// The ingest loop: requests in, durable originals + committed rows, ACK/NACK out.
#include "daemon/ingest_server.h"

#include <sodium.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/device_auth.h"
#include "daemon/event_publisher.h"
#include "daemon/ingest_request.h"
#include "daemon/metrics.h"
#include "ingest/protocol.h"
#include "storage/media_repository.h"

namespace veil {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct RequestContext {
  zmq::message_t identity;
  json seq;                 // echoed
  std::optional<Device> device;
};

struct Upload {
  std::string id;
  std::string resume_key;
  std::int64_t device_id = 0;
  Submission submission;
  std::unique_ptr<OriginalWriter> writer;
  Clock::time_point last_activity;
};

std::string random_hex(std::size_t bytes) {
  std::string out;
  static const char* digits = "0123456789abcdef";
  std::vector<unsigned char> r(bytes);
  randombytes_buf(r.data(), r.size());
  for (unsigned char c : r) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

struct IngestServer::Impl {
  zmq::context_t& context;
  IngestSettings settings;
  DeviceAuth* auth;
  EventPublisher* events;
  Metrics* metrics;
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<pqxx::connection> conn;
  std::string db_url;
  std::map<std::string, std::unique_ptr<Upload>> uploads;       // by upload id
  std::map<std::string, std::string> upload_by_resume_key;      // -> upload id
  std::atomic<bool> stop{false};

  Impl(zmq::context_t& c, IngestSettings s, DeviceAuth* a, EventPublisher* e, Metrics* m)
      : context(c), settings(std::move(s)), auth(a), events(e), metrics(m),
        db_url(with_connect_timeout(settings.database_url, 3)) {}

  pqxx::connection& db() {
    if (!conn || !conn->is_open()) {
      conn.reset();
      conn = std::make_unique<pqxx::connection>(db_url);
    }
    return *conn;
  }

  void reply(RequestContext& ctx, const char* type, json body) {
    if (!ctx.seq.is_null()) body["seq"] = ctx.seq;
    std::vector<zmq::message_t> frames;
    frames.emplace_back(ctx.identity.data(), ctx.identity.size());
    frames.emplace_back(std::string(protocol::kVersion));
    frames.emplace_back(std::string(type));
    frames.emplace_back(body.dump());
    try {
      zmq::send_multipart(*socket, frames, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      spdlog::warn("ingest: reply {} not sent: {}", type, e.what());
    }
  }

  void nack(RequestContext& ctx, const Nack& n, const std::string& submission_id = "") {
    json body{{"code", n.code}, {"reason", n.reason}, {"retryable", n.retryable}};
    if (!submission_id.empty()) body["submission_id"] = submission_id;
    if (metrics) metrics->count_ingest("nack:" + n.code);
    spdlog::log(n.retryable ? spdlog::level::warn : spdlog::level::info, "ingest: NACK {}{}: {}", n.code,
                submission_id.empty() ? "" : " for " + submission_id, n.reason);
    reply(ctx, protocol::kNack, body);
  }

  void ack(RequestContext& ctx, const std::string& submission_id, const std::string& media_id, bool duplicate) {
    if (metrics) metrics->count_ingest(duplicate ? "duplicate" : "ack");
    reply(ctx, protocol::kAck, {{"submission_id", submission_id}, {"media_id", media_id}, {"duplicate", duplicate}});
  }

  // Database errors are retryable: the connection is dropped and made again next time.
  Nack database_nack(const std::exception& e) {
    conn.reset();
    return {"database_unavailable", std::string("database unavailable: ") + e.what(), true};
  }

  // Checks the submission against the database. Returns the child's data key to encrypt
  // with, the media id of an earlier identical submission (duplicate), or a refusal.
  struct Prepared {
    std::optional<std::string> duplicate_of;
    SecretKey key{};
  };
  std::variant<Prepared, Nack> prepare(Submission& s) {
    auto& m = s.media;
    try {
      auto& c = db();
      Prepared p;
      {
        pqxx::read_transaction tx(c);
        if (auto existing = find_submission(tx, m.uploader_id, m.client_submission_id)) {
          p.duplicate_of = *existing;
          return p;
        }
        const auto status = child_status(tx, m.journal_child_id);
        if (!status) return Nack{"unknown_child", "no child with id " + std::to_string(m.journal_child_id)};
        if (*status != "active")
          return Nack{"child_not_active", "child " + std::to_string(m.journal_child_id) + " is " + *status};
        const auto kind = person_kind(tx, m.uploader_id);
        if (!kind) return Nack{"unknown_uploader", "no person with id " + std::to_string(m.uploader_id)};
        if (*kind != "staff" && *kind != "parent")
          return Nack{"unknown_uploader", "person " + std::to_string(m.uploader_id) + " is not staff or a parent"};
        if (m.uploader_role.empty()) m.uploader_role = *kind;
        if (m.uploader_role != *kind)
          return Nack{"role_mismatch", "person " + std::to_string(m.uploader_id) + " is " + *kind + ", not " +
                                           m.uploader_role};
      }
      p.key = child_data_key(c, settings.master_key, m.journal_child_id, true);
      m.media_id = media_id_for_submission(settings.master_key, m.uploader_id, m.client_submission_id);
      return p;
    } catch (const StorageError& e) {
      return Nack{"storage_unavailable", e.what(), false};
    } catch (const pqxx::failure& e) {
      return database_nack(e);
    }
  }

  // Makes the original durable, then commits the rows; ACK or NACK.
  void finish(RequestContext& ctx, Submission& s, OriginalWriter& writer) {
    auto& m = s.media;
    const std::string sha = writer.sha256_hex();
    if (s.declared_size >= 0 && static_cast<std::int64_t>(writer.bytes()) != s.declared_size)
      return nack(ctx,
                  {"size_mismatch",
                   "received " + std::to_string(writer.bytes()) + " bytes, declared " + std::to_string(s.declared_size),
                   true},
                  m.client_submission_id);
    if (!s.declared_sha256.empty() && sha != s.declared_sha256)
      return nack(ctx, {"checksum_mismatch", "sha256 of the received bytes is " + sha + ", declared " + s.declared_sha256,
                        true},
                  m.client_submission_id);
    m.original_sha256 = sha;
    m.bytes = static_cast<std::int64_t>(writer.bytes());
    try {
      writer.commit();
    } catch (const StorageError& e) {
      return nack(ctx, {"storage_unavailable", std::string("original not stored: ") + e.what(), true},
                  m.client_submission_id);
    }
    InsertedMedia inserted;
    try {
      pqxx::work tx(db());
      inserted = insert_received_media(tx, m);
      tx.commit();
    } catch (const pqxx::failure& e) {
      // The file stays: a re-send of this submission writes the same path (same media id).
      return nack(ctx, database_nack(e), m.client_submission_id);
    } catch (const std::exception& e) {
      return nack(ctx, {"internal_error", e.what(), true}, m.client_submission_id);
    }
    if (metrics) metrics->add_ingest_bytes(m.bytes);
    spdlog::info("ingest: {} {} ({} bytes, child {}, uploader {} {}) -> media {}",
                 inserted.inserted ? "stored" : "duplicate of", m.client_submission_id, m.bytes, m.journal_child_id,
                 m.uploader_role, m.uploader_id, inserted.media_id);
    ack(ctx, m.client_submission_id, inserted.media_id, !inserted.inserted);
    if (inserted.inserted && events) events->media_event("received", inserted.media_id, "", m.journal_child_id);
  }

  void handle_submit(RequestContext& ctx, const json& h, const zmq::message_t* data) {
    auto parsed = parse_submission(h, ctx.device ? &*ctx.device : nullptr, settings.max_file_bytes);
    if (auto* n = std::get_if<Nack>(&parsed)) return nack(ctx, *n, h.value("submission_id", ""));
    auto& s = std::get<Submission>(parsed);
    if (!data) return nack(ctx, {"bad_request", "SUBMIT needs the file as frame 3"}, s.media.client_submission_id);
    if (static_cast<std::int64_t>(data->size()) > settings.max_file_bytes)
      return nack(ctx, {"too_large", "exceeds limits.max_file_bytes"}, s.media.client_submission_id);
    auto prepared = prepare(s);
    if (auto* n = std::get_if<Nack>(&prepared)) return nack(ctx, *n, s.media.client_submission_id);
    auto& p = std::get<Prepared>(prepared);
    if (p.duplicate_of) return ack(ctx, s.media.client_submission_id, *p.duplicate_of, true);
    try {
      OriginalWriter writer(original_path(settings.originals_root, s.media.journal_child_id, s.media.media_id), p.key,
                            s.media.media_id);
      writer.append(data->data(), data->size());
      finish(ctx, s, writer);
    } catch (const StorageError& e) {
      nack(ctx, {"storage_unavailable", e.what(), true}, s.media.client_submission_id);
    }
  }

  void drop_upload(const std::string& id) {
    const auto it = uploads.find(id);
    if (it == uploads.end()) return;
    upload_by_resume_key.erase(it->second->resume_key);
    uploads.erase(it);  // the writer removes its temporary file
  }

  void handle_begin(RequestContext& ctx, const json& h) {
    auto parsed = parse_submission(h, ctx.device ? &*ctx.device : nullptr, settings.max_file_bytes);
    if (auto* n = std::get_if<Nack>(&parsed)) return nack(ctx, *n, h.value("submission_id", ""));
    auto& s = std::get<Submission>(parsed);
    if (s.declared_size < 0) return nack(ctx, {"bad_request", "BEGIN needs size"}, s.media.client_submission_id);
    const std::string resume_key = std::to_string(s.media.device_id) + ":" + std::to_string(s.media.uploader_id) +
                                   ":" + s.media.client_submission_id;
    if (const auto it = upload_by_resume_key.find(resume_key); it != upload_by_resume_key.end()) {
      auto& up = *uploads.at(it->second);
      if (up.submission.declared_size == s.declared_size && up.submission.declared_sha256 == s.declared_sha256) {
        up.last_activity = Clock::now();
        return reply(ctx, protocol::kReady,
                     {{"submission_id", s.media.client_submission_id}, {"upload_id", up.id},
                      {"offset", up.writer->bytes()}, {"chunk_bytes", settings.chunk_bytes}});
      }
      drop_upload(it->second);  // a different file under the same submission id: start again
    }
    if (static_cast<int>(uploads.size()) >= settings.max_open_uploads)
      return nack(ctx, {"busy", "too many uploads in progress; retry later", true}, s.media.client_submission_id);
    auto prepared = prepare(s);
    if (auto* n = std::get_if<Nack>(&prepared)) return nack(ctx, *n, s.media.client_submission_id);
    auto& p = std::get<Prepared>(prepared);
    if (p.duplicate_of) return ack(ctx, s.media.client_submission_id, *p.duplicate_of, true);
    auto up = std::make_unique<Upload>();
    up->id = random_hex(12);
    up->resume_key = resume_key;
    up->device_id = s.media.device_id;
    up->last_activity = Clock::now();
    try {
      up->writer = std::make_unique<OriginalWriter>(
          original_path(settings.originals_root, s.media.journal_child_id, s.media.media_id), p.key, s.media.media_id);
    } catch (const StorageError& e) {
      return nack(ctx, {"storage_unavailable", e.what(), true}, s.media.client_submission_id);
    }
    up->submission = std::move(s);
    const std::string id = up->id;
    const std::string submission_id = up->submission.media.client_submission_id;
    upload_by_resume_key[resume_key] = id;
    uploads[id] = std::move(up);
    reply(ctx, protocol::kReady,
          {{"submission_id", submission_id}, {"upload_id", id}, {"offset", 0}, {"chunk_bytes", settings.chunk_bytes}});
  }

  Upload* find_upload(RequestContext& ctx, const json& h) {
    const auto it = uploads.find(h.value("upload_id", ""));
    if (it == uploads.end() || it->second->device_id != (ctx.device ? ctx.device->id : 0)) {
      nack(ctx, {"upload_unknown", "no such upload in progress (expired or the daemon restarted): BEGIN again", true});
      return nullptr;
    }
    it->second->last_activity = Clock::now();
    return it->second.get();
  }

  void handle_chunk(RequestContext& ctx, const json& h, const zmq::message_t* data) {
    Upload* up = find_upload(ctx, h);
    if (!up) return;
    const auto& sid = up->submission.media.client_submission_id;
    if (!data) return nack(ctx, {"bad_request", "CHUNK needs the bytes as frame 3"}, sid);
    if (static_cast<std::int64_t>(data->size()) > settings.chunk_bytes)
      return nack(ctx, {"bad_request", "chunk larger than " + std::to_string(settings.chunk_bytes) + " bytes"}, sid);
    const std::int64_t offset = h.value("offset", std::int64_t{-1});
    const auto received = static_cast<std::int64_t>(up->writer->bytes());
    if (offset != received) {
      json body{{"code", "bad_offset"},
                {"reason", "expected offset " + std::to_string(received)},
                {"retryable", true},
                {"expected", received},
                {"submission_id", sid}};
      if (metrics) metrics->count_ingest("nack:bad_offset");
      return reply(ctx, protocol::kNack, body);
    }
    if (received + static_cast<std::int64_t>(data->size()) > up->submission.declared_size) {
      nack(ctx, {"size_mismatch", "more bytes than the declared size", false}, sid);
      return drop_upload(up->id);
    }
    try {
      up->writer->append(data->data(), data->size());
    } catch (const StorageError& e) {
      nack(ctx, {"storage_unavailable", e.what(), true}, sid);
      return drop_upload(up->id);
    }
    reply(ctx, protocol::kChunkOk, {{"upload_id", up->id}, {"received", up->writer->bytes()}});
  }

  void handle_commit(RequestContext& ctx, const json& h) {
    Upload* up = find_upload(ctx, h);
    if (!up) return;
    const std::string sha = h.value("sha256", "");
    if (!is_sha256_hex(sha))
      return nack(ctx, {"bad_request", "COMMIT needs sha256 (64 lower-case hex digits)"},
                  up->submission.media.client_submission_id);
    if (!up->submission.declared_sha256.empty() && up->submission.declared_sha256 != sha) {
      nack(ctx, {"checksum_mismatch", "COMMIT sha256 differs from BEGIN's", true},
           up->submission.media.client_submission_id);
      return drop_upload(up->id);
    }
    up->submission.declared_sha256 = sha;
    try {
      finish(ctx, up->submission, *up->writer);
    } catch (const StorageError& e) {
      nack(ctx, {"storage_unavailable", e.what(), true}, up->submission.media.client_submission_id);
    }
    drop_upload(up->id);  // ACKed, or refused: a retry starts with BEGIN
  }

  void handle_status(RequestContext& ctx, const json& h) {
    const std::string media_id = h.value("media_id", "");
    try {
      pqxx::read_transaction tx(db());
      const auto st = media_status(tx, media_id);
      if (!st) return nack(ctx, {"unknown_media", "no media " + media_id});
      reply(ctx, protocol::kStatusReply,
            {{"media_id", st->media_id}, {"state", st->state}, {"reason", st->reason},
             {"final", protocol::is_final_state(st->state)}});
    } catch (const pqxx::failure& e) {
      nack(ctx, database_nack(e));
    }
  }

  void handle(std::vector<zmq::message_t>& frames) {
    if (frames.size() < 2) return;
    RequestContext ctx;
    ctx.identity = std::move(frames[0]);
    if (frames.size() < 4 || frames[1].to_string_view() != protocol::kVersion)
      return nack(ctx, {"bad_request", "expected frames: \"VEIL/1\", command, JSON header[, bytes]"});
    json header;
    try {
      header = json::parse(frames[3].to_string_view());
    } catch (const json::exception& e) {
      return nack(ctx, {"bad_request", std::string("header is not JSON: ") + e.what()});
    }
    if (header.is_object() && header.contains("seq")) ctx.seq = header["seq"];
    // The device is checked on every message: a revoked key's open connection is refused too.
    if (auth) {
      std::int64_t device_id = 0;
      try {
        device_id = std::stoll(frames[1].gets("User-Id"));
      } catch (...) {
      }
      ctx.device = auth->device(device_id);
      if (!ctx.device) return nack(ctx, {"unauthorized", "device key not registered or revoked"});
    }
    const zmq::message_t* data = frames.size() > 4 ? &frames[4] : nullptr;
    const std::string command = frames[2].to_string();
    try {
      if (command == protocol::kSubmit) handle_submit(ctx, header, data);
      else if (command == protocol::kBegin) handle_begin(ctx, header);
      else if (command == protocol::kChunk) handle_chunk(ctx, header, data);
      else if (command == protocol::kCommit) handle_commit(ctx, header);
      else if (command == protocol::kAbort) {
        if (Upload* up = find_upload(ctx, header)) {
          const std::string id = up->id;
          drop_upload(id);
          reply(ctx, protocol::kAborted, {{"upload_id", id}});
        }
      } else if (command == protocol::kStatus) handle_status(ctx, header);
      else if (command == protocol::kPing) reply(ctx, protocol::kPong, json::object());
      else nack(ctx, {"bad_request", "unknown command " + command});
    } catch (const json::exception& e) {
      nack(ctx, {"bad_request", std::string("malformed header: ") + e.what()});
    } catch (const std::exception& e) {
      spdlog::error("ingest: {} failed: {}", command, e.what());
      nack(ctx, {"internal_error", e.what(), true});
    }
  }

  void expire_uploads() {
    const auto limit = std::chrono::seconds(settings.upload_idle_timeout_s);
    std::vector<std::string> idle;
    for (const auto& [id, up] : uploads)
      if (Clock::now() - up->last_activity > limit) idle.push_back(id);
    for (const auto& id : idle) {
      spdlog::info("ingest: upload {} idle for {} s, dropped", id, settings.upload_idle_timeout_s);
      drop_upload(id);
    }
  }

  void run() {
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
        expire_uploads();
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
  if (!s.secret_key.empty()) {
    sock.set(zmq::sockopt::curve_server, 1);
    sock.set(zmq::sockopt::curve_secretkey, s.secret_key);
    sock.set(zmq::sockopt::zap_domain, protocol::kIngestDomain);
  }
  try {
    sock.bind(s.endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("ingest.endpoint " + s.endpoint + ": cannot bind: " + e.what() +
                             " (is another veild running? set another endpoint in the configuration)");
  }
  bound_endpoint_ = sock.get(zmq::sockopt::last_endpoint);
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
  impl_->socket.reset();
  running_ = false;
}

}  // namespace veil
