// Device authentication for veild's CURVE sockets: a ZAP handler (RFC 27) on
// inproc://zeromq.zap.01 that accepts a CURVE client only when its public key belongs to an
// active row of `devices`, and answers with the device id as the ZeroMQ User-Id (read back
// from every message by the ingest server).
//
// The keys are cached in memory: reloaded every `refresh_s` seconds, at once on reload()
// (SIGHUP), and on a cache miss (at most five times a second), so a newly registered device is
// accepted at once and a revoked one is refused within refresh_s (at once after SIGHUP).
// When the database is unreachable the last loaded set is kept; before any load it is
// empty: everything is refused (fail closed). The handler must be started before any CURVE
// server socket of the same context is bound: libzmq lets every client in when no ZAP
// handler exists.
//
// The two ends of that check for veild's server sockets are here too: make_curve_server()
// sends a socket's clients through the handler, and device_of() tells which device a
// received message came from.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/device_repository.h"

namespace zmq {
class context_t;
class message_t;
class socket_t;
}  // namespace zmq

namespace veil {

class DeviceAuth {
 public:
  DeviceAuth(zmq::context_t& context, std::string database_url, int refresh_s);
  ~DeviceAuth();
  DeviceAuth(const DeviceAuth&) = delete;
  DeviceAuth& operator=(const DeviceAuth&) = delete;

  // Binds the ZAP endpoint (throws when that fails), loads the keys and starts the thread.
  void start();
  void stop();
  // Reloads the cache now (SIGHUP); returns the number of active devices, or -1 when the
  // database could not be read.
  int reload();

  // The cached active device with this id.
  std::optional<Device> device(std::int64_t id) const;
  // The cached active device that sent `message` (any frame of a message received on a
  // CURVE server socket: its connection's User-Id, set by the handler). nullopt when the
  // message carries no device id or the device is no longer active, so a revoked key's
  // open connection is refused too.
  std::optional<Device> device_of(const zmq::message_t& message) const;
  std::size_t size() const;
  bool running() const { return running_; }

 private:
  void run();
  bool refresh();  // false when the database could not be read
  struct Cache;

  zmq::context_t& context_;
  std::string url_;
  int refresh_s_;
  mutable std::mutex mutex_;
  std::map<std::string, Device> by_key_;
  std::map<std::int64_t, Device> by_id_;
  std::mutex db_mutex_;
  std::unique_ptr<struct DeviceAuthDb> db_;
  std::unique_ptr<class ZapSocket> socket_;
  std::atomic<bool> stop_{false}, running_{false};
  std::int64_t last_refresh_ms_ = 0;
  std::thread thread_;
};

// Makes `socket` (not yet bound) a CURVE server with `secret_key` (Z85) whose clients the
// ZAP handler checks under `zap_domain`. An empty `secret_key` leaves CURVE off: nothing is set.
void make_curve_server(zmq::socket_t& socket, const std::string& secret_key, const char* zap_domain);

// "postgresql://...?a=b" + connect_timeout: the URL with libpq's connect_timeout set, so
// that a daemon component gives up quickly when PostgreSQL is down.
std::string with_connect_timeout(const std::string& url, int seconds);

}  // namespace veil
