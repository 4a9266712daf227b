// The password rule, and argon2id through libsodium's crypto_pwhash_str.
#include "accounts/password.h"

#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "accounts/untrusted_text.h"

namespace veil {
namespace {

// INTERACTIVE (2 passes over 64 MiB) rather than MODERATE (3 over 256 MiB): veild answers logins
// on the same two cores and memory as its media workers, which a few concurrent logins at
// 256 MiB each would starve; online guessing is bounded by the lockout, and 64 MiB of
// memory-hard work per guess still makes a stolen table costly to crack.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

void init_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw std::runtime_error("libsodium cannot be initialised");
}

bool has_any(const std::string& s, char lo, char hi) {
  for (char c : s)
    if (c >= lo && c <= hi) return true;
  return false;
}

// "a, b and c"
std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += (i + 1 == parts.size()) ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

}  // namespace

PasswordRule password_rule(const AccountsConfig& config) {
  return PasswordRule{config.password_min_length, config.password_require_lower, config.password_require_upper,
                      config.password_require_digit};
}

std::string password_problem(const PasswordRule& rule, const std::string& password) {
  if (password.size() > kMaxPasswordBytes)
    return "the password is too long (at most " + std::to_string(kMaxPasswordBytes) + " bytes)";
  std::vector<std::string> missing;
  const std::size_t length = character_count(password);
  if (length < static_cast<std::size_t>(rule.min_length))
    missing.push_back("at least " + std::to_string(rule.min_length) + " characters (it has " + std::to_string(length) +
                      ")");
  if (rule.require_lower && !has_any(password, 'a', 'z')) missing.push_back("a lower-case letter (a-z)");
  if (rule.require_upper && !has_any(password, 'A', 'Z')) missing.push_back("an upper-case letter (A-Z)");
  if (rule.require_digit && !has_any(password, '0', '9')) missing.push_back("a digit (0-9)");
  return missing.empty() ? "" : "the password needs " + joined(missing);
}

std::string hash_password(const std::string& password) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("cannot hash the password (out of memory)");
  return out;
}

bool verify_password(const std::string& hash, const std::string& password) {
  init_sodium();
  // crypto_pwhash_str_verify reads a NUL-terminated string of at most STRBYTES.
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(const std::string& hash) {
  init_sodium();
  // The generic check passes an argon2i hash with the same parameters; only argon2id is kept.
  if (hash.size() >= crypto_pwhash_STRBYTES || hash.rfind(crypto_pwhash_argon2id_STRPREFIX, 0) != 0) return true;
  return crypto_pwhash_str_needs_rehash(hash.c_str(), kOpsLimit, kMemLimit) != 0;
}

}  // namespace veil
