// ModerationService: the queue, items, approve and reject. Face changes are in
// face_actions.cpp, face images in face_images.cpp.
#include "moderation/moderation_service.h"

#include <filesystem>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "moderation/item_reader.h"
#include "moderation/service_impl.h"
#include "policy/media_state.h"
#include "storage/audit_log.h"
#include "storage/media_repository.h"
#include "storage/moderation_queue.h"

namespace veil {

using moderation_detail::read_item;
using moderation_detail::read_scope;
using moderation_detail::readable_media;
using moderation_detail::refuse;
using moderation_detail::require_decider;
using Code = ModerationError::Code;

namespace {

void check_limit(int limit) {
  if (limit < 1 || limit > 200) refuse(Code::kBadRequest, "limit must be between 1 and 200");
}

}  // namespace

ModerationService::ModerationService(ModerationSettings settings, FaceEmbedder* embedder)
    : impl_(std::make_unique<Impl>(Impl{std::move(settings), embedder})) {}
ModerationService::~ModerationService() = default;

Page ModerationService::list(pqxx::connection_base& db, const Account& who, const std::string& state, int limit,
                             const std::string& after, TimePoint now) const {
  if (state != "pending" && state != "approved" && state != "rejected")
    refuse(Code::kBadRequest, "state must be pending, approved or rejected, not '" + state + "'");
  check_limit(limit);
  QueueQuery q;
  q.state = state;
  q.key_person = read_scope(who);
  q.limit = limit;
  q.now = now;
  pqxx::read_transaction tx(db);
  if (!after.empty()) {
    const bool digits = after.size() < 19 && after.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || !moderation_row_exists(tx, std::stoll(after))) refuse(Code::kBadRequest, "unknown cursor '" + after + "'");
    q.after = std::stoll(after);
  }
  const QueuePage found = list_moderation(tx, q);
  Page page;
  page.total = found.total;
  page.by_reason = found.by_reason;
  page.by_age = found.by_age;
  for (const auto& id : found.media_ids)
    page.items.push_back(read_item(tx, who, *find_media_view(tx, id), impl_->settings.config));
  if (found.more) page.next = std::to_string(found.last_row);
  return page;
}

Page ModerationService::media(pqxx::connection_base& db, const Account& who, const std::vector<std::string>& states,
                              std::int64_t journal_child, int limit, const std::string& after) const {
  for (const auto& s : states)
    if (!parse_media_state(s)) refuse(Code::kBadRequest, "unknown state '" + s + "'");
  check_limit(limit);
  MediaListQuery q;
  q.states = states;
  q.journal_child = journal_child;
  q.key_person = read_scope(who);
  q.limit = limit;
  pqxx::read_transaction tx(db);
  if (!after.empty()) {
    if (!is_uuid(after) || !find_media_view(tx, after)) refuse(Code::kBadRequest, "unknown cursor '" + after + "'");
    q.after = after;
  }
  const MediaListPage found = list_media(tx, q);
  Page page;
  page.total = found.total;
  for (const auto& id : found.ids)
    page.items.push_back(read_item(tx, who, *find_media_view(tx, id), impl_->settings.config));
  if (found.more && !found.ids.empty()) page.next = found.ids.back();
  return page;
}

Item ModerationService::show(pqxx::connection_base& db, const Account& who, const std::string& media_id) const {
  pqxx::read_transaction tx(db);
  return read_item(tx, who, readable_media(tx, who, media_id, false), impl_->settings.config);
}

ActionResult ModerationService::approve(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                                        const std::string& note, TimePoint now) const {
  pqxx::work tx(db);
  const MediaView m = readable_media(tx, who, media_id, true);
  require_decider(who);
  if (m.state != "held") refuse(Code::kConflict, "only a held item can be approved; this one is " + m.state);
  if (current_renditions(tx, m.id).empty())
    refuse(Code::kConflict, "the item has no renditions to publish (" + m.reason + "): reject it instead");
  decide_moderation(tx, m.id, "approved", who.id, note, now);
  move_media(tx, m.id, "published");
  append_audit(tx, AuditEntry{who.name, "media.approved", m.id, m.journal_child_id,
                              nlohmann::json{{"reason", m.reason}, {"note", note}}.dump()});
  ActionResult result{read_item(tx, who, *find_media_view(tx, m.id), impl_->settings.config),
                      {"media.approved", m.id, MediaState::published}};
  tx.commit();
  return result;
}

ActionResult ModerationService::reject(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                                       const std::string& note, TimePoint now) const {
  pqxx::work tx(db);
  const MediaView m = readable_media(tx, who, media_id, true);
  require_decider(who);
  if (m.state != "held" && m.state != "published")
    refuse(Code::kConflict, "only a held or published item can be rejected; this one is " + m.state);
  decide_moderation(tx, m.id, "rejected", who.id, note, now);
  move_media(tx, m.id, "rejected");
  const std::vector<std::string> files = delete_renditions(tx, m.id);
  append_audit(tx, AuditEntry{who.name, "media.rejected", m.id, m.journal_child_id,
                              nlohmann::json{{"was", m.state}, {"note", note}, {"renditions_deleted", files.size()}}
                                  .dump()});
  ActionResult result{read_item(tx, who, *find_media_view(tx, m.id), impl_->settings.config),
                      {"media.rejected", m.id, MediaState::rejected}};
  tx.commit();
  // Only once nothing refers to them any more.
  for (const auto& f : files) {
    std::error_code ec;
    std::filesystem::remove(f, ec);
    if (ec) spdlog::warn("media {}: rendition {} not deleted: {}", m.id, f, ec.message());
  }
  return result;
}

}  // namespace veil
