// The Veil configuration: every setting with its default. Loaded from TOML by
// load_config(); see config/veil.example.toml for the documented file.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace veil {

struct DaemonConfig {
  std::string data_dir;        // empty: default_data_dir()
  std::string run_as_user = "veil";
  int workers = 0;             // 0: one per core
  std::string log_level = "info";
};

struct DatabaseConfig {
  std::string url;             // empty: embedded private PostgreSQL under data_dir/postgres
  int connect_timeout_s = 10;
};

struct ModelsConfig {
  std::string dir;             // empty: the directory scripts/setup fills ($VEIL_MODEL_DIR overrides)
  std::string detector = "face_detection_yunet_2022mar.onnx";
  std::string detector_sha256 = "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7";
  // Second detector (YuNet 2023mar) run on the whole-image pass for photos; empty: none.
  std::string second_detector = "face_detection_yunet_2023mar.onnx";
  std::string second_detector_sha256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4";
  std::string embedder = "face_recognition_mobilefacenet_128d.onnx";
  std::string embedder_sha256 = "e72a5710cce378dc46472b6b845cb90647634f2738d8c3e581735cf195b9866f";
  int embedder_input_size = 112;
  double embedder_mean = 127.5;
  double embedder_scale = 1.0 / 128.0;
  bool embedder_rgb = true;
  // 5-point alignment template (eyes, nose, mouth corners) in input-size pixels.
  std::array<std::array<double, 2>, 5> embedder_template = {{{38.2946, 51.6963},
                                                             {73.5318, 51.5014},
                                                             {56.0252, 71.7366},
                                                             {41.5493, 92.3655},
                                                             {70.7299, 92.2041}}};
};

struct DetectionConfig {
  double score_threshold = 0.4;
  double nms_threshold = 0.3;
  std::string mode = "default";  // "default" or "thorough"
  double second_score_threshold = 0.5;  // the second detector's minimum confidence
  // The second detector's minimum confidence for a face reaching the photo's edge, seen with a
  // mirrored border (models/face_detector.h); >= second_score_threshold turns the rule off.
  double edge_score_threshold = 0.3;
  // The crowd rule (policy/crowd_rule.h): a photo with at least crowd_min_faces faces under
  // crowd_face_height px tall is held; crowd_min_faces = 0 turns it off.
  int crowd_min_faces = 6;
  double crowd_face_height = 24;
};

struct MatchingConfig {
  double accept_threshold = 0.55;
  double reject_threshold = 0.40;
  double ambiguity_margin = 0.05;  // two children closer than this: uncertain
  double stale_penalty = 0.05;     // subtracted when a child has only old templates
};

struct EnrolmentConfig {
  int min_face_px = 48;          // a reference face must be at least this tall
  double min_sharpness = 40;     // variance of the Laplacian of the face scaled to 112 px
  int max_template_age_days = 540;  // older templates are ignored when a newer one exists
};

struct RedactionConfig {
  std::string style = "pixelate_blur";  // or "solid"
  double expand = 1.6;
  double small_face_expand = 1.7;   // used for faces under small_face_height px when larger
  double small_face_height = 96;
  int cells = 8;
};

struct LimitsConfig {
  std::int64_t max_pixels = 100'000'000;
  std::int64_t max_file_bytes = 200LL * 1024 * 1024;
  double max_video_seconds = 300;
  int max_video_long_edge = 4096;
};

struct RenditionsConfig {
  int display_long_edge = 2048;
  std::string display_format = "jpeg";  // or "webp"
  int quality = 85;
  int thumb_size = 320;
  bool square_thumb = true;
};

struct PolicyConfig {
  bool keep_journal_owner = true;
  bool keep_consented = true;
  bool hold_parent_uploads = true;
  bool hold_uncertain = true;
};

struct IngestConfig {
  // ZeroMQ endpoint veild binds its ROUTER socket to ("tcp://HOST:PORT", "tcp://127.0.0.1:*"
  // for an ephemeral port, or "ipc://PATH"). veil submit connects here ("*" host: 127.0.0.1).
  std::string endpoint = "tcp://127.0.0.1:5560";
  bool curve = true;                           // CURVE encryption + registered device keys only
  std::int64_t max_message_bytes = 16LL * 1024 * 1024;  // largest single-message SUBMIT
  std::int64_t chunk_bytes = 1024 * 1024;      // largest CHUNK frame accepted
  int upload_idle_timeout_s = 600;             // an unfinished chunked upload is dropped after this
  int max_open_uploads = 64;                   // chunked uploads in progress at once
  // Per device (daemon/device_rate_limit.h): uploads started a minute, after a burst of
  // device_upload_burst; more get a retryable `rate_limited`. 0: no limit.
  int device_uploads_per_minute = 1200;
  int device_upload_burst = 200;
  int device_cache_refresh_s = 30;             // how often the registered-device cache is reloaded
  std::string server_public_key;               // veil submit: the daemon's key (Z85); empty: <data_dir>/curve/server.pub
  std::string client_key_file;                 // veil submit: the device key file made by `veil keygen`
};

