// The audit log: an append-only, hash-chained table. Each row's hash is the sha256 of the
// previous row's hash and this row's content, so that any change to a past row breaks the
// chain from that row on. The database itself refuses UPDATE, DELETE and TRUNCATE on it.
//
// append() takes a transaction-scoped advisory lock so that concurrent writers (several
// workers, several daemons) chain their rows one after another; the row becomes visible
// with the caller's commit, so the audit entry and the change it records commit together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/types.hxx>

namespace pqxx {
class connection_base;
}

namespace veil {

struct AuditEntry {
  std::string actor;               // "veild", "cli:<user>", a person id...
  std::string action;              // e.g. "media.processed", "consent.recorded"
  std::string media_id;            // "" when none
  std::int64_t child_id = 0;       // 0 when none
  std::string detail_json = "{}";  // a JSON object
};

// Appends inside `tx`; returns the new row's id.
std::int64_t append_audit(pqxx::transaction_base& tx, const AuditEntry& entry);

struct AuditVerification {
  bool ok = true;
  std::int64_t rows = 0;
  std::int64_t first_broken_id = 0;  // 0 when ok
  std::string problem;               // what is wrong with that row
};

// Recomputes the whole chain in id order.
AuditVerification verify_audit(pqxx::connection_base& db);

}  // namespace veil
