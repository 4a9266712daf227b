#include "jobs/rendition_sweep.h"

#include <filesystem>
#include <map>
#include <vector>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "storage/media_repository.h"

namespace veil {

int sweep_superseded_renditions(pqxx::connection_base& db, const std::string& renditions_root) {
  std::map<std::string, int> current;
  {
    pqxx::read_transaction tx(db);
    current = current_rendition_versions(tx);
  }
  namespace fs = std::filesystem;
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator item(renditions_root, ec), end; !ec && item != end; item.increment(ec)) {
    const auto found = current.find(item->path().filename().string());
    if (found == current.end()) continue;
    std::vector<fs::path> old;
    std::error_code inner;
    for (fs::directory_iterator v(item->path(), inner), vend; !inner && v != vend; v.increment(inner)) {
      const std::string name = v->path().filename().string();
      if (name.size() < 2 || name[0] != 'v' || name.find_first_not_of("0123456789", 1) != std::string::npos) continue;
      if (std::stoi(name.substr(1)) < found->second) old.push_back(v->path());
    }
    for (const auto& p : old) {
      std::error_code rm;
      fs::remove_all(p, rm);
      if (rm) spdlog::warn("renditions: {} not removed: {}", p.string(), rm.message());
      else ++removed;
    }
  }
  return removed;
}

}  // namespace veil
