// Face decisions by people, and the reprocess job they need.
#include "storage/face_decisions.h"

#include <pqxx/pqxx>

#include "storage/job_queue.h"
#include "storage/reprocess_queue.h"

namespace veil {

void decide_face(pqxx::transaction_base& tx, std::int64_t face_id, const std::string& decision,
                 const std::string& reason, std::int64_t account_id, TimePoint now, std::int64_t child_id,
                 std::int64_t consent_event_id) {
  tx.exec_params0("UPDATE faces SET decision = $2, decision_reason = $3, decided_by = $4, decided_at = " +
                      timestamptz_param(5) +
                      ", matched_child_id = CASE WHEN $6 = 0 THEN matched_child_id ELSE $6 END, "
                      "consent_event_id = CASE WHEN $6 = 0 THEN consent_event_id ELSE NULLIF($7, 0) END "
                      "WHERE id = $1",
                  face_id, decision, reason, account_id, unix_micros(now), child_id, consent_event_id);
}

std::int64_t add_manual_face(pqxx::transaction_base& tx, const std::string& media_id, const std::array<float, 4>& box,
                             const std::string& reason, std::int64_t account_id, TimePoint now) {
  const std::string bbox = "{" + std::to_string(box[0]) + "," + std::to_string(box[1]) + "," + std::to_string(box[2]) +
                           "," + std::to_string(box[3]) + "}";
  return tx.exec_params1("INSERT INTO faces (media_id, frame_or_track, bbox, det_score, decision, decision_reason, "
                         "decided_by, decided_at, manual) VALUES ($1, 0, $2::real[], 1, 'blur', $3, $4, " +
                             timestamptz_param(5) + ", true) RETURNING id",
                         media_id, bbox, reason, account_id, unix_micros(now))[0]
      .as<std::int64_t>();
}

std::int64_t queue_reprocess(pqxx::transaction_base& tx, const std::string& media_id) {
  tx.exec_params0("UPDATE media SET state = 'processing', updated_at = now() WHERE id = $1", media_id);
  return tx.exec_params1("INSERT INTO jobs (media_id, kind, priority, causes) VALUES ($1, 'reprocess', $2, $3::jsonb) "
                         "RETURNING id",
                         media_id, kPriorityManager, "[" + cause_json(ReprocessCause{"manager", 0}) + "]")[0]
      .as<std::int64_t>();
}

}  // namespace veil
