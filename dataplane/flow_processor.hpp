// The per-worker pipeline, DPDK-free: frames → decode → flow table → TCP reassembly → protocol
// detection → parser (via the stream driver) → session pairing → record sink. Live mode (DPDK
// lcores) and offline mode (pcap replay) run exactly this code; only where frames come from and
// where records go differ.
//
// Frames are processed in bursts, in stages as DPDK's l3fwd does: decode every frame, hash every
// flow key, prefetch every flow's index buckets, look every flow up (prefetching its entry), then
// run each packet through its flow. So the index and entry cache misses of a burst overlap instead
// of being paid one packet at a time.
//
// A flow whose protocol is unknown (detection failed, or no enabled protocol runs over its
// transport) or whose parser gave up is bypassed: its memory goes back to the pool and its packets
// are only counted until it ends.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/decode.hpp"
#include "dataplane/flow_key.hpp"
#include "dataplane/flow_table.hpp"
#include "dataplane/tcp_reassembly.hpp"
#include "dataplane/worker_stats.hpp"
#include "protocols/core/buffer_pool.hpp"
#include "protocols/core/detector.hpp"
#include "protocols/core/live_trace_headers.hpp"
#include "protocols/core/session_pairing.hpp"
#include "protocols/core/stream_driver.hpp"

namespace l7tap {

struct FlowProcessorConfig {
  uint32_t flow_capacity = 65536;
  uint64_t flow_idle_timeout_us = 60'000'000;
  uint64_t no_payload_timeout_us = 10'000'000;  // flows that never carried payload (SYN scans)
  uint64_t tcp_close_timeout_us = 2'000'000;
  uint32_t max_out_of_order_bytes = 65536;
  uint64_t request_timeout_us = 30'000'000;
  uint32_t max_pending_per_flow = 256;
  uint32_t pending_pool = 8192;
  uint64_t max_buffered_total = 256ull << 20;  // the worker's BufferPool limit
  ParserOptions parser;  // must outlive the processor (spans point into the owner's storage)
  // When set, the trace header names come from here and follow SIGHUP reloads (the processor
  // switches between bursts, as reader worker_id); `parser`'s header lists are then replaced.
  LiveTraceHeaders* live_trace_headers = nullptr;
  // Bytes a flow may show (per direction) before detection gives up.
  uint32_t max_detect_bytes = 4096;
  uint8_t max_detect_attempts = 8;
  // The flow hash seed, the same for every worker and the dispatcher (0 = draw one).
  uint64_t hash_seed = 0;
};

enum class FlowMode : uint8_t { kDetecting, kParsing, kBypass };

// Per-flow state, stored by value in the flow table and reused. Everything that grows with traffic
// lives in blocks of the worker's BufferPool, released when the flow ends or is bypassed. Ordered
// by use: what every packet touches first (right after the table entry's key), then what data
// packets touch, then what only messages and detection need — the burst stages prefetch the first
// part for every packet and the rest only for packets with payload.
struct FlowState {
  // --- every packet ---
  FlowMode mode = FlowMode::kDetecting;
  bool src_lo_is_client = true;  // orientation: whether the key's "lo" endpoint is the client
  bool reversed = false;         // the parser found the orientation guessed wrong (records swapped)
  bool orientation_known = false;  // seen from the handshake (SYN): parsers' reports are ignored
  std::array<bool, 2> fin{};
  std::array<int8_t, 2> wscale{-1, -1};  // window scale each side announced in its SYN
  std::array<TcpReassembler, 2> tcp;     // indexed by Dir
  // --- packets with payload ---
  StreamDriver driver;
  // --- messages ---
  FlowSessions sessions;  // protocol, orientation (net tuple) and pending requests
  bool proven = false;        // its verdict earned a place in the cache (or cannot any more)
  bool parse_errors = false;  // its parser hit an error: the verdict is not cached
  // --- detection only ---
  uint8_t detect_attempts = 0;
  Dir detect_first_dir = Dir::kToServer;
  std::array<uint32_t, 2> detect_len{};
  std::array<PoolBlock, 2> detect_buf;  // bytes seen before the protocol is known
  const ProtocolDescriptor* cached = nullptr;  // the server's cached verdict, checked on first bytes
  // Back to the default state. Pool blocks must have been released (FlowProcessor::release).
  void reset();
};

class FlowProcessor : public RecordSink {
 public:
  using Table = FlowTable<FlowState>;
  static constexpr uint32_t kMaxBurst = 64;

