// The leaver flow's decisions (README, "When a child leaves"): a child leaves, returns within
// the grace period, or becomes due for the purge. Each function runs inside the caller's
// transaction, writes its audit row last, and commits nothing; files are the caller's, after
// the commit.
#pragma once

#include <cstdint>
#include <string>

#include <pqxx/types.hxx>

#include "config/config.h"
#include "storage/leaver_repository.h"

namespace veil {

struct LeaveResult {
  LeaverRow leaver;
  std::int64_t export_job = 0;
  int reprocess_queued = 0;  // items in other journals rendered again without the child
};
// Marks the active child `child_id` as left on `left_on` (YYYY-MM-DD, "" for today), starts
// the grace period (leavers.grace_days) and queues the export job. Unless
// leavers.keep_consented_faces, the items keeping the child in other journals are queued to be
// rendered again (the child's templates stop matching); the child's own journal stays as it is.
// Audited as child.left and leaver.started. Throws std::invalid_argument when the child is not
// active or the date is malformed.
LeaveResult start_leaving(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& left_on,
                          const Config& config, const std::string& actor);

struct ReturnResult {
  std::string export_path;  // the leaver export to delete after the commit; "" when none
  int reprocess_queued = 0; // items the child may be shown in again
  int jobs_cancelled = 0;   // queued export/purge jobs
};
// Cancels the flow of a child in their grace period: active again, leaver row and queued jobs
// gone, the items the child's templates reach queued to be judged again. Audited as
// child.returned. Throws std::invalid_argument when the child is not in the leaver flow.
ReturnResult return_child(pqxx::transaction_base& tx, std::int64_t child_id, const Config& config,
                          const std::string& actor);

// Queues a purge job for every leaver whose purge is due and has none queued or running.
// Returns how many were queued.
int queue_due_purges(pqxx::transaction_base& tx);

}  // namespace veil
