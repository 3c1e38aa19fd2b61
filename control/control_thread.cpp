#include "control/control_thread.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "control/flow_log_writer.hpp"
#include "control/red_metrics.hpp"
#include "control/self_metrics.hpp"

namespace l7tap {

namespace {

// Records popped from one ring per pass; passes alternate between rings so none starves. A pass
// is also what a scrape may wait for (RED's lock is held for it): 256 records take ~0.1 ms.
constexpr std::size_t kBatch = 256;
// Sleep when every ring was empty: workers batch their records, so 200 µs adds little latency
// and keeps an idle control thread off the CPU.
constexpr auto kIdleSleep = std::chrono::microseconds(200);

// civetweb reports any listener failure as "null context ... Possible problem binding to port"
// (the real reason only goes to its log). Read the value the way civetweb does ("[HOST:]PORT")
// and try the bind ourselves, so a taken port or an unknown host gets a clear reason. Returns ""
// when the listener should start. The conf loader has already checked the syntax.
std::string probe_listen(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  const std::string host = colon == std::string::npos ? std::string() : listen.substr(0, colon);
  const std::string port_text = colon == std::string::npos ? listen : listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos || std::stoul(port_text) > 65535)
    return "'" + port_text + "' is not a port number";
  const auto port = static_cast<uint16_t>(std::stoul(port_text));
  if (port == 0) return {};                                  // any free port: nothing to check
  if (!host.empty() && host.front() == '[') return {};       // IPv6: left to civetweb

  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (host.empty()) {
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || res == nullptr)
      return "cannot resolve '" + host + "': " + (rc != 0 ? gai_strerror(rc) : "no address");
    sa.sin_addr = reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr;
    ::freeaddrinfo(res);
  }

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as civetweb does
  std::string reason;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    reason = std::string("cannot bind: ") + std::strerror(errno);
  ::close(fd);
  return reason;
}

