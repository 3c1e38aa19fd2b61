// Helpers shared by the control-plane tests: addresses from text, records and service rules built in
// one call, a self-removing temporary directory, and a plain-socket HTTP GET with a reader for the
// Prometheus text exposition (what a scraper sees).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/metric_family.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "control/config.hpp"
#include "protocols/core/record.hpp"

namespace l7tap::test {

// An address as the records store it: IPv4 text becomes IPv4-mapped IPv6 (::ffff:a.b.c.d).
inline std::array<uint8_t, 16> ip(const char* text) {
  std::array<uint8_t, 16> a{};
  in_addr v4;
  if (inet_pton(AF_INET, text, &v4) == 1) {
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, a.data()), 1) << text;
  }
  return a;
}

// A record between two endpoints; everything else keeps FlowRecord's defaults.
inline FlowRecord record_between(const char* client, uint16_t client_port, const char* server,
                                 uint16_t server_port) {
  FlowRecord r;
  r.net.client_ip = ip(client);
  r.net.client_port = client_port;
  r.net.server_ip = ip(server);
  r.net.server_port = server_port;
  return r;
}

// A service_map rule with its labels; conditions (ports, vlan, tunnel id) are added by the caller.
inline ServiceRule rule(const char* cidr, const char* service, const char* ns = "", const char* workload = "",
                        const char* env = "", const char* site = "") {
  ServiceRule r;
  r.cidr = cidr;
  r.service = service;
  r.namespace_name = ns;
  r.workload = workload;
  r.env = env;
  r.site = site;
  return r;
}

// `x` (a ServiceRule or a ServiceKey) with a VLAN id, or with a tunnel id.
template <typename T>
T with_vlan(T x, uint16_t vlan) {
  x.has_vlan = true;
  x.vlan = vlan;
  return x;
}
template <typename T>
T with_tunnel(T x, uint32_t tunnel_id) {
  x.has_tunnel_id = true;
  x.tunnel_id = tunnel_id;
  return x;
}

// A directory under /tmp named "<prefix>_XXXXXX", removed with everything in it at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "l7tap") {
    std::string tmpl = "/tmp/" + prefix + "_XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct HttpReply {
  std::string raw;   // status line, headers and body as received
  std::string body;  // empty when there is no header/body separator
};

// GET http://127.0.0.1:<port><path> with a plain socket (HTTP/1.0: the server closes when done).
inline HttpReply http_get(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  HttpReply reply;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) reply.raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const std::size_t body = reply.raw.find("\r\n\r\n");
  if (body != std::string::npos) reply.body = reply.raw.substr(body + 4);
  return reply;
}

// Value of the exposition line "<series> <value>", or -1 when the series is absent.
inline double series_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  return -1;
}

// The family called `name` in a Collect() result, or nullptr.
inline const prometheus::MetricFamily* find_family(const std::vector<prometheus::MetricFamily>& families,
                                                   const std::string& name) {
  for (const prometheus::MetricFamily& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace l7tap::test
