// Verifying and importing a leaver's export with libzip.
#include "leavers/journal_import.h"

#include <zip.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "ingest/protocol.h"
#include "leavers/export_format.h"
#include "leavers/file_hash.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/durable_file.h"
#include "storage/leaver_repository.h"
#include "storage/media_repository.h"

namespace veil {
namespace {

constexpr std::int64_t kMaxManifestBytes = 64LL << 20;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

ZipPtr open_zip(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw ExportRefused(path + ": no such file");
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    const std::string what = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw ExportRefused(path + " is not a Veil journal export: not a readable ZIP file (" + what + ")");
  }
  return ZipPtr(z);
}

// Streams entry `name` to `sink(data, size)`; returns its size. Throws ExportRefused when it is
// missing or unreadable (libzip checks each entry's CRC at its end).
template <typename Sink>
std::int64_t read_entry(zip_t* z, const std::string& name, Sink sink) {
  const zip_int64_t index = zip_name_locate(z, name.c_str(), 0);
  if (index < 0) throw ExportRefused("the export lacks " + name);
  zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0);
  if (!f) throw ExportRefused("cannot read " + name + " in the export: " + zip_strerror(z));
  std::vector<char> block(1 << 20);
  std::int64_t total = 0;
  while (true) {
    const zip_int64_t got = zip_fread(f, block.data(), block.size());
    if (got < 0) {
      const std::string what = zip_error_strerror(zip_file_get_error(f));
      zip_fclose(f);
      throw ExportRefused(name + " in the export is damaged: " + what);
    }
    if (got == 0) break;
    sink(block.data(), static_cast<std::size_t>(got));
    total += got;
  }
  zip_fclose(f);
  return total;
}

std::string entry_text(zip_t* z, const std::string& name, std::int64_t limit) {
  std::string out;
  read_entry(z, name, [&](const char* d, std::size_t n) {
    if (static_cast<std::int64_t>(out.size() + n) > limit) throw ExportRefused(name + " in the export is too large");
    out.append(d, n);
  });
  return out;
}

const nlohmann::json& field(const nlohmann::json& o, const char* key, nlohmann::json::value_t type,
                            const std::string& where) {
  if (!o.is_object() || !o.contains(key)) throw ExportRefused("journal.json: " + where + " lacks \"" + key + "\"");
  const auto& v = o.at(key);
  const bool ok = type == nlohmann::json::value_t::number_integer ? v.is_number_integer() : v.type() == type;
  if (!ok) throw ExportRefused("journal.json: " + where + "." + key + " has the wrong type");
  return v;
}

std::string text(const nlohmann::json& o, const char* key, const std::string& where) {
  return field(o, key, nlohmann::json::value_t::string, where).get<std::string>();
}
std::int64_t integer(const nlohmann::json& o, const char* key, const std::string& where) {
  return field(o, key, nlohmann::json::value_t::number_integer, where).get<std::int64_t>();
}

ExportedRendition rendition_of(const nlohmann::json& r, const std::string& where) {
  static const std::set<std::string> kinds{"display", "thumb", "thumb_square", "video",
                                           "poster", "poster_thumb", "poster_thumb_square"};
  static const std::set<std::string> mimes{"image/jpeg", "image/webp", "video/mp4"};
  static const std::regex file_re("media/[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{4,}/[a-z_]+\\.[a-z0-9]{1,5}");
  static const std::regex sha_re("[0-9a-f]{64}");
  ExportedRendition out;
  out.kind = text(r, "kind", where);
  out.file = text(r, "file", where);
  out.mime = text(r, "mime", where);
  out.sha256 = text(r, "sha256", where);
  const std::int64_t width = integer(r, "width", where), height = integer(r, "height", where);
  out.bytes = integer(r, "bytes", where);
  if (!kinds.count(out.kind)) throw ExportRefused("journal.json: " + where + ": unknown kind " + out.kind);
  if (!mimes.count(out.mime)) throw ExportRefused("journal.json: " + where + ": unknown type " + out.mime);
  if (!std::regex_match(out.file, file_re)) throw ExportRefused("journal.json: " + where + ": bad file name " + out.file);
  if (!std::regex_match(out.sha256, sha_re)) throw ExportRefused("journal.json: " + where + ": bad sha256");
  if (width < 1 || height < 1 || width > 100000 || height > 100000 || out.bytes < 0)
    throw ExportRefused("journal.json: " + where + ": bad size");
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  return out;
}

// The file in `dir` for a rendition: <dir>/<kind><ext of the exported file>.
std::string rendition_target(const std::string& dir, const ExportedRendition& r) {
  return dir + "/" + r.kind + std::filesystem::path(r.file).extension().string();
}

}  // namespace

