// Children, people, consent events and face templates in PostgreSQL (parameterised
// queries only). Each change that matters for consent is audited in the same transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "models/face.h"

namespace veil {

struct ChildRow {
  std::int64_t id = 0;
  std::string name;
  std::int64_t key_person = 0;  // people.id, 0 when none
  std::string key_person_name;
  std::string status;           // active | left | archived | deleted
  std::string left_at;          // "" unless left
  std::string created_at;
};

struct PersonRow {
  std::int64_t id = 0;
  std::string kind;  // staff | parent | child
  std::string name;
  std::string email;
};

struct ConsentRow {
  std::int64_t id = 0;
  std::int64_t child_id = 0;
  bool photo_in_others = false;
  std::string recorded_by;  // person name
  std::string evidence;
  std::string recorded_at;
};

struct TemplateRow {
  std::int64_t id = 0;
  std::int64_t child_id = 0;
  std::string child_name;
  Embedding embedding;
  std::string model;
  float quality = 0;
  std::int64_t created_at_unix = 0;
};

// Errors a person can fix (unknown child, duplicate name): the message says what.
class NotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// People
std::int64_t add_person(pqxx::transaction_base& tx, const std::string& kind, const std::string& name,
                        const std::string& email, const std::string& actor);
std::vector<PersonRow> list_people(pqxx::transaction_base& tx);
PersonRow find_person(pqxx::transaction_base& tx, const std::string& name_or_id);  // throws NotFound

// Children
std::int64_t add_child(pqxx::transaction_base& tx, const std::string& name, const std::string& key_person,
                       const std::string& actor);
void rename_child(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& new_name,
                  const std::string& actor);
void set_key_person(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& key_person,
                    const std::string& actor);
void mark_child_left(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& actor);
// A child who left comes back (within the leaver flow's grace period): active again, their
// templates match again.
void mark_child_returned(pqxx::transaction_base& tx, std::int64_t child_id, const std::string& actor);
std::vector<ChildRow> list_children(pqxx::transaction_base& tx, bool include_left);
ChildRow find_child(pqxx::transaction_base& tx, const std::string& name_or_id);  // throws NotFound

// Consent ledger (append only). The current consent is the latest event; none means "no".
std::int64_t record_consent(pqxx::transaction_base& tx, std::int64_t child_id, bool photo_in_others,
                            std::int64_t recorded_by, const std::string& evidence, const std::string& actor);
std::vector<ConsentRow> consent_history(pqxx::transaction_base& tx, std::int64_t child_id);
// child_id -> latest event of every child (children without events are absent).
std::vector<ConsentRow> current_consents(pqxx::transaction_base& tx);
// record_consent() in two steps, for a caller that changes items in between (the audit row
// last: jobs/reprocess_plan.h): the event, then its consent.recorded audit row with
// `extra_json` (an object) merged into its detail.
std::int64_t insert_consent_event(pqxx::transaction_base& tx, std::int64_t child_id, bool photo_in_others,
                                  std::int64_t recorded_by, const std::string& evidence);
void audit_consent_event(pqxx::transaction_base& tx, std::int64_t event_id, std::int64_t child_id, bool photo_in_others,
                         std::int64_t recorded_by, const std::string& actor, const std::string& extra_json = "{}");

// Face templates
std::int64_t add_template(pqxx::transaction_base& tx, std::int64_t child_id, const Embedding& embedding,
                          const std::string& model, const std::string& source, float quality,
                          const std::string& actor);
// Templates of active children only.
std::vector<TemplateRow> active_templates(pqxx::transaction_base& tx);
// The embeddings of the child's templates (whatever its status), oldest first.
std::vector<Embedding> child_templates(pqxx::transaction_base& tx, std::int64_t child_id);
// The number of face templates enrolled for the child (whatever its status).
int template_count(pqxx::transaction_base& tx, std::int64_t child_id);
std::int64_t enrolment_version(pqxx::transaction_base& tx);

}  // namespace veil