// civetweb's listener thread polls its sockets 2 s at a time and only then sees that it should
// stop, so stopping the exposer took up to 2 s. While the stop runs, connecting (and closing at
// once) wakes the poll; a connection that is still accepted sees end of file and is closed. IPv4
// listeners only (another host's address or IPv6 just stops the slow way).
void wake_listener_until(const std::string& listen, uint16_t port, const std::atomic<bool>& done) {
  const std::size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? std::string() : listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (port == 0 || inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) return;
  while (!done.load(std::memory_order_acquire)) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

struct ControlPlane::Impl {
  Config config;
  ControlInputs inputs;

  std::unique_ptr<FlowLogWriter> writer;
  std::unique_ptr<RedMetrics> red;
  std::shared_ptr<SelfMetrics> self;
  FlowRecord record;  // reused: records are read into it one at a time
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> reloads_done{0}, reloads_failed{0};
  uint16_t port = 0;

  std::thread thread;
  std::atomic<bool> stop_requested{false};
  bool started = false;
  bool stopped = false;

  // Declared last: destroyed first, so no scrape runs while the collectables go away.
  std::unique_ptr<prometheus::Exposer> exposer;

  // One pass over every ring: up to kBatch records from each, each formatted straight into the
  // flow-log writer's buffer and counted into RED in place (the record the ring pop filled is the
  // only copy). RED's lock is taken once for the pass, the writer flushed once after it.
  std::size_t drain_pass() {
    std::size_t total = 0;
    {
      RedMetrics::Batch batch(*red);
      for (RecordRing* ring : inputs.rings) {
        for (std::size_t n = 0; n < kBatch && ring->pop(record); ++n) {
          writer->append(record);
          batch.observe(record);
          ++total;
        }
      }
    }
    if (total != 0) {
      writer->flush();
      records.store(records.load(std::memory_order_relaxed) + total, std::memory_order_relaxed);
    }
    return total;
  }

  // SIGHUP: re-read the conf and swap in its service map and endpoint rules. Runs on the drain
  // thread, the only user of the rules, so no lock is needed; records keep queueing in the rings.
  void reload() {
    const std::string& path = inputs.config_path;
    if (path.empty()) {
      std::fprintf(stderr, "l7tap: reload requested, but l7tap was started without a conf file\n");
      reloads_failed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    try {
      const Config fresh = load_config_file(path);
      RedRules rules = RedRules::from_config(fresh);
      const std::size_t n_rules = rules.service_map->size(), n_endpoint = rules.normalizer->rule_count();
      red->set_rules(std::move(rules));
      reloads_done.fetch_add(1, std::memory_order_relaxed);
      std::fprintf(stderr,
                   "l7tap: reloaded %s: %zu service map rules, %zu endpoint rules (other keys need a restart)\n",
                   path.c_str(), n_rules, n_endpoint);
    } catch (const ConfigError& e) {
      reloads_failed.fetch_add(1, std::memory_order_relaxed);
      std::fprintf(stderr, "l7tap: reload of %s failed, keeping the previous rules: %s\n", path.c_str(), e.what());
    }
  }

  void run() {
    try {
      while (!stop_requested.load(std::memory_order_acquire)) {
        if (inputs.reload_requested != nullptr && inputs.reload_requested->exchange(false, std::memory_order_acq_rel))
          reload();
        if (drain_pass() == 0) std::this_thread::sleep_for(kIdleSleep);
      }
    } catch (const std::exception& e) {
      // Only allocation failure can get here; stop() drains what is left on its own thread.
      std::fprintf(stderr, "l7tap: control thread stopped: %s\n", e.what());
    }
  }
};

ControlPlane::ControlPlane(const Config& config, ControlInputs inputs) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->inputs = std::move(inputs);
}

ControlPlane::~ControlPlane() {
  stop();
  stop_metrics();
}

void ControlPlane::start() {
  Impl& m = *impl_;
  if (m.started) return;
  const Config& c = m.config;

  m.writer = std::make_unique<FlowLogWriter>(c.flow_log_path, c.flow_log_max_bytes, c.flow_log_max_files);
  // The conf was validated; RedRules can still throw ConfigError (e.g. Hyperscan running out of
  // memory for the endpoint rules) and that stops the start like a bad listener does.
  m.red = std::make_unique<RedMetrics>(RedOptions::from_config(c), RedRules::from_config(c));
  SelfMetricsSources src;
  src.workers = m.inputs.workers;
  src.globals = m.inputs.globals;
  src.port_stats = m.inputs.port_stats;
  src.flow_log = m.writer->enabled() ? &m.writer->counters() : nullptr;
  m.self = std::make_shared<SelfMetrics>(std::move(src));

  if (!c.metrics_listen.empty()) {
    const std::string where = "metrics.listen " + c.metrics_listen + ": ";
    if (std::string reason = probe_listen(c.metrics_listen); !reason.empty())
      throw std::runtime_error(where + reason);
    try {
      m.exposer = std::make_unique<prometheus::Exposer>(c.metrics_listen, 2);
    } catch (const std::exception& e) {
      std::string reason = e.what();
      if (c.metrics_listen.front() == '[')
        reason += " (this civetweb build may not support IPv6 listen addresses; use an IPv4 one)";
      throw std::runtime_error(where + reason);
    }
    const std::vector<int> ports = m.exposer->GetListeningPorts();
    m.port = ports.empty() ? 0 : static_cast<uint16_t>(ports.front());
    m.exposer->RegisterCollectable(m.red->collectable());
    m.exposer->RegisterCollectable(m.self);
  }

  m.started = true;
  m.thread = std::thread([&m] { m.run(); });
}

void ControlPlane::stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  m.stop_requested.store(true, std::memory_order_release);
  if (m.thread.joinable()) m.thread.join();
  // The drain thread is gone: this thread is now the rings' only consumer.
  while (m.drain_pass() != 0) {
  }
  m.writer->close();
  // The exposer stays up until destruction so the final counts can still be scraped.
}

void ControlPlane::stop_metrics() {
  Impl& m = *impl_;
  if (!m.exposer) return;
  std::atomic<bool> done{false};
  std::thread waker([&] { wake_listener_until(m.config.metrics_listen, m.port, done); });
  m.exposer.reset();
  done.store(true, std::memory_order_release);
  waker.join();
}

uint16_t ControlPlane::metrics_port() const { return impl_->port; }

uint64_t ControlPlane::records_written() const {
  return impl_->records.load(std::memory_order_relaxed);
}

uint64_t ControlPlane::reloads_done() const { return impl_->reloads_done.load(std::memory_order_relaxed); }
uint64_t ControlPlane::reloads_failed() const { return impl_->reloads_failed.load(std::memory_order_relaxed); }

}  // namespace l7tap
