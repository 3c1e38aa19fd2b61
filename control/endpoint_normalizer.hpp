// Endpoint normalisation before RED aggregation, so ids inside endpoints (`/users/123`,
// `devices/42/temp`) do not turn into one series each.
//
// 1. The conf's metrics.endpoint_rules, in order: every match of rule i's PCRE is replaced by its
//    text. All patterns are compiled into one Hyperscan block-mode database with
//    HS_FLAG_SOM_LEFTMOST (match start and end). One scan finds the matches of every rule; the
//    lowest-numbered rule not applied yet that matched is applied (its leftmost-longest
//    non-overlapping matches replaced), and only if that changed the text is the result scanned
//    again for the later rules. Hyperscan has no capture groups: the replacement is plain text.
// 2. The built-in rule (metrics.normalize_endpoints, on by default): every '/'-separated segment
//    that is all digits, a UUID (8-4-4-4-12 hex digits) or a hex string of 16 or more characters
//    with at least one digit (object ids, hashes) becomes "{}".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "control/config.hpp"

struct hs_database;
struct hs_scratch;

namespace l7tap {

// What Hyperscan says about one pattern compiled on its own with the flags the normaliser uses;
// "" when it compiles. Patterns that can match the empty string are rejected (nothing to replace).
std::string endpoint_pattern_error(const std::string& pattern);

// The built-in rule alone ("/users/123" -> "/users/{}"), appended to `out`.
void normalize_builtin(std::string_view in, std::string& out);

class EndpointNormalizer {
 public:
  // Throws ConfigError("metrics.endpoint_rules[i].match", reason) when a pattern does not compile.
  EndpointNormalizer(std::vector<EndpointRule> rules, bool builtin);
  ~EndpointNormalizer();
  EndpointNormalizer(const EndpointNormalizer&) = delete;
  EndpointNormalizer& operator=(const EndpointNormalizer&) = delete;

  // `out` = normalised `in` (out's storage is reused). Not thread-safe (one scratch space).
  void normalize(std::string_view in, std::string& out);

  std::size_t rule_count() const { return rules_.size(); }
  bool builtin() const { return builtin_; }

  struct Match {
    unsigned rule;
    std::size_t from, to;
  };

 private:
  // Replaces rule `rule`'s matches (from matches_) in `in`, writing `out`.
  void apply(unsigned rule, std::string_view in, std::string& out);

  std::vector<EndpointRule> rules_;
  bool builtin_;
  hs_database* db_ = nullptr;
  hs_scratch* scratch_ = nullptr;
  std::vector<Match> matches_;
  std::vector<Match> picked_;
  std::string a_, b_;  // ping-pong buffers
};

}  // namespace l7tap
