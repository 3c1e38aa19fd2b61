#include "control/metrics_server.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <vector>

#include "control/http_request_head.hpp"

namespace l7tap {

MetricsServerLimits MetricsServerLimits::from_config(const Config& c) {
  MetricsServerLimits l;
  l.max_connections = c.metrics_max_connections;
  l.request_timeout_us = c.metrics_request_timeout_us;
  l.send_timeout_us = c.metrics_send_timeout_us;
  l.max_request_bytes = c.metrics_max_request_bytes;
  return l;
}

MetricsServerCounters::MetricsServerCounters() {
  using K = MetricKind;
  connections = block.declare("l7tap_metrics_connections_total", "Connections accepted by the /metrics listener.");
  open = block.declare("l7tap_metrics_connections_open", "Connections open on the /metrics listener.", K::kGauge);
  evicted = block.declare("l7tap_metrics_connections_evicted_total",
                          "Connections closed before their request head ended to make room for a new one "
                          "(metrics.max_connections were open).");
  refused = block.declare("l7tap_metrics_connections_refused_total",
                          "Connections refused with a 503 because metrics.max_connections were open and every one "
                          "of them was being answered.");
  std::vector<std::string> codes;
  for (int code : kResponseCodes) codes.push_back(std::to_string(code));
  responses = block.declare("l7tap_metrics_responses_total", "Responses of the /metrics listener, by status code.",
                            K::kCounter, "code", std::move(codes));
  request_timeouts = block.declare("l7tap_metrics_request_timeouts_total",
                                   "Connections closed because their request head had not ended within "
                                   "metrics.request_timeout of the accept (idle and slowloris clients).");
  send_timeouts = block.declare("l7tap_metrics_send_timeouts_total",
                                "Connections closed because their response was not sent (or the client did not "
                                "close) within metrics.send_timeout.");
  incomplete = block.declare("l7tap_metrics_requests_incomplete_total",
                             "Connections the client closed or reset before its request head ended.");
  accept_errors = block.declare("l7tap_metrics_accept_errors_total",
                                "accept() failures on the /metrics listener (e.g. out of file descriptors).");
  block.seal();
}

namespace {

constexpr std::size_t kReadChunk = 4096;
// Reads per readiness event: a client streaming bytes at us cannot keep the loop to itself.
constexpr int kReadsPerEvent = 16;
constexpr int kMaxEvents = 64;
// Accepts per loop pass. Heads that arrived are read between batches, so a burst of connections at
// the cap evicts clients that have waited long for their head, not the ones accepted a moment ago.
constexpr int kAcceptBatch = 32;
// After accept() fails for want of file descriptors or memory the listener rests this long (the
// kernel's backlog keeps the connections) rather than spinning on a socket that stays readable.
constexpr int64_t kAcceptPauseUs = 100'000;
constexpr uint64_t kWakeTag = ~0ull;
constexpr uint64_t kListenTag = ~0ull - 1;

int64_t now_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

const char* reason_phrase(int code) {
  switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

// Every response closes its connection: a scraper reconnects for its next scrape (one handshake
// every scrape interval), and no idle keep-alive connection holds a slot between scrapes.
std::string response_head(int code, std::size_t body_size, const char* content_type, bool gzipped) {
  std::string h = "HTTP/1.1 " + std::to_string(code) + " " + reason_phrase(code) + "\r\nContent-Type: " +
                  content_type + "\r\nContent-Length: " + std::to_string(body_size) + "\r\nConnection: close\r\n";
  if (gzipped) h += "Content-Encoding: gzip\r\n";
  if (code == 405) h += "Allow: GET\r\n";
  h += "\r\n";
  return h;
}

std::string error_response(int code) {
  const std::string body = std::to_string(code) + " " + reason_phrase(code) + "\n";
  return response_head(code, body.size(), "text/plain; charset=utf-8", false) + body;
}

constexpr const char* kExpositionType = "text/plain; version=0.0.4; charset=utf-8";

// `text` as a gzip member (zlib, fastest level: this runs on the listener's thread); "" if zlib
// fails, and the response goes out uncompressed.
std::string gzip(const std::string& text) {
  if (text.size() > (1u << 30)) return {};  // zlib's counts are 32-bit; such a text goes out as is
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

// "host:port" / "[v6]:port" / ":port" → a listening, non-blocking socket; -1 with `reason` set.
int open_listener(const std::string& listen, std::string& reason) {
  const std::size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? std::string() : listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    reason = "'" + port + "' is not a port number";
    return -1;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    reason = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      reason = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // restart while old sockets linger
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      reason = std::string("cannot bind: ") + std::strerror(errno);
    } else if (::listen(fd, SOMAXCONN) != 0) {
      reason = std::string("cannot listen: ") + std::strerror(errno);
    } else {
      break;
    }
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

bool transient(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

}  // namespace

struct MetricsServer::Impl {
  struct Conn {
    enum class State : uint8_t {
      kFree,
      kHead,   // reading the request head (deadline: request_timeout from accept)
      kReady,  // a complete scrape head, waiting for this pass's exposition
      kSend,   // writing the response (deadline: send_timeout from the end of the head)
      kDrain,  // response sent and our side shut: reading until the client closes, so that
               // unread request bytes do not turn our close into a reset that loses the response
    };
    int fd = -1;
    State state = State::kFree;
    uint32_t gen = 0;  // bumped on close: stale epoll events for a reused slot are ignored
    uint32_t pos = 0;  // index in open
    int64_t accepted_us = 0;
    int64_t deadline_us = 0;
    std::string in;
    std::string head;
    std::shared_ptr<const std::string> body;
    std::size_t sent = 0;
    bool gzip = false;  // the scrape's Accept-Encoding admits gzip
  };

  MetricsServerLimits limits;
  MetricsServerCounters& ctr;
  Render render;

  int listen_fd = -1, epoll_fd = -1, wake_fd = -1;
  uint16_t port = 0;
  std::vector<Conn> slots;
  std::vector<uint32_t> free_slots;
  std::vector<uint32_t> open;
  std::vector<uint64_t> ready;  // tags of kReady connections
  int64_t accept_resume_us = 0;  // listener paused until then; 0 = listening
  std::thread thread;

  Impl(const MetricsServerLimits& l, MetricsServerCounters& c, Render r) : limits(l), ctr(c), render(std::move(r)) {
    slots.resize(limits.max_connections);
    for (uint32_t i = limits.max_connections; i-- > 0;) free_slots.push_back(i);
    open.reserve(limits.max_connections);
  }

  ~Impl() {
    for (uint32_t s : open) ::close(slots[s].fd);
    if (listen_fd >= 0) ::close(listen_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  Counter& counter(uint32_t index) { return ctr.block[index]; }
  static uint64_t tag_of(uint32_t slot, const Conn& c) { return (uint64_t{c.gen} << 32) | slot; }

  void watch(uint32_t slot, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag_of(slot, slots[slot]);
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, slots[slot].fd, &ev);
  }

  void close_conn(uint32_t slot) {
    Conn& c = slots[slot];
    ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.state = Conn::State::kFree;
    ++c.gen;
    std::string().swap(c.in);  // a slot keeps no request memory while free
    std::string().swap(c.head);
    c.body.reset();
    c.sent = 0;
    const uint32_t last = open.back();
    open[c.pos] = last;
    slots[last].pos = c.pos;
    open.pop_back();
    free_slots.push_back(slot);
    counter(ctr.open).set(open.size());
  }

  // The open connection that has waited longest for its request head, or -1.
  int64_t oldest_waiting() const {
    int64_t best = -1;
    for (uint32_t s : open)
      if (slots[s].state == Conn::State::kHead && (best < 0 || slots[s].accepted_us < slots[best].accepted_us))
        best = s;
    return best;
  }

  void accept_some(int64_t now) {
    for (int i = 0; i < kAcceptBatch; ++i) {
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;  // that client is gone
        counter(ctr.accept_errors).add();
        epoll_event ev{};
        ev.data.u64 = kListenTag;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);  // no events until resumed
        accept_resume_us = now + kAcceptPauseUs;
        return;
      }
      counter(ctr.connections).add();
      if (free_slots.empty()) {
        const int64_t victim = oldest_waiting();
        // Counted before the client can see it, as every outcome here.
        if (victim < 0) {
          counter(ctr.refused).add();
          // Best effort: the 503 fits any socket buffer; if it does not go out, the close says it.
          const std::string r = error_response(503);
          [[maybe_unused]] ssize_t n = ::send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          ::close(fd);
          continue;
        }
        counter(ctr.evicted).add();
        close_conn(static_cast<uint32_t>(victim));
      }
      const uint32_t slot = free_slots.back();
      free_slots.pop_back();
      Conn& c = slots[slot];
      c.fd = fd;
      c.state = Conn::State::kHead;
      c.accepted_us = now;
      c.deadline_us = now + static_cast<int64_t>(limits.request_timeout_us);
      c.pos = static_cast<uint32_t>(open.size());
      open.push_back(slot);
      counter(ctr.open).set(open.size());
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = tag_of(slot, c);
      if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) close_conn(slot);
    }
  }

  void read_head(uint32_t slot, int64_t now) {
    Conn& c = slots[slot];
    char buf[kReadChunk];
    for (int i = 0; i < kReadsPerEvent; ++i) {
      // Never more than max_request_bytes in total: a full buffer has been judged kTooLarge.
      const std::size_t room = limits.max_request_bytes - c.in.size();
      const ssize_t n = ::recv(c.fd, buf, room < sizeof buf ? room : sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        const HeadVerdict v = classify_request_head(c.in, limits.max_request_bytes);
        if (v != HeadVerdict::kIncomplete) return reply(slot, v, now);
        continue;
      }
      if (n < 0 && transient(errno)) {
        if (errno == EINTR) continue;
        return;
      }
      counter(ctr.incomplete).add();  // EOF or reset before the head ended
      return close_conn(slot);
    }
  }

  void reply(uint32_t slot, HeadVerdict v, int64_t now) {
    Conn& c = slots[slot];
    c.deadline_us = now + static_cast<int64_t>(limits.send_timeout_us);
    c.gzip = v == HeadVerdict::kScrape && accepts_gzip(c.in);
    std::string().swap(c.in);
    if (v == HeadVerdict::kScrape) {
      c.state = Conn::State::kReady;
      watch(slot, 0);
      ready.push_back(tag_of(slot, c));
      return;
    }
    count_response(status_code(v));
    c.head = error_response(status_code(v));
    c.state = Conn::State::kSend;
    send_some(slot);
  }

  void count_response(int code) {
    const auto& codes = MetricsServerCounters::kResponseCodes;
    for (uint32_t i = 0; i < std::size(codes); ++i)
      if (codes[i] == code) counter(ctr.responses + i).add();
  }

  // One exposition for every scrape whose head completed in this pass (and one gzip of it for
  // those that accept it: Prometheus does, and a text exposition shrinks about tenfold).
  void serve_ready() {
    if (ready.empty()) return;
    std::shared_ptr<const std::string> body, zipped;
    std::string head, zipped_head;
    try {
      body = std::make_shared<const std::string>(render());
      head = response_head(200, body->size(), kExpositionType, false);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "l7tap: /metrics: cannot render the exposition: %s\n", e.what());
      body.reset();
      head = error_response(500);
    }
    for (uint64_t tag : ready) {
      const auto slot = static_cast<uint32_t>(tag);
      Conn& c = slots[slot];
      if (tag_of(slot, c) != tag || c.state != Conn::State::kReady) continue;
      if (body && c.gzip && !zipped) {
        zipped = std::make_shared<const std::string>(gzip(*body));
        zipped_head = response_head(200, zipped->size(), kExpositionType, true);
      }
      const bool zip = body && c.gzip && !zipped->empty();
      count_response(body ? 200 : 500);
      c.head = zip ? zipped_head : head;
      c.body = zip ? zipped : body;
      c.state = Conn::State::kSend;
      send_some(slot);
    }
    ready.clear();
  }

