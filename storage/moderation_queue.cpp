// Held media waiting for moderation, and the decisions on them.
#include "storage/moderation_queue.h"

#include <pqxx/pqxx>

namespace veil {
namespace {

// The latest moderation row of each media, of state $1, whose journal child has the key
// person $2 (0: any). Parameters $1 and $2.
const char* const kFrom =
    "FROM moderation mo JOIN media m ON m.id = mo.media_id LEFT JOIN children c ON c.id = m.journal_child_id ";
const char* const kWhere =
    "WHERE mo.state = $1 AND ($2 = 0 OR c.key_person = $2) "
    "  AND mo.id = (SELECT max(id) FROM moderation WHERE media_id = mo.media_id) ";

}  // namespace

void enqueue_for_moderation(pqxx::transaction_base& tx, const std::string& media_id, const std::string& reason) {
  tx.exec_params0("INSERT INTO moderation (media_id, reason) SELECT $1, $2 WHERE NOT EXISTS "
                  "(SELECT 1 FROM moderation WHERE media_id = $1 AND state = 'pending')",
                  media_id, reason);
}

bool has_pending_moderation(pqxx::transaction_base& tx, const std::string& media_id) {
  return tx.exec_params1("SELECT EXISTS (SELECT 1 FROM moderation WHERE media_id = $1 AND state = 'pending')",
                         media_id)[0]
      .as<bool>();
}

std::optional<ModerationRow> latest_moderation(pqxx::transaction_base& tx, const std::string& media_id) {
  const auto r = tx.exec_params(
      "SELECT mo.id, mo.media_id::text, mo.reason, mo.state, mo.decided_by, coalesce(a.name, ''), " +
          unix_micros_of("mo.decided_at") +
          ", mo.note FROM moderation mo LEFT JOIN accounts a ON a.id = mo.decided_by "
          "WHERE mo.media_id = $1 ORDER BY mo.id DESC LIMIT 1",
      media_id);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  ModerationRow m;
  m.id = row[0].as<std::int64_t>();
  m.media_id = row[1].as<std::string>();
  m.reason = row[2].as<std::string>();
  m.state = row[3].as<std::string>();
  m.decided_by = row[4].is_null() ? 0 : row[4].as<std::int64_t>();
  m.decided_by_name = row[5].as<std::string>();
  if (!row[6].is_null()) m.decided_at = from_unix_micros(row[6].as<std::int64_t>());
  if (!row[7].is_null()) m.note = row[7].as<std::string>();
  return m;
}

QueuePage list_moderation(pqxx::transaction_base& tx, const QueueQuery& q) {
  QueuePage page;
  const std::string rows = std::string(kFrom) + kWhere;
  page.total = tx.exec_params1("SELECT count(*) " + rows, q.state, q.key_person)[0].as<std::int64_t>();
  // Each code once per row, however many of its reasons carry it.
  for (const auto& r : tx.exec_params("SELECT split_part(part, ': ', 1), count(DISTINCT mo.id) " + std::string(kFrom) +
                                          "CROSS JOIN LATERAL unnest(string_to_array(NULLIF(mo.reason, ''), '; ')) part " +
                                          kWhere + "GROUP BY 1",
                                      q.state, q.key_person))
    page.by_reason[r[0].as<std::string>()] = r[1].as<std::int64_t>();
  for (const auto& r : tx.exec_params(
           "SELECT CASE WHEN age < interval '1 hour' THEN 'under_1h' WHEN age < interval '1 day' THEN 'under_1d' "
           "  WHEN age < interval '7 days' THEN 'under_1w' ELSE 'older' END, count(*) "
           "FROM (SELECT " +
               timestamptz_param(3) + " - m.created_at AS age " + rows + ") a GROUP BY 1",
           q.state, q.key_person, unix_micros(q.now)))
    page.by_age[r[0].as<std::string>()] = r[1].as<std::int64_t>();
  const auto found = tx.exec_params("SELECT mo.id, mo.media_id::text " + rows + "AND mo.id > $3 ORDER BY mo.id LIMIT $4",
                                    q.state, q.key_person, q.after, q.limit + 1);
  for (const auto& r : found) {
    if (static_cast<int>(page.media_ids.size()) == q.limit) {
      page.more = true;
      break;
    }
    page.last_row = r[0].as<std::int64_t>();
    page.media_ids.push_back(r[1].as<std::string>());
  }
  return page;
}

bool moderation_row_exists(pqxx::transaction_base& tx, std::int64_t id) {
  return tx.exec_params1("SELECT EXISTS (SELECT 1 FROM moderation WHERE id = $1)", id)[0].as<bool>();
}

std::int64_t decide_moderation(pqxx::transaction_base& tx, const std::string& media_id, const std::string& state,
                               std::int64_t account_id, const std::string& note, TimePoint now) {
  const auto updated = tx.exec_params(
      "UPDATE moderation SET state = $2, decided_by = $3, decided_at = " + timestamptz_param(4) +
          ", note = NULLIF($5, '') WHERE media_id = $1 AND state = 'pending' RETURNING id",
      media_id, state, account_id, unix_micros(now), note);
  if (!updated.empty()) return updated[0][0].as<std::int64_t>();
  return tx.exec_params1("INSERT INTO moderation (media_id, reason, state, decided_by, decided_at, note) "
                         "VALUES ($1, '', $2, $3, " +
                             timestamptz_param(4) + ", NULLIF($5, '')) RETURNING id",
                         media_id, state, account_id, unix_micros(now), note)[0]
      .as<std::int64_t>();
}

}  // namespace veil
