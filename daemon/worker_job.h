// One claimed job's life in a worker thread (daemon/worker_pool.h): take it into the slot,
// load and check the original, run the processor, record the result and complete the job in
// one transaction, publish the outcome; or count the failed attempt (retried after back-off,
// or failed for good).
#pragma once

#include <pqxx/types.hxx>

#include "daemon/worker_pool.h"

namespace veil {

struct Slot;

// Runs `job` on the worker thread of `slot` with its `proc` and `conn`, leaving the job in
// `slot.job` for the watchdog to renew and time (the caller clears it). What the job throws is
// recorded as a failed attempt, except a lost connection or a commit in doubt, which is
// rethrown: the worker then reconnects and gives the job back (or its lease expires).
void run_job(WorkerPool::Shared& sh, Slot& slot, ItemProcessor& proc, pqxx::connection_base& conn,
             const ClaimedJob& job);

}  // namespace veil
