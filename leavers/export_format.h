// The leaver's export, version 1: what `veil export` and the export job write and what
// `veil children import` accepts (docs/operations.md, "When a child leaves").
//
// A ZIP (written with libzip) holding exactly:
//   journal.json    the manifest: {"format": "veil-journal-export", "format_version": 1,
//                   "veil_version", "exported_at", "child": {"name"}, "items": [{"kind":
//                   "photo"|"video", "date": YYYY-MM-DD, "created_at": ISO 8601 UTC,
//                   "observation", "renditions": [{"kind", "file", "mime", "width", "height",
//                   "bytes", "sha256"}]}]}, items oldest first;
//   index.html      the journal for a browser, offline: items by date with their observation
//                   references, photos and videos linked to the files below;
//   media/<date>-<nnnn>/<kind>.<ext>  every published rendition of every item, byte for byte
//                   the consent-safe files Veil published (never an original).
// Nothing else: a reader refuses any other entry, a missing file, a size or sha256 that differs
// from the manifest, and any other format or version.
#pragma once

namespace veil {

inline constexpr const char* kExportFormat = "veil-journal-export";
inline constexpr int kExportFormatVersion = 1;
inline constexpr const char* kExportManifest = "journal.json";
inline constexpr const char* kExportIndex = "index.html";

}  // namespace veil
