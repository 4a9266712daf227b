// Database connections for the HTTP request threads. cpp-httplib serves requests on a
// thread pool and a pqxx connection must never be used by two threads at once, so each
// request borrows a connection of its own for as long as it runs and gives it back after.
//
// Idle connections are kept (at most `max_idle`, one per request thread is enough) so that a
// request does not pay for a new connection; a connection that broke (database restarted) is
// dropped on return instead of being kept, and the next request opens a fresh one.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace veil {

class ConnectionPool {
 public:
  // `connect_timeout_s` bounds each new connection (the URL's own connect_timeout wins).
  ConnectionPool(std::string database_url, std::size_t max_idle, int connect_timeout_s = 5);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A borrowed connection: used by one thread only, given back by the destructor.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> c);
    Lease(Lease&&) noexcept;
    ~Lease();
    pqxx::connection& operator*() const { return *connection_; }
    pqxx::connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
  };

  // An idle connection, or a new one. Throws pqxx::broken_connection when the database cannot
  // be reached.
  Lease acquire();

  std::size_t idle() const;

 private:
  void give_back(std::unique_ptr<pqxx::connection> c);

  std::string url_;
  std::size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

}  // namespace veil
