// Inside moderation/: what a ModerationService holds.
#pragma once

#include "moderation/moderation_service.h"

namespace veil {

struct ModerationService::Impl {
  ModerationSettings settings;
  FaceEmbedder* embedder = nullptr;  // not owned; null: assign() is refused
};

}  // namespace veil
