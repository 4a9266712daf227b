// ModerationService: face changes. Each one updates the face rows, moves the item to
// `processing` and queues the `reprocess` job that renders it again, in one transaction.
#include <cmath>
#include <filesystem>
#include <functional>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "models/face_embedder.h"
#include "jobs/reprocess_plan.h"
#include "moderation/item_reader.h"
#include "moderation/moderation_service.h"
#include "moderation/original_image.h"
#include "moderation/service_impl.h"
#include "moderation/unblur_rule.h"
#include "policy/face_quality.h"
#include "policy/reasons.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/face_decisions.h"
#include "storage/media_repository.h"
#include "storage/originals_store.h"

namespace veil {

using moderation_detail::face_changes_allowed;
using moderation_detail::read_item;
using moderation_detail::readable_media;
using moderation_detail::refuse;
using moderation_detail::require_decider;
using moderation_detail::UnblurRule;
using Code = ModerationError::Code;

namespace {

// The face rows and item a change works on, checked: the account decides, the item may
// change, its original is stored (rendering again needs it).
struct Target {
  MediaView media;
  std::vector<FaceView> faces;
};

Target target(pqxx::transaction_base& tx, const ModerationSettings& settings, const Account& who,
              const std::string& media_id, bool lock) {
  Target t{readable_media(tx, who, media_id, lock), {}};
  require_decider(who);
  if (const std::string why = face_changes_allowed(t.media); !why.empty()) refuse(Code::kConflict, why);
  if (!std::filesystem::exists(original_path(settings.originals_root, t.media.journal_child_id, t.media.id)))
    refuse(Code::kConflict, "the original of this item is not stored (it was processed by hand): its faces cannot "
                            "be changed");
  t.faces = media_faces(tx, t.media.id);
  return t;
}

const FaceView& face_n(const Target& t, int n) {
  if (n < 1 || n > static_cast<int>(t.faces.size()))
    refuse(Code::kNotFound, "no face " + std::to_string(n) + " on this item (it has " + std::to_string(t.faces.size()) + ")");
  return t.faces[n - 1];
}

nlohmann::json box_json(const std::array<float, 4>& b) { return {b[0], b[1], b[2], b[3]}; }

// Queues the rendering, audits `action` with `detail`, and returns the item as it is now.
ActionResult finish(pqxx::work& tx, const ModerationSettings& settings, const Account& who, const MediaView& m,
                    const std::string& action, nlohmann::json detail) {
  detail["job_id"] = queue_reprocess(tx, m.id);
  detail["was"] = m.state;
  append_audit(tx, AuditEntry{who.name, action, m.id, m.journal_child_id, detail.dump()});
  ActionResult result{read_item(tx, who, *find_media_view(tx, m.id), settings.config),
                      {"media.processing", m.id, MediaState::processing}};
  tx.commit();
  return result;
}

}  // namespace

ActionResult ModerationService::blur(pqxx::connection_base& db, const Account& who, const std::string& media_id, int n,
                                     TimePoint now) const {
  pqxx::work tx(db);
  const Target t = target(tx, impl_->settings, who, media_id, true);
  const FaceView& f = face_n(t, n);
  decide_face(tx, f.id, "blur", reason::blurred_by_person, who.id, now);
  return finish(tx, impl_->settings, who, t.media, "face.blurred",
                {{"face", n}, {"box", box_json(f.bbox)}, {"was_decision", f.decision}, {"was_reason", f.reason}});
}

ActionResult ModerationService::unblur(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                                       int n, TimePoint now) const {
  pqxx::work tx(db);
  const Target t = target(tx, impl_->settings, who, media_id, true);
  const FaceView& f = face_n(t, n);
  if (const std::string why = UnblurRule(tx, t.media, impl_->settings.config).refusal(f); !why.empty())
    refuse(Code::kConflict, why);
  decide_face(tx, f.id, "keep", reason::unblurred_by_person, who.id, now);
  return finish(tx, impl_->settings, who, t.media, "face.unblurred",
                {{"face", n},
                 {"box", box_json(f.bbox)},
                 {"child_id", f.matched_child_id},
                 {"was_decision", f.decision},
                 {"was_reason", f.reason}});
}

ActionResult ModerationService::add_face(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                                         const std::array<float, 4>& box, TimePoint now) const {
  for (float v : box)
    if (!std::isfinite(v)) refuse(Code::kBadRequest, "a box is four numbers: x, y, width, height");
  if (box[2] <= 0 || box[3] <= 0) refuse(Code::kBadRequest, "a box needs a width and a height above 0");
  pqxx::work tx(db);
  const Target t = target(tx, impl_->settings, who, media_id, true);
  const float W = static_cast<float>(t.media.width), H = static_cast<float>(t.media.height);
  const bool outside = box[0] + box[2] <= 0 || box[1] + box[3] <= 0 || (W > 0 && box[0] >= W) || (H > 0 && box[1] >= H);
  if (outside) refuse(Code::kBadRequest, "the box lies outside the photo");
  add_manual_face(tx, t.media.id, box, reason::added_by_person, who.id, now);
  return finish(tx, impl_->settings, who, t.media, "face.added",
                {{"face", static_cast<int>(t.faces.size()) + 1}, {"box", box_json(box)}});
}

ActionResult ModerationService::assign(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                                       int n, std::int64_t child_id, TimePoint now) {
  if (!impl_->embedder) refuse(Code::kConflict, "face models are not loaded here: a face cannot be assigned");
  // Checked first, then the original is read and embedded outside any transaction (it reads
  // keys in its own), then everything is checked again under the row lock and written.
  MediaView media;
  {
    pqxx::read_transaction tx(db);
    const Target t = target(tx, impl_->settings, who, media_id, false);
    const FaceView& f = face_n(t, n);
    if (!f.has_landmarks) refuse(Code::kConflict, "face " + std::to_string(n) + " was drawn by hand: it cannot become a template");
    media = t.media;
  }
  const std::string child_text = std::to_string(child_id);
  ChildRow child;
  {
    pqxx::read_transaction tx(db);
    try {
      child = find_child(tx, child_text);
    } catch (const NotFound&) {
      refuse(Code::kNotFound, "no child " + child_text);
    }
  }
  if (child.status != "active") refuse(Code::kNotFound, "child " + child.name + " has " + child.status);

  const DecodedImage image = moderation_detail::original_image(db, impl_->settings, media);
  pqxx::work tx(db);
  const Target t = target(tx, impl_->settings, who, media_id, true);
  const FaceView& f = face_n(t, n);
  if (!f.has_landmarks) refuse(Code::kConflict, "face " + std::to_string(n) + " was drawn by hand: it cannot become a template");
  DetectedFace face;
  face.box = Box{f.bbox[0], f.bbox[1], f.bbox[2], f.bbox[3]};
  for (std::size_t i = 0; i < face.landmarks.size(); ++i) face.landmarks[i] = Point{f.landmarks[2 * i], f.landmarks[2 * i + 1]};
  face.score = f.det_score;
  const EnrolmentConfig& limits = impl_->settings.config.enrolment;
  const std::string refused = "face " + std::to_string(n) + " cannot become a template of " + child.name + ": ";
  if (f.det_score < kEnrolmentFaceScore)
    refuse(Code::kConflict, refused + "the detector is not confident it is a face (score " +
                                std::to_string(static_cast<int>(f.det_score * 100)) + "%)");
  const FaceQuality q = measure_face_quality(image.bgr, face);
  if (q.height_px < limits.min_face_px)
    refuse(Code::kConflict, refused + "face too small: " + std::to_string(static_cast<int>(q.height_px)) +
                                " px tall, the limit is " + std::to_string(limits.min_face_px) + " px");
  if (q.sharpness < limits.min_sharpness)
    refuse(Code::kConflict, refused + "face too blurred: sharpness " + std::to_string(static_cast<int>(q.sharpness)) +
                                ", the limit is " + std::to_string(static_cast<int>(limits.min_sharpness)));
  const Embedding embedding = impl_->embedder->embed(image.bgr, face);
  const std::int64_t template_id =
      add_template(tx, child.id, embedding, impl_->settings.config.models.embedder,
                   "media:" + t.media.id + "#" + std::to_string(n), q.sharpness, who.name);
  const int others = queue_after_template(tx, impl_->settings.config, template_id, "assignment", t.media.id);
  const FaceJudgement j = UnblurRule(tx, t.media, impl_->settings.config).judge_as(child.id, child.name);
  decide_face(tx, f.id, to_string(j.decision), j.reason, who.id, now, child.id, j.consent_event_id);
  return finish(tx, impl_->settings, who, t.media, "face.assigned",
                {{"face", n},
                 {"child_id", child.id},
                 {"template_id", template_id},
                 {"reprocess_queued", others},
                 {"decision", to_string(j.decision)},
                 {"reason", j.reason},
                 {"was_decision", f.decision},
                 {"was_child_id", f.matched_child_id}});
}

}  // namespace veil
