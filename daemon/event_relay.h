// Events decided outside veild (a consent withdrawal recorded by `veil consent`: media.withdrawn)
// reach the front end through veild's PUB socket: the transaction that decides them sends a
// notification on kEventsChannel (storage/reprocess_queue.h) with the event's JSON body, and
// the relay, LISTENing on its own connection, publishes each under its "event" topic.
// Notifications are delivered at commit, so an event is published only for a change that
// committed. Like every event, one sent while veild is down or reconnecting is not published
// later: the journal_renditions view stays the source of truth (docs/integration.md).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace veil {

class EventPublisher;

class EventRelay {
 public:
  // `events` must outlive the relay.
  EventRelay(std::string database_url, EventPublisher& events);
  ~EventRelay();  // stops
  // Starts the thread; returns once it listens (throws when it cannot connect).
  void start();
  void stop();
  std::uint64_t relayed() const { return relayed_; }

 private:
  void run();

  std::string url_;
  EventPublisher& events_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> relayed_{0};
  std::thread thread_;
  struct Listening;
  std::unique_ptr<Listening> first_;  // the connection start() opened, handed to the thread
};

}  // namespace veil
