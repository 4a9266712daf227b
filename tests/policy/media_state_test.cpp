// One spelling per media state, and the database's CHECK constraint allows exactly these.
#include "policy/media_state.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "tests/test_support.h"

namespace veil {
namespace {

TEST(MediaState, EachStateHasOneSpellingThatParsesBack) {
  std::set<std::string> spellings;
  for (MediaState s : {MediaState::received, MediaState::processing, MediaState::published, MediaState::held,
                       MediaState::rejected, MediaState::failed, MediaState::deleted}) {
    const std::string text = to_string(s);
    EXPECT_TRUE(spellings.insert(text).second) << text;
    EXPECT_EQ(parse_media_state(text), s) << text;
  }
  EXPECT_EQ(parse_media_state("publish"), std::nullopt);
  EXPECT_EQ(parse_media_state(""), std::nullopt);

  // The schema's media.state CHECK lists the same words.
  const std::string schema = test::read_file(std::string(VEIL_SOURCE_DIR) + "/storage/migrations/001_initial.sql");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(schema, m, std::regex(R"(state IN \('received'[^)]*\))")));
  std::set<std::string> in_schema;
  const std::string list = m[0];
  const std::regex word(R"('(\w+)')");
  for (std::sregex_iterator it(list.begin(), list.end(), word), end; it != end; ++it)
    in_schema.insert((*it)[1]);
  EXPECT_EQ(in_schema, spellings);
}

}  // namespace
}  // namespace veil
