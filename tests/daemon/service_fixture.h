// An in-process veild service (daemon/service.h) on a scratch database, with the fake
// processor, for the ingest and worker tests; and a raw protocol client.
#pragma once

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <nlohmann/json.hpp>

#include "ingest/protocol.h"
#include "daemon/service.h"
#include "tests/daemon/daemon_fixture.h"

namespace veil::test {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
    pqxx::connection c(db_.url());
    apply_migrations(c);
    nursery_ = make_nursery(db_.url(), tmp_.path());
    create_fake_records(db_.url());
    data_ = tmp_.path() + "/data";
  }
  void TearDown() override {
    for (auto& s : services_) s->stop();
  }

  Config base_config(const std::string& name = "a") {
    Config c;
    c.daemon.workers = 1;
    c.ingest.endpoint = "ipc://" + tmp_.path() + "/ingest-" + name + ".ipc";
    c.events.endpoint = "ipc://" + tmp_.path() + "/events-" + name + ".ipc";
    c.http.port = 0;
    c.queue.poll_interval_s = 1;
    c.queue.retry_backoff_s = 0;
    return c;
  }

  VeildService& start(const Config& config, std::function<void(const std::string&)> behaviour = {}) {
    return start_with(config, [behaviour] { return std::make_unique<FakeRecorder>(behaviour); });
  }

  // With another processor factory, and a hook for a worker that could not be replaced.
  VeildService& start_with(const Config& config, ProcessorFactory factory,
                           std::function<void(const std::string&)> on_worker_lost = {}) {
    services_.push_back(
        std::make_unique<VeildService>(ServiceOptions{config, db_.url(), data_, std::move(factory), on_worker_lost,
                                                      std::nullopt, {}}));
    services_.back()->start();
    return *services_.back();
  }

  std::unique_ptr<IngestClient> client(VeildService& s, int timeout_ms = 10000) {
    auto o = client_for(s.ingest_endpoint(), data_, nursery_);
    o.timeout_ms = timeout_ms;
    return std::make_unique<IngestClient>(o);
  }

  std::string media_state(const std::string& media_id) {
    return query_text(db_.url(), "SELECT state FROM media WHERE id = '" + media_id + "'");
  }

  bool wait_state(const std::string& media_id, const std::string& state, double seconds = 30) {
    return wait_until([&] { return media_state(media_id) == state; }, seconds);
  }

  ScratchDatabase db_;
  TempDir tmp_;
  Nursery nursery_;
  std::string data_;
  std::vector<std::unique_ptr<VeildService>> services_;
};

// One request on a fresh DEALER socket: {reply type, body}; type "" on timeout.
inline std::pair<std::string, nlohmann::json> raw_request(zmq::socket_t& s, const std::string& command,
                                                          const nlohmann::json& header, const std::string* data = nullptr,
                                                          int timeout_ms = 10000) {
  s.send(zmq::buffer(std::string(protocol::kVersion)), zmq::send_flags::sndmore);
  s.send(zmq::buffer(command), zmq::send_flags::sndmore);
  s.send(zmq::buffer(header.dump()), data ? zmq::send_flags::sndmore : zmq::send_flags::none);
  if (data) s.send(zmq::buffer(*data), zmq::send_flags::none);
  zmq::pollitem_t item{static_cast<void*>(s), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
  if (!(item.revents & ZMQ_POLLIN)) return {"", {}};
  std::vector<zmq::message_t> frames;
  (void)zmq::recv_multipart(s, std::back_inserter(frames));
  if (frames.size() < 3) return {"?", {}};
  return {frames[1].to_string(), nlohmann::json::parse(frames[2].to_string_view())};
}

inline std::unique_ptr<zmq::socket_t> raw_dealer(zmq::context_t& ctx, const IngestClientOptions& o) {
  auto s = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
  s->set(zmq::sockopt::linger, 0);
  s->set(zmq::sockopt::curve_serverkey, o.server_public_key);
  s->set(zmq::sockopt::curve_publickey, o.public_key);
  s->set(zmq::sockopt::curve_secretkey, o.secret_key);
  s->connect(o.endpoint);
  return s;
}

inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

}  // namespace veil::test
