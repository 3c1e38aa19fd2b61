#include "control/self_metrics.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <algorithm>
#include <utility>

#include "control/metric_family.hpp"

namespace l7tap {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Families that are empty (e.g. no dispatcher) are left out of the scrape.
void push(std::vector<MetricFamily>& out, MetricFamily&& f) {
  if (!f.metric.empty()) out.push_back(std::move(f));
}

}  // namespace

SelfMetrics::SelfMetrics(SelfMetricsSources sources) : src_(std::move(sources)) {}

namespace {

// Appends the series of `block`'s families to `out` (one MetricFamily per family; `extra` is the
// worker label, or empty). Families already in `out` under the same name get the series added.
void render(const CounterBlock& block, const ClientMetric::Label* extra, std::vector<MetricFamily>& out,
            std::size_t first_family) {
  const auto& fams = block.families();
  for (std::size_t fi = 0; fi < fams.size(); ++fi) {
    const CounterFamily& cf = fams[fi];
    MetricFamily* f = nullptr;
    for (std::size_t i = first_family; i < out.size() && f == nullptr; ++i)
      if (out[i].name == cf.name) f = &out[i];
    if (f == nullptr) {
      out.push_back(make_family(cf.name.c_str(), cf.help.c_str(),
                           cf.kind == MetricKind::kGauge ? MetricType::Gauge : MetricType::Counter));
      f = &out.back();
    }
    for (std::size_t v = 0; v < cf.values.size(); ++v) {
      const uint64_t value = block[cf.first + static_cast<uint32_t>(v)].get();
      if (value == 0 && !cf.always[v]) continue;
      Labels labels;
      if (extra != nullptr) labels.push_back(*extra);
      if (!cf.label.empty()) labels.push_back({cf.label, cf.values[v]});
      add_sample(*f, std::move(labels), value);
    }
  }
}

}  // namespace

std::vector<MetricFamily> SelfMetrics::Collect() const {
  std::vector<MetricFamily> out;
  out.reserve(64);

  if (src_.port_stats) {
    const std::vector<PortStats> ports = src_.port_stats();
    auto port_family = [&](const char* name, const char* help, uint64_t PortStats::*field) {
      MetricFamily f = make_family(name, help, MetricType::Counter);
      for (const PortStats& p : ports) {
        std::string name;
        append_utf8_sanitized(name, p.name);
        add_sample(f, {{"port", std::move(name)}}, p.*field);
      }
      push(out, std::move(f));
    };
    port_family("l7tap_port_rx_packets_total", "Packets received by the port.", &PortStats::rx_packets);
    port_family("l7tap_port_rx_bytes_total", "Bytes received by the port.", &PortStats::rx_bytes);
    port_family("l7tap_port_rx_missed_total",
                "Packets dropped by the NIC because no receive descriptor was free (imissed).",
                &PortStats::rx_missed);
    port_family("l7tap_port_rx_errors_total", "Erroneous packets received (ierrors).",
                &PortStats::rx_errors);
    port_family("l7tap_port_rx_nombuf_total", "Receive mbuf allocation failures.",
                &PortStats::rx_nombuf);
    MetricFamily roll = make_family("l7tap_port_rx_rollover_total",
                               "net_af_packet fanout: packets the kernel moved to another queue (another worker) "
                               "because their own queue was full.",
                               MetricType::Counter);
    for (const PortStats& p : ports) {
      if (!p.has_rollover) continue;
      std::string name;
      append_utf8_sanitized(name, p.name);
      add_sample(roll, {{"port", std::move(name)}}, p.rx_rollover);
    }
    push(out, std::move(roll));
  }

  // Worker blocks declare the same families: one family, one series per worker (and label value).
  const std::size_t first = out.size();
  for (std::size_t i = 0; i < src_.workers.size(); ++i) {
    const ClientMetric::Label worker{"worker", std::to_string(i)};
    render(*src_.workers[i], &worker, out, first);
  }
  for (const CounterBlock* g : src_.globals) render(*g, nullptr, out, out.size());
  // Families left without series (all zero and optional) are not exposed.
  out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                           [](const MetricFamily& f) { return f.metric.empty(); }),
            out.end());

  if (src_.flow_log != nullptr) {
    auto log_family = [&](const char* name, const char* help, const Counter& c) {
      MetricFamily f = make_family(name, help, MetricType::Counter);
      add_sample(f, {}, c.get());
      push(out, std::move(f));
    };
    const FlowLogCounters& c = *src_.flow_log;
    log_family("l7tap_flow_log_lines_total", "Flow log lines written.", c.lines);
    log_family("l7tap_flow_log_bytes_total", "Flow log bytes written.", c.bytes);
    log_family("l7tap_flow_log_rotations_total", "Flow log file rotations.", c.rotations);
    log_family("l7tap_flow_log_write_errors_total", "Failed flow log writes, renames or opens.",
               c.write_errors);
    log_family("l7tap_flow_log_lines_lost_total", "Flow log lines lost to write errors.",
               c.lines_lost);
  }
  return out;
}

}  // namespace l7tap
