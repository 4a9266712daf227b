// Reading a leaver's export (leavers/export_format.h) in the receiving setting: check it
// whole, then create the child and their journal's items as published media.
//
// verify_journal_export() reads every byte of the file and accepts it only when it is a
// Veil journal export of a version this Veil reads, its manifest is well-formed, every file it
// lists is there with the listed size and sha256, and it holds nothing else. import_journal()
// then writes the files and rows in one transaction: the renditions are written durably
// before it commits (each checked against the manifest's sha256 again as it is extracted),
// and on any failure the transaction rolls back and the files written are removed. Nothing is
// ever half-imported.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

namespace veil {

// A file that is not a Veil journal export, or a damaged one; what() says what is wrong.
class ExportRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ExportedRendition {
  std::string kind, file, mime, sha256;
  int width = 0, height = 0;
  std::int64_t bytes = 0;
};
struct ExportedItem {
  std::string kind;        // photo | video
  std::string created_at;  // ISO 8601 UTC
  std::string observation;
  std::vector<ExportedRendition> renditions;
};
struct VerifiedExport {
  std::string path;
  std::string sha256;  // of the whole file
  std::string child_name;
  std::string veil_version;
  int format_version = 0;
  std::vector<ExportedItem> items;
};

// Checks the export at `path` whole (see above). Throws ExportRefused.
VerifiedExport verify_journal_export(const std::string& path);

struct ImportResult {
  std::int64_t child_id = 0;
  std::vector<std::string> media_ids;  // in the manifest's order
  int files = 0;
};

// Creates the child (named `name`, or the manifest's name when empty) and the items of
// `exported` in `db`, writing renditions under `renditions_root`; audited as media.imported
// per item and journal.imported. Throws ExportRefused when the file changed since it was
// verified, std::invalid_argument when the name is taken (a child with that name exists),
// other exceptions on failure; in every case nothing is left behind.
ImportResult import_journal(pqxx::connection_base& db, const VerifiedExport& exported,
                            const std::string& renditions_root, const std::string& name, const std::string& actor);

}  // namespace veil
