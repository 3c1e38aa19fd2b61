#include "dataplane/worker_stats.hpp"

#include <stdexcept>
#include <string>

#include "protocols/registry.hpp"

namespace l7tap {

namespace {

// The declaration order is the Id order: a mismatch is a programming error caught at start.
void at(uint32_t got, uint32_t want) {
  if (got != want) throw std::logic_error("worker counters declared out of order");
}

std::vector<std::string> decode_names() {
  std::vector<std::string> v;
  for (std::size_t s = 0; s < kDecodeStatusCount; ++s) v.emplace_back(decode_status_name(static_cast<DecodeStatus>(s)));
  return v;
}

}  // namespace

WorkerStats::WorkerStats(const std::vector<ProtocolId>& enabled) {
  using K = MetricKind;
  CounterBlock& b = block_;
  at(b.declare("l7tap_worker_packets_total", "Frames handed to the worker."), kPackets);
  at(b.declare("l7tap_worker_bytes_total", "Wire bytes of the frames handed to the worker."), kBytes);
  at(b.declare("l7tap_decoded_packets_total", "Frames by L2-L4 decode outcome (ok, or why they were skipped).",
               K::kCounter, "status", decode_names()),
     kDecode);
  at(b.declare("l7tap_flows_active", "Flows in the worker's flow table.", K::kGauge), kActiveFlows);
  at(b.declare("l7tap_flows_created_total", "Flows created."), kFlowsCreated);
  at(b.declare("l7tap_flows_ended_total", "Flows ended, by reason.", K::kCounter, "reason", {"idle", "closed"}),
     kEndedIdle);
  at(b.declare("l7tap_flow_evictions_total",
               "Flows ended early (least recently active first) because the flow table was full."),
     kEvictions);
  at(b.declare("l7tap_flow_insert_failures_total",
               "Flows not tracked because the flow table's index had no room for them."),
     kInsertFailures);
  at(b.declare("l7tap_reassembly_gaps_total", "TCP reassembly gaps (bytes never seen)."), kGaps);
  at(b.declare("l7tap_reassembly_gap_bytes_total", "Bytes lost in TCP reassembly gaps."), kGapBytes);
  at(b.declare("l7tap_reassembly_out_of_order_total", "TCP segments received out of order."), kOutOfOrder);
  at(b.declare("l7tap_reassembly_retransmissions_total", "TCP segments already seen (retransmitted)."),
     kRetransmissions);
  at(b.declare("l7tap_reassembly_out_of_window_total",
               "TCP segments further ahead than the peer's window allows (forged or garbage): dropped."),
     kOutOfWindow);
  at(b.declare("l7tap_reassembly_unconfirmed_drops_total",
               "Out-of-order TCP segments dropped because the holding area was full and the peer had not "
               "acknowledged past the hole before them."),
     kUnconfirmedDrops);
  at(b.declare("l7tap_records_emitted_total", "Flow records the worker produced."), kRecordsEmitted);
  at(b.declare("l7tap_record_ring_drops_total", "Flow records dropped because the worker-to-control ring was full."),
     kRingDrops);
  at(b.declare("l7tap_pending_overflow_total",
               "Requests logged early, unanswered, because a flow's pending list, the pending pool or the "
               "buffer budget was full."),
     kPendingOverflow);
  at(b.declare("l7tap_detection_failures_total", "Flows whose protocol could not be identified."),
     kDetectionFailures);
  at(b.declare("l7tap_buffered_bytes",
               "Bytes of the worker's buffer pool in use by flows: parser state and tails, detection bytes, "
               "held out-of-order data, pending requests.",
               K::kGauge),
     kBufferedBytes);
  at(b.declare("l7tap_buffer_pool_bytes",
               "Bytes the worker's buffer pool holds (blocks in use and cached; 2 MiB slabs counted "
               "whole); bounded by flows.max_buffered_total.",
               K::kGauge),
     kPoolBytes);
  at(b.declare("l7tap_buffer_budget_refusals_total",
               "Buffers refused because the worker's flows.max_buffered_total was spent (that flow lost them)."),
     kBudgetRefusals);
  at(b.declare("l7tap_bypassed_packets_total",
               "Packets of bypassed flows (protocol unknown or parser gave up): counted and skipped."),
     kBypassedPackets);
  at(b.declare("l7tap_bypassed_bytes_total", "Payload bytes of the packets of bypassed flows."), kBypassedBytes);
  at(b.declare("l7tap_oversize_frames_total",
               "Frames longer than 65,600 bytes (chained mbufs, e.g. from LRO or a jumbo-frame capture): "
               "dropped."),
     kOversizeFrames);
  at(b.declare("l7tap_flows_bypassed_total", "Flows bypassed, by reason.", K::kCounter, "reason",
               {"detection_failed", "parser_gave_up", "no_parser", "no_memory"}),
     kBypassed);

  // Per protocol, indexed by ProtocolId (0 = unknown, never shown unless non-zero).
  std::vector<std::string> names;
  std::vector<bool> always;
  for (std::size_t id = 0; id <= protocol_count(); ++id) {
    names.emplace_back(protocol_name(static_cast<ProtocolId>(id)));
    bool on = id != 0 && enabled.empty();
    for (ProtocolId e : enabled) on = on || e == id;
    always.push_back(on);
  }
  protocol_flows_ = b.declare("l7tap_protocol_flows_total", "Flows identified, by protocol.", K::kCounter, "protocol",
                              names, always);
  parse_errors_ = b.declare("l7tap_parse_errors_total", "Framing errors and lost tails a parser resynchronised after, by protocol.",
                            K::kCounter, "protocol", names, always);
  messages_ = b.declare("l7tap_parsed_messages_total", "Messages parsed, by protocol.", K::kCounter, "protocol",
                        names, always);
  skipped_bytes_ = b.declare("l7tap_parser_skipped_bytes_total",
                             "Bytes of messages too large to buffer that were skipped without being parsed (their "
                             "fields come from the buffered prefix), by protocol.",
                             K::kCounter, "protocol", names, always);
  resyncs_ = b.declare("l7tap_parser_resyncs_total",
                       "Declared message lengths refused and the stream resynchronised: beyond "
                       "protocols.max_message_size, or contradicted by whole frames at the start of the next "
                       "segment while skipping or awaiting the rest of the message, by protocol.",
                       K::kCounter, "protocol", names, always);
  oversize_ = b.declare("l7tap_parser_oversize_total",
                        "Declared message lengths beyond protocols.max_message_size, treated as garbage (each is "
                        "also a resync), by protocol.",
                        K::kCounter, "protocol", names, always);
  b.seal();
}

DispatcherStats::DispatcherStats() {
  at(block_.declare("l7tap_dispatcher_packets_total", "Frames the dispatcher distributed."), kPackets);
  at(block_.declare("l7tap_dispatcher_ring_drops_total", "Frames dropped because a worker's input ring was full."),
     kRingDrops);
  block_.seal();
}

}  // namespace l7tap
