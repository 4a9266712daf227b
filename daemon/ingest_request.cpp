// Parsing and checking a SUBMIT or BEGIN header.
#include "daemon/ingest_request.h"

#include <filesystem>

#include "ingest/protocol.h"

namespace veil {

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::variant<Submission, Nack> parse_submission(const nlohmann::json& h, const Device* device, std::int64_t max_file_bytes) {
  Submission s;
  auto& m = s.media;
  if (!h.is_object()) return Nack{"bad_request", "header must be a JSON object"};
  m.client_submission_id = h.value("submission_id", "");
  if (m.client_submission_id.empty() || m.client_submission_id.size() > 256)
    return Nack{"bad_request", "submission_id: required, 1 to 256 characters"};
  if (!h.contains("journal_child") || !h["journal_child"].is_number_integer())
    return Nack{"bad_request", "journal_child: required, a child id (integer)"};
  m.journal_child_id = h["journal_child"].get<std::int64_t>();
  m.observation_ref = h.value("observation_ref", "");
  if (m.observation_ref.size() > 512) return Nack{"bad_request", "observation_ref: at most 512 characters"};
  if (h.contains("uploader") && !h["uploader"].is_number_integer())
    return Nack{"bad_request", "uploader: a person id (integer)"};
  m.uploader_id = h.value("uploader", std::int64_t{0});
  const std::int64_t owner = device ? device->owner : 0;
  if (m.uploader_id == 0) m.uploader_id = owner;
  if (m.uploader_id == 0) return Nack{"bad_request", "uploader: required (this device has no owner)"};
  if (owner != 0 && m.uploader_id != owner)
    return Nack{"uploader_mismatch", "this device belongs to person " + std::to_string(owner) +
                                         " and may submit only as that person"};
  m.uploader_role = h.value("role", "");
  if (!m.uploader_role.empty() && m.uploader_role != "staff" && m.uploader_role != "parent")
    return Nack{"bad_request", "role: \"staff\" or \"parent\""};
  m.original_name = std::filesystem::path(h.value("file_name", "")).filename().string();
  std::string type = h.value("content_type", "");
  if (type.empty()) type = protocol::content_type_for_name(m.original_name);
  m.kind = protocol::kind_for_content_type(type);
  if (m.kind.empty()) return Nack{"unsupported_type", "content type \"" + type + "\" is neither image/* nor video/*"};
  if (h.contains("size")) {
    if (!h["size"].is_number_integer() || h["size"].get<std::int64_t>() < 0)
      return Nack{"bad_request", "size: a byte count"};
    s.declared_size = h["size"].get<std::int64_t>();
  }
  s.declared_sha256 = h.value("sha256", "");
  if (!s.declared_sha256.empty() && !is_sha256_hex(s.declared_sha256))
    return Nack{"bad_request", "sha256: 64 lower-case hex digits"};
  if (s.declared_size > max_file_bytes)
    return Nack{"too_large", "file of " + std::to_string(s.declared_size) + " bytes exceeds limits.max_file_bytes (" +
                                 std::to_string(max_file_bytes) + ")"};
  m.device_id = device ? device->id : 0;
  return s;
}

}  // namespace veil
