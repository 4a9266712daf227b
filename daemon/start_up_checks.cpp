// Model verification and staging, and the data directory's write check.
#include "daemon/start_up_checks.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <spdlog/spdlog.h>

#include "models/model_file.h"
#include "storage/durable_file.h"

namespace veil {
namespace {

struct ModelRef {
  std::string file, sha256;
};

std::vector<ModelRef> configured_models(const Config& config) {
  std::vector<ModelRef> models{{config.models.detector, config.models.detector_sha256}};
  if (!config.models.second_detector.empty())
    models.push_back({config.models.second_detector, config.models.second_detector_sha256});
  models.push_back({config.models.embedder, config.models.embedder_sha256});
  return models;
}

std::string user_name() {
  if (const struct passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  return "uid " + std::to_string(geteuid());
}

}  // namespace

void check_models(const Config& config) {
  const std::string dir = effective_model_dir(config);
  std::string names;
  for (const auto& m : configured_models(config)) {
    read_verified_model(dir + "/" + m.file, m.sha256);
    names += (names.empty() ? "" : ", ") + m.file;
  }
  spdlog::info("models: {} verified in {} as user '{}'", names, dir, user_name());
}

std::string stage_models(const Config& config, const ServiceUser& user) {
  const std::string source = effective_model_dir(config);
  const std::string staged = config.daemon.data_dir + "/models";
  std::error_code ec;
  std::filesystem::create_directories(staged, ec);
  if (ec) throw std::runtime_error("cannot create " + staged + ": " + ec.message());
  if (::chown(staged.c_str(), 0, user.gid) != 0 || ::chmod(staged.c_str(), 0750) != 0)
    throw std::runtime_error("cannot give " + staged + " to group of user '" + user.name + "': " + std::strerror(errno));
  int copied = 0;
  for (const auto& m : configured_models(config)) {
    const std::string target = staged + "/" + m.file;
    try {
      if (!m.sha256.empty() && sha256_hex(read_verified_model(target, "")) == m.sha256) {
        ::chown(target.c_str(), 0, user.gid);
        ::chmod(target.c_str(), 0640);
        continue;
      }
    } catch (const ModelError&) {
      // missing or unreadable: copied below
    }
    write_file_durably(target, read_verified_model(source + "/" + m.file, m.sha256), 0640);
    if (::chown(target.c_str(), 0, user.gid) != 0)
      throw std::runtime_error("cannot give " + target + " to group of user '" + user.name + "': " + std::strerror(errno));
    ++copied;
  }
  spdlog::info("models: staged for user '{}' in {} ({} copied from {})", user.name, staged, copied, source);
  return staged;
}

void check_data_dir_writable(const std::string& data_dir) {
  const std::string probe = data_dir + "/.veild-write-check";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::close(fd) != 0 || ::unlink(probe.c_str()) != 0) {
    throw std::runtime_error("data directory " + data_dir + " is not writable by user '" + user_name() + "' (" +
                             std::strerror(errno) +
                             "): give that user the directory and every directory above it at least "
                             "execute permission, or choose another with --data-dir / daemon.data_dir");
  }
}

}  // namespace veil
