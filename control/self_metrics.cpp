#include "control/self_metrics.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <utility>

namespace l7tap {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void add(MetricFamily& f, Labels labels, uint64_t value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Gauge)
    m.gauge.value = static_cast<double>(value);
  else
    m.counter.value = static_cast<double>(value);
  f.metric.push_back(std::move(m));
}

// Families that are empty (e.g. no dispatcher) are left out of the scrape.
void push(std::vector<MetricFamily>& out, MetricFamily&& f) {
  if (!f.metric.empty()) out.push_back(std::move(f));
}

}  // namespace

std::vector<ProtocolId> protocols_from_names(const std::vector<std::string>& enabled) {
  std::vector<ProtocolId> out;
  for (std::size_t i = 1; i < kProtocolCount; ++i) {
    auto p = static_cast<ProtocolId>(i);
    bool on = enabled.empty();
    for (const std::string& name : enabled) on = on || name == protocol_name(p);
    if (on) out.push_back(p);
  }
  return out;
}

SelfMetrics::SelfMetrics(SelfMetricsSources sources) : src_(std::move(sources)) {
  for (ProtocolId p : src_.always_protocols) {
    auto i = static_cast<std::size_t>(p);
    if (i < always_.size()) always_[i] = true;
  }
}

std::vector<MetricFamily> SelfMetrics::Collect() const {
  std::vector<MetricFamily> out;
  out.reserve(40);

  if (src_.port_stats) {
    const std::vector<PortStats> ports = src_.port_stats();
    auto port_family = [&](const char* name, const char* help, uint64_t PortStats::*field) {
      MetricFamily f = family(name, help, MetricType::Counter);
      for (const PortStats& p : ports) {
        std::string name;
        append_utf8_sanitized(name, p.name);
        add(f, {{"port", std::move(name)}}, p.*field);
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
  }

  // One family per WorkerStats counter, one series per worker.
  const auto& workers = src_.workers;
  auto worker_label = [](std::size_t i) { return ClientMetric::Label{"worker", std::to_string(i)}; };
  auto worker_family = [&](const char* name, const char* help, const Counter WorkerStats::*field,
                           MetricType type = MetricType::Counter) {
    MetricFamily f = family(name, help, type);
    for (std::size_t i = 0; i < workers.size(); ++i)
      add(f, {worker_label(i)}, (workers[i]->*field).get());
    push(out, std::move(f));
  };
  worker_family("l7tap_worker_packets_total", "Frames handed to the worker.", &WorkerStats::packets);
  worker_family("l7tap_worker_bytes_total", "Wire bytes of the frames handed to the worker.",
                &WorkerStats::bytes);
  {
    MetricFamily f = family("l7tap_decoded_packets_total",
                            "Frames by L2-L4 decode outcome (ok, or why they were skipped).",
                            MetricType::Counter);
    for (std::size_t i = 0; i < workers.size(); ++i)
      for (std::size_t s = 0; s < kDecodeStatusCount; ++s)
        add(f, {worker_label(i), {"status", decode_status_name(static_cast<DecodeStatus>(s))}},
            workers[i]->decode[s].get());
    push(out, std::move(f));
  }
  worker_family("l7tap_flows_active", "Flows in the worker's flow table.", &WorkerStats::active_flows,
                MetricType::Gauge);
  worker_family("l7tap_flows_created_total", "Flows created.", &WorkerStats::flows_created);
  {
    MetricFamily f = family("l7tap_flows_ended_total", "Flows ended, by reason.", MetricType::Counter);
    for (std::size_t i = 0; i < workers.size(); ++i) {
      add(f, {worker_label(i), {"reason", "idle"}}, workers[i]->flows_ended_idle.get());
      add(f, {worker_label(i), {"reason", "closed"}}, workers[i]->flows_ended_closed.get());
    }
    push(out, std::move(f));
  }
  worker_family("l7tap_flow_evictions_total",
                "Flows evicted (least recently used) because the flow table was full.",
                &WorkerStats::flow_evictions);
  worker_family("l7tap_flow_insert_failures_total", "Flows that could not be inserted.",
                &WorkerStats::flow_insert_failures);
  worker_family("l7tap_reassembly_gaps_total", "TCP reassembly gaps (bytes never seen).",
                &WorkerStats::reassembly_gaps);
  worker_family("l7tap_reassembly_gap_bytes_total", "Bytes lost in TCP reassembly gaps.",
                &WorkerStats::reassembly_gap_bytes);
  worker_family("l7tap_reassembly_out_of_order_total", "TCP segments received out of order.",
                &WorkerStats::reassembly_out_of_order);
  worker_family("l7tap_reassembly_retransmissions_total", "TCP segments already seen (retransmitted).",
                &WorkerStats::reassembly_retransmissions);
  worker_family("l7tap_records_emitted_total", "Flow records the worker produced.",
                &WorkerStats::records_emitted);
  worker_family("l7tap_record_ring_drops_total",
                "Flow records dropped because the worker-to-control ring was full.",
                &WorkerStats::record_ring_drops);
  worker_family("l7tap_pending_overflow_total",
                "Requests dropped from a flow's pending list (per-flow cap reached).",
                &WorkerStats::pending_overflow);
  worker_family("l7tap_detection_failures_total", "Flows whose protocol could not be identified.",
                &WorkerStats::detection_failures);
  worker_family("l7tap_buffered_bytes",
                "Bytes the worker's flows hold in parser and out-of-order buffers (flows.max_buffered_total).",
                &WorkerStats::buffered_bytes, MetricType::Gauge);
  worker_family("l7tap_buffer_budget_refusals_total",
                "Buffers refused because the worker's flows.max_buffered_total was spent (that flow lost them).",
                &WorkerStats::buffer_budget_refusals);

  using ProtoArray = std::array<Counter, kProtocolCount>;
  auto protocol_family = [&](const char* name, const char* help, const ProtoArray WorkerStats::*field) {
    MetricFamily f = family(name, help, MetricType::Counter);
    for (std::size_t i = 0; i < workers.size(); ++i)
      for (std::size_t p = 0; p < kProtocolCount; ++p) {
        const uint64_t v = (workers[i]->*field)[p].get();
        if (v == 0 && !always_[p]) continue;
        add(f, {worker_label(i), {"protocol", std::string(protocol_name(static_cast<ProtocolId>(p)))}},
            v);
      }
    push(out, std::move(f));
  };
  protocol_family("l7tap_protocol_flows_total", "Flows identified, by protocol.",
                  &WorkerStats::protocol_flows);
  protocol_family("l7tap_parse_errors_total", "Streams a protocol parser gave up on, by protocol.",
                  &WorkerStats::parse_errors);
  protocol_family("l7tap_parsed_messages_total", "Messages parsed, by protocol.", &WorkerStats::messages);

  if (src_.dispatcher != nullptr) {
    MetricFamily f = family("l7tap_dispatcher_packets_total", "Frames the dispatcher distributed.",
                            MetricType::Counter);
    add(f, {}, src_.dispatcher->packets.get());
    push(out, std::move(f));
    MetricFamily d = family("l7tap_dispatcher_ring_drops_total",
                            "Frames dropped because a worker's input ring was full.",
                            MetricType::Counter);
    add(d, {}, src_.dispatcher->ring_drops.get());
    push(out, std::move(d));
  }

  if (src_.flow_log != nullptr) {
    auto log_family = [&](const char* name, const char* help, const Counter& c) {
      MetricFamily f = family(name, help, MetricType::Counter);
      add(f, {}, c.get());
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