  void send_some(uint32_t slot) {
    Conn& c = slots[slot];
    const std::size_t head_size = c.head.size();
    const std::size_t total = head_size + (c.body ? c.body->size() : 0);
    while (c.sent < total) {
      iovec iov[2];
      int n_iov = 0;
      if (c.sent < head_size) iov[n_iov++] = {c.head.data() + c.sent, head_size - c.sent};
      if (c.body) {
        const std::size_t off = c.sent > head_size ? c.sent - head_size : 0;
        iov[n_iov++] = {const_cast<char*>(c.body->data()) + off, c.body->size() - off};
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(n_iov);
      const ssize_t n = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && transient(errno)) return watch(slot, EPOLLOUT);
      return close_conn(slot);  // the client went away mid-response
    }
    ::shutdown(c.fd, SHUT_WR);
    c.state = Conn::State::kDrain;
    std::string().swap(c.head);
    c.body.reset();
    watch(slot, EPOLLIN | EPOLLRDHUP);
    drain(slot);
  }

  void drain(uint32_t slot) {
    char buf[kReadChunk];
    for (int i = 0; i < kReadsPerEvent; ++i) {
      const ssize_t n = ::recv(slots[slot].fd, buf, sizeof buf, 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && transient(errno)) return;
      return close_conn(slot);  // the client closed: done
    }
  }

