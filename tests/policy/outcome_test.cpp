// The item outcome (policy/outcome.h) and the reason codes (policy/reasons.h): how reasons
// accumulate, and that docs/consent-policy.md explains every code.
#include "policy/outcome.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "policy/reasons.h"
#include "tests/test_support.h"

namespace veil {
namespace {

TEST(Outcome, PublishedUntilHeldAndReasonsKeepTheirOrder) {
  Outcome o;
  EXPECT_EQ(o.state, MediaState::published);
  EXPECT_EQ(o.reason(), "");
  o.hold(reason::with_details(reason::uncertain_match, "track 3"));
  o.hold(reason::with_details(reason::uncertain_match, "track 5"));
  o.hold(reason::uncertain_match);  // a bare code already given with details adds nothing
  o.hold(reason::parent_upload);
  o.hold(reason::parent_upload);    // nor does the same reason twice
  EXPECT_EQ(o.state, MediaState::held);
  EXPECT_EQ(o.reasons, (std::vector<std::string>{"uncertain_match: track 3", "uncertain_match: track 5",
                                                 "parent_upload"}));
  EXPECT_EQ(o.reason(), "uncertain_match: track 3; uncertain_match: track 5; parent_upload");
}

TEST(Outcome, AddKeepsTheStrongerState) {
  Outcome photo;
  photo.hold(reason::verification_failed);
  Outcome policy;
  policy.hold(reason::uncertain_match);
  policy.hold(reason::parent_upload);
  photo.add(policy);
  EXPECT_EQ(photo.state, MediaState::held);
  EXPECT_EQ(photo.reason(), "verification_failed; uncertain_match; parent_upload");

  EXPECT_EQ(Outcome::held(reason::parent_upload).state, MediaState::held);
  EXPECT_EQ(Outcome::held(reason::parent_upload).reason(), "parent_upload");

  Outcome published;
  published.add(Outcome{});
  EXPECT_EQ(published.state, MediaState::published);
  EXPECT_TRUE(published.reasons.empty());

  // Rejected wins both ways, and holding a rejected item does not publish or hold it.
  Outcome rejected = Outcome::rejected("corrupt: bad header");
  rejected.add(policy);
  rejected.hold(reason::parent_upload);
  EXPECT_EQ(rejected.state, MediaState::rejected);
  EXPECT_EQ(rejected.reason(), "corrupt: bad header");
  Outcome held = policy;
  held.add(Outcome::rejected("too_large: 2 GB"));
  EXPECT_EQ(held.state, MediaState::rejected);
  EXPECT_EQ(held.reason(), "too_large: 2 GB");
}

TEST(Reasons, CodeIsTheTextBeforeTheDetails) {
  EXPECT_EQ(reason::reason_code("processing_error: model failed: x"), "processing_error");
  EXPECT_EQ(reason::reason_code("parent_upload"), "parent_upload");
  EXPECT_EQ(reason::with_details(reason::processing_error, "boom"), "processing_error: boom");
}

TEST(Reasons, EveryCodeIsExplainedInTheConsentPolicyPage) {
  const std::string header = test::read_file(std::string(VEIL_SOURCE_DIR) + "/policy/reasons.h");
  const std::string page = test::read_file(std::string(VEIL_SOURCE_DIR) + "/docs/consent-policy.md");
  const std::regex code(R"re(inline constexpr const char\* (\w+) = "(\w+)";)re");
  std::set<std::string> codes;
  for (std::sregex_iterator it(header.begin(), header.end(), code), end; it != end; ++it) {
    EXPECT_EQ((*it)[1], (*it)[2]) << "a code's name and spelling differ";
    codes.insert((*it)[2]);
  }
  EXPECT_GE(codes.size(), 17u);
  for (const std::string& c : codes) EXPECT_NE(page.find("`" + c), std::string::npos) << c << " is not in the page";
}

}  // namespace
}  // namespace veil
