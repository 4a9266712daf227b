// ModerationService: permissions, rules and audit around the moderation repositories.
#include "moderation/moderation_service.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace veil {

struct ModerationService::Impl {
  ModerationSettings settings;
  FaceEmbedder* embedder = nullptr;
};

namespace {
[[noreturn]] void not_yet() { throw ModerationError(ModerationError::Code::kConflict, "not implemented yet"); }
}  // namespace

ModerationService::ModerationService(ModerationSettings settings, FaceEmbedder* embedder)
    : impl_(std::make_unique<Impl>(Impl{std::move(settings), embedder})) {}
ModerationService::~ModerationService() = default;

Page ModerationService::list(pqxx::connection_base&, const Account&, const std::string&, int, const std::string&,
                             TimePoint) const { not_yet(); }
Page ModerationService::media(pqxx::connection_base&, const Account&, const std::vector<std::string>&, std::int64_t,
                              int, const std::string&) const { not_yet(); }
Item ModerationService::show(pqxx::connection_base&, const Account&, const std::string&) const { not_yet(); }
ActionResult ModerationService::approve(pqxx::connection_base&, const Account&, const std::string&,
                                        const std::string&, TimePoint) const { not_yet(); }
ActionResult ModerationService::reject(pqxx::connection_base&, const Account&, const std::string&,
                                       const std::string&, TimePoint) const { not_yet(); }
ActionResult ModerationService::blur(pqxx::connection_base&, const Account&, const std::string&, int,
                                     TimePoint) const { not_yet(); }
ActionResult ModerationService::unblur(pqxx::connection_base&, const Account&, const std::string&, int,
                                       TimePoint) const { not_yet(); }
ActionResult ModerationService::add_face(pqxx::connection_base&, const Account&, const std::string&,
                                         const std::array<float, 4>&, TimePoint) const { not_yet(); }
ActionResult ModerationService::assign(pqxx::connection_base&, const Account&, const std::string&, int,
                                       std::int64_t, TimePoint) { not_yet(); }
std::string ModerationService::face_crop(pqxx::connection_base&, const Account&, const std::string&, int) const {
  not_yet();
}
std::string ModerationService::review_image(pqxx::connection_base&, const Account&, const std::string&) const {
  not_yet();
}

nlohmann::json item_json(const Item&, bool) { not_yet(); }
nlohmann::json page_json(const Page&, bool) { not_yet(); }

}  // namespace veil
