// The purge: one transaction for the rows, then the files.
#include "leavers/purge.h"

#include <sodium.h>

#include <filesystem>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "storage/audit_log.h"
#include "storage/leaver_repository.h"
#include "storage/reprocess_queue.h"

namespace veil {

std::string child_reference(const SecretKey& master_key, std::int64_t child_id) {
  // The setting secret: a subkey of the master key for this one use.
  unsigned char secret[crypto_generichash_KEYBYTES];
  const std::string context = "veil leaver reference";
  crypto_generichash(secret, sizeof secret, reinterpret_cast<const unsigned char*>(context.data()), context.size(),
                     master_key.data(), master_key.size());
  const std::string message = "child:" + std::to_string(child_id);
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(message.data()), message.size(), secret,
                     sizeof secret);
  sodium_memzero(secret, sizeof secret);
  char hex[sizeof out * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::optional<PurgeResult> purge_child(pqxx::transaction_base& tx, std::int64_t child_id,
                                       const LeaverSettings& settings, std::int64_t job_id, const std::string& actor) {
  const auto leaver = find_leaver(tx, child_id, true);
  if (!leaver) return std::nullopt;
  if (!purge_is_due(tx, *leaver)) return std::nullopt;
  PurgeResult r;
  r.child_ref = child_reference(settings.master_key, child_id);
  if (!settings.keep_consented_faces) {
    // As for a consent withdrawal: out of view in this transaction, rendered again first. The
    // cause names no child: the jobs and their audit rows outlive the child.
    lock_consents_exclusive(tx);
    r.withdrawn = static_cast<int>(withdraw_items_showing(tx, child_id, ReprocessCause{"child_purged", 0}).size());
  }
  r.faces_unlinked = unlink_child_faces(tx, child_id);
  const DeletedChildRows rows = delete_child_rows(tx, child_id, job_id);
  r.media = static_cast<int>(rows.media_ids.size());
  r.renditions = static_cast<int>(rows.rendition_paths.size());
  r.faces = rows.faces;
  r.templates = rows.templates;
  r.consent_events = rows.consent_events;
  r.jobs = rows.jobs;
  for (const auto& id : rows.media_ids) r.paths.push_back(settings.renditions_root + "/" + id);
  for (const auto& p : rows.rendition_paths) r.paths.push_back(p);  // wherever they were written
  if (!leaver->export_path.empty()) r.paths.push_back(leaver->export_path);
  r.paths.push_back(leaver_export_path(settings, child_id));
  r.paths.push_back(settings.originals_root + "/" + std::to_string(child_id));
  append_audit(tx, AuditEntry{actor, "child.purged", "", 0,
                              nlohmann::json{{"child_ref", r.child_ref},
                                             {"left_on", leaver->left_on},
                                             {"purge_due", leaver->purge_due},
                                             {"media", r.media},
                                             {"renditions", r.renditions},
                                             {"faces", r.faces},
                                             {"templates", r.templates},
                                             {"consent_events", r.consent_events},
                                             {"withdrawn_elsewhere", r.withdrawn},
                                             {"faces_unlinked_elsewhere", r.faces_unlinked},
                                             {"kept_consented_faces", settings.keep_consented_faces},
                                             {"export_deleted", !leaver->export_path.empty()},
                                             {"key_destroyed", true}}
                                  .dump()});
  return r;
}

int delete_purged_files(const PurgeResult& result) {
  int failed = 0;
  for (const auto& p : result.paths) {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
    if (ec) {
      ++failed;
      spdlog::error("purge {}: cannot delete {}: {}", result.child_ref, p, ec.message());
    }
  }
  return failed;
}

}  // namespace veil
