#include "control/endpoint_normalizer.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <new>
#include <stdexcept>

namespace l7tap {

namespace {

constexpr unsigned kFlags = HS_FLAG_SOM_LEFTMOST;
// Hyperscan reports at most one match per rule and end offset; endpoints are short, so this bound
// is only reached by pathological input, which then keeps the matches found so far.
constexpr std::size_t kMaxMatches = 1 << 16;

std::string rule_path(std::size_t i) { return "metrics.endpoint_rules[" + std::to_string(i) + "].match"; }

std::string readable(const char* hs_message) {
  std::string m = hs_message ? hs_message : "unknown error";
  if (m.find("empty buffer") != std::string::npos)
    return "the pattern can match the empty string, so there would be nothing to replace";
  return "Hyperscan cannot compile it: " + m;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

bool is_id_segment(std::string_view s) {
  if (s.empty()) return false;
  if (std::all_of(s.begin(), s.end(), is_digit)) return true;
  if (is_uuid(s)) return true;
  return s.size() >= 16 && std::all_of(s.begin(), s.end(), is_hex) && std::any_of(s.begin(), s.end(), is_digit);
}

int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int, void* ctx) {
  auto* matches = static_cast<std::vector<EndpointNormalizer::Match>*>(ctx);
  if (matches->size() >= kMaxMatches) return 1;  // stop scanning
  matches->push_back({id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;
}

}  // namespace

std::string endpoint_pattern_error(const std::string& pattern) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile(pattern.c_str(), kFlags, HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS) {
    hs_free_database(db);
    return {};
  }
  std::string reason = readable(err ? err->message : nullptr);
  hs_free_compile_error(err);
  return reason;
}

void normalize_builtin(std::string_view in, std::string& out) {
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = in.find('/', start);
    const std::string_view seg = in.substr(start, slash == std::string_view::npos ? in.size() - start : slash - start);
    if (is_id_segment(seg))
      out.append("{}");
    else
      out.append(seg);
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
}

EndpointNormalizer::EndpointNormalizer(std::vector<EndpointRule> rules, bool builtin)
    : rules_(std::move(rules)), builtin_(builtin) {
  if (rules_.empty()) return;
  // Compile each pattern alone first so an error names its rule even when Hyperscan's multi
  // compile would only say "expression N".
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (std::string err = endpoint_pattern_error(rules_[i].match); !err.empty()) throw ConfigError(rule_path(i), err);

  std::vector<const char*> exprs;
  std::vector<unsigned> flags(rules_.size(), kFlags), ids;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    exprs.push_back(rules_[i].match.c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &db_, &err) != HS_SUCCESS) {
    const int which = err ? err->expression : -1;
    std::string reason = readable(err ? err->message : nullptr);
    hs_free_compile_error(err);
    throw ConfigError(which >= 0 ? rule_path(static_cast<std::size_t>(which)) : "metrics.endpoint_rules", reason);
  }
  if (hs_alloc_scratch(db_, &scratch_) != HS_SUCCESS) {
    hs_free_database(db_);
    throw std::bad_alloc();
  }
  matches_.reserve(64);
  picked_.reserve(64);
  a_.reserve(256);
  b_.reserve(256);
}

EndpointNormalizer::~EndpointNormalizer() {
  if (scratch_) hs_free_scratch(scratch_);
  if (db_) hs_free_database(db_);
}

void EndpointNormalizer::apply(unsigned rule, std::string_view in, std::string& out) {
  picked_.clear();
  for (const Match& m : matches_)
    if (m.rule == rule) picked_.push_back(m);
  // Leftmost first; for the same start, the longest.
  std::sort(picked_.begin(), picked_.end(), [](const Match& a, const Match& b) {
    return a.from != b.from ? a.from < b.from : a.to > b.to;
  });
  out.clear();
  std::size_t pos = 0;
  for (const Match& m : picked_) {
    if (m.from < pos || m.to > in.size() || m.to <= m.from) continue;  // overlaps the one taken
    out.append(in.substr(pos, m.from - pos));
    out.append(rules_[rule].replace);
    pos = m.to;
  }
  out.append(in.substr(pos));
}

void EndpointNormalizer::normalize(std::string_view in, std::string& out) {
  std::string_view text = in;
  if (db_ != nullptr && !in.empty()) {
    std::string* dst = &a_;
    unsigned next = 0;
    bool scan = true;
    while (next < rules_.size()) {
      if (scan) {
        matches_.clear();
        // A non-zero return only means the callback stopped the scan (match bound): keep what we have.
        hs_scan(db_, text.data(), static_cast<unsigned>(text.size()), 0, scratch_, on_match, &matches_);
        scan = false;
      }
      unsigned best = UINT_MAX;
      for (const Match& m : matches_)
        if (m.rule >= next && m.rule < best) best = m.rule;
      if (best == UINT_MAX) break;
      apply(best, text, *dst);
      next = best + 1;
      if (std::string_view(*dst) != text) {
        // Later rules see this rule's output: scan again (the old matches are stale).
        text = *dst;
        dst = dst == &a_ ? &b_ : &a_;
        scan = true;
        if (text.empty()) break;
      }
    }
  }
  out.clear();
  if (builtin_)
    normalize_builtin(text, out);
  else
    out.append(text);
}

}  // namespace l7tap
