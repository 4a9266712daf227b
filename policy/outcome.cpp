// The item outcome and the reason codes' helpers.
#include "policy/outcome.h"

#include "policy/reasons.h"

namespace veil {

std::string Outcome::reason() const {
  std::string joined;
  for (const std::string& r : reasons) joined += (joined.empty() ? "" : "; ") + r;
  return joined;
}

void Outcome::hold(std::string why) {
  if (state == MediaState::rejected) return;
  state = MediaState::held;
  // A bare code adds nothing to a reason that already starts with it ("uncertain_match" after
  // "uncertain_match: track 3").
  const bool bare = reason::reason_code(why).size() == why.size();
  for (const std::string& r : reasons)
    if (r == why || (bare && reason::reason_code(r) == why)) return;
  reasons.push_back(std::move(why));
}

void Outcome::add(const Outcome& other) {
  if (other.state == MediaState::rejected) {
    *this = other;
    return;
  }
  for (const std::string& r : other.reasons) hold(r);
}

Outcome Outcome::held(std::string why) {
  Outcome o;
  o.hold(std::move(why));
  return o;
}

Outcome Outcome::rejected(std::string why) { return Outcome{MediaState::rejected, {std::move(why)}}; }

namespace reason {

std::string with_details(const char* code, std::string_view details) {
  return std::string(code) + ": " + std::string(details);
}

std::string_view reason_code(std::string_view item_reason) {
  const auto colon = item_reason.find(": ");
  return colon == std::string_view::npos ? item_reason : item_reason.substr(0, colon);
}

}  // namespace reason
}  // namespace veil
