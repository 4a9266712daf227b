// veild's life cycle: start-up checks, privileges, database, then serve until a signal.
//
// Start-up order: paths decided (resolve_paths) -> models present and verified (refuse to
// start otherwise, saying how to fetch them) -> when root, data directory owned by the
// service user, models staged into it, privileges dropped, models verified again as that
// user (daemon/start_up_checks.h) -> data directory writable -> database (configured URL,
// or the embedded cluster under the data dir) -> migrations -> serving (daemon/service.h:
// keys, device check, events, ingest, every worker's processor loaded, HTTP) -> ready. Any
// failure before "ready" stops what started and exits 1.
// SIGTERM/SIGINT: ingest closes, in-flight jobs drain, everything stops (embedded cluster
// too), exit 0. SIGHUP: log level (re-read from the configuration file) and device keys
// reloaded. A worker that dies and cannot be replaced stops veild the same way, exit 1,
// so that the service manager restarts it.
#pragma once

#include <functional>
#include <string>

#include "config/config.h"

namespace veil {

// Runs the daemon until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(const Config& config);

// Same; on SIGHUP `reload` (when set) gives a freshly read configuration, of which only
// daemon.log_level is applied (see docs/operations.md for what reloads).
int run_daemon(const Config& config, const std::function<Config()>& reload);

}  // namespace veil
