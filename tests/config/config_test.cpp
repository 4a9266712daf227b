// Configuration parsing: defaults, good files, and each kind of bad file with its message.
#include <gtest/gtest.h>

#include <fstream>
#include <tuple>
#include <vector>

#include "config/config.h"
#include "tests/test_support.h"

namespace veil {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "test.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, EmptyFileGivesDefaults) {
  const Config c = parse_config("", "empty.toml");
  EXPECT_EQ(c.database.url, "");
  EXPECT_EQ(c.models.detector, "face_detection_yunet_2022mar.onnx");
  EXPECT_EQ(c.renditions.display_long_edge, 2048);
  EXPECT_EQ(c.renditions.quality, 85);
  EXPECT_EQ(c.redaction.style, "pixelate_blur");
  EXPECT_FLOAT_EQ(c.redaction.expand, 1.6);
  EXPECT_EQ(c.models.second_detector, "face_detection_yunet_2023mar.onnx");
  EXPECT_DOUBLE_EQ(c.detection.second_score_threshold, 0.5);
  EXPECT_DOUBLE_EQ(c.detection.edge_score_threshold, 0.3);
  EXPECT_TRUE(c.policy.hold_parent_uploads);
}

TEST(Config, GoodFileSetsValues) {
  const Config c = parse_config(R"(
[daemon]
data_dir = "/srv/veil"
workers = 3
[database]
url = "postgresql:///veil"
[detection]
score_threshold = 0.6
mode = "thorough"
[redaction]
style = "solid"
expand = 2
[models]
second_detector = ""
embedder_template = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]
[limits]
max_pixels = 1000
)",
                                "good.toml");
  EXPECT_EQ(c.daemon.data_dir, "/srv/veil");
  EXPECT_EQ(c.daemon.workers, 3);
  EXPECT_EQ(c.database.url, "postgresql:///veil");
  EXPECT_DOUBLE_EQ(c.detection.score_threshold, 0.6);
  EXPECT_EQ(c.detection.mode, "thorough");
  EXPECT_EQ(c.redaction.style, "solid");
  EXPECT_DOUBLE_EQ(c.redaction.expand, 2.0);  // an integer is accepted for a number
  EXPECT_EQ(c.models.second_detector, "") << "no second detector";
  EXPECT_DOUBLE_EQ(c.models.embedder_template[4][1], 10.0);
  EXPECT_EQ(c.limits.max_pixels, 1000);
}

TEST(Config, ExampleFileParsesAndMatchesDefaults) {
  const Config c = load_config(std::string(VEIL_SOURCE_DIR) + "/config/veil.example.toml");
  const Config d;
  EXPECT_EQ(c.models.embedder_sha256, d.models.embedder_sha256);
  EXPECT_EQ(c.models.second_detector_sha256, d.models.second_detector_sha256);
  EXPECT_DOUBLE_EQ(c.detection.second_score_threshold, d.detection.second_score_threshold);
  EXPECT_DOUBLE_EQ(c.detection.edge_score_threshold, d.detection.edge_score_threshold);
  EXPECT_EQ(c.renditions.thumb_size, d.renditions.thumb_size);
  EXPECT_DOUBLE_EQ(c.matching.accept_threshold, d.matching.accept_threshold);
  EXPECT_DOUBLE_EQ(c.matching.reject_threshold, d.matching.reject_threshold);
  EXPECT_EQ(c.limits.max_pixels, d.limits.max_pixels);
  EXPECT_TRUE(c.accounts == d.accounts) << "the [accounts] section";
  EXPECT_TRUE(c.http == d.http) << "the [http] section";
  EXPECT_TRUE(c.leavers == d.leavers) << "the [leavers] section";
}

