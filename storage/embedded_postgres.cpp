// The private PostgreSQL cluster launcher (initdb, stale-lock recovery, pg_ctl start/stop).
#include "storage/embedded_postgres.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "storage/process_runner.h"

namespace fs = std::filesystem;

namespace veil {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// A zombie (exited, not yet reaped by a parent that never waits) is not running.
bool process_is_zombie(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

bool process_is_postgres(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0 || process_is_zombie(pid)) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm.rfind("postgres", 0) == 0;
}

std::string tail_of(const std::string& path, std::size_t max_bytes = 2000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string s = buf.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

}  // namespace

std::string find_postgres_bin_dir() {
  if (const char* env = std::getenv("VEIL_PG_BIN_DIR"); env && *env) return env;
  std::string best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = entry.path() / "bin";
    if (!fs::exists(bin / "pg_ctl")) continue;
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version) best_version = version, best = bin.string();
  }
  if (best.empty()) {
    throw std::runtime_error(
        "PostgreSQL server programs not found under /usr/lib/postgresql: install the 'postgresql' "
        "package (scripts/setup does), or set database.url to use an existing server");
  }
  return best;
}

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options) : options_(std::move(options)) {
  if (options_.cluster_dir.empty()) throw std::invalid_argument("embedded PostgreSQL: empty cluster_dir");
  options_.cluster_dir = fs::absolute(options_.cluster_dir).lexically_normal().string();
  // The socket lives in the cluster directory; Unix socket paths are limited to 107 bytes.
  if (options_.cluster_dir.size() + 20 > 107)
    throw std::runtime_error("embedded PostgreSQL: data directory path too long for a Unix socket: " +
                             options_.cluster_dir);
  bin_dir_ = options_.bin_dir.empty() ? find_postgres_bin_dir() : options_.bin_dir;
  if (geteuid() == 0) user_ = std::make_unique<ServiceUser>(lookup_service_user(options_.service_user));
  log_path_ = fs::path(options_.cluster_dir).parent_path() / "postgres.log";
}

EmbeddedPostgres::~EmbeddedPostgres() {
  if (started_by_us_) {
    try {
      stop();
    } catch (const std::exception& e) {
      spdlog::error("embedded PostgreSQL: stop failed: {}", e.what());
    }
  }
}

int EmbeddedPostgres::postmaster_pid() const {
  const std::string line = read_first_line(options_.cluster_dir + "/postmaster.pid");
  return line.empty() ? 0 : std::atoi(line.c_str());
}

bool EmbeddedPostgres::running() const { return process_is_postgres(postmaster_pid()); }

std::string EmbeddedPostgres::url() const {
  const std::string user = user_ ? user_->name : "";
  return "postgresql://" + (user.empty() ? std::string() : user + "@") + "/" + options_.database +
         "?host=" + options_.cluster_dir;
}

void EmbeddedPostgres::init_cluster() {
  spdlog::info("embedded PostgreSQL: initialising a new cluster in {}", options_.cluster_dir);
  const std::string user = user_ ? user_->name : std::string(getlogin() ? getlogin() : "");
  std::vector<std::string> argv = {bin_dir_ + "/initdb", "-D", options_.cluster_dir, "--auth=trust",
                                   "-E", "UTF8", "--no-locale", "--no-instructions"};
  if (user_) argv.insert(argv.end(), {"-U", user_->name});
  const int rc = run_program(argv, log_path_, user_.get());
  if (rc != 0)
    throw std::runtime_error("embedded PostgreSQL: initdb failed (exit " + std::to_string(rc) + "), see " +
                             log_path_ + ":\n" + tail_of(log_path_));
  // Unix socket only, inside the cluster directory, readable by its owner only.
  std::ofstream conf(options_.cluster_dir + "/postgresql.conf", std::ios::app);
  conf << "\n# Veil embedded defaults\nlisten_addresses = ''\nunix_socket_directories = '"
       << options_.cluster_dir << "'\nunix_socket_permissions = 0700\nmax_connections = 100\n"
       << "shared_buffers = 64MB\nfsync = on\n";
  created_ = true;
}

void EmbeddedPostgres::remove_stale_pid_file() {
  const std::string pid_file = options_.cluster_dir + "/postmaster.pid";
  if (!fs::exists(pid_file)) return;
  const int pid = postmaster_pid();
  if (process_is_postgres(pid)) return;  // a live server: reuse it
  // The PID is dead or now belongs to another program (after a crash or kill -9):
  // PostgreSQL could mistake it for a live postmaster, so remove the lock file.
  spdlog::warn("embedded PostgreSQL: removing stale {} (pid {} is not a running postgres)", pid_file, pid);
  fs::remove(pid_file);
  recovered_ = true;
}

void EmbeddedPostgres::start() {
  const fs::path cluster(options_.cluster_dir);
  // The data directory holds the cluster and the server log: the service user owns both.
  ensure_owned_directory(cluster.parent_path().string(), user_.get());
  if (!fs::exists(cluster / "PG_VERSION")) {
    ensure_owned_directory(options_.cluster_dir, user_.get());
    fs::permissions(cluster, fs::perms::owner_all, fs::perm_options::replace);
    init_cluster();
  }
  remove_stale_pid_file();
  if (running()) {
    spdlog::info("embedded PostgreSQL: reusing the server already running on {}", options_.cluster_dir);
    reused_ = true;
  } else {
    // Backends of a killed postmaster may take a moment to exit and release shared memory.
    int rc = 1;
    for (int attempt = 0; attempt < 5 && rc != 0; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
      rc = run_program({bin_dir_ + "/pg_ctl", "start", "-w", "-t", "60", "-D", options_.cluster_dir, "-l",
                        log_path_},
                       log_path_, user_.get());
      if (rc != 0) remove_stale_pid_file();
    }
    if (rc != 0)
      throw std::runtime_error("embedded PostgreSQL: pg_ctl start failed (exit " + std::to_string(rc) + "), see " +
                               log_path_ + ":\n" + tail_of(log_path_));
    started_by_us_ = true;
    spdlog::info("embedded PostgreSQL: running, data in {}, socket in the same directory (no TCP)",
                 options_.cluster_dir);
  }
  create_database();
}

void EmbeddedPostgres::create_database() {
  std::string admin_url = url();
  admin_url.replace(admin_url.find("/" + options_.database + "?"), options_.database.size() + 2, "/postgres?");
  pqxx::connection admin(admin_url);
  pqxx::nontransaction tx(admin);
  const bool exists = !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", options_.database).empty();
  if (exists) return;
  try {
    tx.exec0("CREATE DATABASE " + tx.quote_name(options_.database));
  } catch (const pqxx::sql_error& e) {
    // Another process (veild and a veil command starting together) created it first.
    if (e.sqlstate() != "42P04" && e.sqlstate() != "23505") throw;
  }
}

void EmbeddedPostgres::stop() {
  if (!running()) {
    started_by_us_ = false;
    return;
  }
  const int rc = run_program({bin_dir_ + "/pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", options_.cluster_dir},
                             log_path_, user_.get());
  if (rc != 0) throw std::runtime_error("embedded PostgreSQL: pg_ctl stop failed, see " + log_path_);
  started_by_us_ = false;
  spdlog::info("embedded PostgreSQL: stopped");
}

}  // namespace veil
