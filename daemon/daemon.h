// veild's life cycle: start-up checks, privileges, database, then serve until a signal.
//
// Start-up order: models present and verified (refuse to start otherwise, saying how to
// fetch them) -> when root, data directory owned by the service user and privileges
// dropped -> database (configured URL, or the embedded cluster under the data dir) ->
// migrations -> ready. SIGTERM/SIGINT stop it cleanly (embedded cluster stopped too).
#pragma once

#include <string>

#include "config/config.h"

namespace veil {

// Checks that the configured detector and embedder exist and match their sha256.
// Throws ModelError with the fix in the message.
void check_models(const Config& config);

// Runs the daemon until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(const Config& config);

}  // namespace veil
