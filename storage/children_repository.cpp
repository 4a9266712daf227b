// SQL for children, people, consent and templates; audit rows in the same transaction.
#include "storage/children_repository.h"


#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "storage/audit_log.h"
#include "storage/sql_arrays.h"

namespace veil {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

void audit(pqxx::transaction_base& tx, const std::string& actor, const std::string& action, std::int64_t child,
           const nlohmann::json& detail) {
  append_audit(tx, AuditEntry{actor, action, "", child, detail.dump()});
}

const char* kChildSelect =
    "SELECT c.id, c.display_name, coalesce(c.key_person, 0), coalesce(p.display_name, ''), c.status, "
    "coalesce(c.left_at::text, ''), c.created_at::text FROM children c LEFT JOIN people p ON p.id = c.key_person ";

ChildRow child_from(const pqxx::row& r) {
  return ChildRow{r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::int64_t>(), r[3].as<std::string>(),
                  r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<std::string>()};
}

std::int64_t optional_person(pqxx::transaction_base& tx, const std::string& name_or_id) {
  return name_or_id.empty() ? 0 : find_person(tx, name_or_id).id;
}

}  // namespace

std::int64_t add_person(pqxx::transaction_base& tx, const std::string& kind, const std::string& name,
                        const std::string& email, const std::string& actor) {
  if (kind != "staff" && kind != "parent") throw std::invalid_argument("person kind must be staff or parent");
  if (name.empty()) throw std::invalid_argument("a person needs a name");
  if (!tx.exec_params("SELECT 1 FROM people WHERE lower(display_name) = lower($1)", name).empty())
    throw std::invalid_argument("a person named '" + name + "' already exists");
  const auto id = tx.exec_params1("INSERT INTO people (kind, display_name, email) VALUES ($1, $2, NULLIF($3, '')) "
                                  "RETURNING id",
                                  kind, name, email)[0]
                      .as<std::int64_t>();
  append_audit(tx, AuditEntry{actor, "person.added", "", 0, nlohmann::json{{"person_id", id}, {"kind", kind}}.dump()});
  return id;
}

std::vector<PersonRow> list_people(pqxx::transaction_base& tx) {
  std::vector<PersonRow> out;
  for (const auto& r : tx.exec("SELECT id, kind, display_name, coalesce(email, '') FROM people ORDER BY id"))
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>()});
  return out;
}

PersonRow find_person(pqxx::transaction_base& tx, const std::string& name_or_id) {
  const auto rows = all_digits(name_or_id)
                        ? tx.exec_params("SELECT id, kind, display_name, coalesce(email, '') FROM people WHERE id = $1",
                                         std::stoll(name_or_id))
                        : tx.exec_params("SELECT id, kind, display_name, coalesce(email, '') FROM people "
                                         "WHERE lower(display_name) = lower($1)",
                                         name_or_id);
  if (rows.empty()) throw NotFound("no person '" + name_or_id + "' (see 'veil people list')");
  const auto& r = rows[0];
  return {r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>()};
}

std::int64_t add_child(pqxx::transaction_base& tx, const std::string& name, const std::string& key_person,
                       const std::string& actor) {
  if (name.empty()) throw std::invalid_argument("a child needs a name");
  if (all_digits(name)) throw std::invalid_argument("a child's name cannot be a number (numbers are ids)");
  if (!tx.exec_params("SELECT 1 FROM children WHERE lower(display_name) = lower($1) AND status <> 'deleted'", name)
           .empty())
    throw std::invalid_argument("a child named '" + name + "' already exists");
  const std::int64_t kp = optional_person(tx, key_person);
  const auto id = tx.exec_params1("INSERT INTO children (display_name, key_person) VALUES ($1, NULLIF($2, 0)) "
                                  "RETURNING id",
                                  name, kp)[0]
                      .as<std::int64_t>();
  audit(tx, actor, "child.added", id, {{"key_person", kp}});
  return id;
}

void rename_child(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& new_name,
                  const std::string& actor) {
  tx.exec_params0("UPDATE children SET display_name = $2 WHERE id = $1", child_id, new_name);
  // No name in the audit log: it keeps ids only, so that a purge leaves nothing personal in it.
  audit(tx, actor, "child.renamed", child_id, nlohmann::json::object());
}

void set_key_person(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& key_person,
                    const std::string& actor) {
  const std::int64_t kp = optional_person(tx, key_person);
  tx.exec_params0("UPDATE children SET key_person = NULLIF($2, 0) WHERE id = $1", child_id, kp);
  audit(tx, actor, "child.key_person", child_id, {{"key_person", kp}});
}

void mark_child_left(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& actor) {
  tx.exec_params0("UPDATE children SET status = 'left', left_at = now() WHERE id = $1 AND status = 'active'", child_id);
  audit(tx, actor, "child.left", child_id, nlohmann::json::object());
}

void mark_child_returned(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& actor) {
  tx.exec_params0("UPDATE children SET status = 'active', left_at = NULL WHERE id = $1 AND status = 'left'", child_id);
  audit(tx, actor, "child.returned", child_id, nlohmann::json::object());
}

std::vector<ChildRow> list_children(pqxx::transaction_base& tx, bool include_left) {
  std::vector<ChildRow> out;
  const std::string where = include_left ? "WHERE c.status <> 'deleted' " : "WHERE c.status = 'active' ";
  for (const auto& r : tx.exec(std::string(kChildSelect) + where + "ORDER BY c.id")) out.push_back(child_from(r));
  return out;
}

