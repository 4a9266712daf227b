// Protocol helpers.
#include "ingest/protocol.h"

#include <algorithm>
#include <map>

namespace veil::protocol {

std::string content_type_for_name(const std::string& file_name) {
  static const std::map<std::string, std::string> types = {
      {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"}, {"png", "image/png"},        {"webp", "image/webp"},
      {"heic", "image/heic"}, {"heif", "image/heif"}, {"avif", "image/avif"},      {"gif", "image/gif"},
      {"tif", "image/tiff"},  {"tiff", "image/tiff"}, {"mp4", "video/mp4"},        {"m4v", "video/mp4"},
      {"mov", "video/quicktime"}, {"webm", "video/webm"}, {"mkv", "video/x-matroska"}, {"3gp", "video/3gpp"}};
  const auto dot = file_name.rfind('.');
  if (dot == std::string::npos) return "application/octet-stream";
  std::string ext = file_name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

}  // namespace veil::protocol
