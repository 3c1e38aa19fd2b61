#include "control/http_request_head.hpp"

namespace l7tap {

namespace {

// RFC 9110 5.6.2 token characters (method names).
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// Bytes that never appear in a request line (controls, DEL, and anything non-ASCII).
bool is_bad_line_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u >= 0x7f;
}

bool valid_method(std::string_view m) {
  if (m.empty()) return false;
  for (char c : m)
    if (!is_tchar(c)) return false;
  return true;
}

bool valid_target(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t)
    if (is_bad_line_byte(c) || c == ' ') return false;
  return true;
}

// "HTTP/1.0" or "HTTP/1.1" (any HTTP/1.<digit>); HTTP/2 does not start with a request line.
bool valid_version(std::string_view v) {
  return v.size() == 8 && v.substr(0, 7) == "HTTP/1." && v[7] >= '0' && v[7] <= '9';
}

// A request line still arriving: is what is there a possible start of one? Catches binary
// garbage and lines with stray bytes early instead of waiting for a newline that may never come.
bool plausible_prefix(std::string_view partial) {
  if (!partial.empty() && partial.back() == '\r') partial.remove_suffix(1);  // a CRLF on its way
  std::size_t i = 0;
  for (; i < partial.size() && partial[i] != ' '; ++i)
    if (!is_tchar(partial[i])) return false;
  for (; i < partial.size(); ++i)
    if (is_bad_line_byte(partial[i])) return false;
  return true;
}

}  // namespace

HeadVerdict classify_request_head(std::string_view received, std::size_t max_bytes) {
  const bool full = received.size() >= max_bytes;
  std::size_t start = 0;
  while (start < received.size() && (received[start] == '\n' ||
                                     (received[start] == '\r' && start + 1 < received.size() &&
                                      received[start + 1] == '\n')))
    start += received[start] == '\r' ? 2 : 1;
  std::string_view rest = received.substr(start);

  const std::size_t eol = rest.find('\n');
  if (eol == std::string_view::npos) {
    if (!plausible_prefix(rest)) return HeadVerdict::kBadRequest;
    return full ? HeadVerdict::kTooLarge : HeadVerdict::kIncomplete;
  }
  std::string_view line = rest.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  // method SP request-target SP HTTP-version, single spaces (RFC 9112 3).
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return HeadVerdict::kBadRequest;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!valid_method(method) || !valid_target(target) || !valid_version(version)) return HeadVerdict::kBadRequest;
  if (method != "GET") return HeadVerdict::kMethodNotAllowed;
  if (target.substr(0, target.find('?')) != "/metrics") return HeadVerdict::kNotFound;

  // The head ends at the first empty line: "\n\n" or "\n\r\n" from the request line's end on.
  for (std::size_t i = eol; i < rest.size(); ++i) {
    if (rest[i] != '\n') continue;
    if (i + 1 < rest.size() && rest[i + 1] == '\n') return HeadVerdict::kScrape;
    if (i + 2 < rest.size() && rest[i + 1] == '\r' && rest[i + 2] == '\n') return HeadVerdict::kScrape;
  }
  return full ? HeadVerdict::kTooLarge : HeadVerdict::kIncomplete;
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "q=0", "q=0.", "q=0.000": the coding is refused (RFC 9110 12.4.2).
bool q_is_zero(std::string_view params) {
  for (std::size_t at = 0; at <= params.size();) {
    std::size_t end = params.find(';', at);
    if (end == std::string_view::npos) end = params.size();
    std::string_view p = trim_ows(params.substr(at, end - at));
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      p.remove_prefix(2);
      if (p.empty() || p[0] != '0') return false;
      for (char c : p.substr(1))
        if (c != '.' && c != '0') return false;
      return true;
    }
    at = end + 1;
  }
  return false;
}

}  // namespace

bool accepts_gzip(std::string_view head) {
  bool gzip = false, gzip_refused = false, any = false;  // an explicit gzip;q=0 beats "*"
  std::size_t line_start = head.find('\n');
  while (line_start != std::string_view::npos) {
    ++line_start;
    std::size_t line_end = head.find('\n', line_start);
    const std::string_view line = head.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                                           : line_end - line_start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), "accept-encoding")) {
      const std::string_view value = line.substr(colon + 1);
      for (std::size_t at = 0; at <= value.size();) {
        std::size_t end = value.find(',', at);
        if (end == std::string_view::npos) end = value.size();
        const std::string_view item = value.substr(at, end - at);
        const std::size_t semi = item.find(';');
        const std::string_view coding = trim_ows(item.substr(0, semi));
        const std::string_view params = semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
        const bool refused = q_is_zero(params);
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) (refused ? gzip_refused : gzip) = true;
        if (coding == "*" && !refused) any = true;
        at = end + 1;
      }
    }
    line_start = line_end;
  }
  return gzip || (any && !gzip_refused);
}

int status_code(HeadVerdict v) {
  switch (v) {
    case HeadVerdict::kScrape: return 200;
    case HeadVerdict::kBadRequest: return 400;
    case HeadVerdict::kNotFound: return 404;
    case HeadVerdict::kMethodNotAllowed: return 405;
    case HeadVerdict::kTooLarge: return 431;
    case HeadVerdict::kIncomplete: break;
  }
  return 500;
}

}  // namespace l7tap
