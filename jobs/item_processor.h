// The seam between the job queue's workers (daemon/worker_pool.h) and what runs one job: a
// worker hands an item's decrypted original and the job's kind to run(), which may take
// seconds and writes nothing, then records the result with record() inside the transaction
// that completes the job, and calls committed() once that transaction has committed.
// veild uses MediaProcessor behind it (media_processor_factory()); tests use fakes.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <pqxx/types.hxx>

#include "config/config.h"
#include "policy/media_state.h"
#include "storage/job_queue.h"

namespace veil {

class ItemProcessor {
 public:
  virtual ~ItemProcessor() = default;
  // Runs the pipeline on the original bytes of `job.media_id` for a job of `job.kind`
  // ("process": from scratch; "reprocess": judged again, jobs/media_processor.h); writes
  // nothing. Throws for failures. The result is owned by the caller and handed back to record().
  virtual std::shared_ptr<void> run(pqxx::connection_base& db, const ClaimedJob& job, const std::string& original) = 0;
  // Records `result` inside `tx` (idempotently: replaces an earlier result); returns the
  // media's final state.
  virtual MediaState record(pqxx::transaction_base& tx, const std::shared_ptr<void>& result,
                             const std::string& renditions_root) = 0;
  // After the transaction of record() committed: removes what the recorded result replaced
  // (earlier rendition files). Never throws.
  virtual void committed(const std::shared_ptr<void>& result, const std::string& renditions_root) {}
};
using ProcessorFactory = std::function<std::unique_ptr<ItemProcessor>()>;

// MediaProcessor behind the seam, one per call (each worker thread makes its own: the models
// are not thread-safe).
ProcessorFactory media_processor_factory(const Config& config);

}  // namespace veil
