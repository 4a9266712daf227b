// The DEALER side of the ingest protocol.
#include "ingest/ingest_client.h"

#include <sodium.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "ingest/protocol.h"

namespace veil {
namespace {
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Reply {
  std::string type;  // "" on timeout
  json body;
};

json submission_header(const SubmitRequest& r) {
  json h{{"submission_id", r.submission_id}, {"journal_child", r.journal_child}, {"file_name", r.file_name}};
  if (!r.observation_ref.empty()) h["observation_ref"] = r.observation_ref;
  if (r.uploader) h["uploader"] = r.uploader;
  if (!r.role.empty()) h["role"] = r.role;
  h["content_type"] = r.content_type.empty() ? protocol::content_type_for_name(r.file_name) : r.content_type;
  return h;
}

SubmitReply to_submit_reply(const Reply& r) {
  SubmitReply out;
  if (r.type.empty()) {
    out.code = "timeout";
    out.reason = "no answer from veild in time";
    out.retryable = true;
  } else if (r.type == protocol::kAck) {
    out.acked = true;
    out.media_id = r.body.value("media_id", "");
    out.duplicate = r.body.value("duplicate", false);
  } else if (r.type == protocol::kNack) {
    out.code = r.body.value("code", "unknown");
    out.reason = r.body.value("reason", "");
    out.retryable = r.body.value("retryable", false);
  } else {
    out.code = "protocol_error";
    out.reason = "unexpected reply " + r.type;
    out.retryable = true;
  }
  return out;
}

}  // namespace

std::string sha256_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()),
                              static_cast<unsigned long long>(in.gcount()));
  }
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, d);
  char hex[sizeof d * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  return hex;
}

std::string connectable_endpoint(const std::string& e) {
  const auto star = e.find("://*:");
  if (star == std::string::npos) return e;
  return e.substr(0, star) + "://127.0.0.1:" + e.substr(star + 5);
}

struct IngestClient::Impl {
  IngestClientOptions options;
  zmq::context_t context{1};
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<zmq::socket_t> monitor;  // handshake events: a refused key is known at once
  std::int64_t seq = 0;
  int connections = 0;

  void drop() {
    socket.reset();
    monitor.reset();
  }

  void connect() {
    monitor.reset();
    socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    socket->set(zmq::sockopt::linger, 0);
    const std::string monitor_endpoint = "inproc://veil-client-monitor-" + std::to_string(++connections);
    if (zmq_socket_monitor(static_cast<void*>(*socket), monitor_endpoint.c_str(),
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
      monitor = std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair);
      monitor->set(zmq::sockopt::linger, 0);
      monitor->connect(monitor_endpoint);
    }
    if (!options.server_public_key.empty()) {
      socket->set(zmq::sockopt::curve_serverkey, options.server_public_key);
      socket->set(zmq::sockopt::curve_publickey, options.public_key);
      socket->set(zmq::sockopt::curve_secretkey, options.secret_key);
    }
    socket->connect(options.endpoint);
  }

  std::int64_t send(const char* command, json header, const std::string* data = nullptr) {
    if (!socket) connect();
    header["seq"] = ++seq;
    const std::string h = header.dump();
    socket->send(zmq::buffer(std::string_view(protocol::kVersion)), zmq::send_flags::sndmore);
    socket->send(zmq::buffer(std::string_view(command)), zmq::send_flags::sndmore);
    socket->send(zmq::buffer(h), data ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (data) socket->send(zmq::buffer(*data), zmq::send_flags::none);
    return seq;
  }

  // Waits for the reply to `want` (older replies are skipped); on timeout the socket is
  // dropped, so that late replies cannot be mistaken for later requests' answers.
  Reply wait(std::int64_t want) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        drop();
        return {};
      }
      zmq::pollitem_t items[2] = {{static_cast<void*>(*socket), 0, ZMQ_POLLIN, 0},
                                  {monitor ? static_cast<void*>(*monitor) : nullptr, 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, monitor ? 2 : 1, left);
      if (monitor && (items[1].revents & ZMQ_POLLIN)) {
        std::vector<zmq::message_t> event;
        if (zmq::recv_multipart(*monitor, std::back_inserter(event), zmq::recv_flags::dontwait) && !event.empty() &&
            event[0].size() >= 2) {
          std::uint16_t id = 0;
          std::memcpy(&id, event[0].data(), sizeof id);
          drop();
          Reply r{protocol::kNack, json::object()};
          r.body["code"] = "unauthorized";
          r.body["reason"] = id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                 ? "veild refused this device key (not registered, or revoked)"
                                 : "CURVE handshake failed (wrong server key?)";
          r.body["retryable"] = false;
          return r;
        }
      }
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(*socket, std::back_inserter(frames))) continue;
      if (frames.size() < 3 || frames[0].to_string_view() != protocol::kVersion) continue;
      Reply r{frames[1].to_string(), json::object()};
      try {
        r.body = json::parse(frames[2].to_string_view());
      } catch (const json::exception&) {
        continue;
      }
      if (r.body.value("seq", std::int64_t{-1}) == want) return r;
    }
  }

  Reply request(const char* command, json header, const std::string* data = nullptr) {
    return wait(send(command, std::move(header), data));
  }
};

