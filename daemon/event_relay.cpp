// LISTEN veil_events -> PUB.
#include "daemon/event_relay.h"

#include <chrono>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "daemon/device_auth.h"
#include "daemon/event_publisher.h"
#include "storage/reprocess_queue.h"

namespace veil {

namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, EventPublisher& events, std::atomic<std::uint64_t>& relayed)
      : pqxx::notification_receiver(c, kEventsChannel), events_(events), relayed_(relayed) {}
  void operator()(const std::string& payload, int) override {
    auto body = nlohmann::json::parse(payload, nullptr, false);
    if (!body.is_object() || !body.contains("event")) {
      spdlog::warn("events: notification ignored (not an event): {}", payload);
      return;
    }
    const std::string topic = body["event"].get<std::string>();
    if (!body.contains("at"))
      body["at"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                       .count();
    events_.publish(topic, body.dump());
    ++relayed_;
  }

 private:
  EventPublisher& events_;
  std::atomic<std::uint64_t>& relayed_;
};

}  // namespace

struct EventRelay::Listening {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;
};

EventRelay::EventRelay(std::string database_url, EventPublisher& events) : url_(std::move(database_url)), events_(events) {}

EventRelay::~EventRelay() { stop(); }

void EventRelay::start() {
  first_ = std::make_unique<Listening>();
  first_->conn = std::make_unique<pqxx::connection>(with_connect_timeout(url_, 5));
  first_->receiver = std::make_unique<Receiver>(*first_->conn, events_, relayed_);
  first_->conn->get_notifs();  // LISTEN is sent at once
  thread_ = std::thread([this] { run(); });
}

void EventRelay::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventRelay::run() {
  std::unique_ptr<Listening> l = std::move(first_);
  while (!stop_) {
    try {
      if (!l) {
        l = std::make_unique<Listening>();
        l->conn = std::make_unique<pqxx::connection>(with_connect_timeout(url_, 5));
        l->receiver = std::make_unique<Receiver>(*l->conn, events_, relayed_);
      }
      l->conn->await_notification(0, 300000);  // short slices, to notice stop
    } catch (const std::exception& e) {
      spdlog::warn("events: the relay lost its database connection, reconnecting: {}", e.what());
      if (l) l->receiver.reset();
      l.reset();
      for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (l) l->receiver.reset();
}

}  // namespace veil
