// veild's life cycle: start-up checks, privileges, database, then serve until a signal.
//
// Start-up order: models present and verified (refuse to start otherwise, saying how to
// fetch them) -> when root, data directory owned by the service user and privileges
// dropped -> database (configured URL, or the embedded cluster under the data dir) ->
// migrations -> serving (daemon/service.h: keys, device check, events, ingest, workers,
// HTTP) -> ready. Any failure before "ready" stops what started and exits 1.
// SIGTERM/SIGINT: ingest closes, in-flight jobs drain, everything stops (embedded cluster
// too). SIGHUP: log level (re-read from the configuration file) and device keys reloaded.
#pragma once

#include <functional>
#include <string>

#include "config/config.h"

namespace veil {

// Checks that the configured detector and embedder exist and match their sha256.
// Throws ModelError with the fix in the message.
void check_models(const Config& config);

// Runs the daemon until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(const Config& config);

// Same; on SIGHUP `reload` (when set) gives a freshly read configuration, of which only
// daemon.log_level is applied (see docs/operations.md for what reloads).
int run_daemon(const Config& config, const std::function<Config()>& reload);

}  // namespace veil
