// Loads and validates the TOML configuration against a table of known keys.
#include "config/config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <vector>

#include <toml++/toml.h>

namespace veil {
namespace {

using Apply = std::function<void(const toml::node&)>;

// Thrown by field parsers; turned into a ConfigError with file and key by the caller.
struct FieldProblem {
  std::string what;
};

std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

Apply int_field(std::int64_t& target, std::int64_t lo, std::int64_t hi) {
  return [&target, lo, hi](const toml::node& n) {
    auto v = n.value_exact<std::int64_t>();
    if (!v) throw FieldProblem{"must be an integer"};
    if (*v < lo || *v > hi)
      throw FieldProblem{"must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                         " (got " + std::to_string(*v) + ")"};
    target = *v;
  };
}

Apply int_field(int& target, int lo, int hi) {
  return [&target, lo, hi](const toml::node& n) {
    std::int64_t wide = target;
    int_field(wide, lo, hi)(n);
    target = static_cast<int>(wide);
  };
}

Apply float_field(double& target, double lo, double hi) {
  return [&target, lo, hi](const toml::node& n) {
    std::optional<double> v;
    if (n.is_floating_point()) v = n.value<double>();
    else if (n.is_integer()) v = static_cast<double>(*n.value<std::int64_t>());
    if (!v) throw FieldProblem{"must be a number"};
    if (*v < lo || *v > hi)
      throw FieldProblem{"must be between " + format_number(lo) + " and " + format_number(hi) +
                         " (got " + format_number(*v) + ")"};
    target = *v;
  };
}

Apply bool_field(bool& target) {
  return [&target](const toml::node& n) {
    auto v = n.value_exact<bool>();
    if (!v) throw FieldProblem{"must be true or false"};
    target = *v;
  };
}

Apply string_field(std::string& target, std::vector<std::string> allowed = {}) {
  return [&target, allowed](const toml::node& n) {
    auto v = n.value_exact<std::string>();
    if (!v) throw FieldProblem{"must be a string"};
    if (!allowed.empty()) {
      bool ok = false;
      std::string list;
      for (const auto& a : allowed) {
        ok = ok || a == *v;
        list += (list.empty() ? "\"" : ", \"") + a + "\"";
      }
      if (!ok) throw FieldProblem{"must be one of " + list + " (got \"" + *v + "\")"};
    }
    target = *v;
  };
}

Apply template_field(std::array<std::array<double, 2>, 5>& target) {
  return [&target](const toml::node& n) {
    const auto* arr = n.as_array();
    if (!arr || arr->size() != 5) throw FieldProblem{"must be an array of 5 [x, y] points"};
    std::array<std::array<double, 2>, 5> parsed{};
    for (std::size_t i = 0; i < 5; ++i) {
      const auto* pt = (*arr)[i].as_array();
      if (!pt || pt->size() != 2) throw FieldProblem{"must be an array of 5 [x, y] points"};
      for (std::size_t j = 0; j < 2; ++j) {
        auto v = (*pt)[j].value<double>();
        if (!v) throw FieldProblem{"points must hold numbers"};
        parsed[i][j] = *v;
      }
    }
    target = parsed;
  };
}

// Every key the file may hold, "section.key" -> how to read it into `c`.
std::map<std::string, Apply> schema(Config& c) {
  return {
      {"daemon.data_dir", string_field(c.daemon.data_dir)},
      {"daemon.run_as_user", string_field(c.daemon.run_as_user)},
      {"daemon.workers", int_field(c.daemon.workers, 0, 256)},
      {"daemon.log_level", string_field(c.daemon.log_level, {"trace", "debug", "info", "warn", "error"})},
      {"database.url", string_field(c.database.url)},
      {"database.connect_timeout_s", int_field(c.database.connect_timeout_s, 1, 600)},
      {"models.dir", string_field(c.models.dir)},
      {"models.detector", string_field(c.models.detector)},
      {"models.detector_sha256", string_field(c.models.detector_sha256)},
      {"models.second_detector", string_field(c.models.second_detector)},
      {"models.second_detector_sha256", string_field(c.models.second_detector_sha256)},
      {"models.embedder", string_field(c.models.embedder)},
      {"models.embedder_sha256", string_field(c.models.embedder_sha256)},
      {"models.embedder_input_size", int_field(c.models.embedder_input_size, 32, 1024)},
      {"models.embedder_mean", float_field(c.models.embedder_mean, 0, 255)},
      {"models.embedder_scale", float_field(c.models.embedder_scale, 1e-6, 10)},
      {"models.embedder_rgb", bool_field(c.models.embedder_rgb)},
      {"models.embedder_template", template_field(c.models.embedder_template)},
      {"detection.score_threshold", float_field(c.detection.score_threshold, 0, 1)},
      {"detection.nms_threshold", float_field(c.detection.nms_threshold, 0, 1)},
      {"detection.mode", string_field(c.detection.mode, {"default", "thorough"})},
      {"detection.second_score_threshold", float_field(c.detection.second_score_threshold, 0, 1)},
      {"detection.edge_score_threshold", float_field(c.detection.edge_score_threshold, 0, 1)},
      {"detection.crowd_min_faces", int_field(c.detection.crowd_min_faces, 0, 1000)},
      {"detection.crowd_face_height", float_field(c.detection.crowd_face_height, 1, 1000)},
      {"matching.accept_threshold", float_field(c.matching.accept_threshold, -1, 1)},
      {"matching.reject_threshold", float_field(c.matching.reject_threshold, -1, 1)},
      {"matching.ambiguity_margin", float_field(c.matching.ambiguity_margin, 0, 1)},
      {"matching.stale_penalty", float_field(c.matching.stale_penalty, 0, 1)},
      {"enrolment.min_face_px", int_field(c.enrolment.min_face_px, 16, 4096)},
      {"enrolment.min_sharpness", float_field(c.enrolment.min_sharpness, 0, 100000)},
      {"enrolment.max_template_age_days", int_field(c.enrolment.max_template_age_days, 0, 36500)},
      {"redaction.style", string_field(c.redaction.style, {"pixelate_blur", "solid"})},
      {"redaction.expand", float_field(c.redaction.expand, 1.0, 3.0)},
      {"redaction.small_face_expand", float_field(c.redaction.small_face_expand, 1.0, 3.0)},
      {"redaction.small_face_height", float_field(c.redaction.small_face_height, 0, 1000)},
      {"redaction.cells", int_field(c.redaction.cells, 2, 16)},
      {"limits.max_pixels", int_field(c.limits.max_pixels, 1, 1'000'000'000)},
      {"limits.max_file_bytes", int_field(c.limits.max_file_bytes, 1, 1LL << 40)},
      {"limits.max_video_seconds", float_field(c.limits.max_video_seconds, 0.1, 86400)},
      {"limits.max_video_long_edge", int_field(c.limits.max_video_long_edge, 16, 16384)},
      {"renditions.display_long_edge", int_field(c.renditions.display_long_edge, 64, 16384)},
      {"renditions.display_format", string_field(c.renditions.display_format, {"jpeg", "webp"})},
      {"renditions.quality", int_field(c.renditions.quality, 1, 100)},
      {"renditions.thumb_size", int_field(c.renditions.thumb_size, 16, 4096)},
      {"renditions.square_thumb", bool_field(c.renditions.square_thumb)},
      {"policy.keep_journal_owner", bool_field(c.policy.keep_journal_owner)},
      {"policy.keep_consented", bool_field(c.policy.keep_consented)},
      {"policy.hold_parent_uploads", bool_field(c.policy.hold_parent_uploads)},
      {"policy.hold_uncertain", bool_field(c.policy.hold_uncertain)},
      {"ingest.endpoint", string_field(c.ingest.endpoint)},
      {"ingest.curve", bool_field(c.ingest.curve)},
      {"ingest.max_message_bytes", int_field(c.ingest.max_message_bytes, 1024, 1LL << 30)},
      {"ingest.chunk_bytes", int_field(c.ingest.chunk_bytes, 4096, 64LL << 20)},
      {"ingest.upload_idle_timeout_s", int_field(c.ingest.upload_idle_timeout_s, 1, 86400)},
      {"ingest.max_open_uploads", int_field(c.ingest.max_open_uploads, 1, 10000)},
      {"ingest.device_uploads_per_minute", int_field(c.ingest.device_uploads_per_minute, 0, 1000000)},
      {"ingest.device_upload_burst", int_field(c.ingest.device_upload_burst, 1, 1000000)},
      {"ingest.device_cache_refresh_s", int_field(c.ingest.device_cache_refresh_s, 1, 86400)},
      {"ingest.server_public_key", string_field(c.ingest.server_public_key)},
      {"ingest.client_key_file", string_field(c.ingest.client_key_file)},
      {"events.endpoint", string_field(c.events.endpoint)},
      {"http.enabled", bool_field(c.http.enabled)},
      {"http.address", string_field(c.http.address)},
      {"http.port", int_field(c.http.port, 0, 65535)},
      {"http.web_dir", string_field(c.http.web_dir)},
      {"http.secure_cookies", bool_field(c.http.secure_cookies)},
      {"http.threads", int_field(c.http.threads, 2, 64)},
      {"http.max_body_bytes", int_field(c.http.max_body_bytes, 1024, 16LL << 20)},
      {"queue.max_attempts", int_field(c.queue.max_attempts, 1, 100)},
      {"queue.lease_s", int_field(c.queue.lease_s, 1, 3600)},
      {"queue.item_timeout_s", int_field(c.queue.item_timeout_s, 1, 86400)},
      {"queue.poll_interval_s", int_field(c.queue.poll_interval_s, 1, 3600)},
      {"queue.retry_backoff_s", int_field(c.queue.retry_backoff_s, 0, 3600)},
      {"queue.drain_timeout_s", int_field(c.queue.drain_timeout_s, 0, 86400)},
      {"queue.batch_per_second", float_field(c.queue.batch_per_second, 0, 1000)},
      {"accounts.password_min_length", int_field(c.accounts.password_min_length, 8, 128)},
      {"accounts.password_require_lower", bool_field(c.accounts.password_require_lower)},
      {"accounts.password_require_upper", bool_field(c.accounts.password_require_upper)},
      {"accounts.password_require_digit", bool_field(c.accounts.password_require_digit)},
      {"accounts.session_idle_minutes", int_field(c.accounts.session_idle_minutes, 5, 720)},
      {"accounts.session_lifetime_hours", int_field(c.accounts.session_lifetime_hours, 1, 168)},
      {"accounts.lockout_failures", int_field(c.accounts.lockout_failures, 3, 50)},
      {"accounts.lockout_minutes", int_field(c.accounts.lockout_minutes, 1, 1440)},
      {"leavers.grace_days", int_field(c.leavers.grace_days, 0, 3650)},
      {"leavers.keep_consented_faces", bool_field(c.leavers.keep_consented_faces)},
      {"leavers.export_dir", string_field(c.leavers.export_dir)},
  };
}

// Refuses `key` when `above`: it must not exceed `limit_key`; `values` shows both.
void check_not_above(bool above, const std::string& source, const std::string& key, const std::string& limit_key,
                     const std::string& values) {
  if (above) throw ConfigError(source + ": " + key + ": must not exceed " + limit_key + " (" + values + ")");
}

void check_cross_field(const Config& c, const std::string& source) {
  check_not_above(c.matching.reject_threshold > c.matching.accept_threshold, source, "matching.reject_threshold",
                  "matching.accept_threshold",
                  format_number(c.matching.reject_threshold) + " > " + format_number(c.matching.accept_threshold));
  check_not_above(c.accounts.session_idle_minutes > c.accounts.session_lifetime_hours * 60, source,
                  "accounts.session_idle_minutes", "accounts.session_lifetime_hours",
                  std::to_string(c.accounts.session_idle_minutes) + " min > " +
                      std::to_string(c.accounts.session_lifetime_hours) + " h");
}

}  // namespace

Config parse_config(const std::string& toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigError(source_name + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
                      ": not valid TOML: " + std::string(e.description()));
  }
  Config config;
  auto fields = schema(config);
  for (auto&& [section_key, section] : root) {
    const std::string section_name(section_key.str());
    const auto* table = section.as_table();
    if (!table) {
      throw ConfigError(source_name + ": " + section_name +
                        (fields.count(section_name) ? ": must be inside a [section]"
                                                    : ": unknown key (expected a [section] table)"));
    }
    for (auto&& [key, value] : *table) {
      const std::string full = section_name + "." + std::string(key.str());
      auto it = fields.find(full);
      if (it == fields.end()) throw ConfigError(source_name + ": " + full + ": unknown key");
      try {
        it->second(value);
      } catch (const FieldProblem& p) {
        throw ConfigError(source_name + ": " + full + ": " + p.what);
      }
    }
  }
  check_cross_field(config, source_name);
  return config;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open configuration file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), path);
}

std::string default_data_dir() {
  if (const char* env = std::getenv("VEIL_DATA_DIR"); env && *env) return env;
  if (geteuid() == 0) return "/var/lib/veil";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/veil";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/veil";
  return "./veil-data";
}

std::string effective_data_dir(const Config& config) {
  return config.daemon.data_dir.empty() ? default_data_dir() : config.daemon.data_dir;
}

std::string effective_model_dir(const Config& config) {
  if (!config.models.dir.empty()) return config.models.dir;
  if (const char* env = std::getenv("VEIL_MODEL_DIR"); env && *env) return env;
  return VEIL_DEFAULT_MODEL_DIR;
}

std::string effective_web_dir(const Config& config) {
  return config.http.web_dir.empty() ? VEIL_DEFAULT_WEB_DIR : config.http.web_dir;
}

void resolve_paths(Config& config) {
  config.daemon.data_dir = effective_data_dir(config);
  config.http.web_dir = effective_web_dir(config);
  if (const char* env = std::getenv("VEIL_MODEL_DIR"); env && *env) config.models.dir = env;
  config.models.dir = effective_model_dir(config);
}

}  // namespace veil