struct EventsConfig {
  std::string endpoint = "tcp://127.0.0.1:5561";  // ZeroMQ PUB; empty: no events
};

// veild's HTTP endpoint: /healthz /readyz /metrics, the moderation API (/api/...) and the
// moderation web page (/). Plain HTTP on a loopback address; for other machines put a TLS
// reverse proxy in front (docs/operations.md) and set secure_cookies.
struct HttpConfig {
  bool enabled = true;
  std::string address = "127.0.0.1";          // the address to bind (an IP address or "localhost")
  int port = 8470;                             // 0: an ephemeral port, logged at start-up
  std::string web_dir;                         // the page's files; empty: the build's web/ (installed: share/veil/web)
  bool secure_cookies = false;                 // true behind a TLS proxy: the session cookie gets Secure
  int threads = 8;                             // request threads (each keeps its own database connection)
  std::int64_t max_body_bytes = 64 * 1024;     // largest request body; larger: 413
  bool operator==(const HttpConfig&) const = default;
};

struct QueueConfig {
  int max_attempts = 3;                        // a job failing this many times ends `failed`
  int lease_s = 60;                            // a worker's claim; renewed while it works
  int item_timeout_s = 900;                    // per-item time limit; the job is abandoned after it
  int poll_interval_s = 5;                     // fallback poll when no NOTIFY arrives
  int retry_backoff_s = 5;                     // delay before a failed attempt is retried
  int drain_timeout_s = 60;                    // SIGTERM: how long in-flight jobs may finish
  double batch_per_second = 2;                 // an operator's reprocess batch: jobs per second per veild (0: no limit)
};

struct AccountsConfig {
  int password_min_length = 12;                // characters, not bytes
  bool password_require_lower = true;          // a-z
  bool password_require_upper = true;          // A-Z
  bool password_require_digit = true;          // 0-9
  int session_idle_minutes = 30;               // a session unused this long ends
  int session_lifetime_hours = 12;             // a session ends this long after its login, used or not
  int lockout_failures = 5;                    // failed logins in a row that lock the account...
  int lockout_minutes = 15;                    // ...for this long
  bool operator==(const AccountsConfig&) const = default;
};

struct LeaversConfig {
  int grace_days = 30;                         // days after leaving before the purge is due
  bool keep_consented_faces = false;           // at the purge, keep the child's consented faces in other journals
  std::string export_dir;                      // leavers' exports; empty: <data_dir>/exports
  bool operator==(const LeaversConfig&) const = default;
};

struct Config {
  DaemonConfig daemon;
  DatabaseConfig database;
  ModelsConfig models;
  DetectionConfig detection;
  MatchingConfig matching;
  EnrolmentConfig enrolment;
  RedactionConfig redaction;
  LimitsConfig limits;
  RenditionsConfig renditions;
  PolicyConfig policy;
  IngestConfig ingest;
  EventsConfig events;
  HttpConfig http;
  QueueConfig queue;
  AccountsConfig accounts;
  LeaversConfig leavers;
};

// Raised for any problem in a configuration file. what() names the file, the key
// and the problem, e.g. "veil.toml: detection.score_threshold: must be between 0 and 1 (got 3)".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a TOML file. Keys not given keep their defaults; unknown keys, wrong
// types and out-of-range values raise ConfigError.
Config load_config(const std::string& path);

// Same, from TOML text; `source_name` is used in messages in place of the file name.
Config parse_config(const std::string& toml_text, const std::string& source_name);

// The data directory used when the configuration names none: $VEIL_DATA_DIR when set (it
// changes only this default), else /var/lib/veil when running as root, else
// $XDG_DATA_HOME/veil or ~/.local/share/veil.
std::string default_data_dir();

// Decides, once, where the process's files are: daemon.data_dir (default_data_dir() when
// empty), http.web_dir (effective_web_dir()) and models.dir ($VEIL_MODEL_DIR over the file's models.dir, else the build's model
// directory). veild and veil call it at start-up, before privileges are dropped; after it
// the two fields are absolute decisions that nothing re-derives from HOME, the effective
// user or the environment.
void resolve_paths(Config& config);

// config.daemon.data_dir when set, else default_data_dir().
std::string effective_data_dir(const Config& config);

// config.models.dir when set, else $VEIL_MODEL_DIR when set, else the build's model directory.
// After resolve_paths() it is config.models.dir.
std::string effective_model_dir(const Config& config);

// config.http.web_dir when set, else the web/ directory of the source tree the programs were
// built from (VEIL_DEFAULT_WEB_DIR). After resolve_paths() it is config.http.web_dir.
std::string effective_web_dir(const Config& config);

}  // namespace veil
