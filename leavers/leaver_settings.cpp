// Paths of the leaver flow.
#include "leavers/leaver_settings.h"

namespace veil {

LeaverSettings leaver_settings(const Config& config, const std::string& data_dir, const SecretKey& master_key) {
  LeaverSettings s;
  s.export_dir = config.leavers.export_dir.empty() ? data_dir + "/exports" : config.leavers.export_dir;
  s.originals_root = data_dir + "/originals";
  s.renditions_root = data_dir + "/renditions";
  s.master_key = master_key;
  s.keep_consented_faces = config.leavers.keep_consented_faces;
  return s;
}

std::string leaver_export_path(const LeaverSettings& settings, std::int64_t child_id) {
  return settings.export_dir + "/child-" + std::to_string(child_id) + ".zip";
}

}  // namespace veil
