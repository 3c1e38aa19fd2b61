// Counters shared between the dataplane and the control thread. Each WorkerStats has exactly one
// writer (its worker); the control thread only reads. Writers publish with relaxed
// load+store (no locked instructions on the hot path); readers see values at most one batch old.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dataplane/decode.hpp"
#include "protocols/core/record.hpp"

namespace l7tap {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

constexpr std::size_t kProtocolCount = static_cast<std::size_t>(ProtocolId::kCount);
constexpr std::size_t kDecodeStatusCount = static_cast<std::size_t>(DecodeStatus::kCount);

struct alignas(64) WorkerStats {
  Counter packets;            // frames handed to this worker
  Counter bytes;              // their wire bytes
  std::array<Counter, kDecodeStatusCount> decode;  // per DecodeStatus (kOk included)
  Counter active_flows;       // gauge
  Counter flows_created;
  Counter flows_ended_idle;
  Counter flows_ended_closed;
  Counter flow_evictions;     // LRU flow evicted because the table was full
  Counter flow_insert_failures;
  Counter reassembly_gaps;
  Counter reassembly_gap_bytes;
  Counter reassembly_out_of_order;
  Counter reassembly_retransmissions;
  Counter records_emitted;
  Counter record_ring_drops;  // record dropped: worker → control ring full
  Counter pending_overflow;   // request dropped from a flow's pending list (per-flow cap)
  Counter detection_failures; // flows whose protocol could not be identified
  Counter buffered_bytes;     // gauge: the worker's MemoryBudget in use
  Counter buffer_budget_refusals;  // buffers refused because the worker's budget was spent
  std::array<Counter, kProtocolCount> protocol_flows;  // flows identified per protocol
  std::array<Counter, kProtocolCount> parse_errors;    // per protocol
  std::array<Counter, kProtocolCount> messages;        // parsed messages per protocol
};

// rte_eth_stats of one port, sampled by the control thread at scrape time.
struct PortStats {
  std::string name;
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_missed = 0;   // imissed: dropped by the NIC (no descriptors)
  uint64_t rx_errors = 0;   // ierrors
  uint64_t rx_nombuf = 0;   // mbuf allocation failures
};
using PortStatsFn = std::function<std::vector<PortStats>()>;

// Dispatcher (single-queue ports → worker rings) counters.
struct alignas(64) DispatcherStats {
  Counter packets;
  Counter ring_drops;  // worker's input ring full
};

}  // namespace l7tap