VerifiedExport verify_journal_export(const std::string& path) {
  ZipPtr z = open_zip(path);
  VerifiedExport v;
  v.path = path;
  v.sha256 = sha256_of_file(path);
  if (zip_name_locate(z.get(), kExportManifest, 0) < 0)
    throw ExportRefused(path + " is not a Veil journal export: it has no journal.json");
  nlohmann::json m;
  try {
    m = protocol::parse_untrusted_json(entry_text(z.get(), kExportManifest, kMaxManifestBytes));
  } catch (const nlohmann::json::exception& e) {
    throw ExportRefused(path + " is not a Veil journal export: journal.json is not JSON (" + e.what() + ")");
  }
  if (!m.is_object() || m.value("format", std::string()) != kExportFormat)
    throw ExportRefused(path + " is not a Veil journal export: journal.json's format is not \"" +
                        std::string(kExportFormat) + "\"");
  v.format_version = static_cast<int>(integer(m, "format_version", "the manifest"));
  if (v.format_version != kExportFormatVersion)
    throw ExportRefused(path + ": export format version " + std::to_string(v.format_version) +
                        " is not one this Veil reads (" + std::to_string(kExportFormatVersion) + ")");
  v.veil_version = text(m, "veil_version", "the manifest");
  v.child_name = text(field(m, "child", nlohmann::json::value_t::object, "the manifest"), "name", "child");
  if (v.child_name.empty()) throw ExportRefused("journal.json: the child has no name");
  const auto& items = field(m, "items", nlohmann::json::value_t::array, "the manifest");
  static const std::regex iso_re("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z");
  std::set<std::string> listed{kExportManifest, kExportIndex};
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string where = "items[" + std::to_string(i) + "]";
    const auto& it = items[i];
    ExportedItem item;
    item.kind = text(it, "kind", where);
    item.created_at = text(it, "created_at", where);
    item.observation = text(it, "observation", where);
    if (item.kind != "photo" && item.kind != "video") throw ExportRefused("journal.json: " + where + ": unknown kind");
    if (!std::regex_match(item.created_at, iso_re)) throw ExportRefused("journal.json: " + where + ": bad created_at");
    const auto& renditions = field(it, "renditions", nlohmann::json::value_t::array, where);
    if (renditions.empty()) throw ExportRefused("journal.json: " + where + " has no renditions");
    std::set<std::string> kinds;
    for (std::size_t j = 0; j < renditions.size(); ++j) {
      auto r = rendition_of(renditions[j], where + ".renditions[" + std::to_string(j) + "]");
      if (!kinds.insert(r.kind).second || !listed.insert(r.file).second)
        throw ExportRefused("journal.json: " + where + " lists " + r.file + " twice");
      item.renditions.push_back(std::move(r));
    }
    v.items.push_back(std::move(item));
  }
  if (zip_name_locate(z.get(), kExportIndex, 0) < 0) throw ExportRefused("the export lacks index.html");
  const zip_int64_t entries = zip_get_num_entries(z.get(), 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char* name = zip_get_name(z.get(), static_cast<zip_uint64_t>(i), 0);
    if (!name || !listed.count(name))
      throw ExportRefused("the export holds a file its manifest does not list: " + std::string(name ? name : "?"));
  }
  // Every byte: each listed file's size and sha256 (and libzip each entry's CRC).
  entry_text(z.get(), kExportIndex, kMaxManifestBytes);
  for (const auto& item : v.items)
    for (const auto& r : item.renditions) {
      Sha256Stream hash;
      const std::int64_t size = read_entry(z.get(), r.file, [&](const char* d, std::size_t n) { hash.update(d, n); });
      if (size != r.bytes) throw ExportRefused(r.file + " in the export has " + std::to_string(size) +
                                               " bytes, its manifest says " + std::to_string(r.bytes));
      if (hash.hex() != r.sha256) throw ExportRefused(r.file + " in the export does not match its sha256");
    }
  return v;
}

ImportResult import_journal(pqxx::connection_base& db, const VerifiedExport& v, const std::string& renditions_root,
                            const std::string& name, const std::string& actor) {
  ZipPtr z = open_zip(v.path);
  if (sha256_of_file(v.path) != v.sha256) throw ExportRefused(v.path + " changed since it was checked");
  ImportResult result;
  std::vector<std::string> written_dirs;
  try {
    pqxx::work tx(db);
    const std::string child_name = name.empty() ? v.child_name : name;
    result.child_id = add_child(tx, child_name, "", actor);
    for (const auto& item : v.items) {
      const ExportedRendition* main = &item.renditions.front();
      for (const auto& r : item.renditions)
        if (r.kind == "display" || r.kind == "video") main = &r;
      const std::string id = insert_imported_media(tx, result.child_id, item.kind, item.observation, item.created_at,
                                                   main->sha256, main->bytes);
      const std::string dir = renditions_root + "/" + id + "/v1";
      written_dirs.push_back(renditions_root + "/" + id);
      std::filesystem::create_directories(dir);
      for (const auto& r : item.renditions) {
        std::string bytes;
        bytes.reserve(static_cast<std::size_t>(r.bytes));
        read_entry(z.get(), r.file, [&](const char* d, std::size_t n) {
          if (static_cast<std::int64_t>(bytes.size() + n) > r.bytes) throw ExportRefused(r.file + " changed since it was checked");
          bytes.append(d, n);
        });
        if (sha256_hex_of(bytes) != r.sha256) throw ExportRefused(r.file + " changed since it was checked");
        const std::string target = rendition_target(dir, r);
        write_file_durably(target, bytes, 0644);
        insert_rendition(tx, id, NewRendition{1, r.kind, target, r.mime, r.width, r.height, r.bytes, r.sha256});
        ++result.files;
      }
      append_audit(tx, AuditEntry{actor, "media.imported", id, result.child_id,
                                  nlohmann::json{{"kind", item.kind},
                                                 {"renditions", item.renditions.size()},
                                                 {"export_sha256", v.sha256}}
                                      .dump()});
      result.media_ids.push_back(id);
    }
    append_audit(tx, AuditEntry{actor, "journal.imported", "", result.child_id,
                                nlohmann::json{{"items", result.media_ids.size()},
                                               {"files", result.files},
                                               {"export_sha256", v.sha256},
                                               {"format_version", v.format_version},
                                               {"exported_by", v.veil_version}}
                                    .dump()});
    tx.commit();
  } catch (...) {
    std::error_code ec;
    for (const auto& d : written_dirs) std::filesystem::remove_all(d, ec);
    throw;
  }
  return result;
}

}  // namespace veil
