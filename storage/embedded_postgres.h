// The embedded default database: a private PostgreSQL cluster under the data directory,
// reachable only through a Unix socket inside the cluster directory (no TCP).
//
// start() initialises the cluster on first use (initdb), recovers a stale postmaster.pid
// left by a crash or kill -9, starts the server (or reuses one already running on the same
// directory) and creates the "veil" database. stop() shuts it down cleanly ("fast" mode);
// the destructor stops it if this object started it. When the process is root, initdb
// and pg_ctl run as the unprivileged service user, since PostgreSQL refuses root.
#pragma once

#include <memory>
#include <string>

namespace veil {

struct ServiceUser;

struct EmbeddedPostgresOptions {
  std::string cluster_dir;            // e.g. <data_dir>/postgres
  std::string service_user = "veil";  // used only when running as root
  std::string bin_dir;                // empty: found with pg_config or under /usr/lib/postgresql
  std::string database = "veil";
};

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options);
  ~EmbeddedPostgres();
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  void start();
  void stop();

  bool running() const;
  bool created_cluster() const { return created_; }      // initdb ran in start()
  bool reused_running_server() const { return reused_; }  // a server was already up
  bool recovered_stale_pid() const { return recovered_; }
  // libpq URL of the veil database over the Unix socket.
  std::string url() const;
  // The postmaster's PID from postmaster.pid, or 0.
  int postmaster_pid() const;
  const std::string& log_path() const { return log_path_; }

 private:
  void init_cluster();
  void remove_stale_pid_file();
  void create_database();

  EmbeddedPostgresOptions options_;
  std::unique_ptr<ServiceUser> user_;  // set when running as root
  std::string bin_dir_;
  std::string log_path_;
  bool started_by_us_ = false;
  bool created_ = false;
  bool reused_ = false;
  bool recovered_ = false;
};

// The directory holding initdb, pg_ctl and postgres.
std::string find_postgres_bin_dir();

}  // namespace veil
