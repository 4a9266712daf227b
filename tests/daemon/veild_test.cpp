// veild end to end: comes up with only --data-dir on its private PostgreSQL, stops it on
// SIGTERM; refuses to start without models, or with key files open to others;
// scripts/fetch-models refuses a bad checksum.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/migrations.h"
#include "tests/test_support.h"

namespace veil {
namespace {

std::string veild() { return test::binary_dir() + "/daemon/veild"; }

// Starts veild with `args`, stderr and stdout to `log`.
pid_t spawn_veild(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(veild().c_str())};
    std::string bin = veild();
    argv[0] = bin.data();
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

bool wait_for_text(const std::string& file, const std::string& text, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    std::ifstream in(file);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (all.find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int wait_exit(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

TEST(Veild, StartsOnEmbeddedPostgresAndStopsCleanlyOnSigterm) {
  test::TempDir tmp;
  chmod(tmp.path().c_str(), 0755);
  const std::string data = tmp.path() + "/data", log = tmp.path() + "/veild.log";
  // Ephemeral endpoints: tests never take the default ports.
  std::ofstream(tmp.path() + "/veil.toml") << "[ingest]\nendpoint = \"tcp://127.0.0.1:*\"\n[events]\nendpoint = "
                                              "\"tcp://127.0.0.1:*\"\n[http]\nport = 0\n";
  const pid_t pid =
      spawn_veild({"--config", tmp.path() + "/veil.toml", "--data-dir", data, "--log-format", "json"}, log);
  ASSERT_TRUE(wait_for_text(log, "veild ready", 60)) << test::read_file(log);
  ASSERT_TRUE(std::filesystem::exists(data + "/postgres/PG_VERSION"));
  ASSERT_TRUE(std::filesystem::exists(data + "/postgres/postmaster.pid"));
  // The embedded server listens on a Unix socket in the cluster directory only.
  EXPECT_TRUE(std::filesystem::exists(data + "/postgres/.s.PGSQL.5432"));
  const auto r = test::run_command("psql -tA 'postgresql://" + std::string(geteuid() == 0 ? "veil@" : "") +
                                   "/veil?host=" + data + "/postgres' -c 'SELECT max(version) FROM schema_migrations'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(embedded_migrations().back().version) + "\n");
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 60), 0) << test::read_file(log);
  EXPECT_FALSE(std::filesystem::exists(data + "/postgres/postmaster.pid")) << "cluster not stopped";
  const std::string text = test::read_file(log);
  EXPECT_NE(text.find("\"msg\":\"embedded PostgreSQL: stopped\""), std::string::npos) << text;
  // JSON log lines: every line is an object with ts, level and msg.
  EXPECT_EQ(text.rfind("{\"level\"", 0) == 0 || text.rfind("{\"logger\"", 0) == 0 || text.rfind("{\"msg\"", 0) == 0 ||
                text.rfind("{\"ts\"", 0) == 0,
            true)
      << text;
}

TEST(Veild, RefusesToStartWithoutModelsAndSaysHowToFetchThem) {
  test::TempDir tmp;
  const auto r = test::run_command("VEIL_MODEL_DIR=" + tmp.path() + " " + veild() + " --data-dir " + tmp.path() +
                                   "/data");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("face_detection_yunet_2022mar.onnx is missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/fetch-models"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/data/postgres")) << "must refuse before touching the database";
}

TEST(Veild, RefusesAModelWithTheWrongChecksum) {
  test::TempDir tmp;
  std::filesystem::copy_file(test::model_dir() + "/face_recognition_mobilefacenet_128d.onnx",
                             tmp.path() + "/face_recognition_mobilefacenet_128d.onnx");
  std::ofstream(tmp.path() + "/face_detection_yunet_2022mar.onnx") << "not a model";
  const auto r = test::run_command("VEIL_MODEL_DIR=" + tmp.path() + " " + veild() + " --data-dir " + tmp.path() +
                                   "/data");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong sha256: expected 50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7, "
                       "actual "),
            std::string::npos)
      << r.err;
}

TEST(Veild, BadConfigurationIsAUsageError) {
  test::TempDir tmp;
  std::ofstream(tmp.path() + "/bad.toml") << "[detection]\nscore_threshold = 7\n";
  const auto r = test::run_command(veild() + " --config " + tmp.path() + "/bad.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml: detection.score_threshold: must be between 0 and 1 (got 7)"), std::string::npos)
      << r.err;
}

// The master key and the CURVE secret key are refused, and veild does not start, when their
// files can be read by anyone but the service user; the message says how to fix it.
TEST(Veild, RefusesKeyFilesOpenToOthers) {
  for (const std::string key : {"keys/master.key", "curve/server.key"}) {
    SCOPED_TRACE(key);
    test::TempDir tmp;
    chmod(tmp.path().c_str(), 0755);
    const std::string data = tmp.path() + "/data", log = tmp.path() + "/veild.log";
    std::ofstream(tmp.path() + "/veil.toml") << "[ingest]\nendpoint = \"tcp://127.0.0.1:*\"\n[events]\nendpoint = "
                                                "\"tcp://127.0.0.1:*\"\n[http]\nport = 0\n";
    std::filesystem::create_directories(data + "/keys");
    std::filesystem::create_directories(data + "/curve");
    {
      std::ofstream master(data + "/keys/master.key", std::ios::binary);
      master << std::string(32, 'k');  // a key of the right size: only its mode is wrong below
    }
    chmod((data + "/keys/master.key").c_str(), 0600);
    if (key == "curve/server.key") {
      std::ofstream(data + "/curve/server.key") << "public_key = \"x\"\nsecret_key = \"y\"\n";
    }
    chmod((data + "/" + key).c_str(), 0644);
    if (geteuid() == 0) {  // as veild finds them when an operator made them as the service user
      const auto r = test::run_command("chown -R veil: " + data);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const pid_t pid = spawn_veild({"--config", tmp.path() + "/veil.toml", "--data-dir", data}, log);
    EXPECT_EQ(wait_exit(pid, 60), 1) << test::read_file(log);
    const std::string text = test::read_file(log);
    EXPECT_NE(text.find(key), std::string::npos) << text;
    EXPECT_NE(text.find("open to others"), std::string::npos) << text;
    EXPECT_NE(text.find("chmod 600"), std::string::npos) << text;
    EXPECT_EQ(text.find("veild ready"), std::string::npos) << text;
  }
}

TEST(Veild, HelpListsItsOptions) {
  const auto r = test::run_command(veild() + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--config", "--data-dir", "--database-url", "--log-format", "--log-level"})
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
}

TEST(FetchModels, RefusesAMirrorFileWithTheWrongChecksum) {
  test::TempDir mirror, dest;
  std::ofstream(mirror.path() + "/face_detection_yunet_2022mar.onnx") << "tampered";
  for (const char* good : {"face_detection_yunet_2023mar.onnx", "face_recognition_mobilefacenet_128d.onnx"})
    std::filesystem::copy_file(test::model_dir() + "/" + good, mirror.path() + "/" + good);
  const auto r = test::run_command("VEIL_MODEL_MIRROR=" + mirror.path() + " " + VEIL_SOURCE_DIR +
                                   "/scripts/fetch-models " + dest.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("REFUSED face_detection_yunet_2022mar.onnx: sha256 mismatch: expected "
                       "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7, actual "),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dest.path() + "/face_detection_yunet_2022mar.onnx"));
  // The good files were still verified and installed.
  EXPECT_TRUE(std::filesystem::exists(dest.path() + "/face_detection_yunet_2023mar.onnx"));
  EXPECT_TRUE(std::filesystem::exists(dest.path() + "/face_recognition_mobilefacenet_128d.onnx"));
}

}  // namespace
}  // namespace veil
