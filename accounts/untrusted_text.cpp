// A strict UTF-8 decoder and what is built on it.
#include "accounts/untrusted_text.h"

namespace veil {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;
constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decodes the code point starting at text[i]; sets `length` to the bytes it takes (1 for an
// invalid byte) and returns kInvalid for a malformed, overlong or surrogate sequence.
char32_t decode_at(const std::string& text, std::size_t i, std::size_t& length) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  length = 1;
  if (lead < 0x80) return lead;
  std::size_t n;
  char32_t cp, min;
  if ((lead & 0xE0) == 0xC0) n = 2, cp = lead & 0x1F, min = 0x80;
  else if ((lead & 0xF0) == 0xE0) n = 3, cp = lead & 0x0F, min = 0x800;
  else if ((lead & 0xF8) == 0xF0) n = 4, cp = lead & 0x07, min = 0x10000;
  else return kInvalid;
  if (i + n > text.size()) return kInvalid;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  length = n;
  return cp;
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

}  // namespace

bool is_plain_text(const std::string& text) {
  for (std::size_t i = 0, n = 0; i < text.size(); i += n) {
    const char32_t cp = decode_at(text, i, n);
    if (cp == kInvalid || is_control(cp)) return false;
  }
  return true;
}

std::string printable_text(const std::string& text, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0, n = 0; i < text.size(); i += n) {
    const char32_t cp = decode_at(text, i, n);
    const bool keep = cp != kInvalid && !is_control(cp);
    const std::size_t add = keep ? n : 3;
    if (out.size() + add > max_bytes) break;
    if (keep) out.append(text, i, n);
    else out += kReplacement;
  }
  return out;
}

std::size_t character_count(const std::string& text) {
  std::size_t count = 0;
  for (std::size_t i = 0, n = 0; i < text.size(); i += n) {
    decode_at(text, i, n);
    ++count;
  }
  return count;
}

}  // namespace veil
