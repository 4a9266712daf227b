// Text that arrives from outside (a name typed into a login form, a client's description)
// before it reaches the database or the audit log, where PostgreSQL refuses invalid UTF-8 and
// NUL bytes and where nothing should be unbounded.
#pragma once

#include <cstddef>
#include <string>

namespace veil {

// True when `text` is valid UTF-8 (no overlong forms, no surrogates) without control
// characters (U+0000-U+001F, U+007F-U+009F).
bool is_plain_text(const std::string& text);

// `text` with every invalid byte and control character replaced by U+FFFD, cut at a character
// boundary to at most `max_bytes` bytes. Always valid UTF-8 and plain text.
std::string printable_text(const std::string& text, std::size_t max_bytes);

// The number of characters (code points) in `text`; each byte that is not part of a valid
// UTF-8 sequence counts as one character.
std::size_t character_count(const std::string& text);

}  // namespace veil
