// The daily purge look.
#include "daemon/purge_schedule.h"

#include <chrono>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "leavers/leaver_flow.h"
#include "daemon/device_auth.h"  // with_connect_timeout

namespace veil {

PurgeSchedule::PurgeSchedule(std::string database_url, int interval_s)
    : database_url_(std::move(database_url)), interval_s_(interval_s) {}

PurgeSchedule::~PurgeSchedule() { stop(); }

void PurgeSchedule::start() { thread_ = std::thread([this] { loop(); }); }

void PurgeSchedule::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int PurgeSchedule::run_once() {
  pqxx::connection c(with_connect_timeout(database_url_, 5));
  pqxx::work tx(c);
  const int queued = queue_due_purges(tx);
  tx.commit();
  return queued;
}

void PurgeSchedule::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      if (const int n = run_once()) spdlog::info("leavers: {} purge job(s) queued (grace period over)", n);
    } catch (const std::exception& e) {
      spdlog::warn("leavers: looking for due purges failed, tried again in {} s: {}", interval_s_, e.what());
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(interval_s_), [this] { return stopping_; });
  }
}

}  // namespace veil
