// The ZAP handler and the registered-device cache.
#include "daemon/device_auth.h"

#include <chrono>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace veil {

struct DeviceAuthDb {
  std::unique_ptr<pqxx::connection> conn;
};

class ZapSocket {
 public:
  explicit ZapSocket(zmq::context_t& ctx) : socket(ctx, zmq::socket_type::rep) {}
  zmq::socket_t socket;
};

namespace {
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::string with_connect_timeout(const std::string& url, int seconds) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0)
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + std::to_string(seconds);
  return url + " connect_timeout=" + std::to_string(seconds);
}

void make_curve_server(zmq::socket_t& socket, const std::string& secret_key, const char* zap_domain) {
  if (secret_key.empty()) return;
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, secret_key);
  socket.set(zmq::sockopt::zap_domain, zap_domain);
}

DeviceAuth::DeviceAuth(zmq::context_t& context, std::string database_url, int refresh_s)
    : context_(context), url_(with_connect_timeout(database_url, 3)), refresh_s_(refresh_s),
      db_(std::make_unique<DeviceAuthDb>()) {}

DeviceAuth::~DeviceAuth() { stop(); }

void DeviceAuth::start() {
  socket_ = std::make_unique<ZapSocket>(context_);
  socket_->socket.set(zmq::sockopt::linger, 0);
  socket_->socket.bind("inproc://zeromq.zap.01");
  if (!refresh()) spdlog::warn("devices: cannot read registered devices yet; every client is refused until then");
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void DeviceAuth::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  socket_.reset();
  running_ = false;
}

bool DeviceAuth::refresh() {
  std::lock_guard<std::mutex> db_lock(db_mutex_);
  last_refresh_ms_ = now_ms();
  try {
    if (!db_->conn || !db_->conn->is_open()) db_->conn = std::make_unique<pqxx::connection>(url_);
    std::map<std::string, Device> by_key;
    std::map<std::int64_t, Device> by_id;
    for (auto& d : active_devices(*db_->conn)) {
      by_id[d.id] = d;
      by_key[d.public_key] = std::move(d);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    by_key_.swap(by_key);
    by_id_.swap(by_id);
    return true;
  } catch (const std::exception& e) {
    db_->conn.reset();
    spdlog::warn("devices: reload failed, keeping the {} cached keys: {}", size(), e.what());
    return false;
  }
}

int DeviceAuth::reload() {
  if (!refresh()) return -1;
  return static_cast<int>(size());
}

std::optional<Device> DeviceAuth::device(std::int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<Device> DeviceAuth::device_of(const zmq::message_t& message) const {
  std::int64_t id = 0;  // when the message carries none
  if (const char* user_id = zmq_msg_gets(message.handle(), "User-Id")) {
    try {
      id = std::stoll(user_id);
    } catch (...) {
    }
  }
  return device(id);
}

std::size_t DeviceAuth::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return by_key_.size();
}

void DeviceAuth::run() {
  auto& sock = socket_->socket;
  while (!stop_) {
    if (now_ms() - last_refresh_ms_ >= refresh_s_ * 1000LL) refresh();
    zmq::pollitem_t item{static_cast<void*>(sock), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(250));
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      continue;
    }
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> request;
    if (!zmq::recv_multipart(sock, std::back_inserter(request), zmq::recv_flags::dontwait)) continue;
    // version, request id, domain, address, routing id, mechanism, credentials...
    std::string status = "400", text = "refused", user_id;
    if (request.size() >= 6 && request[0].to_string() == "1.0") {
      const std::string mechanism = request[5].to_string();
      const std::string address = request[3].to_string();
      if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
        char z85[41];
        zmq_z85_encode(z85, static_cast<const uint8_t*>(request[6].data()), 32);
        auto lookup = [&]() -> std::optional<Device> {
          std::lock_guard<std::mutex> lock(mutex_);
          const auto it = by_key_.find(z85);
          if (it == by_key_.end()) return std::nullopt;
          return it->second;
        };
        auto found = lookup();
        if (!found && now_ms() - last_refresh_ms_ >= 200) {
          refresh();  // a device registered a moment ago
          found = lookup();
        }
        if (found) {
          status = "200";
          text = "OK";
          user_id = std::to_string(found->id);
          spdlog::debug("devices: device {} ({}) connected from {}", found->id, found->name, address);
        } else {
          text = "unregistered or revoked device key";
          spdlog::warn("devices: refused unregistered key {} from {} ({})", z85, address, request[2].to_string());
        }
      } else {
        text = "CURVE required";
        spdlog::warn("devices: refused {} client from {}", mechanism, address);
      }
    }
    std::vector<zmq::message_t> reply;
    reply.emplace_back(std::string("1.0"));
    reply.emplace_back(request.size() > 1 ? request[1].to_string() : std::string());
    reply.emplace_back(status);
    reply.emplace_back(text);
    reply.emplace_back(user_id);
    reply.emplace_back();
    try {
      zmq::send_multipart(sock, reply);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
    }
  }
  running_ = false;
}

}  // namespace veil