TEST(Config, HttpSectionDefaultsValuesAndRanges) {
  const HttpConfig d = parse_config("", "empty.toml").http;
  EXPECT_EQ(d.address, "127.0.0.1") << "loopback unless told otherwise";
  EXPECT_EQ(d.port, 8470);
  EXPECT_FALSE(d.secure_cookies);
  EXPECT_EQ(d.web_dir, "");
  const HttpConfig c = parse_config("[http]\nweb_dir = \"/srv/web\"\nsecure_cookies = true\nthreads = 4\n"
                                    "max_body_bytes = 2048\n", "t.toml").http;
  EXPECT_EQ(c.web_dir, "/srv/web");
  EXPECT_TRUE(c.secure_cookies);
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.max_body_bytes, 2048);
  EXPECT_EQ(error_of("[http]\nthreads = 1\n"), "test.toml: http.threads: must be between 2 and 64 (got 1)");
  EXPECT_EQ(error_of("[http]\nmax_body_bytes = 10\n"),
            "test.toml: http.max_body_bytes: must be between 1024 and 16777216 (got 10)");
  Config resolved;
  resolve_paths(resolved);
  EXPECT_EQ(resolved.http.web_dir, std::string(VEIL_SOURCE_DIR) + "/web") << "the build's web/ by default";
}

TEST(Config, UnknownKeyIsNamed) {
  EXPECT_EQ(error_of("[detection]\nscore_treshold = 0.5\n"), "test.toml: detection.score_treshold: unknown key");
  EXPECT_EQ(error_of("[nosuchsection]\nx = 1\n"), "test.toml: nosuchsection.x: unknown key");
  EXPECT_EQ(error_of("top = 1\n"), "test.toml: top: unknown key (expected a [section] table)");
}

TEST(Config, WrongTypeIsNamed) {
  EXPECT_EQ(error_of("[daemon]\nworkers = \"four\"\n"), "test.toml: daemon.workers: must be an integer");
  EXPECT_EQ(error_of("[detection]\nscore_threshold = \"high\"\n"),
            "test.toml: detection.score_threshold: must be a number");
  EXPECT_EQ(error_of("[policy]\nhold_parent_uploads = 1\n"),
            "test.toml: policy.hold_parent_uploads: must be true or false");
  EXPECT_EQ(error_of("[database]\nurl = 5\n"), "test.toml: database.url: must be a string");
  EXPECT_EQ(error_of("[models]\nembedder_template = [1, 2]\n"),
            "test.toml: models.embedder_template: must be an array of 5 [x, y] points");
}

TEST(Config, OutOfRangeIsNamed) {
  EXPECT_EQ(error_of("[detection]\nscore_threshold = 3\n"),
            "test.toml: detection.score_threshold: must be between 0 and 1 (got 3)");
  EXPECT_EQ(error_of("[detection]\nedge_score_threshold = -0.1\n"),
            "test.toml: detection.edge_score_threshold: must be between 0 and 1 (got -0.1)");
  EXPECT_EQ(error_of("[renditions]\nquality = 0\n"),
            "test.toml: renditions.quality: must be between 1 and 100 (got 0)");
  EXPECT_EQ(error_of("[redaction]\nstyle = \"swirl\"\n"),
            "test.toml: redaction.style: must be one of \"pixelate_blur\", \"solid\" (got \"swirl\")");
  EXPECT_EQ(error_of("[matching]\naccept_threshold = 0.2\nreject_threshold = 0.4\n"),
            "test.toml: matching.reject_threshold: must not exceed matching.accept_threshold (0.4 > 0.2)");
}

