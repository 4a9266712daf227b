// The export: manifest, index.html and renditions into a ZIP with libzip.
#include "leavers/journal_export.h"

#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "leavers/export_format.h"
#include "leavers/file_hash.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/leaver_repository.h"
#include "storage/originals_store.h"

namespace veil {
namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string extension_of(const std::string& path) {
  const auto ext = std::filesystem::path(path).extension().string();
  return ext.empty() ? ".bin" : ext;
}

// "2026-03-02T09:00:00Z" -> seconds since the epoch (the ZIP entries' time).
std::time_t unix_of(const std::string& iso) {
  std::tm tm{};
  if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return timegm(&tm);
}

std::string now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const JournalRendition* find_kind(const JournalItem& item, std::initializer_list<const char*> kinds) {
  for (const char* k : kinds)
    for (const auto& r : item.renditions)
      if (r.kind == k) return &r;
  return nullptr;
}

// The journal for a browser, with no script and nothing fetched from outside.
std::string index_html(const std::string& child, const std::vector<JournalItem>& items,
                       const std::vector<std::map<std::string, std::string>>& files) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      html_escape(child) +
      "'s learning journal</title>\n<style>\n"
      "body{font-family:sans-serif;margin:1rem auto;max-width:60rem;padding:0 1rem;color:#222}\n"
      "h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}\n"
      "figure{display:inline-block;margin:.5rem;vertical-align:top;max-width:18rem}\n"
      "img,video{max-width:18rem;max-height:18rem;display:block}\n"
      "figcaption{font-size:.9rem;color:#555}\n</style>\n</head>\n<body>\n<h1>" +
      html_escape(child) + "'s learning journal</h1>\n<p>" + std::to_string(items.size()) +
      " photos and videos.</p>\n";
  std::string day;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const std::string date = item.created_at.substr(0, 10);
    if (date != day) {
      if (!day.empty()) h += "</section>\n";
      day = date;
      h += "<section>\n<h2>" + html_escape(date) + "</h2>\n";
    }
    const auto& f = files[i];
    auto file_of = [&](std::initializer_list<const char*> kinds) -> std::string {
      const JournalRendition* r = find_kind(item, kinds);
      return r ? f.at(r->kind) : std::string();
    };
    h += "<figure class=\"item\">";
    if (item.kind == "video") {
      const std::string video = file_of({"video"}), poster = file_of({"poster"});
      h += "<video controls preload=\"none\" src=\"" + html_escape(video) + "\"" +
           (poster.empty() ? "" : " poster=\"" + html_escape(poster) + "\"") + "></video>";
    } else {
      const std::string full = file_of({"display"}), thumb = file_of({"thumb", "display"});
      h += "<a href=\"" + html_escape(full) + "\"><img src=\"" + html_escape(thumb) + "\" alt=\"photo " +
           html_escape(date) + "\"></a>";
    }
    h += "<figcaption>" + html_escape(item.created_at.substr(11, 5)) + " UTC" +
         (item.observation_ref.empty() ? "" : " &middot; observation " + html_escape(item.observation_ref)) +
         "</figcaption></figure>\n";
  }
  if (!day.empty()) h += "</section>\n";
  h += "</body>\n</html>\n";
  return h;
}

struct ProgressState {
  const ExportProgress* progress;
};

void on_zip_progress(zip_t*, double fraction, void* ud) {
  const auto* s = static_cast<ProgressState*>(ud);
  if (s->progress && *s->progress) (*s->progress)("writing", fraction);
}

// Adds `bytes` (copied by libzip) as `name`, deflated.
void add_text(zip_t* z, const std::string& name, const std::string& bytes, std::time_t mtime) {
  // zip_source_buffer keeps the pointer until zip_close(): give it a copy it frees.
  void* copy = std::malloc(bytes.size() ? bytes.size() : 1);
  if (!copy) throw std::runtime_error("out of memory");
  std::memcpy(copy, bytes.data(), bytes.size());
  zip_source_t* src = zip_source_buffer(z, copy, bytes.size(), 1);
  if (!src) {
    std::free(copy);
    throw std::runtime_error(std::string("zip: ") + zip_strerror(z));
  }
  const zip_int64_t index = zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(src);
    throw std::runtime_error(std::string("zip: ") + zip_strerror(z));
  }
  zip_file_set_mtime(z, static_cast<zip_uint64_t>(index), mtime, 0);
}

// Makes the ZIP libzip renamed into place durable; returns its sha256 and size.
std::string make_durable(const std::string& path, std::int64_t* bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("fsync of " + path + " failed");
  fsync_directory(std::filesystem::path(path).parent_path().string());
  return sha256_of_file(path, bytes);
}

}  // namespace

const char* veil_version() { return VEIL_VERSION; }

