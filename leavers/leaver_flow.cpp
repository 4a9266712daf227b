// Leaving, returning, and purges falling due.
#include "leavers/leaver_flow.h"

#include <stdexcept>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "jobs/reprocess_plan.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/job_queue.h"
#include "storage/reprocess_queue.h"

namespace veil {

LeaveResult start_leaving(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& left_on,
                          const Config& config, const std::string& actor) {
  const ChildRow c = find_child(tx, std::to_string(child_id));
  if (c.status != "active") throw std::invalid_argument("child '" + c.name + "' is already " + c.status);
  LeaveResult r;
  r.leaver = insert_leaver(tx, child_id, left_on, config.leavers.grace_days);
  mark_child_left(tx, child_id, actor);
  r.export_job = JobQueue::enqueue_for_child(tx, child_id, "export");
  if (!config.leavers.keep_consented_faces) r.reprocess_queued = queue_after_child_left(tx, child_id);
  append_audit(tx, AuditEntry{actor, "leaver.started", "", child_id,
                              nlohmann::json{{"left_on", r.leaver.left_on},
                                             {"purge_due", r.leaver.purge_due},
                                             {"export_job", r.export_job},
                                             {"reprocess_queued", r.reprocess_queued},
                                             {"keep_consented_faces", config.leavers.keep_consented_faces}}
                                  .dump()});
  return r;
}

ReturnResult return_child(pqxx::transaction_base& tx, std::int64_t child_id, const Config& config,
                          const std::string& actor) {
  const ChildRow c = find_child(tx, std::to_string(child_id));
  const auto leaver = find_leaver(tx, child_id, true);
  if (!leaver || c.status != "left")
    throw std::invalid_argument("child '" + c.name + "' is not in the leaver flow (status " + c.status + ")");
  ReturnResult r;
  r.export_path = leaver->export_path;
  r.jobs_cancelled = cancel_child_jobs(tx, child_id);
  delete_leaver(tx, child_id);
  mark_child_returned(tx, child_id, actor);
  r.reprocess_queued = queue_reprocess_jobs(tx, items_reaching_child(tx, config, child_id),
                                            ReprocessCause{"child_returned", child_id}, kPriorityUpload);
  append_audit(tx, AuditEntry{actor, "leaver.returned", "", child_id,
                              nlohmann::json{{"left_on", leaver->left_on},
                                             {"export_deleted", !r.export_path.empty()},
                                             {"jobs_cancelled", r.jobs_cancelled},
                                             {"reprocess_queued", r.reprocess_queued}}
                                  .dump()});
  return r;
}

int queue_due_purges(pqxx::transaction_base& tx) {
  int queued = 0;
  for (const auto child : due_leavers(tx)) {
    if (child_job_open(tx, child, "purge")) continue;
    JobQueue::enqueue_for_child(tx, child, "purge");
    ++queued;
  }
  return queued;
}

}  // namespace veil
