#include "dataplane/app/pipeline_setup.hpp"

#include "protocols/registry.hpp"

namespace l7tap {

PipelineSetup::PipelineSetup(const Config& c) {
  if (c.enabled_protocols.empty()) {
    for (const ProtocolDescriptor* d : all_protocols()) protocols_.push_back(d);
  } else {
    for (std::size_t i = 0; i < c.enabled_protocols.size(); ++i) {
      const ProtocolDescriptor* d = find_protocol(c.enabled_protocols[i]);
      if (d == nullptr)
        throw ConfigError("protocols.enabled[" + std::to_string(i) + "]",
                          "protocol \"" + c.enabled_protocols[i] + "\" is not implemented in this build");
      protocols_.push_back(d);
    }
  }
  sigs_ = std::make_unique<SignatureDatabase>(protocols_);
  for (const ProtocolDescriptor* d : protocols_) {
    auto it = c.port_hints.find(std::string(d->name));
    if (it != c.port_hints.end()) {
      for (uint16_t port : it->second) port_hints_.emplace_back(port, d);
    } else {
      for (uint16_t port : d->default_ports) port_hints_.emplace_back(port, d);
    }
  }
  // One reader per worker (offline runs worker 0 only); SIGHUP publishes new names to them.
  trace_headers_ = std::make_unique<LiveTraceHeaders>(c.workers, c.trace_id_headers, c.span_id_headers,
                                                      c.x_request_id_headers);

  FlowProcessorConfig& p = processor_;
  p.flow_capacity = c.flow_capacity;
  p.flow_idle_timeout_us = c.flow_idle_timeout_us;
  p.no_payload_timeout_us = c.no_payload_timeout_us;
  p.tcp_close_timeout_us = c.tcp_close_timeout_us;
  p.max_out_of_order_bytes = c.max_out_of_order_bytes;
  p.request_timeout_us = c.request_timeout_us;
  p.max_pending_per_flow = c.max_pending_per_flow;
  p.max_buffered_total = c.max_buffered_total;
  p.parser.max_buffered = c.max_buffered_bytes;
  p.parser.max_pending = c.max_pending_per_flow;
  p.live_trace_headers = trace_headers_.get();
  for (const auto& [name, bytes] : c.max_message_sizes)
    if (const ProtocolDescriptor* d = find_protocol(name)) max_message_.push_back({d->name, bytes});
  p.parser.max_message = max_message_;
  p.hash_seed = random_hash_seed();  // one for all workers and the dispatcher
}

std::vector<ProtocolId> PipelineSetup::protocol_ids() const {
  std::vector<ProtocolId> ids;
  for (const ProtocolDescriptor* d : protocols_) ids.push_back(protocol_id(d));
  return ids;
}

}  // namespace l7tap