ExportResult write_journal_export(pqxx::connection_base& db, std::int64_t child_id, const std::string& out_path,
                                  const ExportProgress& progress) {
  std::string child_name;
  std::vector<JournalItem> items;
  {
    pqxx::read_transaction tx(db);
    child_name = find_child(tx, std::to_string(child_id)).name;
    items = published_journal(tx, child_id);
  }
  int total_files = 0;
  for (const auto& item : items) total_files += static_cast<int>(item.renditions.size());

  // Every file checked against its recorded sha256 before anything is written.
  nlohmann::json manifest_items = nlohmann::json::array();
  std::vector<std::map<std::string, std::string>> files(items.size());
  int checked = 0;
  std::map<std::string, int> per_day;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const std::string date = item.created_at.substr(0, 10);
    char seq[16];
    std::snprintf(seq, sizeof seq, "%04d", ++per_day[date]);
    const std::string dir = "media/" + date + "-" + seq + "/";
    nlohmann::json renditions = nlohmann::json::array();
    for (const auto& r : item.renditions) {
      std::int64_t bytes = 0;
      const std::string sha = sha256_of_file(r.path, &bytes);
      if (sha != r.sha256 || bytes != r.bytes)
        throw std::runtime_error("rendition " + r.path + " of media " + item.media_id +
                                 " does not match the sha256 recorded when it was published");
      const std::string name = dir + r.kind + extension_of(r.path);
      files[i][r.kind] = name;
      renditions.push_back({{"kind", r.kind},
                            {"file", name},
                            {"mime", r.mime},
                            {"width", r.width},
                            {"height", r.height},
                            {"bytes", r.bytes},
                            {"sha256", r.sha256}});
      if (progress) progress("checking", static_cast<double>(++checked) / std::max(total_files, 1));
    }
    manifest_items.push_back({{"kind", item.kind},
                              {"date", date},
                              {"created_at", item.created_at},
                              {"observation", item.observation_ref},
                              {"renditions", std::move(renditions)}});
  }
  const std::string exported_at = now_iso();
  const nlohmann::json manifest{{"format", kExportFormat},
                                {"format_version", kExportFormatVersion},
                                {"veil_version", veil_version()},
                                {"exported_at", exported_at},
                                {"child", {{"name", child_name}}},
                                {"items", std::move(manifest_items)}};

  std::filesystem::create_directories(std::filesystem::path(out_path).parent_path());
  int err = 0;
  zip_t* z = zip_open(out_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    const std::string what = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw std::runtime_error("cannot create " + out_path + ": " + what);
  }
  ProgressState ps{&progress};
  try {
    const std::time_t now = unix_of(exported_at);
    add_text(z, kExportManifest, manifest.dump(2) + "\n", now);
    add_text(z, kExportIndex, index_html(child_name, items, files), now);
    for (std::size_t i = 0; i < items.size(); ++i) {
      for (const auto& r : items[i].renditions) {
        zip_source_t* src = zip_source_file(z, r.path.c_str(), 0, -1);
        if (!src) throw std::runtime_error("zip: " + r.path + ": " + zip_strerror(z));
        const zip_int64_t index = zip_file_add(z, files[i].at(r.kind).c_str(), src, ZIP_FL_ENC_UTF_8);
        if (index < 0) {
          zip_source_free(src);
          throw std::runtime_error(std::string("zip: ") + zip_strerror(z));
        }
        // JPEG, WebP and MP4 are compressed already: stored as they are.
        zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
        zip_file_set_mtime(z, static_cast<zip_uint64_t>(index), unix_of(items[i].created_at), 0);
      }
    }
    if (progress) zip_register_progress_callback_with_state(z, 0.01, on_zip_progress, nullptr, &ps);
  } catch (...) {
    zip_discard(z);
    throw;
  }
  if (zip_close(z) != 0) {
    const std::string what = zip_strerror(z);
    zip_discard(z);
    throw std::runtime_error("cannot write " + out_path + ": " + what);
  }
  ExportResult result;
  result.path = out_path;
  result.sha256 = make_durable(out_path, &result.bytes);
  result.items = static_cast<int>(items.size());
  result.files = total_files;
  return result;
}

void audit_export(pqxx::transaction_base& tx, std::int64_t child_id, const ExportResult& r,
                  const std::string& purpose, const std::string& actor) {
  nlohmann::json detail{{"purpose", purpose},
                        {"bytes", r.bytes},
                        {"sha256", r.sha256},
                        {"items", r.items},
                        {"files", r.files},
                        {"format_version", kExportFormatVersion}};
  // The leaver flow's path names the child by id only; an operator's --out path may name the
  // child, and the audit log keeps no names.
  if (purpose == "leaver") detail["path"] = r.path;
  append_audit(tx, AuditEntry{actor, "journal.exported", "", child_id, detail.dump()});
}

}  // namespace veil
