// Items as the people who review them see them, and who may see which.
#include "moderation/item_reader.h"

#include <pqxx/pqxx>

#include "moderation/unblur_rule.h"
#include "storage/children_repository.h"
#include "storage/media_repository.h"
#include "storage/moderation_queue.h"

namespace veil::moderation_detail {

void refuse(ModerationError::Code code, const std::string& message) { throw ModerationError(code, message); }

MediaView readable_media(pqxx::transaction_base& tx, const Account& who, const std::string& media_id, bool lock) {
  const std::string missing = "no media item " + media_id;
  if (!is_uuid(media_id)) refuse(ModerationError::Code::kNotFound, missing);
  if (lock) lock_media_row(tx, media_id);
  auto media = find_media_view(tx, media_id);
  if (!media) refuse(ModerationError::Code::kNotFound, missing);
  const std::int64_t scope = read_scope(who);
  if (scope != 0 && media->journal_key_person != scope) refuse(ModerationError::Code::kNotFound, missing);
  return *media;
}

void require_decider(const Account& who) {
  if (who.role != Role::kManager && who.role != Role::kSenior)
    refuse(ModerationError::Code::kForbidden, "only managers and seniors decide on media (" + who.name + " is " +
                                                  std::string(role_name(who.role)) + ")");
}

std::int64_t read_scope(const Account& who) {
  if (who.role == Role::kManager || who.role == Role::kSenior) return 0;
  // Staff without a person read nothing: -1 matches no key person.
  return who.person_id != 0 ? who.person_id : -1;
}

Item read_item(pqxx::transaction_base& tx, const Account& who, const MediaView& m, const Config& config) {
  Item item;
  item.id = m.id;
  item.kind = m.kind;
  item.state = m.state;
  for (std::string rest = m.reason; !rest.empty();) {
    const auto cut = rest.find("; ");
    item.reasons.push_back(rest.substr(0, cut));
    rest = cut == std::string::npos ? "" : rest.substr(cut + 2);
  }
  if (m.journal_child_id) item.journal_child = ItemChild{m.journal_child_id, m.journal_child_name};
  if (m.uploader_id) item.uploader = ItemUploader{m.uploader_id, m.uploader_name, m.uploader_role};
  item.received_at = m.received_at;
  item.updated_at = m.updated_at;
  if (const auto mo = latest_moderation(tx, m.id)) {
    ItemModeration im;
    im.state = mo->state;
    im.reason = mo->reason;
    if (mo->decided_by) im.decided_by = mo->decided_by_name;
    im.decided_at = mo->decided_at;
    im.note = mo->note;
    item.moderation = im;
  }
  item.width = m.width;
  item.height = m.height;
  const UnblurRule rule(tx, m, config);
  const bool may_change = who.role != Role::kStaff && face_changes_allowed(m).empty();
  for (const auto& f : media_faces(tx, m.id)) {
    ItemFace face;
    face.n = f.n;
    face.box = f.bbox;
    face.decision = f.decision;
    face.reason = f.reason;
    if (f.matched_child_id) face.child = ItemChild{f.matched_child_id, f.matched_child_name};
    face.similarity = f.similarity;
    if (f.decided_by) face.decided_by = f.decided_by_name;
    face.manual = f.manual;
    face.may_unblur = may_change && f.decision == "blur" && rule.refusal(f).empty();
    item.faces.push_back(std::move(face));
  }
  for (const auto& r : current_renditions(tx, m.id)) {
    item.version = r.version;
    item.renditions.push_back({r.kind, r.version, r.width, r.height, r.mime, r.path});
  }
  return item;
}

}  // namespace veil::moderation_detail
