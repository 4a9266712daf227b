// Reading the web directory into memory.
#include "daemon/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace veil {

namespace {
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;
}

std::optional<std::string> static_content_type(const std::string& name) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},               {".png", "image/png"},
      {".ico", "image/x-icon"},                {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"}};
  const auto it = types.find(std::filesystem::path(name).extension().string());
  if (it == types.end()) return std::nullopt;
  return it->second;
}

StaticFiles StaticFiles::load(const std::string& dir) {
  StaticFiles out;
  out.dir_ = dir;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  if (ec) throw std::runtime_error("http.web_dir " + dir + ": cannot read the web page's files: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw std::runtime_error("http.web_dir " + dir + ": " + ec.message());
    const std::string name = it->path().filename().string();
    const auto type = static_content_type(name);
    if (!type || !it->is_regular_file() || it->file_size() > kMaxFileBytes) continue;
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) throw std::runtime_error("http.web_dir " + dir + ": cannot read " + name);
    std::ostringstream body;
    body << in.rdbuf();
    out.files_[name] = StaticFile{*type, body.str()};
  }
  if (!out.files_.count("index.html"))
    throw std::runtime_error("http.web_dir " + dir + ": no index.html (set http.web_dir to the web/ directory)");
  return out;
}

const StaticFile* StaticFiles::find(const std::string& name) const {
  const auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace veil
