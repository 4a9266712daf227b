// The routes of the HTTP API (docs/moderation.md), in two groups: the session and login
// history (session_routes.cpp) and the media and moderation actions (media_routes.cpp). Each
// route states its access (api_call.h); web_api.cpp puts them on the server.
#pragma once

#include <functional>
#include <mutex>

#include "daemon/api_call.h"

namespace veil {

class EventPublisher;
class ModerationService;

// POST /api/session (log in), GET /api/session, DELETE /api/session (log out), and
// GET /api/logins (managers only).
void add_session_routes(httplib::Server& server, ApiContext& context);

struct MediaRouteDeps {
  const ModerationService* moderation = nullptr;  // every action but assign
  // The service with a face embedder, made on first use (loading the model costs memory);
  // assign() calls must not overlap, so the caller holds `assign_mutex` while it runs.
  std::function<ModerationService&()> assigner;
  std::mutex* assign_mutex = nullptr;
  EventPublisher* events = nullptr;  // null: no events
};

// GET /api/moderation, GET /api/media, GET /api/media/{id}, its review.jpg and faces/{n}.jpg,
// the POST actions on an item, and GET /api/children (whom a face may be assigned to).
void add_media_routes(httplib::Server& server, ApiContext& context, MediaRouteDeps deps);

}  // namespace veil
