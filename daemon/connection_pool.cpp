// Borrowing and returning connections.
#include "daemon/connection_pool.h"

#include <pqxx/pqxx>

#include "daemon/device_auth.h"  // with_connect_timeout

namespace veil {

ConnectionPool::ConnectionPool(std::string database_url, std::size_t max_idle, int connect_timeout_s)
    : url_(with_connect_timeout(database_url, connect_timeout_s)), max_idle_(max_idle) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> c)
    : pool_(&pool), connection_(std::move(c)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

ConnectionPool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

ConnectionPool::Lease ConnectionPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->is_open()) return Lease(*this, std::move(c));
    }
  }
  return Lease(*this, std::make_unique<pqxx::connection>(url_));  // outside the lock: connecting takes time
}

void ConnectionPool::give_back(std::unique_ptr<pqxx::connection> c) {
  if (!c->is_open()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
}

std::size_t ConnectionPool::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

}  // namespace veil
