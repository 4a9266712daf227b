// Writing a child's journal as the leaver's export (leavers/export_format.h) for the parents:
// every published rendition of the child's own journal, the manifest and index.html.
//
// The journal is read in one read-only transaction, so the export is one consistent state of
// it. Every rendition file is checked against the sha256 recorded when it was published
// before it goes in; a file that differs or is missing fails the export (nothing is written
// at `out_path`). The ZIP is written beside `out_path` by libzip and renamed into place, then
// fsync'ed with its directory: readers see the old file or the whole new one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <pqxx/types.hxx>

namespace veil {

struct ExportResult {
  std::string path;
  std::int64_t bytes = 0;  // of the ZIP
  std::string sha256;      // of the ZIP, lower-case hex
  int items = 0;
  int files = 0;           // renditions in it
};

// Progress: `phase` "checking" (the renditions' sha256) then "writing" (the ZIP), `fraction`
// of that phase done (0 to 1).
using ExportProgress = std::function<void(const char* phase, double fraction)>;

// Writes the export of `child_id`'s journal to `out_path` (replacing it; its directory is
// created). Throws std::runtime_error saying what failed; `out_path` is then untouched.
ExportResult write_journal_export(pqxx::connection_base& db, std::int64_t child_id, const std::string& out_path,
                                  const ExportProgress& progress = {});

// The journal.exported audit row of `result` for `child_id`, in `tx`: size, sha256, counts;
// `purpose` is "leaver" (the leaver flow's export, with its path) or "on_demand" (`veil export`:
// no path, which the operator chose and may name the child).
void audit_export(pqxx::transaction_base& tx, std::int64_t child_id, const ExportResult& result,
                  const std::string& purpose, const std::string& actor);

// The version of Veil that writes exports (the project's version).
const char* veil_version();

}  // namespace veil
