// fork/exec helpers with an optional switch to an unprivileged user.
#include "storage/process_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace veil {

ServiceUser lookup_service_user(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (!found) {
    throw std::runtime_error("service user '" + name +
                             "' does not exist: run scripts/setup, or create it with "
                             "'useradd --system --no-create-home --shell /usr/sbin/nologin " +
                             name + "'");
  }
  return ServiceUser{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir ? pw.pw_dir : "/"};
}

void drop_privileges(const ServiceUser& user) {
  if (geteuid() != 0) return;
  if (setgroups(0, nullptr) != 0 || setgid(user.gid) != 0 || setuid(user.uid) != 0) {
    throw std::runtime_error("cannot switch to user '" + user.name + "': " + std::strerror(errno));
  }
  if (setuid(0) == 0) throw std::runtime_error("privileges were not dropped");
}

int run_program(const std::vector<std::string>& argv, const std::string& log_path, const ServiceUser* as_user) {
  if (argv.empty()) throw std::invalid_argument("run_program: empty argv");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (as_user && geteuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(as_user->gid) != 0 || setuid(as_user->uid) != 0) _exit(126);
      setenv("HOME", as_user->home.c_str(), 1);
      setenv("USER", as_user->name.c_str(), 1);
      setenv("LOGNAME", as_user->name.c_str(), 1);
    }
    // Opened as the final user, so that the program itself can append to the same file.
    if (!log_path.empty()) {
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
      }
    }
    // A directory the service user can enter, so that programs do not complain about the cwd.
    if (chdir("/") != 0) _exit(126);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid failed: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ensure_owned_directory(const std::string& path, const ServiceUser* user) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw std::runtime_error("cannot create directory " + path + ": " + ec.message());
  if (user && geteuid() == 0) {
    if (chown(path.c_str(), user->uid, user->gid) != 0)
      throw std::runtime_error("cannot give " + path + " to user '" + user->name + "': " + std::strerror(errno));
  }
}

}  // namespace veil
