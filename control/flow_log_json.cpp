#include "control/flow_log_json.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "protocols/registry.hpp"

namespace l7tap {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Keys, punctuation, numbers at their widest, two IPv6 addresses and the constant values take
// about 1,100 bytes; the rest of a line is string bytes, each at most 6 bytes once escaped.
constexpr std::size_t kFixedJson = 2048;
constexpr std::size_t kEscapedMax = 6;

// Length of the well-formed UTF-8 sequence starting at p (RFC 3629 table: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when the byte at p does not start one.
std::size_t utf8_sequence_length(const unsigned char* p, std::size_t n) {
  const unsigned char c = p[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c == 0xe0) {
    len = 3, lo = 0xa0;
  } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
    len = 3;
  } else if (c == 0xed) {
    len = 3, hi = 0x9f;
  } else if (c == 0xf0) {
    len = 4, lo = 0x90;
  } else if (c >= 0xf1 && c <= 0xf3) {
    len = 4;
  } else if (c == 0xf4) {
    len = 4, hi = 0x8f;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t i = 2; i < len; ++i)
    if ((p[i] & 0xc0) != 0x80) return 0;
  return len;
}

bool plain_json_byte(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

// Whether any of the 8 bytes in `w` is not a plain_json_byte (bit tricks from "Bit Twiddling
// Hacks": exact for "is there such a byte", which is all the fast path asks).
bool needs_escape_check(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return ((v - kOnes) & ~v & kHigh) != 0; };
  const bool control = ((w - kOnes * 0x20) & ~w & kHigh) != 0;  // a byte < 0x20
  const bool high = (((w + kOnes) | w) & kHigh) != 0;            // a byte >= 0x7f
  return control || high || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\'));
}

char* put(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

template <typename Int>
char* put_int(char* out, Int v) {
  return std::to_chars(out, out + 24, v).ptr;
}

// `s` as a JSON string literal; at most 2 + 6 * s.size() bytes.
char* put_json_string(char* out, std::string_view s) {
  *out++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    if (n - i >= 8) {  // most text is plain ASCII: 8 bytes at a time
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (!needs_escape_check(w)) {
        std::memcpy(out, p + i, 8);
        out += 8;
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (plain_json_byte(c)) {
      *out++ = static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t len = utf8_sequence_length(p + i, n - i); len != 0) {
        std::memcpy(out, p + i, len);
        out += len;
        i += len;
        continue;
      }
    }
    ++i;
    switch (c) {
      case '"': out = put(out, "\\\""); break;
      case '\\': out = put(out, "\\\\"); break;
      case '\n': out = put(out, "\\n"); break;
      case '\r': out = put(out, "\\r"); break;
      case '\t': out = put(out, "\\t"); break;
      case '\b': out = put(out, "\\b"); break;
      case '\f': out = put(out, "\\f"); break;
      default:  // other control characters, DEL, invalid UTF-8
        out = put(out, "\\u00");
        *out++ = kHex[c >> 4];
        *out++ = kHex[c & 0xf];
        break;
    }
  }
  *out++ = '"';
  return out;
}

// ,"key":"value" — omitted when the value is empty, as the schema asks. `key` is ,"name":
char* put_string_field(char* out, std::string_view key, std::string_view value) {
  if (value.empty()) return out;
  return put_json_string(put(out, key), value);
}

// A JSON integer as RFC 8259 writes it: -?(0|[1-9][0-9]*). A request id flagged as integer is
// checked so that a parser mistake can never produce invalid JSON; it falls back to a string.
bool is_json_integer(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 20) return false;
  if (s[0] == '0' && s.size() > 1) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Decimal text of every byte value ("0" … "255"): a dotted quad is four table copies.
struct ByteText {
  char text[4];  // zero-padded; `len` chars used
  uint8_t len;
};
constexpr std::array<ByteText, 256> kByteText = [] {
  std::array<ByteText, 256> t{};
  for (unsigned v = 0; v < 256; ++v) {
    ByteText& b = t[v];
    if (v >= 100) b.text[b.len++] = static_cast<char>('0' + v / 100);
    if (v >= 10) b.text[b.len++] = static_cast<char>('0' + v / 10 % 10);
    b.text[b.len++] = static_cast<char>('0' + v % 10);
  }
  return t;
}();

char* put_ipv4(char* out, const uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    const ByteText& t = kByteText[b[i]];
    std::memcpy(out, t.text, 4);  // the output has room for 4: the bytes past len are overwritten
    out += t.len;
    *out = '.';
    out += i < 3;
  }
  return out;
}

// inet_ntop's IPv6 text (glibc, from BIND): see format_ip() in the header.
char* put_ipv6(char* out, const uint8_t* a) {
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = static_cast<unsigned>(a[2 * i]) << 8 | a[2 * i + 1];
  int best = -1, best_len = 0;  // the first longest run of zero groups
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best = -1;  // a single zero group is written as 0
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *out++ = ':';
      continue;
    }
    if (i != 0) *out++ = ':';
    // IPv4-compatible (::a.b.c.d) and ::ffff:a.b.c.d with a zero run before: dotted tail.
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)))
      return put_ipv4(out, a + 12);
    out = std::to_chars(out, out + 4, words[i], 16).ptr;
  }
  if (best >= 0 && best + best_len == 8) *out++ = ':';
  return out;
}

char* put_ip(char* out, const std::array<uint8_t, 16>& a) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) return put_ipv4(out, a.data() + 12);
  return put_ipv6(out, a.data());
}

