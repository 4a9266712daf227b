// What a change of who may appear reaches, and the reprocess jobs it queues
// (docs/operations.md, "When consent changes"). Each function runs inside the caller's
// transaction, touches media and jobs rows before it writes the audit log (the order
// storage/reprocess_queue.h asks for), and commits nothing.
//
// Reached means: items (published, held or withdrawn) with a face matched to the child, and
// items with a face the child's templates may now match, found in the face index by similarity
// (cosine at least matching.reject_threshold, the lowest similarity the matcher calls
// uncertain), never by looking at pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "config/config.h"
#include "storage/reprocess_queue.h"

namespace veil {

struct ConsentChange {
  std::int64_t consent_event_id = 0;
  std::vector<WithdrawnItem> withdrawn;  // a "no": taken out of view, queued ahead of uploads
  int queued = 0;                        // items with a reprocess job (withdrawn ones included)
};
// Records a consent event for `child_id` and what it reaches, in one transaction: a "no"
// withdraws every item keeping the child outside its own journal (withdraw_items_showing());
// a "yes" queues the items with a face matched to the child. Audited as consent.recorded with
// the counts.
ConsentChange record_consent_change(pqxx::transaction_base& tx, std::int64_t child_id,
                                    bool photo_in_others, std::int64_t recorded_by, const std::string& evidence,
                                    const std::string& actor);

// The items a new template `template_id` may change (faces similar to it, not already kept for
// its child), but `except_media`, queued citing it; `kind`: "template" (enrolment) or
// "assignment" (a manager's, whose own item is rendered by its own job). Returns the number
// queued.
int queue_after_template(pqxx::transaction_base& tx, const Config& config, std::int64_t template_id,
                         const std::string& kind, const std::string& except_media = "");

// The items keeping `child_id` (who left: their templates stop matching) in other children's
// journals, queued citing it. The child's own journal is left as it is: it is what the
// leaver's export gives the parents.
int queue_after_child_left(pqxx::transaction_base& tx, std::int64_t child_id);

// Every item a change of `child_id` may reach (see above), by media id.
std::vector<std::string> items_reaching_child(pqxx::transaction_base& tx, const Config& config,
                                              std::int64_t child_id);

}  // namespace veil
