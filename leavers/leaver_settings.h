// What the leaver flow's jobs need to know, decided once from the configuration and the data
// directory by veild and veil alike.
#pragma once

#include <string>

#include "config/config.h"
#include "storage/originals_store.h"

namespace veil {

struct LeaverSettings {
  std::string export_dir;       // leavers.export_dir, else <data_dir>/exports
  std::string originals_root;   // <data_dir>/originals
  std::string renditions_root;  // <data_dir>/renditions
  SecretKey master_key{};       // the setting secret a purged child's id is hashed with derives from it
  bool keep_consented_faces = false;
};

LeaverSettings leaver_settings(const Config& config, const std::string& data_dir, const SecretKey& master_key);

// Where the leaver flow writes the export of `child_id`: <export_dir>/child-<id>.zip (no name:
// the path is recorded in the audit log).
std::string leaver_export_path(const LeaverSettings& settings, std::int64_t child_id);

}  // namespace veil