  FlowProcessor(uint16_t worker_id, const FlowProcessorConfig& cfg, const SignatureDatabase& sigs,
                const std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>& port_hints, RecordSink& out,
                WorkerStats& stats);
  ~FlowProcessor() override;

  // A burst of captured frames with their timestamps (µs since the epoch), in arrival order.
  void process_burst(const std::span<const uint8_t>* frames, const uint64_t* ts_us, uint32_t n);
  // One frame (tests, slow paths): a burst of one.
  void process_frame(std::span<const uint8_t> frame, uint64_t ts_us) { process_burst(&frame, &ts_us, 1); }
  // Timeouts (idle flows, closing flows, unanswered requests), then the records of the burst are
  // handed over (the sink's flush). Call once per burst, and while idle.
  void housekeeping(uint64_t now_us);
  // Ends every flow (flushes reassembly and pending requests): end of input / shutdown.
  void flush_all();
  // Publishes counters into the shared WorkerStats (call once per burst).
  void publish_stats();

  // RecordSink: records from the pairing engine, stamped and forwarded to `out`.
  void on_record(FlowRecord& r) override;
  void flush() override;

  // Forgets the protocol verdicts cached per server: with flush_all(), back to how a new
  // processor behaves (a fuzz harness reuses one across inputs rather than building one each).
  void forget_verdicts() { detector_.clear_cache(); }

  uint32_t active_flows() const { return table_.size(); }
  uint64_t hash_seed() const { return seed_; }
  const BufferPool& pool() const { return pool_; }
  const Table& table() const { return table_; }

 private:
  class Consumer;
  void process(const DecodedPacket& p, const FlowKey& key, uint64_t hash, uint32_t idx, bool swapped,
               uint64_t ts_us);
  void on_flow_end(Table::Entry& e, FlowEndReason why);
  void on_stream_data(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us);
  void on_stream_gap(FlowState& f, Dir dir);
  void try_detect(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us, bool datagram);
  void start_parsing(FlowState& f, const ProtocolDescriptor& p, Dir dir, std::span<const uint8_t> data,
                     std::size_t taken, uint64_t ts_us, bool datagram);
  void feed_parser(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us, bool datagram);
  void init_flow(FlowState& f, const DecodedPacket& p, bool swapped);
  void bypass(FlowState& f, BypassReason why);
  void release_detection(FlowState& f);
  void count_parser(FlowState& f);

  uint16_t worker_id_;
  FlowProcessorConfig cfg_;
  const TraceHeaderNames* trace_names_ = nullptr;  // the live set cfg_.parser points to
  uint64_t seed_;
  ProtocolDetector detector_;
  RecordSink& out_;
  WorkerStats& stats_;
  BufferPool pool_;  // before everything that holds blocks of it
  SessionPairing pairing_;
  Table table_;
  ReassemblyStats reasm_stats_;
  uint64_t now_us_ = 0;  // latest packet or housekeeping time seen
  std::unique_ptr<DecodedPacket[]> burst_pkts_ = std::make_unique<DecodedPacket[]>(kMaxBurst);
  std::unique_ptr<FlowKey[]> burst_keys_ = std::make_unique<FlowKey[]>(kMaxBurst);
  uint32_t lines_ack_ = 0, lines_data_ = 0;  // entry cache lines a packet without / with payload needs
};

}  // namespace l7tap
