// Endpoint normalisation: the built-in id-segment rule, the conf's Hyperscan rules (every match
// replaced, rules applied in order on each other's output), and pattern errors naming the rule.
#include "control/endpoint_normalizer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace l7tap {
namespace {

using ::testing::HasSubstr;

std::string norm(EndpointNormalizer& n, std::string_view in) {
  std::string out = "stale";
  n.normalize(in, out);
  return out;
}

std::string builtin(std::string_view in) {
  std::string out;
  normalize_builtin(in, out);
  return out;
}

TEST(BuiltinNormalisation, NumericUuidAndHexSegments) {
  EXPECT_EQ(builtin("/users/123/orders/9f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"), "/users/{}/orders/{}");
  EXPECT_EQ(builtin("devices/42/temp"), "devices/{}/temp");
  EXPECT_EQ(builtin("/objects/5f1d7a9e3c2b4a6d8e0f1a2b"), "/objects/{}");  // 24-hex object id
  EXPECT_EQ(builtin("/blobs/0123456789abcdef0123456789ABCDEF01234567"), "/blobs/{}");
  EXPECT_EQ(builtin("/UUID/9F0C1A2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B/x"), "/UUID/{}/x");
  EXPECT_EQ(builtin("7"), "{}");
  EXPECT_EQ(builtin("a/1/2/3/"), "a/{}/{}/{}/");
}

TEST(BuiltinNormalisation, LeavesNamesAlone) {
  EXPECT_EQ(builtin(""), "");
  EXPECT_EQ(builtin("/"), "/");
  EXPECT_EQ(builtin("events-0"), "events-0");
  EXPECT_EQ(builtin("orders.v1"), "orders.v1");
  EXPECT_EQ(builtin("/api/v2/users"), "/api/v2/users");
  EXPECT_EQ(builtin("sensors/+/temp/#"), "sensors/+/temp/#");
  EXPECT_EQ(builtin("/deadbeefdeadbeef"), "/deadbeefdeadbeef");      // hex letters only: a word
  EXPECT_EQ(builtin("/abc123"), "/abc123");                          // too short for an id
  EXPECT_EQ(builtin("/9f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5"), "/9f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5");  // 35 chars
  EXPECT_EQ(builtin("/12a"), "/12a");
  EXPECT_EQ(builtin("-1"), "-1");
}

TEST(EndpointNormalizer, BuiltinOnOff) {
  EndpointNormalizer on({}, true), off({}, false);
  EXPECT_EQ(norm(on, "/users/123"), "/users/{}");
  EXPECT_EQ(norm(off, "/users/123"), "/users/123");
  EXPECT_EQ(on.rule_count(), 0u);
  EXPECT_TRUE(on.builtin());
}

TEST(EndpointNormalizer, EveryMatchOfARuleIsReplaced) {
  EndpointNormalizer n({{"[0-9]+", "N"}}, false);
  EXPECT_EQ(norm(n, "a12b345c6"), "aNbNcN");  // leftmost-longest: "12" is one match, not two
  EXPECT_EQ(norm(n, "none"), "none");
  EXPECT_EQ(norm(n, "42"), "N");
  EXPECT_EQ(norm(n, ""), "");
}

TEST(EndpointNormalizer, RulesApplyInOrderOnEachOthersOutput) {
  // Rule 0 turns "session-<n>" into "session-ID"; rule 1 would see the digits only if rule 0 had
  // not run first; rule 2 matches text that only exists after rule 0.
  EndpointNormalizer n({{"session-[0-9]+", "session-ID"}, {"[0-9]+", "#"}, {"-ID", ":id"}}, false);
  EXPECT_EQ(norm(n, "/session-77/page/3"), "/session:id/page/#");
  EXPECT_EQ(norm(n, "/page/3"), "/page/#");
  EXPECT_EQ(norm(n, "/x-ID"), "/x:id");
  // A later rule matching the same text as an earlier one sees the earlier one's result.
  EndpointNormalizer m({{"abc", "xyz"}, {"abc", "never"}, {"xyz", "done"}}, false);
  EXPECT_EQ(norm(m, "abcabc"), "donedone");
}

TEST(EndpointNormalizer, ReplacementMayBeEmptyOrEqual) {
  EndpointNormalizer n({{"\\?.*", ""}, {"v1", "v1"}, {"[0-9]+", "{}"}}, false);
  EXPECT_EQ(norm(n, "/api/v1/items/9?page=2"), "/api/v{}/items/{}");
}

TEST(EndpointNormalizer, RulesThenBuiltin) {
  EndpointNormalizer n({{"^/tenant/[a-z]+", "/tenant/{name}"}}, true);
  EXPECT_EQ(norm(n, "/tenant/acme/users/12"), "/tenant/{name}/users/{}");
}

TEST(EndpointNormalizer, AnchorsAndFlags) {
  EndpointNormalizer n({{"^devices/", "dev/"}, {"(?i)TEMP$", "t"}}, false);
  EXPECT_EQ(norm(n, "devices/42/Temp"), "dev/42/t");
  EXPECT_EQ(norm(n, "x/devices/42/temp/x"), "x/devices/42/temp/x");
}

TEST(EndpointNormalizer, ManyMatchesStayBounded) {
  EndpointNormalizer n({{"a", "bb"}}, false);
  const std::string in(300, 'a');
  EXPECT_EQ(norm(n, in), std::string(600, 'b'));
}

TEST(EndpointPatternError, ValidAndInvalid) {
  EXPECT_EQ(endpoint_pattern_error("/users/[0-9]+"), "");
  EXPECT_THAT(endpoint_pattern_error("/users/[0-9+"), HasSubstr("Hyperscan cannot compile it"));
  EXPECT_THAT(endpoint_pattern_error("(unclosed"), HasSubstr("Hyperscan cannot compile it"));
  EXPECT_THAT(endpoint_pattern_error("x*"), HasSubstr("can match the empty string"));
  EXPECT_THAT(endpoint_pattern_error("(a)\\1"), HasSubstr("Hyperscan cannot compile it"));  // backreference
}

TEST(EndpointNormalizer, BadRuleNamesItsKeyPath) {
  try {
    EndpointNormalizer n({{"ok", "x"}, {"[bad", "y"}}, true);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "metrics.endpoint_rules[1].match");
  }
}

}  // namespace
}  // namespace l7tap
