// A worker's counters, declared here with the code that bumps them (names, help, labels), in a
// CounterBlock the control thread renders without knowing what they mean (control/self_metrics).
// One writer: the worker.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/decode.hpp"
#include "protocols/core/counters.hpp"
#include "protocols/core/record.hpp"

namespace l7tap {

constexpr std::size_t kDecodeStatusCount = static_cast<std::size_t>(DecodeStatus::kCount);

// Why a flow is bypassed (its packets counted and skipped: no reassembly, no buffering).
enum class BypassReason : uint8_t {
  kDetectionFailed,  // no protocol claimed it
  kParserGaveUp,     // its parser could not resynchronise
  kNoParser,         // no enabled protocol runs over its transport (e.g. UDP today)
  kNoMemory,         // the worker's budget refused its parser state or detection bytes
  kCount
};

class WorkerStats {
 public:
  // Fixed counters, in declaration order (worker_stats.cpp declares them in exactly this order).
  enum Id : uint32_t {
    kPackets,
    kBytes,
    kDecode,  // + DecodeStatus
    kActiveFlows = kDecode + kDecodeStatusCount,
    kFlowsCreated,
    kEndedIdle,
    kEndedClosed,
    kEvictions,
    kInsertFailures,
    kGaps,
    kGapBytes,
    kOutOfOrder,
    kRetransmissions,
    kOutOfWindow,
    kUnconfirmedDrops,
    kRecordsEmitted,
    kRingDrops,
    kPendingOverflow,
    kDetectionFailures,
    kBufferedBytes,
    kPoolBytes,
    kBudgetRefusals,
    kBypassedPackets,
    kBypassedBytes,
    kOversizeFrames,
    kBypassed,  // + BypassReason
    kFixedCount = kBypassed + static_cast<uint32_t>(BypassReason::kCount),
  };

  // Per-protocol series (flows, messages, parse errors) are shown for `enabled` protocols always
  // and for the others once non-zero; empty = every registered protocol.
  explicit WorkerStats(const std::vector<ProtocolId>& enabled = {});

  Counter& operator[](uint32_t id) { return block_[id]; }
  const Counter& operator[](uint32_t id) const { return block_[id]; }
  Counter& decode(DecodeStatus s) { return block_[kDecode + static_cast<uint32_t>(s)]; }
  Counter& bypassed(BypassReason r) { return block_[kBypassed + static_cast<uint32_t>(r)]; }
  Counter& protocol_flows(ProtocolId p) { return block_[protocol_flows_ + p]; }
  Counter& parse_errors(ProtocolId p) { return block_[parse_errors_ + p]; }
  Counter& messages(ProtocolId p) { return block_[messages_ + p]; }
  Counter& skipped_bytes(ProtocolId p) { return block_[skipped_bytes_ + p]; }
  Counter& resyncs(ProtocolId p) { return block_[resyncs_ + p]; }
  Counter& oversize(ProtocolId p) { return block_[oversize_ + p]; }
  const Counter& protocol_flows(ProtocolId p) const { return block_[protocol_flows_ + p]; }
  const Counter& parse_errors(ProtocolId p) const { return block_[parse_errors_ + p]; }
  const Counter& messages(ProtocolId p) const { return block_[messages_ + p]; }
  const Counter& skipped_bytes(ProtocolId p) const { return block_[skipped_bytes_ + p]; }
  const Counter& resyncs(ProtocolId p) const { return block_[resyncs_ + p]; }
  const Counter& oversize(ProtocolId p) const { return block_[oversize_ + p]; }

  const CounterBlock& block() const { return block_; }

 private:
  CounterBlock block_;
  // First index of each per-protocol family; + ProtocolId.
  uint32_t protocol_flows_ = 0, parse_errors_ = 0, messages_ = 0, skipped_bytes_ = 0, resyncs_ = 0, oversize_ = 0;
};

// The dispatcher's counters (single-queue ports → worker rings).
class DispatcherStats {
 public:
  enum Id : uint32_t { kPackets, kRingDrops };
  DispatcherStats();
  Counter& operator[](uint32_t id) { return block_[id]; }
  const CounterBlock& block() const { return block_; }

 private:
  CounterBlock block_;
};

}  // namespace l7tap
