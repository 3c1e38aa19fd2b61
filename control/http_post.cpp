#include "control/http_post.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace l7tap {

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left before `deadline` (at least 0), for poll().
int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left > 1'000'000 ? 1'000'000 : left);
}

bool wait_fd(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, ms_left(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A non-blocking connect to any of `ep`'s addresses; -1 with `err` set when none answers.
int connect_to(const HttpEndpoint& ep, Clock::time_point deadline, std::string& err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(ep.port);
  if (int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    err = "cannot resolve " + ep.host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (wait_fd(fd, POLLOUT, deadline)) {
        int so = 0;
        socklen_t len = sizeof so;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
        rc = so == 0 ? 0 : -1;
        errno = so;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (rc != 0) {
      err = "connect to " + ep.host + ":" + port + ": " + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  return fd;
}

bool send_all(int fd, std::string_view data, Clock::time_point deadline, std::string& err) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (wait_fd(fd, POLLOUT, deadline)) continue;
      err = "timed out sending";
      return false;
    }
    err = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

std::string parse_http_url(std::string_view url, HttpEndpoint& out) {
  const std::string hint = "expected http://host:port, e.g. \"http://127.0.0.1:8123\"";
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    if (url.substr(0, 8) == "https://") return "https is not supported (no TLS in l7tap's client): " + hint;
    return hint;
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos || rest.find('@') != std::string_view::npos ||
      rest.find('?') != std::string_view::npos)
    return "no path, query or user@ allowed (database and user have their own keys): " + hint;
  std::string_view host, port;
  if (!rest.empty() && rest[0] == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') return hint;
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const std::size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return "the port is required: " + hint;
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return "the host is empty: " + hint;
  unsigned long p = 0;
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      (p = std::stoul(std::string(port))) == 0 || p > 65535)
    return "bad port \"" + std::string(port) + "\": " + hint;
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(p);
  return "";
}

HttpResult http_post(const HttpEndpoint& ep, std::string_view target, std::string_view extra_headers,
                     std::string_view body, uint64_t timeout_us) {
  HttpResult r;
  const auto deadline = Clock::now() + std::chrono::microseconds(timeout_us);
  int fd = connect_to(ep, deadline, r.error);
  if (fd < 0) return r;  // kNotSent
  std::string head;
  head.reserve(256 + target.size() + extra_headers.size());
  head += "POST ";
  head += target;
  head += " HTTP/1.1\r\nHost: ";
  const bool v6 = ep.host.find(':') != std::string::npos;  // an IPv6 literal goes in brackets
  head += v6 ? "[" + ep.host + "]" : ep.host;
  head += ":" + std::to_string(ep.port);
  head += "\r\nConnection: close\r\nContent-Length: ";
  head += std::to_string(body.size());
  head += "\r\n";
  head += extra_headers;
  head += "\r\n";
  r.outcome = HttpResult::kUnknown;  // from the first byte sent on, the server may act on it
  if (!send_all(fd, head, deadline, r.error) || !send_all(fd, body, deadline, r.error)) {
    ::close(fd);
    return r;
  }
  // Read until the server closes (Connection: close), keeping the head and 4 KiB of body.
  std::string in;
  char buf[8192];
  for (;;) {
    if (!wait_fd(fd, POLLIN, deadline)) {
      r.error = "timed out waiting for the answer";
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0) {
      r.error = std::string("recv: ") + std::strerror(errno);
      break;
    }
    if (n == 0) break;
    if (in.size() < 64 * 1024) in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n...": a status line is enough to know the outcome (ClickHouse answers
  // only once the insert is done).
  if (in.size() >= 12 && in.compare(0, 5, "HTTP/") == 0) {
    const std::size_t sp = in.find(' ');
    if (sp != std::string::npos && sp + 4 <= in.size()) {
      int code = 0;
      bool digits = true;
      for (std::size_t i = sp + 1; i < sp + 4; ++i) {
        if (in[i] < '0' || in[i] > '9') digits = false;
        code = code * 10 + (in[i] - '0');
      }
      if (digits) {
        r.outcome = HttpResult::kAnswered;
        r.status = code;
        const std::size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos) r.body = in.substr(end + 4, 4096);
        r.error.clear();
        return r;
      }
    }
  }
  if (r.error.empty()) r.error = in.empty() ? "the server closed without answering" : "malformed answer";
  return r;
}

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string base64(std::string_view s) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(s[i])) << 16) | (uint32_t(uint8_t(s[i + 1])) << 8) | uint8_t(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(v >> k) & 63]);
  }
  if (i < s.size()) {
    uint32_t v = uint32_t(uint8_t(s[i])) << 16;
    if (i + 1 < s.size()) v |= uint32_t(uint8_t(s[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace l7tap
