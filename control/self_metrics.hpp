// l7tap's own health metrics, built at scrape time from the counters the workers, the dispatcher,
// the ports and the flow-log writer publish (nothing is copied on the hot path).
//
// Per-protocol series (l7tap_protocol_flows_total, l7tap_parse_errors_total,
// l7tap_parsed_messages_total) are emitted for the protocols listed in `always_protocols` (the
// enabled ones), plus any other protocol whose value is non-zero.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "control/flow_log_writer.hpp"
#include "control/stats.hpp"

namespace l7tap {

struct SelfMetricsSources {
  std::vector<const WorkerStats*> workers;      // label worker="<index>"
  const DispatcherStats* dispatcher = nullptr;  // null: no dispatcher series
  PortStatsFn port_stats;                       // empty: no port series; called at scrape time
  const FlowLogCounters* flow_log = nullptr;    // null: no flow-log series
  std::vector<ProtocolId> always_protocols;
};

// The protocols named in a protocols.enabled list; every known protocol when the list is empty.
// Unknown names are ignored here (the conf loader rejects them).
std::vector<ProtocolId> protocols_from_names(const std::vector<std::string>& enabled);

class SelfMetrics : public prometheus::Collectable {
 public:
  explicit SelfMetrics(SelfMetricsSources sources);
  // Thread-safe: reads atomics only (and calls port_stats).
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SelfMetricsSources src_;
  std::array<bool, kProtocolCount> always_{};
};

}  // namespace l7tap
