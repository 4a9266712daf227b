#include "daemon/api_body.h"

#include <stdexcept>

#include "ingest/protocol.h"

namespace veil {

nlohmann::json parse_api_body(const std::string& text) {
  if (text.empty()) return nlohmann::json::object();
  nlohmann::json parsed;
  try {
    parsed = protocol::parse_untrusted_json(text);
  } catch (const nlohmann::json::exception&) {
    throw ApiError(400, "the body is not valid JSON");
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, std::string("the body is refused: ") + e.what());
  }
  if (!parsed.is_object()) throw ApiError(400, "the body must be a JSON object");
  return parsed;
}

std::string string_field(const nlohmann::json& body, const char* key, std::size_t max_bytes) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_string()) throw ApiError(400, std::string("\"") + key + "\" must be a string");
  std::string v = it->get<std::string>();
  if (v.empty() || v.size() > max_bytes) throw ApiError(400, std::string("\"") + key + "\" is empty or too long");
  return v;
}

std::string note_of(const nlohmann::json& body) {
  const auto it = body.find("note");
  if (it == body.end() || it->is_null()) return "";
  if (!it->is_string()) throw ApiError(400, "\"note\" must be a string");
  std::string note = it->get<std::string>();
  if (note.size() > 2000) throw ApiError(400, "\"note\" is longer than 2000 bytes");
  return note;
}

std::array<float, 4> box_of(const nlohmann::json& body) {
  const auto it = body.find("box");
  if (it == body.end() || !it->is_array() || it->size() != 4)
    throw ApiError(400, "\"box\" must be [x, y, w, h] in the photo's pixels");
  std::array<float, 4> box{};
  for (std::size_t i = 0; i < 4; ++i) {
    if (!(*it)[i].is_number()) throw ApiError(400, "\"box\" must hold 4 numbers");
    box[i] = (*it)[i].get<float>();
  }
  return box;
}

std::int64_t child_of(const nlohmann::json& body) {
  const auto it = body.find("child");
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0)
    throw ApiError(400, "\"child\" must be a child's id");
  return it->get<std::int64_t>();
}

}  // namespace veil
