// The password rule's cases and messages, and argon2id hashes through libsodium.
#include <gtest/gtest.h>

#include <sodium.h>

#include "accounts/password.h"

namespace veil {
namespace {

TEST(PasswordRule, DefaultRuleAsksForTwelveCharactersWithLowerUpperAndDigit) {
  const PasswordRule rule;
  EXPECT_EQ(password_problem(rule, "Abcdefghijk1"), "") << "12 characters with each class";
  EXPECT_EQ(password_problem(rule, "Abcdefghij1"),
            "the password needs at least 12 characters (it has 11)");
  EXPECT_EQ(password_problem(rule, "abcdefghijkl"),
            "the password needs an upper-case letter (A-Z) and a digit (0-9)");
  EXPECT_EQ(password_problem(rule, "ABCDEFGHIJK1"), "the password needs a lower-case letter (a-z)");
  EXPECT_EQ(password_problem(rule, "short"),
            "the password needs at least 12 characters (it has 5), an upper-case letter (A-Z) and a digit (0-9)");
  EXPECT_EQ(password_problem(rule, ""),
            "the password needs at least 12 characters (it has 0), a lower-case letter (a-z), an upper-case letter "
            "(A-Z) and a digit (0-9)");
}

TEST(PasswordRule, LengthCountsCharactersNotBytes) {
  const PasswordRule rule;
  std::string eight_e_diaeresis;
  for (int i = 0; i < 8; ++i) eight_e_diaeresis += "\xC3\xAB";  // ë, two bytes each
  const std::string eleven = "Zo" + eight_e_diaeresis + "1";   // 19 bytes
  EXPECT_EQ(password_problem(rule, eleven), "the password needs at least 12 characters (it has 11)");
  EXPECT_EQ(password_problem(rule, eleven + "2"), "");
}

TEST(PasswordRule, ConfiguredLengthAndClasses) {
  AccountsConfig config;
  config.password_min_length = 8;
  config.password_require_lower = false;
  config.password_require_upper = false;
  config.password_require_digit = true;
  const PasswordRule rule = password_rule(config);
  EXPECT_EQ(rule.min_length, 8);
  EXPECT_EQ(password_problem(rule, "12345678"), "");
  EXPECT_EQ(password_problem(rule, "abcdefgh"), "the password needs a digit (0-9)");
  config.password_require_digit = false;
  EXPECT_EQ(password_problem(password_rule(config), "correct horse"), "");
  EXPECT_EQ(password_rule(AccountsConfig{}).min_length, 12);
}

TEST(PasswordRule, OverlongPasswordIsRefused) {
  const std::string huge = "Aa1" + std::string(kMaxPasswordBytes, 'x');
  EXPECT_EQ(password_problem(PasswordRule{}, huge), "the password is too long (at most 1024 bytes)");
}

TEST(PasswordHash, RoundTripWrongPasswordAndSalt) {
  const std::string hash = hash_password("Correct-Horse-42");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("Correct-Horse-42"), std::string::npos);
  EXPECT_TRUE(verify_password(hash, "Correct-Horse-42"));
  EXPECT_FALSE(verify_password(hash, "Correct-Horse-43"));
  EXPECT_FALSE(verify_password(hash, ""));
  EXPECT_NE(hash_password("Correct-Horse-42"), hash) << "a fresh salt each time";
  EXPECT_FALSE(verify_password("not a hash", "Correct-Horse-42"));
  EXPECT_FALSE(verify_password("", ""));
  EXPECT_FALSE(password_needs_rehash(hash));
}

TEST(PasswordHash, WeakerOrOtherHashesNeedRehash) {
  ASSERT_GE(sodium_init(), 0);
  char weak[crypto_pwhash_STRBYTES], argon2i[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(weak, "pw", 2, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                                  crypto_pwhash_ALG_ARGON2ID13),
            0);
  ASSERT_EQ(crypto_pwhash_str_alg(argon2i, "pw", 2, crypto_pwhash_argon2i_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_argon2i_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2I13),
            0);
  EXPECT_TRUE(verify_password(weak, "pw")) << "an older hash still verifies";
  EXPECT_TRUE(password_needs_rehash(weak));
  EXPECT_TRUE(verify_password(argon2i, "pw"));
  EXPECT_TRUE(password_needs_rehash(argon2i)) << "only argon2id is kept";
  EXPECT_TRUE(password_needs_rehash("garbage"));
}

}  // namespace
}  // namespace veil
