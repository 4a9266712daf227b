// A newcomer's first run, as the README writes it: `scripts/run` as root with no options and
// HOME=/root comes up on the default data directory (VEIL_DATA_DIR moves only that default,
// so the default's code path is the one tested), serves, processes one upload end to end
// through the veil CLI, and stops cleanly on SIGTERM, with veild on malloc's huge pages as the
// systemd unit starts it; the same when the models sit in a directory only root can enter (a
// clone in root's home); and veild refuses to start, naming the path and the fix, when the
// user that does the work cannot read them.
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace veil {
namespace {

using json = nlohmann::json;

// Starts `command` through /bin/sh with output to `log`; returns its pid.
pid_t spawn_shell(const std::string& command, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid, double seconds) {
  int status = 0;
  if (!test::wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, seconds)) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string log_text(const std::string& log) {
  try {
    return test::read_file(log);
  } catch (const std::exception&) {
    return "";
  }
}

// The environment of a root shell on a fresh machine: HOME=/root, no model directory and no
// GLIBC_TUNABLES set; VEIL_DATA_DIR moves the default data directory into the test's temporary
// directory, and VEIL_BUILD_DIR names this build when it is not the checkout's build/.
std::string first_run_env(const std::string& data_dir, const std::string& extra = "") {
  std::string env = "env -u VEIL_MODEL_DIR -u GLIBC_TUNABLES HOME=/root VEIL_DATA_DIR=" + data_dir + " ";
  if (std::filesystem::weakly_canonical(test::binary_dir()) !=
      std::filesystem::weakly_canonical(std::string(VEIL_SOURCE_DIR) + "/build"))
    env += "VEIL_BUILD_DIR=" + test::binary_dir() + " ";
  return env + extra;
}

// scripts/run, then the README's CLI steps against it, then SIGTERM.
void run_readme_commands(const std::string& data, const std::string& extra_env) {
  const std::string log = data + ".log";
  const pid_t pid = spawn_shell(first_run_env(data, extra_env) + std::string(VEIL_SOURCE_DIR) + "/scripts/run", log);
  struct Reaper {  // a failed assertion must not leave veild holding the default ports
    pid_t pid;
    ~Reaper() {
      if (kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
    }
  } reaper{pid};
  // scripts/setup finds everything installed and built; veild then loads its models.
  int status = -1;
  const bool ready = test::wait_until(
      [&] { return log_text(log).find("veild ready") != std::string::npos || waitpid(pid, &status, WNOHANG) == pid; },
      240);
  const std::string started = log_text(log);
  ASSERT_TRUE(ready && started.find("veild ready") != std::string::npos) << "wait status " << status << "\n" << started;
  // scripts/run execs veild: the process started is the daemon that signals reach.
  ASSERT_NE(started.find("veild ready (pid " + std::to_string(pid) + ")"), std::string::npos) << started;
  const std::string environment = test::read_file("/proc/" + std::to_string(pid) + "/environ");
  EXPECT_NE(environment.find(std::string("GLIBC_TUNABLES=glibc.malloc.hugetlb=1") + '\0'), std::string::npos)
      << "scripts/run starts veild with malloc on huge pages, as packaging/veild.service does";
  EXPECT_NE(started.find("data directory: " + data), std::string::npos) << started;
  EXPECT_NE(started.find("running as user 'veil' (started as root)"), std::string::npos) << started;
  EXPECT_NE(started.find("as user 'veil'"), std::string::npos) << "the models were checked as the service user\n"
                                                                 << started;
  EXPECT_TRUE(std::filesystem::exists(data + "/postgres/PG_VERSION"));

  // The README's commands, with the same environment (the CLI finds the same default).
  const std::string veil = first_run_env(data) + test::veil_path() + " ";
  auto r = test::run_command(veil + "people add staff 'Sam Staff'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto staff = json::parse(r.out)["id"].get<std::int64_t>();
  r = test::run_command(veil + "children add Ada");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto child = json::parse(r.out)["id"].get<std::int64_t>();
  const std::string key = data + "-tablet.key";
  ASSERT_EQ(test::run_command(veil + "keygen --out " + key).exit_code, 0);
  r = test::run_command(veil + "devices register --key-file " + key + " --name 'Room 2 tablet'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  kill(pid, SIGHUP);  // loads the new device key now
  ASSERT_TRUE(test::wait_until([&] { return log_text(log).find("SIGHUP: 1 active device") != std::string::npos; }, 10))
      << log_text(log);
  r = test::run_command(veil + "submit --quiet --wait --wait-timeout 60 --journal " + std::to_string(child) +
                        " --uploader " + std::to_string(staff) + " --key " + key + " " +
                        test::testdata("robustness/orientation/hopper.jpg"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << log_text(log);
  const auto line = json::parse(r.out);
  EXPECT_TRUE(line["state"] == "published" || line["state"] == "held") << r.out;
  const std::string id = line["media_id"];
  EXPECT_TRUE(std::filesystem::exists(data + "/renditions/" + id)) << log_text(log);

  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 60), 0) << log_text(log);
  EXPECT_FALSE(std::filesystem::exists(data + "/postgres/postmaster.pid")) << "cluster not stopped";
}

TEST(FirstRun, ScriptsRunAsRootWithNoOptionsServesAnUploadAndStopsOnSigterm) {
  if (geteuid() != 0) GTEST_SKIP() << "the README's first run is as root";
  test::TempDir tmp;
  chmod(tmp.path().c_str(), 0755);
  {
    SCOPED_TRACE("models in the build directory");
    run_readme_commands(tmp.path() + "/default-data", "");
  }
  if (HasFatalFailure()) return;
  // A clone in root's home: the models the workers need sit where only root can enter. Runs
  // after the first: both use the default ports.
  const std::string private_dir = tmp.path() + "/root-only";
  std::filesystem::create_directories(private_dir + "/models");
  chmod(private_dir.c_str(), 0700);
  for (const auto& e : std::filesystem::directory_iterator(test::model_dir()))
    if (e.path().extension() == ".onnx") std::filesystem::copy_file(e.path(), private_dir + "/models/" + e.path().filename().string());
  const std::string data = tmp.path() + "/data-2";
  {
    SCOPED_TRACE("models in a directory only root can enter");
    run_readme_commands(data, "VEIL_MODEL_DIR=" + private_dir + "/models ");
  }
  EXPECT_TRUE(std::filesystem::exists(data + "/models/face_detection_yunet_2022mar.onnx"));
  struct stat st {};
  ASSERT_EQ(stat((data + "/models/face_detection_yunet_2022mar.onnx").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "staged models belong to root: the service user reads them but cannot replace them";
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(FirstRun, VeildRefusesToStartWhenTheUserThatDoesTheWorkCannotReadItsModels) {
  test::TempDir tmp;
  chmod(tmp.path().c_str(), 0755);
  const std::string models = tmp.path() + "/models", data = tmp.path() + "/data";
  std::filesystem::create_directories(models);
  for (const auto& e : std::filesystem::directory_iterator(test::model_dir()))
    if (e.path().extension() == ".onnx") std::filesystem::copy_file(e.path(), models + "/" + e.path().filename().string());
  std::string as_worker, user, veild = test::veild_path();
  if (geteuid() == 0) {
    // The service user may not even reach the build directory (a checkout in root's home):
    // it runs a copy of the program; what it cannot read are the models.
    veild = tmp.path() + "/veild";
    std::filesystem::copy_file(test::veild_path(), veild);
    // As systemd would start it (User=veil): the models sit in a directory only root enters.
    chmod(models.c_str(), 0700);
    std::filesystem::create_directories(data);
    test::run_command("chown veil " + data);
    as_worker = "runuser -u veil -- ";
    user = "veil";
  } else {
    chmod((models + "/face_detection_yunet_2022mar.onnx").c_str(), 0);
    user = test::run_command("id -un").out;
    user.pop_back();
  }
  const auto r = test::run_command(as_worker + "env VEIL_MODEL_DIR=" + models + " " + veild +
                                   " --data-dir " + data);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("model file " + models + "/face_detection_yunet_2022mar.onnx cannot be read by user '" + user +
                       "' (Permission denied): give that user read access"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("veild ready"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(data + "/postgres")) << "must refuse before touching the database";
}

}  // namespace
}  // namespace veil
