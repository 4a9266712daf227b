// Passwords: the rule a new password must meet, and its argon2id hash.
//
// The rule counts characters (code points, not bytes) and looks for the classes it requires:
// lower case a-z, upper case A-Z, digits 0-9 (other letters count towards the length only).
// A hash is libsodium's crypto_pwhash_str text ("$argon2id$v=19$m=65536,t=2,p=1$salt$hash"): it
// carries its algorithm, parameters and salt, so verifying needs nothing else, and a hash
// made with older parameters still verifies (password_needs_rehash says to replace it).
#pragma once

#include <cstddef>
#include <string>

#include "config/config.h"

namespace veil {

struct PasswordRule {
  int min_length = 12;  // characters
  bool require_lower = true;
  bool require_upper = true;
  bool require_digit = true;
};

// The rule of the configuration's [accounts] section.
PasswordRule password_rule(const AccountsConfig& config);

// The longest password accepted, in bytes: hashing cost grows with the length.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// "" when `password` meets `rule`; else one sentence naming everything it lacks, e.g.
// "the password needs at least 12 characters (it has 9), an upper-case letter (A-Z) and a digit (0-9)".
std::string password_problem(const PasswordRule& rule, const std::string& password);

// The argon2id hash of `password` with a fresh random salt. Throws std::runtime_error when
// libsodium cannot hash (out of memory).
std::string hash_password(const std::string& password);

// True when `password` matches `hash`. False for a wrong password and for a `hash` that is
// not a crypto_pwhash_str string. Takes about as long as hash_password.
bool verify_password(const std::string& hash, const std::string& password);

// True when `hash` was made with other parameters (or another algorithm) than hash_password
// uses now: hash the password again at its next successful login.
bool password_needs_rehash(const std::string& hash);

}  // namespace veil
