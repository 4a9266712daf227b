// The moderation web page's files (http.web_dir), read into memory once at start-up and
// served at "/" by veild. Only the regular files directly in the directory are served, by
// their exact name: no path from a request ever reaches the file system, so no request can
// read outside the directory. Editing a file takes effect at veild's next start.
//
// veild reads them before it drops root privileges (daemon.cpp), so a checkout only root can
// read still serves the page.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace veil {

struct StaticFile {
  std::string content_type;  // e.g. "text/html; charset=utf-8"
  std::string body;
};

class StaticFiles {
 public:
  StaticFiles() = default;

  // Reads every regular file in `dir` with a known type (.html, .css, .js, .svg, .png, .ico,
  // .json, .txt) up to 1 MiB each; other files are skipped. Throws std::runtime_error when
  // `dir` cannot be read or holds no index.html, naming the directory and http.web_dir.
  static StaticFiles load(const std::string& dir);

  // The file called `name` ("index.html", "app.js"), or nullopt.
  const StaticFile* find(const std::string& name) const;

  std::size_t size() const { return files_.size(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, StaticFile> files_;
};

// The Content-Type served for a file name by its extension; nullopt: not served.
std::optional<std::string> static_content_type(const std::string& name);

}  // namespace veil
