// Reads of media items for review: parameterised SELECTs only.
#include "storage/media_view.h"

#include <cctype>
#include <sstream>

#include <pqxx/pqxx>

namespace veil {
namespace {

// Parses "1.5,2,3" (array_to_string of a real[]) into `out`; returns how many were read.
template <std::size_t N>
std::size_t parse_reals(const std::string& text, std::array<float, N>& out) {
  std::stringstream in(text);
  std::string part;
  std::size_t i = 0;
  while (i < N && std::getline(in, part, ',')) out[i++] = std::stof(part);
  return i;
}

std::optional<TimePoint> optional_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_unix_micros(f.as<std::int64_t>());
}

template <typename T>
T or_zero(const pqxx::field& f) {
  return f.is_null() ? T{} : f.as<T>();
}

}  // namespace

bool is_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::optional<MediaView> find_media_view(pqxx::transaction_base& tx, const std::string& media_id) {
  const auto r = tx.exec_params(
      "SELECT m.id::text, m.kind, m.state, coalesce(m.reason, ''), m.journal_child_id, coalesce(c.display_name, ''), "
      "  c.key_person, m.uploader_id, coalesce(p.display_name, ''), m.uploader_role, " +
          unix_micros_of("m.created_at") + ", " + unix_micros_of("m.updated_at") +
          ", m.width, m.height "
          "FROM media m LEFT JOIN children c ON c.id = m.journal_child_id LEFT JOIN people p ON p.id = m.uploader_id "
          "WHERE m.id = $1",
      media_id);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  MediaView v;
  v.id = row[0].as<std::string>();
  v.kind = row[1].as<std::string>();
  v.state = row[2].as<std::string>();
  v.reason = row[3].as<std::string>();
  v.journal_child_id = or_zero<std::int64_t>(row[4]);
  v.journal_child_name = row[5].as<std::string>();
  v.journal_key_person = or_zero<std::int64_t>(row[6]);
  v.uploader_id = or_zero<std::int64_t>(row[7]);
  v.uploader_name = row[8].as<std::string>();
  v.uploader_role = row[9].as<std::string>();
  v.received_at = from_unix_micros(row[10].as<std::int64_t>());
  v.updated_at = from_unix_micros(row[11].as<std::int64_t>());
  v.width = or_zero<int>(row[12]);
  v.height = or_zero<int>(row[13]);
  return v;
}

std::vector<FaceView> media_faces(pqxx::transaction_base& tx, const std::string& media_id) {
  std::vector<FaceView> out;
  for (const auto& row : tx.exec_params(
           "SELECT f.id, f.frame_or_track, array_to_string(f.bbox, ','), coalesce(array_to_string(f.landmarks, ','), ''), "
           "  f.det_score, f.matched_child_id, coalesce(c.display_name, ''), coalesce(f.similarity, 0), f.decision, "
           "  f.decision_reason, f.consent_event_id, f.decided_by, coalesce(a.name, ''), " +
               unix_micros_of("f.decided_at") +
               ", f.manual "
               "FROM faces f LEFT JOIN children c ON c.id = f.matched_child_id "
               "LEFT JOIN accounts a ON a.id = f.decided_by WHERE f.media_id = $1 ORDER BY f.id",
           media_id)) {
    FaceView f;
    f.id = row[0].as<std::int64_t>();
    f.n = static_cast<int>(out.size()) + 1;
    f.frame_or_track = row[1].as<int>();
    parse_reals(row[2].as<std::string>(), f.bbox);
    f.has_landmarks = parse_reals(row[3].as<std::string>(), f.landmarks) == f.landmarks.size();
    f.det_score = row[4].as<float>();
    f.matched_child_id = or_zero<std::int64_t>(row[5]);
    f.matched_child_name = row[6].as<std::string>();
    f.similarity = row[7].as<float>();
    f.decision = row[8].as<std::string>();
    f.reason = row[9].as<std::string>();
    f.consent_event_id = or_zero<std::int64_t>(row[10]);
    f.decided_by = or_zero<std::int64_t>(row[11]);
    f.decided_by_name = row[12].as<std::string>();
    f.decided_at = optional_time(row[13]);
    f.manual = row[14].as<bool>();
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<RenditionView> current_renditions(pqxx::transaction_base& tx, const std::string& media_id) {
  std::vector<RenditionView> out;
  for (const auto& row : tx.exec_params(
           "SELECT version, kind, path, mime, width, height FROM renditions WHERE media_id = $1 AND version = "
           "(SELECT max(version) FROM renditions WHERE media_id = $1) ORDER BY id",
           media_id))
    out.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(),
                   row[4].as<int>(), row[5].as<int>()});
  return out;
}

MediaListPage list_media(pqxx::transaction_base& tx, const MediaListQuery& q) {
  std::string states = "{";
  for (std::size_t i = 0; i < q.states.size(); ++i) states += (i ? "," : "") + q.states[i];
  states += "}";
  // $1 states (empty: all), $2 journal child (0: any), $3 key person (0: any).
  const std::string where =
      "FROM media m LEFT JOIN children c ON c.id = m.journal_child_id "
      "WHERE (cardinality($1::text[]) = 0 OR m.state = ANY($1::text[])) "
      "  AND ($2 = 0 OR m.journal_child_id = $2) AND ($3 = 0 OR c.key_person = $3) ";
  MediaListPage page;
  page.total = tx.exec_params1("SELECT count(*) " + where, states, q.journal_child, q.key_person)[0].as<std::int64_t>();
  const auto rows = tx.exec_params(
      "SELECT m.id::text " + where +
          "AND ($4 = '' OR (m.created_at, m.id) < (SELECT created_at, id FROM media WHERE id::text = $4)) "
          "ORDER BY m.created_at DESC, m.id DESC LIMIT $5",
      states, q.journal_child, q.key_person, q.after, q.limit + 1);
  for (const auto& row : rows) page.ids.push_back(row[0].as<std::string>());
  if (static_cast<int>(page.ids.size()) > q.limit) {
    page.ids.resize(q.limit);
    page.more = true;
  }
  return page;
}

}  // namespace veil
