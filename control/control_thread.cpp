#include "control/control_thread.hpp"

#include <prometheus/text_serializer.h>

#include <chrono>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <string>

#include "control/clickhouse_sink.hpp"
#include "control/flow_log_writer.hpp"
#include "control/metrics_server.hpp"
#include "control/red_metrics.hpp"
#include "control/self_metrics.hpp"
#include "protocols/registry.hpp"

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
  std::unique_ptr<ClickHouseSink> clickhouse;  // null when flow_log.clickhouse.url is ""
  std::unique_ptr<RedMetrics> red;
  std::shared_ptr<SelfMetrics> self;
  FlowRecord record;  // reused: records are read into it one at a time
  std::atomic<uint64_t> records{0};
  // Per ProtocolId (0..protocol_count()); one writer: whichever thread drains.
  std::unique_ptr<Counter[]> records_by_protocol = std::make_unique<Counter[]>(protocol_count() + 1);
  // SIGHUP reloads, rendered with the self-metrics (writer: the drain thread).
  CounterBlock reload_counters;
  uint32_t kReloadsOk = 0, kReloadsFailed = 0, kLastReloadOk = 0;
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
          if (clickhouse) clickhouse->add(record);
          batch.observe(record);
          records_by_protocol[record.protocol <= protocol_count() ? record.protocol : 0].add();
          ++total;
        }
      }
    }
    // The ClickHouse batch goes out when full (in add) or flush_interval old: checked after every
    // pass, empty ones included, so a quiet capture still delivers its last records on time.
    if (clickhouse) clickhouse->tick();
    if (total != 0) {
      writer->flush();
      records.store(records.load(std::memory_order_relaxed) + total, std::memory_order_relaxed);
    }
    return total;
  }

  // SIGHUP: re-read the conf and apply its live keys. Runs on the drain thread, the only user of
  // the rules and caps, so they change between two batches: no record sees half of a reload. A
  // conf that does not load keeps everything as it was.
  void reload() {
    const std::string& path = inputs.config_path;
    // The message goes out before the counters move: whoever waits on a counter (a test, a script
    // polling /metrics) then finds the line that explains it already written.
    auto failed = [&](const std::string& why) {
      std::fprintf(stderr, "l7tap: reload failed, keeping the previous conf: %s\n", why.c_str());
      reload_counters[kReloadsFailed].add();
      reload_counters[kLastReloadOk].set(0);
    };
    if (path.empty()) return failed("l7tap was started without a conf file (--config)");
    try {
      Config fresh = load_config_file(path);
      inputs.overrides.apply(fresh);
      try {
        validate_config(fresh);
      } catch (const ConfigError& e) {
        throw e.in_file(path);
      }
      RedRules rules = RedRules::from_config(fresh);
      const std::vector<std::string> restart = restart_only_changes(config, fresh);
      const std::size_t n_rules = rules.service_map->size(), n_endpoint = rules.normalizer->rule_count();
      red->set_rules(std::move(rules));
      red->set_caps(fresh.max_series_per_metric, fresh.max_endpoints_per_service);
      // Workers take new names at their next housekeeping (after their current burst).
      if (inputs.trace_headers != nullptr)
        inputs.trace_headers->publish(fresh.trace_id_headers, fresh.span_id_headers, fresh.x_request_id_headers);
      config = with_live_keys(config, fresh);
      std::string not_applied;
      for (const std::string& k : restart) not_applied += (not_applied.empty() ? "" : ", ") + k;
      std::fprintf(stderr,
                   "l7tap: reloaded %s: applied service_map (%zu rules, unmatched: %s), metrics.endpoint_rules (%zu), "
                   "metrics.normalize_endpoints (%s), metrics.max_series_per_metric (%u), "
                   "metrics.max_endpoints_per_service (%u), protocols.trace_headers (%zu names); %s%s\n",
                   path.c_str(), n_rules, config.unmatched == UnmatchedServers::kDrop ? "drop" : "name", n_endpoint,
                   config.normalize_endpoints ? "true" : "false", config.max_series_per_metric,
                   config.max_endpoints_per_service,
                   config.trace_id_headers.size() + config.span_id_headers.size() + config.x_request_id_headers.size(),
                   restart.empty() ? "no other key changed" : "not applied, these need a restart: ",
                   not_applied.c_str());
      reload_counters[kReloadsOk].add();
      reload_counters[kLastReloadOk].set(1);
    } catch (const ConfigError& e) {
      failed(e.what());
    } catch (const std::exception& e) {  // e.g. out of memory compiling the rules
      failed(path + ": " + e.what());
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
  Impl& m = *impl_;
  m.kReloadsOk = m.reload_counters.declare("l7tap_config_reloads_total",
                                           "SIGHUP reloads of the conf file, by result (failed: the previous conf "
                                           "stays in force; the reason is logged).",
                                           MetricKind::kCounter, "result", {"ok", "failed"}, {true, true});
  m.kReloadsFailed = m.kReloadsOk + 1;
  m.kLastReloadOk = m.reload_counters.declare("l7tap_config_last_reload_successful",
                                              "1 when the last SIGHUP reload (or the start) loaded the conf file, "
                                              "0 when it failed.",
                                              MetricKind::kGauge, {}, {}, {true});
  m.reload_counters.seal();
  m.reload_counters[m.kLastReloadOk].set(1);
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
  // Throws naming flow_log.clickhouse.password_file or spool_dir when they cannot be used.
  if (!c.clickhouse_url.empty()) m.clickhouse = std::make_unique<ClickHouseSink>(ClickHouseOptions::from_config(c));
  // The conf was validated; RedRules can still throw ConfigError (e.g. Hyperscan running out of
  // memory for the endpoint rules) and that stops the start like a bad listener does.
  m.red = std::make_unique<RedMetrics>(RedOptions::from_config(c), RedRules::from_config(c));
  SelfMetricsSources src;
  src.workers = m.inputs.workers;
  src.globals = m.inputs.globals;
  src.globals.push_back(&m.server_counters.block);
  src.globals.push_back(&m.reload_counters);
  src.port_stats = m.inputs.port_stats;
  src.flow_log = m.writer->enabled() ? &m.writer->counters() : nullptr;
  m.self = std::make_shared<SelfMetrics>(std::move(src));

  if (!c.metrics_listen.empty()) {
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables{m.red->collectable(), m.self};
    if (m.clickhouse) collectables.push_back(m.clickhouse->collectable());
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
  if (m.clickhouse) m.clickhouse->start();
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
  // Inserts the backlog while ClickHouse takes it, spools the rest (one failed insert ends it).
  if (m.clickhouse) m.clickhouse->stop();
  // The listener stays up until destruction so the final counts can still be scraped.
}

void ControlPlane::stop_metrics() {
  // The listener wakes at once on shutdown (its own epoll loop): no scrape after this returns.
  impl_->server.reset();
}

uint16_t ControlPlane::metrics_port() const { return impl_->port; }

uint64_t ControlPlane::records_written() const {
  return impl_->records.load(std::memory_order_relaxed);
}

std::vector<uint64_t> ControlPlane::records_by_protocol() const {
  std::vector<uint64_t> out(protocol_count() + 1);
  for (std::size_t id = 0; id < out.size(); ++id) out[id] = impl_->records_by_protocol[id].get();
  return out;
}

uint64_t ControlPlane::reloads_done() const { return impl_->reload_counters[impl_->kReloadsOk].get(); }
uint64_t ControlPlane::reloads_failed() const { return impl_->reload_counters[impl_->kReloadsFailed].get(); }

}  // namespace l7tap