TEST(Config, AccountsSectionDefaultsValuesAndRanges) {
  const AccountsConfig d = parse_config("", "empty.toml").accounts;
  EXPECT_EQ(d.password_min_length, 12);
  EXPECT_TRUE(d.password_require_lower && d.password_require_upper && d.password_require_digit);
  EXPECT_EQ(d.session_idle_minutes, 30);
  EXPECT_EQ(d.session_lifetime_hours, 12);
  EXPECT_EQ(d.lockout_failures, 5);
  EXPECT_EQ(d.lockout_minutes, 15);
  const AccountsConfig c = parse_config(R"(
[accounts]
password_min_length = 16
password_require_upper = false
session_idle_minutes = 60
session_lifetime_hours = 8
lockout_failures = 10
lockout_minutes = 60
)",
                                        "good.toml")
                               .accounts;
  EXPECT_EQ(c.password_min_length, 16);
  EXPECT_FALSE(c.password_require_upper);
  EXPECT_TRUE(c.password_require_lower);
  EXPECT_EQ(c.session_idle_minutes, 60);
  EXPECT_EQ(c.session_lifetime_hours, 8);
  EXPECT_EQ(c.lockout_failures, 10);
  EXPECT_EQ(c.lockout_minutes, 60);
  // Each range, at both ends.
  const std::vector<std::tuple<std::string, int, int>> ranges = {
      {"password_min_length", 8, 128}, {"session_idle_minutes", 5, 720}, {"session_lifetime_hours", 1, 168},
      {"lockout_failures", 3, 50},     {"lockout_minutes", 1, 1440}};
  for (const auto& [key, lo, hi] : ranges) {
    const std::string range = "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
    EXPECT_EQ(error_of("[accounts]\n" + key + " = " + std::to_string(lo) + "\n"), "") << key;
    EXPECT_EQ(error_of("[accounts]\n" + key + " = " + std::to_string(hi) + "\n"), "") << key;
    EXPECT_EQ(error_of("[accounts]\n" + key + " = " + std::to_string(lo - 1) + "\n"),
              "test.toml: accounts." + key + ": " + range + " (got " + std::to_string(lo - 1) + ")");
    EXPECT_EQ(error_of("[accounts]\n" + key + " = " + std::to_string(hi + 1) + "\n"),
              "test.toml: accounts." + key + ": " + range + " (got " + std::to_string(hi + 1) + ")");
  }
  EXPECT_EQ(error_of("[accounts]\npassword_require_digit = \"yes\"\n"),
            "test.toml: accounts.password_require_digit: must be true or false");
  EXPECT_EQ(error_of("[accounts]\nsession_idle_minutes = 120\nsession_lifetime_hours = 1\n"),
            "test.toml: accounts.session_idle_minutes: must not exceed accounts.session_lifetime_hours (120 min > 1 h)");
}

TEST(Config, SyntaxErrorGivesLine) {
  const std::string e = error_of("[daemon]\nworkers = = 3\n");
  EXPECT_EQ(e.rfind("test.toml:2:", 0), 0u) << e;
  EXPECT_NE(e.find("not valid TOML"), std::string::npos) << e;
}

TEST(Config, MissingFileIsNamed) {
  try {
    load_config("/nonexistent/veil.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/veil.toml: cannot open configuration file");
  }
}

TEST(Config, ResolvingPathsPrefersTheEnvironmentToTheFileAndIsFinal) {
  Config c;
  c.models.dir = "/from/config";
  setenv("VEIL_MODEL_DIR", "/from/env", 1);
  Config resolved = c;
  resolve_paths(resolved);
  EXPECT_EQ(resolved.models.dir, "/from/env");
  // Once resolved (or set by veild, e.g. to its staged copy), the field is the answer.
  resolved.models.dir = "/staged";
  EXPECT_EQ(effective_model_dir(resolved), "/staged");
  unsetenv("VEIL_MODEL_DIR");
  resolved = c;
  resolve_paths(resolved);
  EXPECT_EQ(resolved.models.dir, "/from/config");
  c.models.dir.clear();
  resolve_paths(c);
  EXPECT_FALSE(c.models.dir.empty());
  EXPECT_NE(c.models.dir, "/from/config");
}

TEST(Config, VeilDataDirChangesOnlyTheDefaultDataDirectory) {
  setenv("VEIL_DATA_DIR", "/from/env/data", 1);
  Config c;
  resolve_paths(c);
  EXPECT_EQ(c.daemon.data_dir, "/from/env/data");
  Config named;
  named.daemon.data_dir = "/from/config/data";
  resolve_paths(named);
  EXPECT_EQ(named.daemon.data_dir, "/from/config/data");
  unsetenv("VEIL_DATA_DIR");
  // Decided once: a later change of HOME or of the environment does not move it.
  Config fixed;
  resolve_paths(fixed);
  const std::string decided = fixed.daemon.data_dir;
  const std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  setenv("HOME", "/elsewhere", 1);
  setenv("VEIL_DATA_DIR", "/elsewhere/data", 1);
  EXPECT_EQ(effective_data_dir(fixed), decided);
  unsetenv("VEIL_DATA_DIR");
  setenv("HOME", home.c_str(), 1);
}

}  // namespace
}  // namespace veil
