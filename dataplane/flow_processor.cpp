#include "dataplane/flow_processor.hpp"

#include <emmintrin.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "protocols/registry.hpp"

namespace l7tap {

void FlowState::reset() {
  sessions = FlowSessions{};
  driver.reset();
  for (auto& t : tcp) t.reset();
  detect_buf = {};
  detect_len = {};
  cached = nullptr;
  mode = FlowMode::kDetecting;
  detect_attempts = 0;
  detect_first_dir = Dir::kToServer;
  src_lo_is_client = true;
  reversed = false;
  orientation_known = false;
  proven = false;
  parse_errors = false;
  fin = {};
  wscale = {-1, -1};
}

// Binds reassembled bytes of one direction of one flow back to the processor.
class FlowProcessor::Consumer final : public StreamConsumer {
 public:
  Consumer(FlowProcessor& p, FlowState& f, Dir d) : p_(p), f_(f), d_(d) {}
  void on_stream_data(std::span<const uint8_t> data, uint64_t ts_us) override { p_.on_stream_data(f_, d_, data, ts_us); }
  void on_stream_gap(uint64_t, uint64_t) override { p_.on_stream_gap(f_, d_); }

 private:
  FlowProcessor& p_;
  FlowState& f_;
  Dir d_;
};

FlowProcessor::FlowProcessor(uint16_t worker_id, const FlowProcessorConfig& cfg, const SignatureDatabase& sigs,
                             const std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>& port_hints,
                             RecordSink& out, WorkerStats& stats)
    : worker_id_(worker_id),
      cfg_(cfg),
      seed_(cfg.hash_seed != 0 ? cfg.hash_seed : random_hash_seed()),
      detector_(sigs, port_hints),
      out_(out),
      stats_(stats),
      pool_(cfg.max_buffered_total, BufferPool::backing_for(cfg.max_buffered_total)),
      pairing_(cfg.pending_pool, cfg.max_pending_per_flow, cfg.request_timeout_us, *this, pool_),
      table_(cfg.flow_capacity,
             FlowTimeouts{cfg.flow_idle_timeout_us, cfg.no_payload_timeout_us, cfg.tcp_close_timeout_us},
             [this](Table::Entry& e, FlowEndReason why) { on_flow_end(e, why); }) {
  // Which cache lines of an entry a packet touches: through the reassemblers for any packet,
  // through the pairing state for a packet with payload (FlowState's fields are ordered so).
  const Table::Entry probe;
  auto line_of = [&probe](const void* field, std::size_t size) {
    return static_cast<uint32_t>((static_cast<const char*>(field) - reinterpret_cast<const char*>(&probe) + size - 1) / 64 + 1);
  };
  lines_ack_ = line_of(&probe.value.tcp, sizeof(probe.value.tcp));
  lines_data_ = line_of(&probe.value.sessions, sizeof(probe.value.sessions));
  if (cfg_.live_trace_headers != nullptr) {
    if (worker_id_ >= cfg_.live_trace_headers->readers())
      throw std::invalid_argument("worker " + std::to_string(worker_id_) + " has no trace header slot (" +
                                  std::to_string(cfg_.live_trace_headers->readers()) + " readers)");
    trace_names_ = cfg_.live_trace_headers->use(worker_id_, nullptr, cfg_.parser);
  }
}

FlowProcessor::~FlowProcessor() = default;

void FlowProcessor::init_flow(FlowState& f, const DecodedPacket& p, bool swapped) {
  // Who is the client? The SYN sender when we see the handshake; otherwise the side whose port
  // is not a known service port, else the side with the higher (ephemeral) port.
  bool src_is_client;
  const bool syn = (p.tcp_flags & tcp_flag::kSyn) != 0, ack = (p.tcp_flags & tcp_flag::kAck) != 0;
  if (p.l4_proto == 6 && syn) {
    src_is_client = !ack;
    f.orientation_known = true;
  } else if (detector_.hinted(p.dst_port) != detector_.hinted(p.src_port)) {
    src_is_client = detector_.hinted(p.dst_port);
  } else {
    src_is_client = p.src_port >= p.dst_port;
  }
  f.src_lo_is_client = src_is_client == !swapped;
  for (auto& t : f.tcp) {
    t.set_pool(&pool_);
    t.set_max_out_of_order_bytes(cfg_.max_out_of_order_bytes);
  }
  NetTuple& n = f.sessions.net;
  n.client_ip = src_is_client ? p.src_ip : p.dst_ip;
  n.server_ip = src_is_client ? p.dst_ip : p.src_ip;
  n.client_port = src_is_client ? p.src_port : p.dst_port;
  n.server_port = src_is_client ? p.dst_port : p.src_port;
  n.is_ipv6 = p.is_ipv6;
  n.l4_proto = p.l4_proto;
  n.has_vlan = p.has_vlan;
  n.vlan = p.vlan;
  n.has_tunnel_id = p.has_tunnel_id;
  n.tunnel_id = p.tunnel_id;
  if (!detector_.has_transport(p.l4_proto)) {
    bypass(f, BypassReason::kNoParser);
    return;
  }
  f.cached = detector_.cached(ServerKey::of(n));
}

void FlowProcessor::process_burst(const std::span<const uint8_t>* frames, const uint64_t* ts_us, uint32_t n) {
  // A software pipeline over the burst, as DPDK's l3fwd and VPP run theirs: packet i is processed
  // while the state of packets i+D .. i+4D is on its way from memory, each stage prefetching what
  // the next one reads. A fixed distance keeps about as many cache misses outstanding as a core
  // can track; prefetching a whole burst at once would stall on the fill buffers instead.
  constexpr uint32_t D = 4;
  // The burst's decoded packets and keys live in the processor: built once, not per burst
  // (decode_frame and make_flow_key overwrite them).
  DecodedPacket* const pkts = burst_pkts_.get();
  FlowKey* const keys = burst_keys_.get();
  uint64_t hashes[kMaxBurst];
  uint32_t found[kMaxBurst];
  bool swapped[kMaxBurst];
  bool ok[kMaxBurst];
  for (uint32_t base = 0; base < n; base += kMaxBurst) {
    const uint32_t m = std::min(n - base, kMaxBurst);
    const std::span<const uint8_t>* fr = frames + base;
    for (uint32_t k = 0; k < m + 4 * D; ++k) {
      // Stage 0: the frame's headers.
      if (k < m) _mm_prefetch(reinterpret_cast<const char*>(fr[k].data()), _MM_HINT_T0);
      // Stage 1: decode, key, hash; prefetch the flow's index bucket.
      if (k >= D && k - D < m) {
        const uint32_t i = k - D;
        stats_[WorkerStats::kPackets].add();
        stats_[WorkerStats::kBytes].add(fr[i].size());
        const DecodeStatus st = decode_frame(fr[i], pkts[i]);
        stats_.decode(st).add();
        ok[i] = st == DecodeStatus::kOk;
        if (ok[i]) {
          keys[i] = make_flow_key(pkts[i], swapped[i]);
          hashes[i] = flow_hash(keys[i], seed_);
          table_.prefetch(hashes[i]);
          if (pkts[i].payload.size() > 64)
            _mm_prefetch(reinterpret_cast<const char*>(pkts[i].payload.data()) + 64, _MM_HINT_T0);
        }
      }
      // Stage 2: the entry the index points at (without comparing keys yet); prefetch the part of
      // its state this packet touches.
      if (k >= 2 * D && k - 2 * D < m) {
        const uint32_t i = k - 2 * D;
        found[i] = ok[i] ? table_.candidate(hashes[i]) : Table::kNil;
        if (found[i] != Table::kNil)
          table_.prefetch_entry(found[i], 0, pkts[i].payload.empty() ? lines_ack_ : lines_data_);
      }
      // Stage 3: the lookup proper; for a packet with payload, prefetch the parser's state and the
      // flow's oldest pending request.
      if (k >= 3 * D && k - 3 * D < m) {
        const uint32_t i = k - 3 * D;
        if (ok[i]) {
          found[i] = table_.lookup(keys[i], hashes[i]);
          if (found[i] != Table::kNil && !pkts[i].payload.empty()) {
            const FlowState& f = table_.entry(found[i]).value;
            if (f.mode == FlowMode::kParsing) {
              _mm_prefetch(reinterpret_cast<const char*>(f.driver.parser_state()), _MM_HINT_T0);
              pairing_.prefetch(f.sessions);
            }
          }
        }
      }
      // Stage 4: the packet through its flow, in arrival order.
      if (k >= 4 * D && k - 4 * D < m) {
        const uint32_t i = k - 4 * D;
        const uint64_t ts = ts_us[base + i];
        if (ts > now_us_) now_us_ = ts;
        if (ok[i]) process(pkts[i], keys[i], hashes[i], found[i], swapped[i], ts);
      }
    }
  }
}

void FlowProcessor::process(const DecodedPacket& p, const FlowKey& key, uint64_t hash, uint32_t idx, bool swapped,
                            uint64_t ts_us) {
  // An earlier packet of this burst may have created this flow, or evicted the one found.
  if (idx == Table::kNil || !table_.entry(idx).used || table_.entry(idx).hash != hash ||
      !(table_.entry(idx).key == key))
    idx = table_.lookup(key, hash);
  if (idx == Table::kNil) {
    idx = table_.insert(key, hash, ts_us);
    if (idx == Table::kNil) {
      stats_[WorkerStats::kInsertFailures].add();
      return;
    }
    stats_[WorkerStats::kFlowsCreated].add();
    init_flow(table_.entry(idx).value, p, swapped);
  } else {
    table_.touch(idx, ts_us);
  }
  FlowState& f = table_.entry(idx).value;
  const Dir dir = !swapped == f.src_lo_is_client ? Dir::kToServer : Dir::kToClient;
  const int d = static_cast<int>(dir);
  // Payload earns a flow the long idle timeout, and with it precedence over flows that never
  // carried any when the table is full — unless nothing parses it (bypassed): a flood of junk
  // datagrams must not outrank the conversations we log.
  if (!p.payload.empty() && f.mode != FlowMode::kBypass) table_.set_active(idx);

  if (f.mode == FlowMode::kBypass) {
    stats_[WorkerStats::kBypassedPackets].add();
    stats_[WorkerStats::kBypassedBytes].add(p.payload.size());
  } else if (p.l4_proto == 17) {
    if (!p.payload.empty()) feed_parser(f, dir, p.payload, ts_us, true);
  } else {
    const uint8_t fl = p.tcp_flags;
    if ((fl & tcp_flag::kSyn) != 0) f.wscale[d] = p.tcp_wscale;
    if ((fl & tcp_flag::kAck) != 0) {
      // This packet acknowledges the other direction's bytes. Windows are scaled by what the
      // sender announced, only when both SYNs announced one (RFC 7323) and never in a SYN itself.
      uint32_t window = 0;
      if ((fl & tcp_flag::kSyn) != 0) {
        window = p.tcp_window;
      } else if (f.wscale[0] >= 0 && f.wscale[1] >= 0) {
        window = uint32_t{p.tcp_window} << f.wscale[d];
      }
      f.tcp[1 - d].on_peer_ack(p.tcp_ack, window);
      if (f.tcp[1 - d].held_bytes() != 0) {  // bytes the capture lost may be holding the peer's data
        Consumer back(*this, f, opposite(dir));
        f.tcp[1 - d].release_confirmed(back, reasm_stats_);
      }
    }
    Consumer c(*this, f, dir);
    f.tcp[d].on_segment(p.tcp_seq, (fl & tcp_flag::kSyn) != 0, (fl & tcp_flag::kFin) != 0, p.payload, ts_us, c,
                        reasm_stats_);
    if (f.mode == FlowMode::kBypass) {  // bypassed by this packet: the held bytes go back now
      for (auto& t : f.tcp) t.reset();
    }
  }
  if (p.l4_proto == 6) {
    const uint8_t fl = p.tcp_flags;
    if ((fl & tcp_flag::kRst) != 0) {
      table_.mark_closing(idx, ts_us + cfg_.tcp_close_timeout_us);
    } else if ((fl & tcp_flag::kFin) != 0) {
      f.fin[d] = true;
      if (f.fin[0] && f.fin[1]) table_.mark_closing(idx, ts_us + cfg_.tcp_close_timeout_us);
    }
  }
}

void FlowProcessor::on_stream_data(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us) {
  switch (f.mode) {
    case FlowMode::kBypass: return;
    case FlowMode::kDetecting: try_detect(f, dir, data, ts_us, false); return;
    case FlowMode::kParsing: feed_parser(f, dir, data, ts_us, false); return;
  }
}

void FlowProcessor::on_stream_gap(FlowState& f, Dir dir) {
  if (f.mode == FlowMode::kDetecting) {
    f.detect_buf[static_cast<int>(dir)].free(pool_);
    f.detect_len[static_cast<int>(dir)] = 0;
  }
  if (f.mode == FlowMode::kParsing) {
    f.driver.on_gap(dir);
    if (f.driver.stopped()) bypass(f, BypassReason::kParserGaveUp);
  }
}

void FlowProcessor::release_detection(FlowState& f) {
  for (int d = 0; d < 2; ++d) {
    f.detect_buf[d].free(pool_);
    f.detect_len[d] = 0;
  }
}

void FlowProcessor::bypass(FlowState& f, BypassReason why) {
  // The reassemblers may be inside a delivery (this can run from their callback): their blocks
  // are released by process() once the segment is done.
  f.mode = FlowMode::kBypass;
  f.driver.reset();
  release_detection(f);
  stats_.bypassed(why).add();
}

void FlowProcessor::try_detect(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us, bool datagram) {
  const int d = static_cast<int>(dir);
  PoolBlock& buf = f.detect_buf[d];
  uint32_t& len = f.detect_len[d];
  std::span<const uint8_t> probe_bytes = data;
  std::size_t taken = data.size();  // bytes of `data` the probe sees
  if (len != 0) {
    const std::size_t room = cfg_.max_detect_bytes > len ? cfg_.max_detect_bytes - len : 0;
    taken = std::min(room, data.size());
    if (!buf.reserve(pool_, len + taken, len)) {
      bypass(f, BypassReason::kNoMemory);
      return;
    }
    std::memcpy(buf.data + len, data.data(), taken);
    len += static_cast<uint32_t>(taken);
    probe_bytes = {buf.data, len};
  }
  const NetTuple& n = f.sessions.net;
  const ProtocolDescriptor* proto = nullptr;
  bool need_more = false;
  if (f.cached != nullptr && f.cached->probe(dir, probe_bytes) != ProbeVerdict::kNo) {
    proto = f.cached;  // the flow's own bytes agree with the server's cached verdict
  } else {
    const DetectResult r = detector_.detect(dir, probe_bytes, n.server_port, n.client_port, n.l4_proto);
    proto = r.protocol;
    need_more = r.need_more;
    // Another protocol's claim wins over the cache; otherwise the cache stands, as a flow picked up
    // mid-connection need not start with what a probe recognises.
    if (proto == nullptr && f.cached != nullptr) proto = f.cached;
  }
  if (proto != nullptr) {
    start_parsing(f, *proto, dir, data, taken, ts_us, datagram);
    return;
  }
  ++f.detect_attempts;
  if (f.detect_attempts >= cfg_.max_detect_attempts || probe_bytes.size() >= cfg_.max_detect_bytes) {
    stats_[WorkerStats::kDetectionFailures].add();
    bypass(f, BypassReason::kDetectionFailed);
    return;
  }
  if (need_more && !datagram) {
    if (len == 0) {  // keep the bytes: the next ones are appended and probed with them
      if (f.detect_len[1 - d] == 0) f.detect_first_dir = dir;
      if (!buf.reserve(pool_, data.size(), 0)) {
        bypass(f, BypassReason::kNoMemory);
        return;
      }
      std::memcpy(buf.data, data.data(), data.size());
      len = static_cast<uint32_t>(data.size());
    }
  } else {
    buf.free(pool_);  // not a prefix of anything we know; later bytes get their own chance
    len = 0;
  }
}

void FlowProcessor::start_parsing(FlowState& f, const ProtocolDescriptor& p, Dir dir, std::span<const uint8_t> data,
                                  std::size_t taken, uint64_t ts_us, bool datagram) {
  const ProtocolId id = protocol_id(&p);
  ParserEnv env{&cfg_.parser, &pool_};
  if (!f.driver.attach(p, env)) {
    bypass(f, BypassReason::kNoMemory);
    return;
  }
  f.mode = FlowMode::kParsing;
  f.sessions.protocol = id;
  stats_.protocol_flows(id).add();
  // Replay what was held back, the direction that spoke first first, then the rest of this chunk
  // that did not fit in the detection buffer. The blocks are released only after the replay.
  const int d = static_cast<int>(dir);
  const Dir other = opposite(dir);
  const PoolBlock mine = f.detect_buf[d], theirs = f.detect_buf[1 - d];
  const uint32_t mine_len = f.detect_len[d], theirs_len = f.detect_len[1 - d];
  f.detect_buf = {};
  f.detect_len = {};
  const bool theirs_first = theirs_len != 0 && f.detect_first_dir == other;
  if (theirs_first) feed_parser(f, other, {theirs.data, theirs_len}, ts_us, datagram);
  if (mine_len != 0) {
    feed_parser(f, dir, {mine.data, mine_len}, ts_us, datagram);
    if (taken < data.size()) feed_parser(f, dir, data.subspan(taken), ts_us, datagram);
  } else {
    feed_parser(f, dir, data, ts_us, datagram);
  }
  if (!theirs_first && theirs_len != 0) feed_parser(f, other, {theirs.data, theirs_len}, ts_us, datagram);
  pool_.release(mine.data, mine.capacity);
  pool_.release(theirs.data, theirs.capacity);
}

void FlowProcessor::feed_parser(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us, bool datagram) {
  if (f.mode == FlowMode::kDetecting) {
    try_detect(f, dir, data, ts_us, datagram);
    return;
  }
  if (f.mode != FlowMode::kParsing) return;
  SessionPairing::FlowSink sink(pairing_, f.sessions);
  ParseContext ctx;
  ctx.sink = &sink;
  ctx.options = &cfg_.parser;
  ctx.now_us = ts_us;
  if (datagram)
    f.driver.on_datagram(dir, data, ctx);
  else
    f.driver.on_stream_data(dir, data, ctx);
  count_parser(f);
  NetTuple& n = f.sessions.net;
  if (ctx.reversed && !f.reversed && !f.orientation_known) {
    // The parser proved our guess of who is the server wrong: records get the true endpoints.
    f.reversed = true;
    std::swap(n.client_ip, n.server_ip);
    std::swap(n.client_port, n.server_port);
  }
  if (f.driver.stopped()) {
    bypass(f, BypassReason::kParserGaveUp);
    return;
  }
  // A verdict enters the server's cache only once the flow proved it: a request answered by its
  // response and no parse error. One odd flow cannot decide how a server's later flows are parsed.
  if (!f.proven && f.sessions.paired != 0 && !f.parse_errors) {
    f.proven = true;
    detector_.remember(ServerKey::of(n), protocol_by_id(f.sessions.protocol));
  }
}

void FlowProcessor::count_parser(FlowState& f) {
  const ProtocolId p = f.sessions.protocol;
  if (const uint32_t e = f.driver.take_errors()) {
    stats_.parse_errors(p).add(e);
    f.parse_errors = true;
  }
  if (const uint32_t m = f.driver.take_messages()) stats_.messages(p).add(m);
  if (StreamDriver::Events ev; f.driver.take_events(ev)) {
    if (ev.skipped_bytes != 0) stats_.skipped_bytes(p).add(ev.skipped_bytes);
    if (ev.resyncs != 0) stats_.resyncs(p).add(ev.resyncs);
    if (ev.oversize != 0) stats_.oversize(p).add(ev.oversize);
  }
}

void FlowProcessor::on_flow_end(Table::Entry& e, FlowEndReason why) {
  FlowState& f = e.value;
  if (f.mode == FlowMode::kParsing) {
    for (int d = 0; d < 2; ++d) {
      Consumer c(*this, f, static_cast<Dir>(d));
      f.tcp[static_cast<std::size_t>(d)].flush(now_us_, c, reasm_stats_);
    }
  }
  pairing_.end_flow(f.sessions);
  if (why == FlowEndReason::kIdle) stats_[WorkerStats::kEndedIdle].add();
  if (why == FlowEndReason::kClosed) stats_[WorkerStats::kEndedClosed].add();
  release_detection(f);
  f.reset();  // gives the parser's and the reassemblers' blocks back to the pool
}

void FlowProcessor::housekeeping(uint64_t now_us) {
  // Between bursts no parser runs: the place to take trace header names a reload published.
  if (cfg_.live_trace_headers != nullptr) trace_names_ = cfg_.live_trace_headers->use(worker_id_, trace_names_, cfg_.parser);
  if (now_us > now_us_) now_us_ = now_us;
  table_.expire(now_us_, 256);
  pairing_.expire(now_us_, 1024);
  out_.flush();  // the burst's records go to the control thread together
}

void FlowProcessor::flush_all() {
  table_.clear();
  out_.flush();
  publish_stats();
}

void FlowProcessor::publish_stats() {
  stats_[WorkerStats::kActiveFlows].set(table_.size());
  const FlowTableStats& t = table_.stats();
  stats_[WorkerStats::kEvictions].set(t.evicted);
  stats_[WorkerStats::kGaps].set(reasm_stats_.gaps);
  stats_[WorkerStats::kGapBytes].set(reasm_stats_.gap_bytes);
  stats_[WorkerStats::kOutOfOrder].set(reasm_stats_.out_of_order);
  stats_[WorkerStats::kRetransmissions].set(reasm_stats_.retransmitted);
  stats_[WorkerStats::kOutOfWindow].set(reasm_stats_.out_of_window);
  stats_[WorkerStats::kUnconfirmedDrops].set(reasm_stats_.unconfirmed_drops);
  stats_[WorkerStats::kPendingOverflow].set(pairing_.stats().pending_overflow);
  stats_[WorkerStats::kBufferedBytes].set(pool_.in_use());
  stats_[WorkerStats::kPoolBytes].set(pool_.held());
  stats_[WorkerStats::kBudgetRefusals].set(pool_.refused());
}

void FlowProcessor::flush() { out_.flush(); }

void FlowProcessor::on_record(FlowRecord& r) {
  r.worker = worker_id_;
  stats_[WorkerStats::kRecordsEmitted].add();
  out_.on_record(r);
}

}  // namespace l7tap
