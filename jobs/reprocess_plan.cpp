// The items a change reaches, found through the face index.
#include "jobs/reprocess_plan.h"

#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "pipeline/stage_options.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/face_index.h"
#include "storage/job_queue.h"

namespace veil {
namespace {

// Items with a face (not kept for `child_id`) at least `threshold` similar to one of `templates`.
std::set<std::string> similar_items(pqxx::transaction_base& tx, const Config& config,
                                    const std::vector<Embedding>& templates, std::int64_t child_id) {
  std::set<std::string> out;
  if (templates.empty()) return out;
  const float threshold = static_cast<float>(config.matching.reject_threshold);
  for (const auto& f : indexed_faces(tx, embedder_name(config))) {
    if (f.matched_child_id == child_id && f.decision == "keep") continue;
    for (const auto& t : templates)
      if (cosine_similarity(f.embedding, t) >= threshold) {
        out.insert(f.media_id);
        break;
      }
  }
  return out;
}

std::vector<std::string> ordered(const std::set<std::string>& ids) { return {ids.begin(), ids.end()}; }

}  // namespace

ConsentChange record_consent_change(pqxx::transaction_base& tx, std::int64_t child_id,
                                    bool photo_in_others, std::int64_t recorded_by, const std::string& evidence,
                                    const std::string& actor) {
  lock_consents_exclusive(tx);
  ConsentChange change;
  change.consent_event_id = insert_consent_event(tx, child_id, photo_in_others, recorded_by, evidence);
  const ReprocessCause cause{"consent", change.consent_event_id};
  if (!photo_in_others) {
    change.withdrawn = withdraw_items_showing(tx, child_id, cause);
    change.queued = static_cast<int>(change.withdrawn.size());
  } else {
    change.queued = queue_reprocess_jobs(tx, media_with_child(tx, child_id, false), cause, kPriorityUpload);
  }
  nlohmann::json withdrawn = nlohmann::json::array();
  for (const auto& w : change.withdrawn) withdrawn.push_back(w.media_id);
  audit_consent_event(tx, change.consent_event_id, child_id, photo_in_others, recorded_by, actor,
                      nlohmann::json{{"withdrawn", withdrawn}, {"reprocess_queued", change.queued}}.dump());
  return change;
}

int queue_after_template(pqxx::transaction_base& tx, const Config& config, std::int64_t template_id,
                         const std::string& kind, const std::string& except_media) {
  std::int64_t child_id = 0;
  const Embedding e = template_embedding(tx, template_id, &child_id);
  if (e.empty()) return 0;
  std::set<std::string> ids = similar_items(tx, config, {e}, child_id);
  ids.erase(except_media);
  return queue_reprocess_jobs(tx, ordered(ids), ReprocessCause{kind, template_id}, kPriorityUpload);
}

int queue_after_child_left(pqxx::transaction_base& tx, std::int64_t child_id) {
  return queue_reprocess_jobs(tx, media_keeping_child_elsewhere(tx, child_id), ReprocessCause{"child_left", child_id},
                              kPriorityUpload);
}

std::vector<std::string> items_reaching_child(pqxx::transaction_base& tx, const Config& config,
                                              std::int64_t child_id) {
  std::set<std::string> ids = similar_items(tx, config, child_templates(tx, child_id), child_id);
  for (auto& id : media_with_child(tx, child_id, false)) ids.insert(std::move(id));
  return ordered(ids);
}

}  // namespace veil
