// Text from outside: strict UTF-8, control characters, cutting at character boundaries.
#include <gtest/gtest.h>

#include "accounts/untrusted_text.h"

namespace veil {
namespace {

TEST(AccountsUntrustedText, PlainTextIsValidUtf8WithoutControls) {
  EXPECT_TRUE(is_plain_text(""));
  EXPECT_TRUE(is_plain_text("Mrs Patel"));
  EXPECT_TRUE(is_plain_text("Zo\xC3\xAB \xF0\x9F\x98\x80"));  // Zoë and an emoji
  EXPECT_FALSE(is_plain_text("a\nb"));
  EXPECT_FALSE(is_plain_text(std::string("a\0b", 3)));
  EXPECT_FALSE(is_plain_text("\xC2\x85"));          // U+0085, a C1 control
  EXPECT_FALSE(is_plain_text("\xFF"));              // never in UTF-8
  EXPECT_FALSE(is_plain_text("\xC3"));              // cut short
  EXPECT_FALSE(is_plain_text("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_plain_text("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(is_plain_text("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(AccountsUntrustedText, PrintableReplacesAndCutsAtABoundary) {
  EXPECT_EQ(printable_text("a\x01" "b\xFF", 100), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_EQ(printable_text("Zo\xC3\xAB", 3), "Zo") << "never half a character";
  EXPECT_EQ(printable_text("Zo\xC3\xAB", 4), "Zo\xC3\xAB");
  EXPECT_TRUE(is_plain_text(printable_text(std::string("\0\xC3\n\xED\xA0\x80", 6), 64)));
}

TEST(AccountsUntrustedText, CharacterCount) {
  EXPECT_EQ(character_count(""), 0u);
  EXPECT_EQ(character_count("abc"), 3u);
  EXPECT_EQ(character_count("Zo\xC3\xAB"), 3u);
  EXPECT_EQ(character_count("\xF0\x9F\x98\x80"), 1u);
  EXPECT_EQ(character_count("\xFF\xFE"), 2u) << "each stray byte counts once";
}

}  // namespace
}  // namespace veil
