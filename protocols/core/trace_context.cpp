#include "protocols/core/trace_context.hpp"

#include <array>

namespace l7tap {
namespace {

// ASCII only, inline: header names are compared for every header of every message, and the C
// library's locale-aware tolower/isxdigit are calls.
constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool in_list(std::string_view name, std::span<const std::string_view> list) {
  for (auto n : list)
    if (iequals(name, n)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

// True when trace_id/span_id were written by parse_sw8: its span id is "<segment id>-<span id>",
// while a traceparent span id is 16 hex digits with no '-'.
bool set_from_sw8(const L7Fields& f) {
  return f.has(Field::kTraceId) && f.get(Field::kSpanId).find('-') != std::string_view::npos;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Decodes standard or URL-safe base64 (padding optional) into out; returns bytes written or -1.
template <std::size_t N>
int b64_decode(std::string_view in, std::array<char, N>& out) {
  std::size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = b64_value(c);
    if (v < 0) return -1;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == N) return -1;
      out[n++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return static_cast<int>(n);
}

}  // namespace

bool parse_traceparent(std::string_view v, std::string_view& trace_id, std::string_view& span_id) {
  // W3C Trace Context: version(2 hex) "-" trace-id(32 hex) "-" parent-id(16 hex) "-" flags(2 hex),
  // fixed offsets. Version ff is reserved and all-zero ids are invalid; a later version may append
  // "-<more>" after the flags. Upper-case hex is accepted (lenient with non-conforming senders).
  v = trim(v);
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  std::string_view version = v.substr(0, 2), tid = v.substr(3, 32), sid = v.substr(36, 16), flags = v.substr(53, 2);
  if (!is_hex(version) || !is_hex(tid) || !is_hex(sid) || !is_hex(flags)) return false;
  if (iequals(version, "ff") || all_zero(tid) || all_zero(sid)) return false;
  if (v.size() > 55 && v[55] != '-') return false;
  trace_id = tid;
  span_id = sid;
  return true;
}

bool parse_sw8(std::string_view v, L7Fields& f) {
  // sample-traceId-segmentId-spanId-parentService-parentInstance-parentEndpoint-peer
  v = trim(v);
  std::array<std::string_view, 4> part{};
  std::size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    auto e = v.find('-', start);
    if (e == std::string_view::npos) {
      if (i != 3) return false;
      part[i] = v.substr(start);
    } else {
      part[i] = v.substr(start, e - start);
      start = e + 1;
    }
  }
  std::array<char, FieldCaps::cap(Field::kTraceId)> tid{};
  std::array<char, FieldCaps::cap(Field::kSpanId)> seg{};
  int tn = b64_decode(part[1], tid);
  int sn = b64_decode(part[2], seg);
  if (tn <= 0 || sn <= 0 || part[3].empty()) return false;
  f.set(Field::kTraceId, std::string_view(tid.data(), static_cast<std::size_t>(tn)));
  f.set(Field::kSpanId, std::string_view(seg.data(), static_cast<std::size_t>(sn)));
  f.append(Field::kSpanId, "-");
  f.append(Field::kSpanId, part[3]);
  return true;
}

bool apply_trace_header(std::string_view name, std::string_view value, const ParserOptions* options,
                        L7Fields& f) {
  name = trim(name);
  if (iequals(name, "traceparent")) {
    std::string_view t, s;
    if (!parse_traceparent(value, t, s)) return false;
    // W3C wins over sw8 when both are present; otherwise the first value is kept.
    const bool replace = set_from_sw8(f);
    if (f.has(Field::kTraceId) && !replace) return false;
    f.set(Field::kTraceId, t);
    if (!f.has(Field::kSpanId) || replace) f.set(Field::kSpanId, s);
    return true;
  }
  if (iequals(name, "sw8")) {
    if (f.has(Field::kTraceId)) return false;
    return parse_sw8(value, f);
  }
  if (options == nullptr) return false;
  bool used = false;
  value = trim(value);
  auto offer = [&](std::span<const std::string_view> names, Field field) {
    if (!in_list(name, names) || f.has(field)) return;
    f.set(field, value);
    used = true;
  };
  offer(options->trace_id_headers, Field::kTraceId);
  offer(options->span_id_headers, Field::kSpanId);
  offer(options->x_request_id_headers, Field::kXRequestId);
  return used;
}

}  // namespace l7tap
