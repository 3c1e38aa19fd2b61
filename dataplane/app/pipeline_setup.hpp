// Turns the conf into what every worker's FlowProcessor needs: the enabled protocols, their
// compiled signatures, port hints, parser options and the flow-hash seed every worker and the
// dispatcher share. Built once, shared read-only by workers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/config.hpp"
#include "dataplane/flow_processor.hpp"

namespace l7tap {

class PipelineSetup {
 public:
  // Throws ConfigError for an unknown protocol name, std::runtime_error for a bad signature.
  explicit PipelineSetup(const Config& config);

  const SignatureDatabase& signatures() const { return *sigs_; }
  const std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>& port_hints() const { return port_hints_; }
  // The enabled protocols' ids (their per-protocol counters are always shown).
  std::vector<ProtocolId> protocol_ids() const;
  const FlowProcessorConfig& processor_config() const { return processor_; }
  const std::vector<const ProtocolDescriptor*>& protocols() const { return protocols_; }
  // The trace header names the workers parse with, for the control thread's reload.
  LiveTraceHeaders& trace_headers() const { return *trace_headers_; }

 private:
  std::vector<const ProtocolDescriptor*> protocols_;
  std::unique_ptr<SignatureDatabase> sigs_;
  std::vector<std::pair<uint16_t, const ProtocolDescriptor*>> port_hints_;
  std::unique_ptr<LiveTraceHeaders> trace_headers_;
  std::vector<MessageSizeLimit> max_message_;  // names point into the registry's descriptors
  FlowProcessorConfig processor_;
};

}  // namespace l7tap