  void on_event(uint64_t tag, uint32_t events, int64_t now) {
    const auto slot = static_cast<uint32_t>(tag);
    if (slot >= slots.size() || tag_of(slot, slots[slot]) != tag) return;  // stale: slot reused
    switch (slots[slot].state) {
      case Conn::State::kHead: return read_head(slot, now);
      case Conn::State::kSend:
        if ((events & (EPOLLERR | EPOLLHUP)) != 0) return close_conn(slot);
        return send_some(slot);
      case Conn::State::kDrain: return drain(slot);
      case Conn::State::kReady:
      case Conn::State::kFree: return;
    }
  }

  void expire(int64_t now) {
    // Backwards: close_conn moves the last entry into the freed place, already looked at.
    for (std::size_t i = open.size(); i-- > 0;) {
      const uint32_t slot = open[i];
      if (slots[slot].deadline_us > now) continue;
      // A head that arrived while this thread was busy (a long render) is not the client's fault:
      // read what is there before calling it late. May answer it, or close it (moving open.back()).
      if (slots[slot].state == Conn::State::kHead) read_head(slot, now);
      const Conn& c = slots[slot];
      if (i >= open.size() || open[i] != slot || c.deadline_us > now) continue;
      if (c.state == Conn::State::kHead) counter(ctr.request_timeouts).add();
      if (c.state == Conn::State::kSend) counter(ctr.send_timeouts).add();
      close_conn(slot);
    }
    if (accept_resume_us != 0 && now >= accept_resume_us) {
      accept_resume_us = 0;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenTag;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
    }
  }

