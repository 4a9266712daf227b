// Inside moderation/: reading an item as an account may see it, and the permission checks
// every ModerationService call starts with. Not part of the library's interface.
#pragma once

#include <string>

#include <pqxx/types.hxx>

#include "accounts/session_service.h"
#include "config/config.h"
#include "moderation/moderation_service.h"
#include "storage/media_view.h"

namespace veil::moderation_detail {

[[noreturn]] void refuse(ModerationError::Code code, const std::string& message);

// The media row `media_id` if `who` may read it; kNotFound otherwise (no such item, a
// malformed id, or a staff account that is not the key person of its journal child).
// `lock`: the row stays locked (FOR UPDATE) until the transaction ends.
MediaView readable_media(pqxx::transaction_base& tx, const Account& who, const std::string& media_id, bool lock);

// kForbidden unless `who` may decide (managers and seniors).
void require_decider(const Account& who);

// The key person whose children's items `who` may read: 0 (every item) for managers and
// seniors, the account's person for staff.
std::int64_t read_scope(const Account& who);

// The whole item as docs/moderation.md shows it; may_unblur as seen by `who`.
Item read_item(pqxx::transaction_base& tx, const Account& who, const MediaView& media, const Config& config);

}  // namespace veil::moderation_detail
