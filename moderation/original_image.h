// Inside moderation/: an item's original, decrypted and decoded, for the face crop and for
// the templates of assign(). Runs its own read transactions: call it outside any other
// transaction on the same connection.
#pragma once

#include <string>

#include <pqxx/types.hxx>

#include "moderation/moderation_service.h"
#include "pipeline/photo/decode.h"
#include "storage/media_view.h"

namespace veil::moderation_detail {

// The photo `media` as uploaded (decoded as the pipeline decodes it, so face boxes apply).
// Throws std::runtime_error when the original cannot be read (key destroyed, file missing or
// altered) or no longer decodes.
DecodedImage original_image(pqxx::connection_base& db, const ModerationSettings& settings, const MediaView& media);

}  // namespace veil::moderation_detail
