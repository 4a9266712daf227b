// veild's daily look for leavers whose purge is due (README, "When a child leaves"): a thread
// that, at start and then every `interval_s` (a day), queues a purge job for each
// (leavers/leaver_flow.h queue_due_purges()); the workers run them. Queuing is idempotent
// (a leaver with a purge job queued or running gets no second one), so several daemons may
// share a database. A failed look (database down) is logged and tried again at the next one.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace veil {

class PurgeSchedule {
 public:
  PurgeSchedule(std::string database_url, int interval_s = 24 * 3600);
  ~PurgeSchedule();  // stop()
  PurgeSchedule(const PurgeSchedule&) = delete;
  PurgeSchedule& operator=(const PurgeSchedule&) = delete;

  void start();
  void stop();  // wakes and joins the thread
  // Queues the purges due now; returns how many. Throws on a database error.
  int run_once();

 private:
  void loop();
  std::string database_url_;
  int interval_s_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace veil