IngestClient::IngestClient(IngestClientOptions options) : impl_(std::make_unique<Impl>()) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  impl_->options = std::move(options);
}

IngestClient::~IngestClient() { impl_->drop(); }

SubmitReply IngestClient::submit_bytes(const SubmitRequest& request, const std::string& bytes) {
  json h = submission_header(request);
  h["size"] = bytes.size();
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[sizeof d * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  h["sha256"] = hex;
  return to_submit_reply(impl_->request(protocol::kSubmit, h, &bytes));
}

SubmitReply IngestClient::submit_chunked(const SubmitRequest& request, const std::string& path,
                                         const std::function<void(std::int64_t, std::int64_t)>& progress) {
  auto& m = *impl_;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::int64_t size = in.tellg();
  const std::string sha = sha256_of_file(path);
  json h = submission_header(request);
  h["size"] = size;
  h["sha256"] = sha;
  for (int restart = 0; restart < 3; ++restart) {
    const Reply ready = m.request(protocol::kBegin, h);
    if (ready.type != protocol::kReady) return to_submit_reply(ready);  // ACK (duplicate), NACK or timeout
    const std::string upload_id = ready.body.value("upload_id", "");
    std::int64_t chunk = std::min<std::int64_t>(m.options.chunk_bytes, ready.body.value("chunk_bytes", m.options.chunk_bytes));
    std::int64_t sent = ready.body.value("offset", std::int64_t{0});  // > 0: resuming
    std::int64_t acked = sent;
    std::vector<std::int64_t> in_flight;  // seq numbers
    bool restart_upload = false;
    in.clear();
    in.seekg(sent);
    std::string buf;
    while (acked < size) {
      while (sent < size && static_cast<int>(in_flight.size()) < m.options.window) {
        buf.resize(static_cast<std::size_t>(std::min(chunk, size - sent)));
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() != static_cast<std::streamsize>(buf.size())) throw std::runtime_error(path + ": changed while sending");
        in_flight.push_back(m.send(protocol::kChunk, {{"upload_id", upload_id}, {"offset", sent}}, &buf));
        sent += static_cast<std::int64_t>(buf.size());
      }
      const Reply r = m.wait(in_flight.front());
      in_flight.erase(in_flight.begin());
      if (r.type == protocol::kChunkOk) {
        acked = r.body.value("received", acked);
        if (progress) progress(acked, size);
        continue;
      }
      const std::string code = r.body.value("code", "");
      if (r.type == protocol::kNack && (code == "upload_unknown" || code == "bad_offset")) {
        restart_upload = true;  // BEGIN again: resumes where the daemon is, or starts over
        break;
      }
      return to_submit_reply(r);
    }
    if (restart_upload) {
      m.drop();  // drop replies to chunks still in flight
      continue;
    }
    return to_submit_reply(m.request(protocol::kCommit, {{"upload_id", upload_id}, {"sha256", sha}}));
  }
  return SubmitReply{false, "", false, "upload_restarted", "the upload had to restart too often", true};
}

SubmitReply IngestClient::submit_file(const SubmitRequest& request, const std::string& path,
                                      const std::function<void(std::int64_t, std::int64_t)>& progress) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::int64_t size = in.tellg();
  if (size > impl_->options.single_message_max) return submit_chunked(request, path, progress);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  return submit_bytes(request, bytes);
}

StatusReply IngestClient::status(const std::string& media_id) {
  const Reply r = impl_->request(protocol::kStatus, {{"media_id", media_id}});
  StatusReply out;
  if (r.type == protocol::kStatusReply) {
    out.ok = true;
    out.media_id = r.body.value("media_id", "");
    out.state = r.body.value("state", "");
    out.reason = r.body.value("reason", "");
    out.final = r.body.value("final", false);
  } else {
    out.error = r.type.empty() ? "timeout" : r.body.value("code", "") + ": " + r.body.value("reason", "");
  }
  return out;
}

bool IngestClient::ping() { return impl_->request(protocol::kPing, json::object()).type == protocol::kPong; }

}  // namespace veil
