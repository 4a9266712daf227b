// The role of an account. A manager decides on held media, manages accounts and sees the
// login history; a senior decides on held media; staff read the items of their key children
// only. Parents have no accounts. What each role may do is checked by the callers that serve
// those actions; accounts/ only stores and names the role.
#pragma once

#include <optional>
#include <string_view>

namespace veil {

enum class Role { kManager, kSenior, kStaff };

// "manager", "senior" or "staff": the name in the database, on the command line and in JSON.
constexpr std::string_view role_name(Role role) {
  switch (role) {
    case Role::kManager: return "manager";
    case Role::kSenior: return "senior";
    case Role::kStaff: return "staff";
  }
  return "staff";
}

// The role called `name` (exactly one of the names above), or nullopt.
constexpr std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::kManager, Role::kSenior, Role::kStaff})
    if (role_name(r) == name) return r;
  return std::nullopt;
}

}  // namespace veil
