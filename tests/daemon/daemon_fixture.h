// Helpers for the daemon tests: a scratch database with a child, a staff member and a
// registered device; a fake processor; veild processes; polling.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "ingest/curve_keys.h"
#include "ingest/ingest_client.h"
#include "daemon/worker_pool.h"
#include "storage/device_repository.h"
#include "storage/migrations.h"
#include "tests/test_support.h"

namespace veil::test {

#define REQUIRE_TEST_DB(db) \
  if ((db).url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)"

inline std::int64_t query_int(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  const auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<std::int64_t>();
}

inline std::string query_text(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  const auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

inline void exec_sql(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  tx.exec(sql);
  tx.commit();
}

// Polls `done` every 50 ms for at most `seconds`.
inline bool wait_until(const std::function<bool()>& done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// A staff member, a child and a registered device (its key file in `dir`).
struct Nursery {
  std::int64_t staff = 0, parent = 0, child = 0, device = 0;
  CurveKeyPair device_keys;
  std::string key_file;
};

inline Nursery make_nursery(const std::string& url, const std::string& dir) {
  Nursery n;
  pqxx::connection c(url);
  {
    pqxx::work tx(c);
    n.staff = tx.exec1("INSERT INTO people (kind, display_name) VALUES ('staff', 'Sam Staff') RETURNING id")[0]
                  .as<std::int64_t>();
    n.parent = tx.exec1("INSERT INTO people (kind, display_name) VALUES ('parent', 'Pat Parent') RETURNING id")[0]
                   .as<std::int64_t>();
    n.child = tx.exec1("INSERT INTO children (display_name) VALUES ('Ada') RETURNING id")[0].as<std::int64_t>();
    tx.commit();
  }
  n.device_keys = generate_curve_keypair();
  n.key_file = dir + "/device.key";
  write_key_file(n.key_file, n.device_keys, true);
  n.device = register_device(c, n.device_keys.public_key, "test tablet", 0);
  return n;
}

// Creates fake_records (media_id, bytes) for FakeRecorder.
inline void create_fake_records(const std::string& url) {
  exec_sql(url, "CREATE TABLE IF NOT EXISTS fake_records (media_id uuid NOT NULL, bytes bigint, at timestamptz DEFAULT "
                "clock_timestamp())");
}

// A fake processor that knows its media id in record() (run() keeps it in the result).
class FakeRecorder : public ItemProcessor {
 public:
  explicit FakeRecorder(std::function<void(const std::string&)> behaviour = {}) : behaviour_(std::move(behaviour)) {}
  struct Result {
    std::string media_id;
    std::size_t bytes;
  };
  std::shared_ptr<void> run(pqxx::connection_base&, const ClaimedJob& job, const std::string& original) override {
    if (behaviour_) behaviour_(job.media_id);
    return std::make_shared<Result>(Result{job.media_id, original.size()});
  }
  MediaState record(pqxx::transaction_base& tx, const std::shared_ptr<void>& result, const std::string&) override {
    const auto& r = *std::static_pointer_cast<Result>(result);
    // Like MediaProcessor::record: replaces faces, sets the state.
    tx.exec_params("DELETE FROM faces WHERE media_id = $1", r.media_id);
    tx.exec_params("INSERT INTO faces (media_id, bbox, det_score, decision, decision_reason) "
                   "VALUES ($1, '{0,0,10,10}', 0.9, 'blur', 'unknown')",
                   r.media_id);
    tx.exec_params("INSERT INTO fake_records (media_id, bytes) VALUES ($1, $2)", r.media_id,
                   static_cast<std::int64_t>(r.bytes));
    tx.exec_params("UPDATE media SET state = 'published', updated_at = now() WHERE id = $1", r.media_id);
    return MediaState::published;
  }

 private:
  std::function<void(const std::string&)> behaviour_;
};

inline std::string veild_path() { return binary_dir() + "/daemon/veild"; }
inline std::string veil_path() { return binary_dir() + "/cli/veil"; }

// A veild process with its own config file and log.
struct VeildProcess {
  pid_t pid = -1;
  std::string log;
  std::string ingest, events;
  int http_port = 0;

  ~VeildProcess() { kill_now(); }

  void start(const std::string& config, const std::string& data_dir, const std::string& log_path) {
    log = log_path;
    pid = fork();
    if (pid == 0) {
      const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(veild_path().c_str(), "veild", "--config", config.c_str(), "--data-dir", data_dir.c_str(), "--log-level",
            "debug", static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  std::string log_text() const {
    try {
      return read_file(log);
    } catch (const std::exception&) {
      return "";  // not created yet
    }
  }

  // Waits for the n-th "veild ready" in the log (a restarted daemon appends to it).
  bool wait_ready(int nth = 1, double seconds = 60) {
    const bool ok = wait_until(
        [&] {
          const std::string t = log_text();
          int count = 0;
          for (auto p = t.find("veild ready"); p != std::string::npos; p = t.find("veild ready", p + 1)) ++count;
          return count >= nth || !alive();
        },
        seconds);
    if (!ok || !alive()) return false;
    const std::string t = log_text();
    static const std::regex ingest_re(R"(ingest: listening on (\S+))"), events_re(R"(events: publishing on (\S+))"),
        http_re(R"(http: listening on [^:]+:(\d+))");
    for (std::sregex_iterator it(t.begin(), t.end(), ingest_re), end; it != end; ++it) ingest = (*it)[1];
    for (std::sregex_iterator it(t.begin(), t.end(), events_re), end; it != end; ++it) events = (*it)[1];
    for (std::sregex_iterator it(t.begin(), t.end(), http_re), end; it != end; ++it) http_port = std::stoi((*it)[1]);
    return true;
  }

  bool alive() const {
    if (pid <= 0) return false;
    int status = 0;
    return waitpid(pid, &status, WNOHANG) == 0;
  }

  void kill_now() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }

  // SIGTERM and wait; returns the exit code (-1 on timeout, then killed).
  int terminate(double seconds = 60) {
    if (pid <= 0) return -1;
    ::kill(pid, SIGTERM);
    int status = 0;
    const bool done = wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, seconds);
    if (!done) {
      kill_now();
      return -1;
    }
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

// A config file for a veild on `database_url`, endpoints on Unix sockets in `data_dir`.
inline std::string write_veild_config(const std::string& path, const std::string& database_url,
                                      const std::string& socket_dir, const std::string& extra = "") {
  std::ofstream(path) << "[daemon]\nworkers = 2\n[database]\nurl = \"" << database_url
                      << "\"\n[ingest]\nendpoint = \"ipc://" << socket_dir << "/ingest.ipc\"\n"
                      << "[events]\nendpoint = \"ipc://" << socket_dir << "/events.ipc\"\n[http]\nport = 0\n"
                      << extra;
  return path;
}

inline IngestClientOptions client_for(const std::string& endpoint, const std::string& data_dir, const Nursery& n) {
  IngestClientOptions o;
  o.endpoint = endpoint;
  o.server_public_key = read_key_file(data_dir + "/curve/server.pub").public_key;
  o.public_key = n.device_keys.public_key;
  o.secret_key = n.device_keys.secret_key;
  o.timeout_ms = 10000;
  return o;
}

inline SubmitRequest photo_request(const Nursery& n, const std::string& submission_id,
                                   const std::string& file_name = "photo.jpg") {
  SubmitRequest r;
  r.submission_id = submission_id;
  r.journal_child = n.child;
  r.uploader = n.staff;
  r.role = "staff";
  r.file_name = file_name;
  r.observation_ref = "obs-1";
  return r;
}

// HTTP GET on 127.0.0.1 through curl: {status code, body}.
inline std::pair<int, std::string> http_get(int port, const std::string& path) {
  const auto r = run_command("curl -s -o - -w '\\n%{http_code}' http://127.0.0.1:" + std::to_string(port) + path);
  const auto nl = r.out.rfind('\n');
  if (nl == std::string::npos) return {0, r.out};
  return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
}

}  // namespace veil::test
