// The per-worker pipeline, DPDK-free: frame → decode → flow table → TCP reassembly → protocol
// detection → parser (via the stream driver) → session pairing → record sink. Live mode (DPDK
// lcores) and offline mode (pcap replay) run exactly this code; only where frames come from and
// where records go differ.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "control/stats.hpp"
#include "dataplane/decode.hpp"
#include "dataplane/flow_key.hpp"
#include "dataplane/flow_table.hpp"
#include "dataplane/tcp_reassembly.hpp"
#include "protocols/core/detector.hpp"
#include "protocols/core/session_pairing.hpp"
#include "protocols/core/stream_driver.hpp"

namespace l7tap {

struct FlowProcessorConfig {
  uint32_t flow_capacity = 65536;
  uint64_t flow_idle_timeout_us = 60'000'000;
  uint64_t tcp_close_timeout_us = 2'000'000;
  uint32_t max_out_of_order_bytes = 65536;
  uint64_t request_timeout_us = 30'000'000;
  uint32_t max_pending_per_flow = 256;
  uint32_t pending_pool = 8192;
  uint64_t max_buffered_total = 256ull << 20;  // the worker's MemoryBudget
  ParserOptions parser;  // must outlive the processor (spans point into the owner's storage)
  // Bytes a flow may show (per direction) before detection gives up.
  uint32_t max_detect_bytes = 4096;
  uint8_t max_detect_attempts = 8;
};

// Per-flow state, stored by value in the flow table and reused.
struct FlowState {
  FlowSessions sessions;      // protocol, orientation (net tuple) and pending requests
  StreamDriver driver;
  std::array<TcpReassembler, 2> tcp;  // indexed by Dir
  std::array<std::vector<uint8_t>, 2> detect_buf;  // bytes seen before the protocol is known
  enum class Detect : uint8_t { kPending, kDone, kFailed } detect = Detect::kPending;
  uint8_t detect_attempts = 0;
  Dir detect_first_dir = Dir::kToServer;
  bool src_lo_is_client = true;  // orientation: whether the key's "lo" endpoint is the client
  bool reversed = false;         // the parser found the orientation guessed wrong (records swapped)
  bool orientation_known = false;  // seen from the handshake (SYN): parsers' reports are ignored
  std::array<bool, 2> fin{};
  void reset();
};

class FlowProcessor : public RecordSink {
 public:
  using Table = FlowTable<FlowState>;

  FlowProcessor(uint16_t worker_id, const FlowProcessorConfig& cfg, const SignatureDatabase& sigs,
                const std::vector<std::pair<uint16_t, ProtocolId>>& port_hints, RecordSink& out,
                WorkerStats& stats);
  ~FlowProcessor() override;

  // One captured frame with its timestamp (µs since the epoch).
  void process_frame(std::span<const uint8_t> frame, uint64_t ts_us);
  // Timeouts (idle flows, closing flows, unanswered requests). Call once per burst.
  void housekeeping(uint64_t now_us);
  // Ends every flow (flushes reassembly and pending requests): end of input / shutdown.
  void flush_all();
  // Publishes counters into the shared WorkerStats (call once per burst).
  void publish_stats();

  // RecordSink: records from the pairing engine, stamped and forwarded to `out`.
  void on_record(FlowRecord& r) override;

  uint32_t active_flows() const;

 private:
  class Consumer;
  void on_flow_end(Table::Entry& e, FlowEndReason why);
  void on_stream_data(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us);
  void on_stream_gap(FlowState& f, Dir dir);
  void try_detect(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us, bool datagram);
  void feed_parser(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us, bool datagram);
  void init_flow(FlowState& f, const DecodedPacket& p, const FlowKey& key, bool swapped);
  void count_parser(FlowState& f);

  uint16_t worker_id_;
  FlowProcessorConfig cfg_;
  ProtocolDetector detector_;
  RecordSink& out_;
  WorkerStats& stats_;
  SessionPairing pairing_;
  MemoryBudget budget_;  // declared before table_: flows give their charges back as they end
  Table table_;
  ReassemblyStats reasm_stats_;
  uint64_t now_us_ = 0;  // latest packet or housekeeping time seen
};

}  // namespace l7tap
