// The /metrics listener over real sockets on 127.0.0.1: scrapes are answered while idle and
// slowloris clients hold connections, every limit (connection cap, head and send timeouts, head
// size) is enforced and counted, garbage gets an error, and destruction closes everything.
// Client reads time out after 10 s so that a listener that stalls fails the test instead of
// hanging it; no assertion is about speed.
#include "control/metrics_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace l7tap {
namespace {

class Client {
 public:
  explicit Client(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd_, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send(const std::string& s) { EXPECT_EQ(::send(fd_, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size())); }
  // Everything until the server closes. Fails the test if the server neither answers nor closes
  // within 10 s; a reset counts as a close.
  std::string read_all() {
    std::string out;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      EXPECT_FALSE(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) << "no close within 10 s";
      return out;
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

std::string body_of(const std::string& response) {
  const std::size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : response.substr(p + 4);
}

constexpr const char* kScrape = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

struct Fixture {
  explicit Fixture(MetricsServerLimits limits, std::string text = "up 1\n")
      : exposition(std::move(text)),
        server("127.0.0.1:0", limits, counters, [this] {
          renders.fetch_add(1);
          return exposition;
        }) {}
  uint64_t count(uint32_t index) const { return counters.block[index].get(); }
  uint64_t responses(int code) const {
    const auto& codes = MetricsServerCounters::kResponseCodes;
    for (uint32_t i = 0; i < std::size(codes); ++i)
      if (codes[i] == code) return count(counters.responses + i);
    ADD_FAILURE() << "no code " << code;
    return 0;
  }
  std::string scrape() {
    Client c(server.port());
    c.send(kScrape);
    return c.read_all();
  }

  std::string exposition;
  std::atomic<int> renders{0};
  MetricsServerCounters counters;
  MetricsServer server;
};

MetricsServerLimits limits(uint32_t max_connections, uint64_t request_timeout_us, uint64_t send_timeout_us = 10'000'000,
                           uint32_t max_request_bytes = 8192) {
  MetricsServerLimits l;
  l.max_connections = max_connections;
  l.request_timeout_us = request_timeout_us;
  l.send_timeout_us = send_timeout_us;
  l.max_request_bytes = max_request_bytes;
  return l;
}

// Counters are updated before a client sees the effect; the open-connections gauge only after the
// close a client sees. Waits for such a gauge.
bool eventually(const std::function<bool()>& cond) {
  for (int i = 0; i < 1000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

TEST(MetricsServer, ScrapeIsServedWhileIdleAndSlowClientsWait) {
  // An hour for a head: nothing times out during the test, the waiting clients stay.
  Fixture f(limits(64, 3'600'000'000ull));
  std::vector<std::unique_ptr<Client>> waiting;
  for (int i = 0; i < 20; ++i) {
    waiting.push_back(std::make_unique<Client>(f.server.port()));
    if (i % 2 == 1) waiting.back()->send("GET /metrics HTTP/1.1\r\nX-Slow: a");  // slowloris: never ends
  }
  ASSERT_TRUE(eventually([&] { return f.count(f.counters.open) == 20; }));
  const std::string r = f.scrape();
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\nContent-Length: 5\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos) << r;
  EXPECT_EQ(body_of(r), "up 1\n");
  EXPECT_EQ(f.responses(200), 1u);
  EXPECT_EQ(f.count(f.counters.request_timeouts), 0u);
  EXPECT_EQ(f.count(f.counters.connections), 21u);
}

TEST(MetricsServer, HeadsNotEndedInTimeAreClosedAndCounted) {
  Fixture f(limits(64, 200'000));
  Client idle(f.server.port());
  Client slow(f.server.port());
  slow.send("GET /metrics HTTP/1.1\r\n");
  std::thread trickle([&] {  // a header byte every 50 ms: always active, never done
    for (int i = 0; i < 40; ++i) {
      if (::send(slow.fd(), "a", 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  EXPECT_EQ(idle.read_all(), "");  // closed without a response
  EXPECT_EQ(slow.read_all(), "");
  trickle.join();
  EXPECT_EQ(f.count(f.counters.request_timeouts), 2u);
  EXPECT_TRUE(eventually([&] { return f.count(f.counters.open) == 0; }));
  EXPECT_EQ(status_line(f.scrape()), "HTTP/1.1 200 OK");
}

// The listener's thread renders scrapes itself; a head that arrives meanwhile is read before its
// deadline is judged, so a render longer than request_timeout does not time out waiting clients.
TEST(MetricsServer, HeadArrivingDuringALongRenderIsServed) {
  MetricsServerCounters counters;
  std::atomic<bool> rendering{false};
  MetricsServer server("127.0.0.1:0", limits(8, 300'000), counters, [&] {
    rendering = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    return std::string("up 1\n");
  });
  Client waiting(server.port());
  ASSERT_TRUE(eventually([&] { return counters.block[counters.open].get() == 1; }));
  Client first(server.port());
  first.send(kScrape);
  ASSERT_TRUE(eventually([&] { return rendering.load(); }));
  waiting.send(kScrape);  // its 300 ms run out while the render holds the thread
  EXPECT_EQ(status_line(first.read_all()), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(waiting.read_all()), "HTTP/1.1 200 OK");
  EXPECT_EQ(counters.block[counters.request_timeouts].get(), 0u);
}

TEST(MetricsServer, AtTheCapTheLongestWaitingClientMakesRoom) {
  Fixture f(limits(3, 3'600'000'000ull));
  Client first(f.server.port());
  ASSERT_TRUE(eventually([&] { return f.count(f.counters.open) == 1; }));
  Client second(f.server.port());
  Client third(f.server.port());
  ASSERT_TRUE(eventually([&] { return f.count(f.counters.open) == 3; }));
  EXPECT_EQ(status_line(f.scrape()), "HTTP/1.1 200 OK");
  EXPECT_EQ(first.read_all(), "");  // evicted
  EXPECT_EQ(f.count(f.counters.evicted), 1u);
  EXPECT_EQ(f.count(f.counters.refused), 0u);
}

TEST(MetricsServer, AtTheCapWithEveryConnectionAnsweredNewOnesAreRefused) {
  Fixture f(limits(2, 3'600'000'000ull));
  // Two scrapers that read their response but never close: their connections stay open (the
  // listener waits for the close, up to send_timeout) and none of them waits for a head.
  Client a(f.server.port()), b(f.server.port());
  a.send(kScrape);
  b.send(kScrape);
  EXPECT_EQ(status_line(a.read_all()), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(b.read_all()), "HTTP/1.1 200 OK");
  Client c(f.server.port());
  EXPECT_EQ(status_line(c.read_all()), "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(f.count(f.counters.refused), 1u);
  EXPECT_EQ(f.count(f.counters.evicted), 0u);
}

TEST(MetricsServer, ErrorsForEverythingButGetMetrics) {
  Fixture f(limits(16, 10'000'000, 10'000'000, 1024));
  struct Case {
    std::string request;
    std::string status;
  };
  const Case cases[] = {
      {std::string("\x16\x03\x01\x00\xa5\x01\x00\x00", 8), "HTTP/1.1 400 Bad Request"},
      {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /metrics HTTP/3.0\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /admin HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
      {"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 405 Method Not Allowed"},
      {"GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4000, 'a'), "HTTP/1.1 431 Request Header Fields Too Large"},
  };
  for (const Case& k : cases) {
    Client c(f.server.port());
    c.send(k.request);
    const std::string r = c.read_all();
    EXPECT_EQ(status_line(r), k.status) << k.request.substr(0, 40);
    if (k.status.find("405") != std::string::npos) {
      EXPECT_NE(r.find("\r\nAllow: GET\r\n"), std::string::npos);
    }
  }
  EXPECT_EQ(f.responses(400), 3u);
  EXPECT_EQ(f.responses(404), 1u);
  EXPECT_EQ(f.responses(405), 1u);
  EXPECT_EQ(f.responses(431), 1u);
  EXPECT_EQ(f.renders.load(), 0);  // no error cost an exposition
  EXPECT_EQ(body_of(f.scrape()), "up 1\n");

  // A client that gives up half-way is counted too.
  {
    Client quitter(f.server.port());
    quitter.send("GET /metr");
    ::shutdown(quitter.fd(), SHUT_WR);
    EXPECT_EQ(quitter.read_all(), "");
  }
  EXPECT_TRUE(eventually([&] { return f.count(f.counters.incomplete) == 1; }));
}

TEST(MetricsServer, ResponseNotTakenInTimeIsCutAndCounted) {
  // 32 MiB to a client that never reads, through a small receive buffer: it cannot all be sent.
  Fixture f(limits(8, 10'000'000, 200'000), std::string(32u << 20, 'x'));
  Client sleeper(f.server.port(), 4096);
  sleeper.send(kScrape);
  ASSERT_TRUE(eventually([&] { return f.count(f.counters.send_timeouts) == 1; }));
  EXPECT_TRUE(eventually([&] { return f.count(f.counters.open) == 0; }));
}

TEST(MetricsServer, GzipWhenTheScraperAcceptsIt) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "l7tap_requests_total{service=\"s" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
  Fixture f(limits(8, 10'000'000), text);
  Client c(f.server.port());
  c.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n");
  const std::string r = c.read_all();
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("\r\nContent-Encoding: gzip\r\n"), std::string::npos);
  const std::string zipped = body_of(r);
  EXPECT_NE(r.find("\r\nContent-Length: " + std::to_string(zipped.size()) + "\r\n"), std::string::npos);
  EXPECT_LT(zipped.size(), text.size() / 4);
  // Inflate it back (windowBits 15 + 32: gzip header expected).
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 32), Z_OK);
  std::string out(text.size() + 1, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zipped.data()));
  z.avail_in = static_cast<uInt>(zipped.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  EXPECT_EQ(out, text);
  // Without Accept-Encoding: the text as is.
  const std::string plain = f.scrape();
  EXPECT_EQ(plain.find("Content-Encoding"), std::string::npos);
  EXPECT_EQ(body_of(plain), text);
}

TEST(MetricsServer, ConcurrentScrapersAllGetTheExposition) {
  Fixture f(limits(128, 10'000'000), std::string(200000, 'm') + "\n");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 100; ++i)
    threads.emplace_back([&] {
      Client c(f.server.port());
      c.send(kScrape);
      const std::string r = c.read_all();
      if (status_line(r) == "HTTP/1.1 200 OK" && body_of(r) == f.exposition) ok.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(f.responses(200), 100u);
  EXPECT_LE(f.renders.load(), 100);
}

TEST(MetricsServer, DestructionClosesEveryConnection) {
  auto f = std::make_unique<Fixture>(limits(8, 3'600'000'000ull));
  Client idle(f->server.port());
  ASSERT_TRUE(eventually([&] { return f->count(f->counters.open) == 1; }));
  f.reset();
  EXPECT_EQ(idle.read_all(), "");
}

TEST(MetricsServer, BindErrorsSayWhy) {
  MetricsServerCounters counters;
  auto render = [] { return std::string(); };
  try {
    MetricsServer s("127.0.0.1:70000", MetricsServerLimits{}, counters, render);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "'70000' is not a port number");
  }
  MetricsServer first("127.0.0.1:0", MetricsServerLimits{}, counters, render);
  try {
    MetricsServer second("127.0.0.1:" + std::to_string(first.port()), MetricsServerLimits{}, counters, render);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot bind: Address already in use");
  }
}

TEST(MetricsServer, ListensOnIpv6Loopback) {
  const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  const bool have_v6 = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  if (probe >= 0) ::close(probe);
  if (!have_v6) GTEST_SKIP() << "no IPv6 loopback on this machine";
  MetricsServerCounters counters;
  MetricsServer s("[::1]:0", MetricsServerLimits{}, counters, [] { return std::string("up 1\n"); });
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sa.sin6_port = htons(s.port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::send(fd, kScrape, std::strlen(kScrape), MSG_NOSIGNAL), static_cast<ssize_t>(std::strlen(kScrape)));
  char buf[4096];
  std::string r;
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) r.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
}

}  // namespace
}  // namespace l7tap