ChildRow find_child(pqxx::transaction_base& tx, const std::string& name_or_id) {
  const auto rows =
      all_digits(name_or_id)
          ? tx.exec_params(std::string(kChildSelect) + "WHERE c.id = $1", std::stoll(name_or_id))
          : tx.exec_params(std::string(kChildSelect) + "WHERE lower(c.display_name) = lower($1) AND c.status <> 'deleted'",
                           name_or_id);
  if (rows.empty()) throw NotFound("no child '" + name_or_id + "' (see 'veil children list')");
  return child_from(rows[0]);
}

std::int64_t record_consent(pqxx::transaction_base& tx, std::int64_t child_id, bool photo_in_others,
                            std::int64_t recorded_by, const std::string& evidence, const std::string& actor) {
  const auto id = insert_consent_event(tx, child_id, photo_in_others, recorded_by, evidence);
  audit_consent_event(tx, id, child_id, photo_in_others, recorded_by, actor);
  return id;
}

std::int64_t insert_consent_event(pqxx::transaction_base& tx, std::int64_t child_id, bool photo_in_others,
                                  std::int64_t recorded_by, const std::string& evidence) {
  if (evidence.empty()) throw std::invalid_argument("consent needs evidence (what was signed, where it is kept)");
  return tx.exec_params1("INSERT INTO consent_events (child_id, photo_in_others, recorded_by, evidence) "
                         "VALUES ($1, $2, $3, $4) RETURNING id",
                         child_id, photo_in_others, recorded_by, evidence)[0]
      .as<std::int64_t>();
}

void audit_consent_event(pqxx::transaction_base& tx, std::int64_t event_id, std::int64_t child_id, bool photo_in_others,
                         std::int64_t recorded_by, const std::string& actor, const std::string& extra_json) {
  nlohmann::json detail{{"consent_event_id", event_id}, {"photo_in_others", photo_in_others}, {"recorded_by", recorded_by}};
  detail.update(nlohmann::json::parse(extra_json));
  audit(tx, actor, "consent.recorded", child_id, detail);
}

static ConsentRow consent_from(const pqxx::row& r) {
  return {r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<bool>(), r[3].as<std::string>(),
          r[4].as<std::string>(), r[5].as<std::string>()};
}

std::vector<ConsentRow> consent_history(pqxx::transaction_base& tx, std::int64_t child_id) {
  std::vector<ConsentRow> out;
  for (const auto& r : tx.exec_params(
           "SELECT e.id, e.child_id, e.photo_in_others, coalesce(p.display_name, ''), e.evidence, e.recorded_at::text "
           "FROM consent_events e LEFT JOIN people p ON p.id = e.recorded_by WHERE e.child_id = $1 ORDER BY e.id",
           child_id))
    out.push_back(consent_from(r));
  return out;
}

std::vector<ConsentRow> current_consents(pqxx::transaction_base& tx) {
  std::vector<ConsentRow> out;
  for (const auto& r : tx.exec(
           "SELECT DISTINCT ON (e.child_id) e.id, e.child_id, e.photo_in_others, coalesce(p.display_name, ''), "
           "e.evidence, e.recorded_at::text FROM consent_events e LEFT JOIN people p ON p.id = e.recorded_by "
           "ORDER BY e.child_id, e.id DESC"))
    out.push_back(consent_from(r));
  return out;
}

std::int64_t add_template(pqxx::transaction_base& tx, std::int64_t child_id, const Embedding& embedding,
                          const std::string& model, const std::string& source, float quality,
                          const std::string& actor) {
  const auto id = tx.exec_params1("INSERT INTO face_templates (child_id, embedding, model, source_media, quality) "
                                  "VALUES ($1, $2::real[], $3, $4, $5) RETURNING id",
                                  child_id, real_array_literal(embedding), model, source, quality)[0]
                      .as<std::int64_t>();
  audit(tx, actor, "template.enrolled", child_id, {{"template_id", id}, {"quality", quality}, {"model", model}});
  return id;
}

std::vector<TemplateRow> active_templates(pqxx::transaction_base& tx) {
  std::vector<TemplateRow> out;
  for (const auto& r : tx.exec(
           "SELECT t.id, t.child_id, c.display_name, array_to_string(t.embedding, ','), t.model, coalesce(t.quality, 0), "
           "extract(epoch FROM t.created_at)::bigint FROM face_templates t JOIN children c ON c.id = t.child_id "
           "WHERE c.status = 'active' ORDER BY t.id")) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::string>(),
                   parse_real_list(r[3].as<std::string>()), r[4].as<std::string>(), r[5].as<float>(),
                   r[6].as<std::int64_t>()});
  }
  return out;
}

std::vector<Embedding> child_templates(pqxx::transaction_base& tx, std::int64_t child_id) {
  std::vector<Embedding> out;
  for (const auto& r : tx.exec_params("SELECT array_to_string(embedding, ',') FROM face_templates WHERE child_id = $1 "
                                      "ORDER BY id",
                                      child_id))
    out.push_back(parse_real_list(r[0].as<std::string>()));
  return out;
}

int template_count(pqxx::transaction_base& tx, std::int64_t child_id) {
  return tx.exec_params1("SELECT count(*) FROM face_templates WHERE child_id = $1", child_id)[0].as<int>();
}

std::int64_t enrolment_version(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT version FROM enrolment_state")[0].as<std::int64_t>();
}

}  // namespace veil
