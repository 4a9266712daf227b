// The purge of a leaver whose grace period is over (README, "When a child leaves", for what
// is kept).
//
// In ONE transaction (the purge job's completion): unless leavers.keep_consented_faces, every
// item keeping the child in another journal is taken out of view and queued to be rendered
// again ahead of uploads, exactly as for a consent withdrawal; faces in other journals are
// unlinked from the child (unknown faces from now on); then every row of the child goes: the
// journal's media, faces (with their embeddings), renditions rows, moderation rows and jobs,
// the templates, consent events, the data key (every original of the journal becomes
// unreadable, backups of the blob store included), the leaver row and the children row. The
// audit log is never changed: its rows carry ids, not names or images, and the purge's own
// child.purged row names the child only by child_reference(). After the commit, the caller
// deletes the files (delete_purged_files()): renditions, the export, the encrypted originals.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "leavers/leaver_settings.h"

namespace veil {

struct PurgeResult {
  std::string child_ref;  // child_reference() of the child
  int media = 0, renditions = 0, faces = 0, templates = 0, consent_events = 0, jobs = 0;
  int withdrawn = 0;       // items in other journals taken out of view to be rendered again
  int faces_unlinked = 0;  // faces in other journals no longer linked to the child
  std::vector<std::string> paths;  // files and directories to delete after the commit
};

// The child's id hashed with the setting secret (keyed BLAKE2b-256 under a key derived from
// the master key), lower-case hex: the same child gives the same reference in this setting,
// and it cannot be turned back into the id without the master key.
std::string child_reference(const SecretKey& master_key, std::int64_t child_id);

// Purges `child_id` inside `tx` (see above), leaving job `job_id` (the running purge job, 0
// when none) with child_id NULL. Returns nullopt, changing nothing, when the child is not in
// the leaver flow (they returned) or their purge is not due yet.
std::optional<PurgeResult> purge_child(pqxx::transaction_base& tx, std::int64_t child_id,
                                       const LeaverSettings& settings, std::int64_t job_id, const std::string& actor);

// Deletes the files of a committed purge; returns how many paths it could not delete (logged).
int delete_purged_files(const PurgeResult& result);

}  // namespace veil
