// Shared by the libFuzzer targets: an always-on CHECK (abort() is what libFuzzer reports as a
// crash, with the input saved), and the invariants every l7_flow_log record must satisfy
// whatever bytes produced it: enums in range, strings within their caps, times ordered, and a
// flow-log line that is one valid JSON object in valid UTF-8.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "control/flow_log_writer.hpp"
#include "protocols/core/record.hpp"
#include "protocols/registry.hpp"

#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace l7tap::fuzz {

// A strict JSON (RFC 8259) syntax check, enough to tell that a flow-log line parses. Our own small
// recursive descent: the line is short and nesting is shallow (depth-limited anyway).
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : s_(s) {}
  bool object_line() {
    skip_ws();
    if (peek() != '{' || !value(0)) return false;
    skip_ws();
    return i_ == s_.size();
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  static bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  bool string() {
    if (peek() != '"') return false;
    ++i_;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;  // raw control characters must be escaped
      if (c != '\\') continue;
      const char e = peek();
      ++i_;
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++i_)
          if (!hex(peek())) return false;
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || e == '\0') {
        return false;
      }
    }
    return false;
  }
  bool number() {
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else {
      if (!digit(peek())) return false;
      while (digit(peek())) ++i_;
    }
    if (peek() == '.') {
      ++i_;
      if (!digit(peek())) return false;
      while (digit(peek())) ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!digit(peek())) return false;
      while (digit(peek())) ++i_;
    }
    return true;
  }
  bool value(int depth) {
    if (depth > 16) return false;
    skip_ws();
    const char c = peek();
    if (c == '"') return string();
    if (c == 't') return lit("true");
    if (c == 'f') return lit("false");
    if (c == 'n') return lit("null");
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      skip_ws();
      if (peek() == close) {
        ++i_;
        return true;
      }
      for (;;) {
        if (c == '{') {
          skip_ws();
          if (!string()) return false;
          skip_ws();
          if (peek() != ':') return false;
          ++i_;
        }
        if (!value(depth + 1)) return false;
        skip_ws();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        if (peek() != close) return false;
        ++i_;
        return true;
      }
    }
    return number();
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // the sequence is cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

inline void check_string(std::string_view s, std::size_t cap) {
  FUZZ_CHECK(s.size() <= cap);
  // Touch every byte so the sanitizers see a read of the whole value.
  volatile unsigned sum = 0;
  for (char c : s) sum = sum + static_cast<unsigned char>(c);
  (void)sum;
}

// Checks one record; `line` is reused storage for its flow-log form.
inline void check_record(const FlowRecord& r, std::string& line) {
  FUZZ_CHECK(static_cast<unsigned>(r.type) <= static_cast<unsigned>(RecordType::kResponse));
  FUZZ_CHECK(r.protocol != kUnknownProtocol && r.protocol <= protocol_count());
  const L7Fields& l = r.l7;
  FUZZ_CHECK(static_cast<unsigned>(l.response_status) <= static_cast<unsigned>(ResponseStatus::kUnknown));
  for (std::size_t f = 0; f < kFieldCount; ++f)
    check_string(l.get(static_cast<Field>(f)), FieldCaps::cap(static_cast<Field>(f)));
  FUZZ_CHECK(l.attribute_count() <= FieldCaps::kAttrCount);
  for (std::size_t i = 0; i < l.attribute_count(); ++i) {
    check_string(l.attribute_key(i), FieldCaps::kAttrKey);
    check_string(l.attribute_value(i), FieldCaps::kAttrValue);
  }
  FUZZ_CHECK(l.string_bytes() <= FieldCaps::kStringBytes);
  // The wire form the ring carries reads back into the same record.
  std::vector<uint8_t> wire(r.wire_size());
  FUZZ_CHECK(r.write(wire.data()) == wire.data() + wire.size());
  FlowRecord back;
  FUZZ_CHECK(back.read(wire));
  for (std::size_t f = 0; f < kFieldCount; ++f)
    FUZZ_CHECK(back.l7.get(static_cast<Field>(f)) == l.get(static_cast<Field>(f)));
  // Only a paired session has a response time; times come from packets seen in order.
  FUZZ_CHECK(r.start_time_us <= r.end_time_us);
  if (r.has_rrt) {
    FUZZ_CHECK(r.type == RecordType::kSession);
    FUZZ_CHECK(r.rrt_us <= r.end_time_us - r.start_time_us);
  }

  line.clear();
  const std::size_t n = format_record_json(r, line);
  FUZZ_CHECK(n == line.size());
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  std::string_view body(line.data(), line.size() - 1);
  FUZZ_CHECK(body.find('\n') == std::string_view::npos);
  FUZZ_CHECK(valid_utf8(body));
  FUZZ_CHECK(JsonChecker(body).object_line());
}

}  // namespace l7tap::fuzz
