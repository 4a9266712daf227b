// What the leaver commands share (`veil children leave|return|import`, `veil export`,
// `veil purge`): the leaver settings from the configuration, the export's progress bar, and
// running the queued export or purge jobs in this process.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "leavers/journal_export.h"
#include "leavers/leaver_settings.h"

namespace veil {

// The settings veild uses, from ctx's configuration and data directory (the master key is
// created when missing, as veild would).
LeaverSettings cli_leaver_settings(const CliContext& ctx);

// A progress bar on stderr when it is a terminal; nothing otherwise.
ExportProgress terminal_export_progress();

// Claims and runs the queued jobs of `kind` ("export" or "purge") until none is left, as a
// worker would; returns each one's summary (a failed attempt: {"job", "kind", "error"}).
std::vector<nlohmann::json> run_queued_leaver_jobs(pqxx::connection& c, const CliContext& ctx, const std::string& kind);

}  // namespace veil