char* put_attributes(char* out, const L7Fields& l7) {
  // Attributes with an empty key or value carry nothing: skipped like empty fields.
  bool open = false;
  for (std::size_t i = 0; i < l7.attribute_count(); ++i) {
    const std::string_view key = l7.attribute_key(i), value = l7.attribute_value(i);
    if (key.empty() || value.empty()) continue;
    out = put(out, open ? "," : ",\"attributes\":{");
    open = true;
    out = put_json_string(out, key);
    *out++ = ':';
    out = put_json_string(out, value);
  }
  if (open) *out++ = '}';
  return out;
}

}  // namespace

std::size_t max_record_json_size(const FlowRecord& rec) {
  const L7Fields& l7 = rec.l7;
  return kFixedJson + 8 * l7.attribute_count() +
         kEscapedMax * (l7.string_bytes() + protocol_name(rec.protocol).size());
}

std::size_t max_record_json_size() {
  std::size_t longest_name = protocol_name(kUnknownProtocol).size();
  for (std::size_t id = 1; id <= protocol_count(); ++id)
    longest_name = std::max(longest_name, protocol_name(static_cast<ProtocolId>(id)).size());
  return kFixedJson + 8 * FieldCaps::kAttrCount + kEscapedMax * (FieldCaps::kStringBytes + longest_name);
}

char* write_record_json(const FlowRecord& rec, char* out, RequestIdJson ids) {
  const L7Fields& l7 = rec.l7;
  out = put(out, "{\"type\":\"");
  out = put(out, record_type_name(rec.type));  // our own names: nothing to escape
  *out++ = '"';
  out = put_string_field(out, ",\"protocol\":", protocol_name(rec.protocol));
  out = put_string_field(out, ",\"version\":", l7.get(Field::kVersion));
  out = put_string_field(out, ",\"request_type\":", l7.get(Field::kRequestType));
  out = put_string_field(out, ",\"request_domain\":", l7.get(Field::kRequestDomain));
  out = put_string_field(out, ",\"request_resource\":", l7.get(Field::kRequestResource));
  if (const std::string_view id = l7.get(Field::kRequestId); !id.empty()) {
    out = put(out, ",\"request_id\":");
    const bool number = ids == RequestIdJson::kNumberWhenInteger && l7.request_id_is_int() && is_json_integer(id);
    out = number ? put(out, id) : put_json_string(out, id);
  }
  out = put_string_field(out, ",\"endpoint\":", l7.get(Field::kEndpoint));
  if (l7.has_response_code) out = put_int(put(out, ",\"response_code\":"), l7.response_code);
  if (l7.response_status != ResponseStatus::kUnset) {
    out = put(out, ",\"response_status\":\"");
    out = put(out, response_status_name(l7.response_status));
    *out++ = '"';
  }
  out = put_string_field(out, ",\"response_exception\":", l7.get(Field::kResponseException));
  out = put_string_field(out, ",\"response_result\":", l7.get(Field::kResponseResult));
  out = put_string_field(out, ",\"trace_id\":", l7.get(Field::kTraceId));
  out = put_string_field(out, ",\"span_id\":", l7.get(Field::kSpanId));
  out = put_string_field(out, ",\"x_request_id\":", l7.get(Field::kXRequestId));
  out = put_string_field(out, ",\"http_proxy_client\":", l7.get(Field::kHttpProxyClient));
  out = put_attributes(out, l7);
  if (l7.has_request_length) out = put_int(put(out, ",\"request_length\":"), l7.request_length);
  if (l7.has_response_length) out = put_int(put(out, ",\"response_length\":"), l7.response_length);
  if (rec.has_rrt) out = put_int(put(out, ",\"rrt_us\":"), rec.rrt_us);
  out = put_int(put(out, ",\"start_time_us\":"), rec.start_time_us);
  out = put_int(put(out, ",\"end_time_us\":"), rec.end_time_us);
  out = put_ip(put(out, ",\"client_ip\":\""), rec.net.client_ip);
  out = put_int(put(out, "\",\"client_port\":"), rec.net.client_port);
  out = put_ip(put(out, ",\"server_ip\":\""), rec.net.server_ip);
  out = put_int(put(out, "\",\"server_port\":"), rec.net.server_port);
  out = put(out, rec.net.l4_proto == 17 ? ",\"l4_protocol\":\"udp\"" : ",\"l4_protocol\":\"tcp\"");
  if (rec.net.has_vlan) out = put_int(put(out, ",\"vlan\":"), rec.net.vlan);
  if (rec.net.has_tunnel_id) out = put_int(put(out, ",\"tunnel_id\":"), rec.net.tunnel_id);
  return put(out, "}\n");
}

std::size_t format_record_json(const FlowRecord& rec, std::string& out, RequestIdJson ids) {
  const std::size_t before = out.size();
  out.resize(before + max_record_json_size(rec));
  char* end = write_record_json(rec, out.data() + before, ids);
  out.resize(static_cast<std::size_t>(end - out.data()));
  return out.size() - before;
}

void append_json_string(std::string& out, std::string_view s) {
  const std::size_t before = out.size();
  out.resize(before + 2 + kEscapedMax * s.size());
  char* end = put_json_string(out.data() + before, s);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

void append_utf8_sanitized(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t run = 0, i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (std::size_t len = utf8_sequence_length(p + i, n - i); len != 0) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    out.append("\xef\xbf\xbd");  // U+FFFD
    run = ++i;
  }
  out.append(s.data() + run, n - run);
}

std::string_view format_ip(const std::array<uint8_t, 16>& addr, IpTextBuffer& buf) {
  const char* end = put_ip(buf.data(), addr);
  return {buf.data(), static_cast<std::size_t>(end - buf.data())};
}

}  // namespace l7tap
