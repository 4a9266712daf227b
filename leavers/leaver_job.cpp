// An export or purge job from claim to completion.
#include "leavers/leaver_job.h"

#include <filesystem>
#include <stdexcept>

#include <pqxx/pqxx>

#include "leavers/purge.h"
#include "storage/leaver_repository.h"

namespace veil {
namespace {

LeaverJobResult run_export(pqxx::connection_base& conn, JobQueue& queue, const ClaimedJob& job,
                           const LeaverSettings& settings, const std::string& actor, const ExportProgress& progress) {
  const std::string path = leaver_export_path(settings, job.child_id);
  const ExportResult exported = write_journal_export(conn, job.child_id, path, progress);
  bool returned = false;
  LeaverJobResult r;
  r.recorded = queue.complete(conn, job, [&](pqxx::transaction_base& tx) {
    if (!find_leaver(tx, job.child_id, true)) {
      returned = true;
      return;
    }
    record_leaver_export(tx, job.child_id, exported.path, exported.bytes, exported.sha256);
    audit_export(tx, job.child_id, exported, "leaver", actor);
  });
  if (returned) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  r.summary = {{"job", job.id},        {"kind", "export"},           {"child", job.child_id},
               {"path", exported.path}, {"bytes", exported.bytes},   {"sha256", exported.sha256},
               {"items", exported.items}, {"files", exported.files}, {"recorded", r.recorded && !returned}};
  return r;
}

LeaverJobResult run_purge(pqxx::connection_base& conn, JobQueue& queue, const ClaimedJob& job,
                          const LeaverSettings& settings, const std::string& actor) {
  std::optional<PurgeResult> purged;
  LeaverJobResult r;
  r.recorded = queue.complete(conn, job, [&](pqxx::transaction_base& tx) {
    purged = purge_child(tx, job.child_id, settings, job.id, actor);
  });
  r.summary = {{"job", job.id}, {"kind", "purge"}};
  if (!r.recorded || !purged) {
    r.summary["purged"] = false;
    return r;
  }
  const int undeleted = delete_purged_files(*purged);
  r.summary.update({{"purged", true},
                    {"child_ref", purged->child_ref},
                    {"media", purged->media},
                    {"renditions", purged->renditions},
                    {"templates", purged->templates},
                    {"consent_events", purged->consent_events},
                    {"withdrawn_elsewhere", purged->withdrawn},
                    {"faces_unlinked_elsewhere", purged->faces_unlinked},
                    {"paths_not_deleted", undeleted}});
  return r;
}

}  // namespace

LeaverJobResult run_leaver_job(pqxx::connection_base& conn, JobQueue& queue, const ClaimedJob& job,
                               const LeaverSettings& settings, const std::string& actor,
                               const ExportProgress& progress) {
  if (job.child_id == 0) throw std::runtime_error("job " + std::to_string(job.id) + " names no child");
  if (job.kind == "export") return run_export(conn, queue, job, settings, actor, progress);
  if (job.kind == "purge") return run_purge(conn, queue, job, settings, actor);
  throw std::runtime_error("job kind " + job.kind + " is not a leaver job");
}

}  // namespace veil
