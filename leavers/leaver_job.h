// Running a claimed `export` or `purge` job (storage/job_queue.h): what veild's workers and
// `veil children leave` / `veil purge --due` call.
//
// export: writes the child's journal to leaver_export_path() (leavers/journal_export.h), then
// in the job's completion records its path, size and sha256 on the leaver row and audits it
// (journal.exported). A child who returned meanwhile has no leaver row: the file is deleted
// and nothing is recorded. purge: purge_child() as the job's completion, then the files.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/types.hxx>

#include "leavers/journal_export.h"
#include "leavers/leaver_settings.h"
#include "storage/job_queue.h"

namespace veil {

inline bool is_leaver_job(const std::string& kind) { return kind == "export" || kind == "purge"; }

struct LeaverJobResult {
  bool recorded = false;  // false: the lease was lost first, nothing was recorded
  nlohmann::json summary; // what the job did, for logs and the command's output
};

// Runs `job` (an export or purge job claimed from `queue`) and completes it. Throws on
// failure (the caller counts the failed attempt with JobQueue::fail).
LeaverJobResult run_leaver_job(pqxx::connection_base& conn, JobQueue& queue, const ClaimedJob& job,
                               const LeaverSettings& settings, const std::string& actor,
                               const ExportProgress& progress = {});

}  // namespace veil
