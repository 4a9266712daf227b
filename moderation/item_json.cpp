// The ITEM and page JSON of docs/moderation.md.
#include <cmath>

#include <nlohmann/json.hpp>

#include "moderation/moderation_service.h"

namespace veil {
namespace {

template <typename T>
nlohmann::json or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json child_json(const std::optional<ItemChild>& c) {
  return c ? nlohmann::json{{"id", c->id}, {"name", c->name}} : nlohmann::json(nullptr);
}

// Boxes and similarities to 0.1 px and 0.001: what a person reads.
double rounded(float v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

nlohmann::json item_json(const Item& item, bool with_paths) {
  nlohmann::json moderation = nullptr;
  if (item.moderation) {
    const auto& m = *item.moderation;
    moderation = {{"state", m.state},
                  {"reason", m.reason},
                  {"decided_by", or_null(m.decided_by)},
                  {"decided_at", m.decided_at ? nlohmann::json(iso8601_utc(*m.decided_at)) : nlohmann::json(nullptr)},
                  {"note", or_null(m.note)}};
  }
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& f : item.faces) {
    faces.push_back({{"n", f.n},
                     {"box", {rounded(f.box[0], 0.1), rounded(f.box[1], 0.1), rounded(f.box[2], 0.1), rounded(f.box[3], 0.1)}},
                     {"decision", f.decision},
                     {"reason", f.reason},
                     {"child", child_json(f.child)},
                     {"similarity", rounded(f.similarity, 0.001)},
                     {"decided_by", or_null(f.decided_by)},
                     {"manual", f.manual},
                     {"may_unblur", f.may_unblur}});
  }
  nlohmann::json renditions = nlohmann::json::array();
  for (const auto& r : item.renditions) {
    nlohmann::json j{{"kind", r.kind}, {"version", r.version}, {"width", r.width}, {"height", r.height}, {"mime", r.mime}};
    if (with_paths) j["path"] = r.path;
    renditions.push_back(std::move(j));
  }
  nlohmann::json uploader = nullptr;
  if (item.uploader) uploader = {{"id", item.uploader->id}, {"name", item.uploader->name}, {"role", item.uploader->role}};
  return {{"id", item.id},
          {"kind", item.kind},
          {"state", item.state},
          {"reasons", item.reasons},
          {"journal_child", child_json(item.journal_child)},
          {"uploader", uploader},
          {"received_at", iso8601_utc(item.received_at)},
          {"updated_at", iso8601_utc(item.updated_at)},
          {"moderation", moderation},
          {"width", item.width},
          {"height", item.height},
          {"version", item.version},
          {"faces", faces},
          {"renditions", renditions}};
}

nlohmann::json page_json(const Page& page, bool with_paths) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : page.items) items.push_back(item_json(item, with_paths));
  return {{"items", items},
          {"total", page.total},
          {"counts", {{"by_reason", page.by_reason}, {"by_age", page.by_age}}},
          {"next", or_null(page.next)}};
}

}  // namespace veil