  // Until the nearest deadline, in whole milliseconds rounded up; -1 (forever) when there is none.
  int wait_ms(int64_t now) const {
    int64_t next = accept_resume_us != 0 ? accept_resume_us : INT64_MAX;
    for (uint32_t s : open) next = std::min(next, slots[s].deadline_us);
    if (next == INT64_MAX) return -1;
    if (next <= now) return 0;
    return static_cast<int>(std::min<int64_t>((next - now + 999) / 1000, INT_MAX));
  }

  void run() {
    try {
      epoll_event events[kMaxEvents];
      for (;;) {
        const int n = ::epoll_wait(epoll_fd, events, kMaxEvents, wait_ms(now_us()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          std::fprintf(stderr, "l7tap: /metrics listener stopped: epoll_wait: %s\n", std::strerror(errno));
          return;
        }
        const int64_t now = now_us();
        for (int i = 0; i < n; ++i) {
          const uint64_t tag = events[i].data.u64;
          if (tag == kWakeTag) return;
          if (tag == kListenTag) accept_some(now);
          else on_event(tag, events[i].events, now);
        }
        expire(now_us());
        serve_ready();  // also the heads expire() found complete
      }
    } catch (const std::exception& e) {  // allocation failure: stop serving, keep capturing
      std::fprintf(stderr, "l7tap: /metrics listener stopped: %s\n", e.what());
    }
  }
};

MetricsServer::MetricsServer(const std::string& listen, const MetricsServerLimits& limits,
                             MetricsServerCounters& counters, Render render)
    : impl_(std::make_unique<Impl>(limits, counters, std::move(render))) {
  Impl& m = *impl_;
  std::string reason;
  m.listen_fd = open_listener(listen, reason);
  if (m.listen_fd < 0) throw std::runtime_error(reason);
  m.port = bound_port(m.listen_fd);
  m.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  m.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m.epoll_fd < 0 || m.wake_fd < 0) throw std::runtime_error(std::string("epoll/eventfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  ::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.listen_fd, &ev);
  ev.data.u64 = kWakeTag;
  ::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.wake_fd, &ev);
  m.thread = std::thread([&m] { m.run(); });
}

MetricsServer::~MetricsServer() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(impl_->wake_fd, &one, sizeof one);
  impl_->thread.join();
}

uint16_t MetricsServer::port() const { return impl_->port; }

}  // namespace l7tap
