// Running helper programs (initdb, pg_ctl) as another, unprivileged user.
// PostgreSQL refuses to run as root, so when Veil runs as root these programs are
// started as the service user (default "veil") that scripts/setup creates.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace veil {

struct ServiceUser {
  uid_t uid;
  gid_t gid;
  std::string name;
  std::string home;
};

// Looks up a system user; throws std::runtime_error naming the user and how to create it.
ServiceUser lookup_service_user(const std::string& name);

// Runs argv[0] (found on PATH or absolute) with arguments, waits, and returns its exit status
// (128 + signal if killed). stdout and stderr go to `log_path` (appended) when not empty.
// When `as_user` is set and the caller is root, the child switches to that user first.
int run_program(const std::vector<std::string>& argv, const std::string& log_path,
                const ServiceUser* as_user = nullptr);

// Makes `path` (and its missing parents) exist and, when running as root, owned by `user`.
void ensure_owned_directory(const std::string& path, const ServiceUser* user);

// Drops the process's privileges to `user` (setgroups, setgid, setuid). Only from root.
void drop_privileges(const ServiceUser& user);

}  // namespace veil
