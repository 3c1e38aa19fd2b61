// The control-plane thread: drains every worker's record ring, writes the flow log, aggregates RED
// metrics, and serves /metrics (control/metrics_server.hpp, with self-metrics read from the workers'
// counters and the ports' rte_eth_stats at scrape time).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control/config.hpp"
#include "control/record_ring.hpp"
#include "control/self_metrics.hpp"
#include "protocols/core/counters.hpp"
#include "protocols/core/live_trace_headers.hpp"

namespace l7tap {

struct ControlInputs {
  std::vector<RecordRing*> rings;                 // one per worker
  std::vector<const CounterBlock*> workers;       // same order as rings (label worker="<index>")
  std::vector<const CounterBlock*> globals;       // e.g. the dispatcher's (no worker label)
  PortStatsFn port_stats;                         // empty in offline mode
  // SIGHUP reload: when *reload_requested is true the drain thread clears it, re-reads config_path
  // (with `overrides` applied, as at start) and, if the file is valid, applies the keys that can
  // change live (kLiveKeys: service map, endpoint rules, cardinality caps; RED counters are kept)
  // and names the changed keys that need a restart. A bad file keeps the whole previous conf. Both
  // counted in l7tap_config_reloads_total{result}. config_path and reload_requested are optional.
  std::string config_path;
  ConfigOverrides overrides;
  // Where a reload publishes protocols.trace_headers to the workers' parsers (null: no parsers).
  LiveTraceHeaders* trace_headers = nullptr;
  std::atomic<bool>* reload_requested = nullptr;
};

class ControlPlane {
 public:
  ControlPlane(const Config& config, ControlInputs inputs);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Opens the flow log and the metrics listener (throws std::runtime_error with a clear message
  // when e.g. the port is taken or the file cannot be opened), then starts the drain thread.
  void start();
  // Drains every ring until empty, flushes the flow log and stops the thread. Idempotent.
  // Call after the workers have stopped producing.
  void stop();
  // Stops serving /metrics: no scrape runs once it returns. Live mode calls it before closing the
  // ports the port-stats collector reads. Idempotent (the destructor does it last).
  void stop_metrics();
  // The port the /metrics listener is bound to (0 when off); useful with "127.0.0.1:0".
  uint16_t metrics_port() const;

  uint64_t records_written() const;
  // Records written so far per protocol, indexed by ProtocolId (0 = unknown; size
  // protocol_count() + 1): offline mode's end-of-run summary.
  std::vector<uint64_t> records_by_protocol() const;
  // Reloads that succeeded / failed (see ControlInputs::reload_requested).
  uint64_t reloads_done() const;
  uint64_t reloads_failed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace l7tap
