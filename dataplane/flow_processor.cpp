#include "dataplane/flow_processor.hpp"

#include <algorithm>
#include <utility>

#include "protocols/registry.hpp"

namespace l7tap {

void FlowState::reset() {
  sessions = FlowSessions{};
  driver.reset();
  for (auto& t : tcp) t.reset();
  for (auto& b : detect_buf) b.clear();
  detect = Detect::kPending;
  detect_attempts = 0;
  detect_first_dir = Dir::kToServer;
  src_lo_is_client = true;
  reversed = false;
  orientation_known = false;
  fin = {};
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
                             const std::vector<std::pair<uint16_t, ProtocolId>>& port_hints, RecordSink& out,
                             WorkerStats& stats)
    : worker_id_(worker_id),
      cfg_(cfg),
      detector_(sigs, port_hints),
      out_(out),
      stats_(stats),
      pairing_(cfg.pending_pool, cfg.max_pending_per_flow, cfg.request_timeout_us, *this),
      table_(cfg.flow_capacity, cfg.flow_idle_timeout_us,
             [this](Table::Entry& e, FlowEndReason why) { on_flow_end(e, why); }) {
  budget_.limit = cfg.max_buffered_total;
}

FlowProcessor::~FlowProcessor() = default;

uint32_t FlowProcessor::active_flows() const { return table_.size(); }

void FlowProcessor::init_flow(FlowState& f, const DecodedPacket& p, const FlowKey&, bool swapped) {
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
    t.set_max_out_of_order_bytes(cfg_.max_out_of_order_bytes);
    t.set_budget(&budget_);
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
  if (const ProtocolDescriptor* known = detector_.cached(n.server_ip, n.server_port, n.l4_proto)) {
    f.sessions.protocol = known->id;
    f.driver.attach(known->create());
    f.detect = FlowState::Detect::kDone;
    stats_.protocol_flows[static_cast<std::size_t>(known->id)].add();
  }
}

void FlowProcessor::process_frame(std::span<const uint8_t> frame, uint64_t ts_us) {
  stats_.packets.add();
  stats_.bytes.add(frame.size());
  if (ts_us > now_us_) now_us_ = ts_us;
  DecodedPacket p;
  DecodeStatus st = decode_frame(frame, p);
  stats_.decode[static_cast<std::size_t>(st)].add();
  if (st != DecodeStatus::kOk) return;

  bool swapped = false;
  FlowKey key = make_flow_key(p, swapped);
  uint32_t hash = flow_hash(key);
  bool created = false;
  Table::Entry* e = table_.find_or_insert(key, hash, ts_us, created);
  if (e == nullptr) {
    stats_.flow_insert_failures.add();
    return;
  }
  FlowState& f = e->value;
  if (created) {
    stats_.flows_created.add();
    init_flow(f, p, key, swapped);
  }
  const bool src_is_lo = !swapped;
  const Dir dir = src_is_lo == f.src_lo_is_client ? Dir::kToServer : Dir::kToClient;

  if (p.l4_proto == 17) {
    if (!p.payload.empty()) feed_parser(f, dir, p.payload, ts_us, true);
    return;
  }
  const uint8_t fl = p.tcp_flags;
  Consumer c(*this, f, dir);
  f.tcp[static_cast<int>(dir)].on_segment(p.tcp_seq, (fl & tcp_flag::kSyn) != 0, (fl & tcp_flag::kFin) != 0,
                                          p.payload, ts_us, c, reasm_stats_);
  if ((fl & tcp_flag::kRst) != 0) {
    table_.mark_closing(*e, ts_us + cfg_.tcp_close_timeout_us);
  } else if ((fl & tcp_flag::kFin) != 0) {
    f.fin[static_cast<int>(dir)] = true;
    if (f.fin[0] && f.fin[1]) table_.mark_closing(*e, ts_us + cfg_.tcp_close_timeout_us);
  }
}

void FlowProcessor::on_stream_data(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us) {
  switch (f.detect) {
    case FlowState::Detect::kFailed: return;
    case FlowState::Detect::kPending: try_detect(f, dir, data, ts_us, false); return;
    case FlowState::Detect::kDone: feed_parser(f, dir, data, ts_us, false); return;
  }
}

void FlowProcessor::on_stream_gap(FlowState& f, Dir dir) {
  if (f.detect == FlowState::Detect::kPending) f.detect_buf[static_cast<int>(dir)].clear();
  if (f.detect == FlowState::Detect::kDone) f.driver.on_gap(dir);
}

void FlowProcessor::try_detect(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us,
                               bool datagram) {
  auto& buf = f.detect_buf[static_cast<int>(dir)];
  std::span<const uint8_t> probe_bytes = data;
  if (!buf.empty()) {
    std::size_t room = cfg_.max_detect_bytes > buf.size() ? cfg_.max_detect_bytes - buf.size() : 0;
    buf.insert(buf.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(std::min(room, data.size())));
    probe_bytes = buf;
  }
  const NetTuple& n = f.sessions.net;
  DetectResult r = detector_.detect(dir, probe_bytes, n.server_port, n.client_port);
  if (r.protocol != nullptr) {
    f.detect = FlowState::Detect::kDone;
    f.sessions.protocol = r.protocol->id;
    f.driver.attach(r.protocol->create());
    detector_.remember(n.server_ip, n.server_port, n.l4_proto, r.protocol);
    stats_.protocol_flows[static_cast<std::size_t>(r.protocol->id)].add();
    // Replay what was held back, the direction that spoke first first.
    const Dir other = opposite(dir);
    std::vector<uint8_t> mine, theirs;
    mine.swap(buf);
    theirs.swap(f.detect_buf[static_cast<int>(other)]);
    const bool theirs_first = !theirs.empty() && f.detect_first_dir == other;
    if (theirs_first) feed_parser(f, other, theirs, ts_us, datagram);
    feed_parser(f, dir, mine.empty() ? data : std::span<const uint8_t>(mine), ts_us, datagram);
    if (!theirs_first && !theirs.empty()) feed_parser(f, other, theirs, ts_us, datagram);
    return;
  }
  ++f.detect_attempts;
  if (f.detect_attempts >= cfg_.max_detect_attempts || probe_bytes.size() >= cfg_.max_detect_bytes) {
    f.detect = FlowState::Detect::kFailed;
    for (auto& b : f.detect_buf) std::vector<uint8_t>().swap(b);
    stats_.detection_failures.add();
    return;
  }
  if (r.need_more && !datagram) {
    if (buf.empty()) {
      if (f.detect_buf[static_cast<int>(opposite(dir))].empty()) f.detect_first_dir = dir;
      buf.assign(data.begin(), data.end());
    }
  } else {
    buf.clear();  // not a prefix of anything we know; later bytes get their own chance
  }
}

void FlowProcessor::feed_parser(FlowState& f, Dir dir, std::span<const uint8_t> data, uint64_t ts_us,
                                bool datagram) {
  if (f.detect == FlowState::Detect::kPending) {
    try_detect(f, dir, data, ts_us, datagram);
    return;
  }
  if (f.detect != FlowState::Detect::kDone || f.driver.stopped()) return;
  SessionPairing::FlowSink sink(pairing_, f.sessions);
  ParseContext ctx;
  ctx.sink = &sink;
  ctx.options = &cfg_.parser;
  ctx.now_us = ts_us;
  ctx.budget = &budget_;
  if (datagram)
    f.driver.on_datagram(dir, data, ctx);
  else
    f.driver.on_stream_data(dir, data, ctx);
  count_parser(f);
  if (ctx.reversed && !f.reversed && !f.orientation_known) {
    // The parser proved our guess of who is the server wrong: records get the true endpoints, and
    // later flows to the real server are recognised from the cache.
    f.reversed = true;
    NetTuple& n = f.sessions.net;
    std::swap(n.client_ip, n.server_ip);
    std::swap(n.client_port, n.server_port);
    if (const ProtocolDescriptor* p = find_protocol(f.sessions.protocol))
      detector_.remember(n.server_ip, n.server_port, n.l4_proto, p);
  }
}

void FlowProcessor::count_parser(FlowState& f) {
  const auto p = static_cast<std::size_t>(f.sessions.protocol);
  if (uint32_t e = f.driver.take_errors()) stats_.parse_errors[p].add(e);
  if (uint32_t m = f.driver.take_messages()) stats_.messages[p].add(m);
}

void FlowProcessor::on_flow_end(Table::Entry& e, FlowEndReason why) {
  FlowState& f = e.value;
  for (int d = 0; d < 2; ++d) {
    Consumer c(*this, f, static_cast<Dir>(d));
    f.tcp[static_cast<std::size_t>(d)].flush(now_us_, c, reasm_stats_);
  }
  pairing_.end_flow(f.sessions);
  if (why == FlowEndReason::kIdle) stats_.flows_ended_idle.add();
  if (why == FlowEndReason::kClosed) stats_.flows_ended_closed.add();
  f.reset();
}

void FlowProcessor::housekeeping(uint64_t now_us) {
  if (now_us > now_us_) now_us_ = now_us;
  table_.expire(now_us_, 256);
  pairing_.expire(now_us_, 1024);
}

void FlowProcessor::flush_all() {
  table_.clear();
  publish_stats();
}

void FlowProcessor::publish_stats() {
  stats_.active_flows.set(table_.size());
  const FlowTableStats& t = table_.stats();
  stats_.flow_evictions.set(t.evicted);
  stats_.reassembly_gaps.set(reasm_stats_.gaps);
  stats_.reassembly_gap_bytes.set(reasm_stats_.gap_bytes);
  stats_.reassembly_out_of_order.set(reasm_stats_.out_of_order);
  stats_.reassembly_retransmissions.set(reasm_stats_.retransmitted);
  stats_.pending_overflow.set(pairing_.stats().pending_overflow);
  stats_.buffered_bytes.set(budget_.used);
  stats_.buffer_budget_refusals.set(budget_.refused);
}

void FlowProcessor::on_record(FlowRecord& r) {
  r.worker = worker_id_;
  stats_.records_emitted.add();
  out_.on_record(r);
}

}  // namespace l7tap
