// The media and moderation routes: thin translations between HTTP and ModerationService,
// which holds every rule. After an action the event it names goes out on the PUB socket.
#include <httplib.h>
#include <pqxx/pqxx>

#include "daemon/api_body.h"
#include "daemon/api_error.h"
#include "daemon/api_routes.h"
#include "daemon/event_publisher.h"
#include "moderation/moderation_service.h"
#include "storage/children_repository.h"

namespace veil {

namespace {

const std::string kItem = R"(/api/media/([0-9a-fA-F-]{36}))";
const std::string kFace = kItem + R"(/faces/([0-9]{1,4}))";

std::vector<std::string> states_of(const ApiCall& c, const std::string& fallback) {
  const std::string text = c.request.has_param("state") ? c.request.get_param_value("state") : fallback;
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string param(const ApiCall& c, const char* name, const std::string& fallback = "") {
  return c.request.has_param(name) ? c.request.get_param_value(name) : fallback;
}

void publish(EventPublisher* events, const ModerationEvent& e) {
  if (events && !e.name.empty()) events->media_event(e.name, e.state, e.media_id, "");
}

}  // namespace

void add_media_routes(httplib::Server& server, ApiContext& context, MediaRouteDeps deps) {
  const ModerationService& m = *deps.moderation;
  auto answer = [events = deps.events](ApiCall& c, const ActionResult& r) {
    publish(events, r.event);
    c.json(200, item_json(r.item, false));
  };

  add_route(server, context, "GET", "/api/moderation", Access::kSession, [&m](ApiCall& c) {
    const Page page =
        m.list(c.db, c.account(), param(c, "state", "pending"), c.int_param("limit", 50, 1, 200),
               param(c, "after"), c.now);
    c.json(200, page_json(page, false));
  });
  add_route(server, context, "GET", "/api/media", Access::kSession, [&m](ApiCall& c) {
    const Page page = m.media(c.db, c.account(), states_of(c, "published"), c.int_param("child", 0, 0, INT32_MAX),
                              c.int_param("limit", 50, 1, 200), param(c, "after"));
    c.json(200, page_json(page, false));
  });
  add_route(server, context, "GET", kItem, Access::kSession,
            [&m](ApiCall& c) { c.json(200, item_json(m.show(c.db, c.account(), c.match(1)), false)); });
  add_route(server, context, "GET", kItem + "/review.jpg", Access::kSession,
            [&m](ApiCall& c) { c.bytes(m.review_image(c.db, c.account(), c.match(1)), "image/jpeg"); });
  add_route(server, context, "GET", kFace + R"(\.jpg)", Access::kSession, [&m](ApiCall& c) {
    c.bytes(m.face_crop(c.db, c.account(), c.match(1), std::stoi(c.match(2))), "image/jpeg");
  });

  // The children a face may be assigned to (the page's picker): managers and seniors, who
  // may assign; staff decide nothing.
  add_route(server, context, "GET", "/api/children", Access::kSession, [](ApiCall& c) {
    if (c.account().role == Role::kStaff) throw ApiError(403, "staff accounts do not assign faces");
    pqxx::read_transaction tx(c.db);
    nlohmann::json children = nlohmann::json::array();
    for (const auto& child : list_children(tx, false)) children.push_back({{"id", child.id}, {"name", child.name}});
    c.json(200, {{"children", children}});
  });

  add_route(server, context, "POST", kItem + "/approve", Access::kSessionAndCsrf, [&m, answer](ApiCall& c) {
    answer(c, m.approve(c.db, c.account(), c.match(1), note_of(c.body()), c.now));
  });
  add_route(server, context, "POST", kItem + "/reject", Access::kSessionAndCsrf, [&m, answer](ApiCall& c) {
    answer(c, m.reject(c.db, c.account(), c.match(1), note_of(c.body()), c.now));
  });
  add_route(server, context, "POST", kFace + "/blur", Access::kSessionAndCsrf, [&m, answer](ApiCall& c) {
    answer(c, m.blur(c.db, c.account(), c.match(1), std::stoi(c.match(2)), c.now));
  });
  add_route(server, context, "POST", kFace + "/unblur", Access::kSessionAndCsrf, [&m, answer](ApiCall& c) {
    answer(c, m.unblur(c.db, c.account(), c.match(1), std::stoi(c.match(2)), c.now));
  });
  add_route(server, context, "POST", kItem + "/faces", Access::kSessionAndCsrf, [&m, answer](ApiCall& c) {
    answer(c, m.add_face(c.db, c.account(), c.match(1), box_of(c.body()), c.now));
  });
  add_route(server, context, "POST", kFace + "/assign", Access::kSessionAndCsrf, [deps, answer](ApiCall& c) {
    const std::int64_t child = child_of(c.body());
    std::lock_guard<std::mutex> lock(*deps.assign_mutex);
    answer(c, deps.assigner().assign(c.db, c.account(), c.match(1), std::stoi(c.match(2)), child, c.now));
  });
}

}  // namespace veil
