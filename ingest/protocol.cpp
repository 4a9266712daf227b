// Protocol helpers.
#include "ingest/protocol.h"

#include <algorithm>
#include <map>
#include <stdexcept>

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

nlohmann::json parse_untrusted_json(std::string_view text, int max_depth) {
  return nlohmann::json::parse(text, [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start) &&
        depth >= max_depth)
      throw std::invalid_argument("JSON nested deeper than " + std::to_string(max_depth) + " levels");
    return true;
  });
}

}  // namespace veil::protocol
