// l7tap's own health metrics, built at scrape time from the counters the workers, the dispatcher,
// the ports and the flow-log writer publish (nothing is copied on the hot path). Worker and
// dispatcher counters arrive as CounterBlocks (protocols/core/counters.hpp): their families are
// declared where they are counted, and rendered here without knowing what they mean.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "control/flow_log_writer.hpp"
#include "protocols/core/counters.hpp"

namespace l7tap {

// rte_eth_stats of one port, sampled by the control thread at scrape time.
struct PortStats {
  std::string name;
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_missed = 0;   // imissed: dropped by the NIC (no descriptors)
  uint64_t rx_errors = 0;   // ierrors
  uint64_t rx_nombuf = 0;   // mbuf allocation failures
  // net_af_packet with qpairs > 1: packets the kernel's fanout rolled over to another queue (and so
  // to another worker) because theirs was full; such flows are split between workers.
  uint64_t rx_rollover = 0;
  bool has_rollover = false;
};
using PortStatsFn = std::function<std::vector<PortStats>()>;

struct SelfMetricsSources {
  // One block per worker, all declaring the same families: series get worker="<index>".
  std::vector<const CounterBlock*> workers;
  // Blocks without a worker label (the dispatcher's).
  std::vector<const CounterBlock*> globals;
  PortStatsFn port_stats;                     // empty: no port series; called at scrape time
  const FlowLogCounters* flow_log = nullptr;  // null: no flow-log series
};

class SelfMetrics : public prometheus::Collectable {
 public:
  explicit SelfMetrics(SelfMetricsSources sources);
  // Thread-safe: reads atomics only (and calls port_stats).
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SelfMetricsSources src_;
};

}  // namespace l7tap
