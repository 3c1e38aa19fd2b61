// The /metrics HTTP listener: one thread, one epoll loop, every socket non-blocking.
//
// Why not civetweb (through prometheus::Exposer), which served /metrics before: civetweb gives
// each connection a worker thread for its whole life, from accept to close. A client that
// connects and sends nothing, or sends its head a byte at a time (slowloris), holds a thread until
// request_timeout_ms; with more such clients than threads every scrape waits in civetweb's queue
// behind them. Measured with civetweb 1.15 (Debian) and 2 idle + 50 slowloris clients: 2 threads,
// 30 s timeout: a scrape took 297 s; 8 threads, 2 s timeout: 12 s; 32 threads: up to 2 s — and
// an attacker needs only more connections than threads. civetweb has no connection cap (extra
// connections wait in its queue and the listen backlog), and mg_stop waits for its listener
// thread's 2 s poll quantum (SOCKET_TIMEOUT_QUANTUM), so a SIGTERM took 1-2 s.
//
// Here a waiting client costs a socket and the bytes of its unfinished request head, never a
// scrape's turn: heads are read as they arrive, a complete "GET /metrics" is answered at once.
// Every limit comes from the conf (metrics.*) and every limit hit is counted in counters().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "control/config.hpp"
#include "protocols/core/counters.hpp"

namespace l7tap {

struct MetricsServerLimits {
  uint32_t max_connections = 128;         // open at once; see MetricsServer
  uint64_t request_timeout_us = 5'000'000;   // accept → end of the request head
  uint64_t send_timeout_us = 30'000'000;     // end of head → response sent and the client gone
  uint32_t max_request_bytes = 8192;         // request line and headers

  static MetricsServerLimits from_config(const Config& c);
};

// The listener's l7tap_metrics_* families (no worker label; for SelfMetricsSources::globals).
// Owned by the caller so that they can be registered before the listener serves anything.
struct MetricsServerCounters {
  MetricsServerCounters();
  CounterBlock block;
  // Indexes into block; `responses` + i counts kResponseCodes[i].
  uint32_t connections = 0, open = 0, evicted = 0, refused = 0, responses = 0, request_timeouts = 0,
           send_timeouts = 0, incomplete = 0, accept_errors = 0;
  static constexpr int kResponseCodes[] = {200, 400, 404, 405, 431, 500};
};

class MetricsServer {
 public:
  // Renders the exposition text. Called on the server's thread, once for every batch of scrapes
  // whose heads completed together (they share the one text).
  using Render = std::function<std::string()>;

  // Binds `listen` ("host:port", "[v6addr]:port"; port 0 = any free port) and starts the thread.
  // Throws std::runtime_error with the reason (not a port number, cannot resolve, cannot bind).
  // `counters` must outlive the server.
  MetricsServer(const std::string& listen, const MetricsServerLimits& limits, MetricsServerCounters& counters,
                Render render);
  // Closes the listener and every connection; returns as soon as the thread has seen the stop
  // (an eventfd in its epoll set: no polling interval to wait out).
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace l7tap
