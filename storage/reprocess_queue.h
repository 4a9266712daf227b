// Rendering items again when who may appear changes: what asked for it (a cause), which items
// a change reaches, and the `reprocess` jobs that do it (docs/operations.md, "When consent
// changes").
//
// DESIGN. A consent withdrawal never leaves a withdrawn face on show, even for the seconds a
// worker needs. In the transaction that records the "no", every item whose recorded faces
// keep that child outside the child's own journal leaves view (published -> withdrawn,
// held -> processing) and gets a reprocess job ahead of every upload. Other changes (consent
// given, a template added, a child leaving, an operator's batch) leave items as they are while
// their jobs wait: what is on show is already safe. Recording a withdrawal and recording a
// result are serialised by one advisory lock: a worker recording a result takes it shared and
// looks for withdrawals newer than the consents it judged with; a withdrawal takes it
// exclusive. Either the withdrawal sees the recorded face, or the recording sees the
// withdrawal. Every function runs inside the caller's transaction and commits nothing; the
// callers take row locks (these functions) before the audit log's lock (append_audit()), so
// that a withdrawal and a manager's decision on the same item wait for each other rather than
// deadlock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

namespace veil {

// What asked for a reprocess job; cited by the job's audit row.
struct ReprocessCause {
  std::string kind;     // consent | template | child_left | child_returned | child_purged | assignment | manager | operator
  std::int64_t id = 0;  // consent_events.id, face_templates.id, children.id (child_purged: 0, the child is gone),
                        // faces.id, reprocess_batches.id
};
// {"kind": ..., "id": ...}
std::string cause_json(const ReprocessCause& cause);

// The consent lock (see DESIGN), held until the transaction ends.
void lock_consents_exclusive(pqxx::transaction_base& tx);
void lock_consents_shared(pqxx::transaction_base& tx);

// The newest consent event's id; 0 when there is none.
std::int64_t last_consent_event(pqxx::transaction_base& tx);

// The latest consent events of the children of `child_ids` that are newer than `since`
// (consent_events.id) and say no: their ids, in the children's order of id.
std::vector<std::int64_t> consent_withdrawn_since(pqxx::transaction_base& tx, std::int64_t since,
                                                  const std::vector<std::int64_t>& child_ids);

struct WithdrawnItem {
  std::string media_id;
  std::int64_t journal_child_id = 0;
  std::string state;  // now: withdrawn (was published) or processing (was held)
};
// Moves every published or held item with a face kept for `child_id` outside that child's own
// journal out of view, and queues its reprocess job at kPriorityWithdrawal citing `cause`.
// Sends a notification on kEventsChannel for each (veild publishes media.withdrawn).
std::vector<WithdrawnItem> withdraw_items_showing(pqxx::transaction_base& tx, std::int64_t child_id,
                                                  const ReprocessCause& cause);

// Moves one item out of view as withdraw_items_showing() does, when it is published or held
// (a result recorded after a withdrawal it did not know of); queues nothing.
void withdraw_item(pqxx::transaction_base& tx, const std::string& media_id);

// veild relays notifications on this channel as events (daemon/event_relay.h).
inline constexpr const char* kEventsChannel = "veil_events";

// Queues a reprocess job citing `cause` for each of `media_ids` that is published, held or
// withdrawn (others are skipped). An item that has a queued reprocess job already gets the
// cause added to it, the higher priority and the batch instead of a second job. Returns the
// number of items with a job.
int queue_reprocess_jobs(pqxx::transaction_base& tx, const std::vector<std::string>& media_ids,
                         const ReprocessCause& cause, int priority, std::int64_t batch_id = 0);

// Items (published, held or withdrawn) with a face matched to `child_id`; with `kept_only`,
// only faces decided keep.
std::vector<std::string> media_with_child(pqxx::transaction_base& tx, std::int64_t child_id, bool kept_only);

// Items (published, held or withdrawn) outside `child_id`'s own journal with a face kept for
// the child.
std::vector<std::string> media_keeping_child_elsewhere(pqxx::transaction_base& tx, std::int64_t child_id);

// Items (published, held or withdrawn, not imported) created at or after `since_unix` (0: all), oldest first.
std::vector<std::string> media_since(pqxx::transaction_base& tx, std::int64_t since_unix);

// An operator's batch (`veil reprocess`).
std::int64_t create_batch(pqxx::transaction_base& tx, const std::string& requested_by,
                          const std::string& selector_json, int total);

struct BatchProgress {
  std::int64_t id = 0;
  std::string requested_by;
  std::string selector;    // JSON
  int total = 0;           // items asked for
  std::string created_at;  // ISO 8601
  int queued = 0, running = 0, done = 0, failed = 0;  // its jobs by state (merged into later jobs: counted there)
};
// The batch `id`, or the `limit` newest batches when `id` is 0.
std::vector<BatchProgress> batch_progress(pqxx::transaction_base& tx, std::int64_t id, int limit = 20);

}  // namespace veil
