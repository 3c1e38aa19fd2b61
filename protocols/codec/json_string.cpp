#include "protocols/codec/json_string.hpp"

#include <cstdint>

namespace l7tap {
namespace {

int hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) return -1;
  int v = 0;
  for (std::size_t k = at; k < at + 4; ++k) {
    const char c = s[k];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Appends the UTF-8 form of cp when it fits whole.
void put_utf8(uint32_t cp, std::span<char> out, std::size_t& n) {
  char b[4];
  std::size_t k = 0;
  if (cp < 0x80) {
    b[k++] = static_cast<char>(cp);
  } else if (cp < 0x800) {
    b[k++] = static_cast<char>(0xc0 | (cp >> 6));
    b[k++] = static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    b[k++] = static_cast<char>(0xe0 | (cp >> 12));
    b[k++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    b[k++] = static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    b[k++] = static_cast<char>(0xf0 | (cp >> 18));
    b[k++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    b[k++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    b[k++] = static_cast<char>(0x80 | (cp & 0x3f));
  }
  if (n + k > out.size()) return;
  for (std::size_t x = 0; x < k; ++x) out[n++] = b[x];
}

}  // namespace

std::size_t unescape_json(std::string_view s, std::span<char> out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size() && n < out.size(); ++i) {
    const char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out[n++] = c;
      continue;
    }
    const char e = s[++i];
    switch (e) {
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': {
        const int cp = hex4(s, i + 1);
        if (cp < 0) {
          out[n++] = '?';
          break;
        }
        i += 4;
        auto code = static_cast<uint32_t>(cp);
        if (code >= 0xd800 && code < 0xdc00) {  // a high surrogate: combine with the low one after it
          const int lo = i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' ? hex4(s, i + 3) : -1;
          if (lo >= 0xdc00 && lo < 0xe000) {
            code = 0x10000 + ((code - 0xd800) << 10) + (static_cast<uint32_t>(lo) - 0xdc00);
            i += 6;
          } else {
            code = 0xfffd;
          }
        } else if (code >= 0xdc00 && code < 0xe000) {
          code = 0xfffd;
        }
        put_utf8(code, out, n);
        break;
      }
      default: out[n++] = e; break;  // \" \\ \/ and anything else: the character itself
    }
  }
  return n;
}

}  // namespace l7tap
