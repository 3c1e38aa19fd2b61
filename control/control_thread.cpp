#include "control/control_thread.hpp"

#include <prometheus/text_serializer.h>

#include <chrono>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <string>

#include "control/flow_log_writer.hpp"
#include "control/metrics_server.hpp"
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

// The exposition of every collectable, as a scrape sees it (on the /metrics listener's thread).
std::string render_exposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    std::vector<prometheus::MetricFamily> part = c->Collect();
    families.insert(families.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
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

  MetricsServerCounters server_counters;
  // Declared last: destroyed first, so no scrape runs while the collectables go away.
  std::unique_ptr<MetricsServer> server;

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

ControlPlane::~ControlPlane() { stop(); }

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
  src.globals.push_back(&m.server_counters.block);
  src.port_stats = m.inputs.port_stats;
  src.flow_log = m.writer->enabled() ? &m.writer->counters() : nullptr;
  m.self = std::make_shared<SelfMetrics>(std::move(src));

  if (!c.metrics_listen.empty()) {
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables{m.red->collectable(), m.self};
    try {
      m.server = std::make_unique<MetricsServer>(c.metrics_listen, MetricsServerLimits::from_config(c),
                                                 m.server_counters,
                                                 [collectables] { return render_exposition(collectables); });
    } catch (const std::exception& e) {
      throw std::runtime_error("metrics.listen " + c.metrics_listen + ": " + e.what());
    }
    m.port = m.server->port();
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
  // The listener stays up until destruction so the final counts can still be scraped.
}

uint16_t ControlPlane::metrics_port() const { return impl_->port; }

uint64_t ControlPlane::records_written() const {
  return impl_->records.load(std::memory_order_relaxed);
}

uint64_t ControlPlane::reloads_done() const { return impl_->reloads_done.load(std::memory_order_relaxed); }
uint64_t ControlPlane::reloads_failed() const { return impl_->reloads_failed.load(std::memory_order_relaxed); }

}  // namespace l7tap
