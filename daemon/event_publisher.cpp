// The PUB socket.
#include "daemon/event_publisher.h"

#include <chrono>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "daemon/device_auth.h"
#include "ingest/protocol.h"

namespace veil {

EventPublisher::EventPublisher(zmq::context_t& context, const std::string& endpoint, const std::string& secret_key)
    : socket_(std::make_unique<zmq::socket_t>(context, zmq::socket_type::pub)) {
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::sndhwm, 10000);
  make_curve_server(*socket_, secret_key, protocol::kEventsDomain);
  try {
    socket_->bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("events.endpoint " + endpoint + ": cannot bind: " + e.what() +
                             " (is another veild running? set another endpoint in the configuration)");
  }
  endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
  spdlog::info("events: publishing on {}", endpoint_);
}

EventPublisher::~EventPublisher() = default;

void EventPublisher::publish(const std::string& topic, const std::string& json_body) {
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    socket_->send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket_->send(zmq::buffer(json_body), zmq::send_flags::dontwait);
    ++published_;
  } catch (const zmq::error_t& e) {
    spdlog::warn("events: {} not published: {}", topic, e.what());
  }
}

void EventPublisher::media_event(MediaState state, const std::string& media_id, const std::string& reason,
                                 std::int64_t journal_child) {
  media_event(protocol::event_for_state(state), state, media_id, reason, journal_child);
}

void EventPublisher::media_event(const std::string& topic, MediaState state, const std::string& media_id,
                                 const std::string& reason, std::int64_t journal_child) {
  const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  nlohmann::json body{{"event", topic}, {"media_id", media_id}, {"state", to_string(state)}, {"reason", reason},
                      {"at_ms", at}};
  if (journal_child) body["journal_child"] = journal_child;
  publish(topic, body.dump());
}

}  // namespace veil
