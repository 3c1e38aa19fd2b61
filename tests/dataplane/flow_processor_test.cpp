// The per-worker pipeline end to end on synthetic frames: decode → flow → reassembly → detection
// → parser → pairing → records. Uses a tiny line protocol defined here ("REQ <id>\n" /
// "RSP <id>\n") so the test exercises the dataplane, not a real parser.
#include "dataplane/flow_processor.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <string>
#include <vector>

#include "tests/dataplane/frame_builder.hpp"

namespace l7tap {
namespace {

namespace fb = l7tap::fb;

// --- a toy protocol ---------------------------------------------------------------------------
class LineParser final : public Parser {
 public:
  explicit LineParser(const ParserEnv&) {}
  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override {
    ParseResult r;
    std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
    for (;;) {
      auto nl = s.find('\n', r.consumed);
      if (nl == std::string_view::npos) return r;
      std::string_view line = s.substr(r.consumed, nl - r.consumed);
      if (line.size() < 5 || (line.substr(0, 4) != "REQ " && line.substr(0, 4) != "RSP ")) {
        r.error = true;
        return r;
      }
      uint64_t id = 0;
      std::from_chars(line.data() + 4, line.data() + line.size(), id);
      Message m;
      m.role = line.substr(0, 3) == "REQ" ? MsgRole::kRequest : MsgRole::kResponse;
      m.has_id = true;
      m.id = id;
      m.fields.set(Field::kRequestType, line.substr(0, 3));
      m.fields.set_request_id(id);
      if (m.role == MsgRole::kRequest)
        m.fields.set_request_length(static_cast<uint32_t>(line.size() + 1));
      else
        m.fields.set_response_length(static_cast<uint32_t>(line.size() + 1));
      // Like Kafka: only clients send requests, so a request travelling kToClient proves the
      // flow's orientation was guessed wrong.
      if (m.role == MsgRole::kRequest && dir == Dir::kToClient) ctx.report_reversed();
      ctx.emit(m);
      r.consumed = static_cast<uint32_t>(nl + 1);
    }
  }
  bool on_gap(Dir) override { return true; }
};

ProbeVerdict probe_line(Dir, std::span<const uint8_t> d) {
  std::string_view s(reinterpret_cast<const char*>(d.data()), d.size());
  for (std::string_view p : {std::string_view("REQ "), std::string_view("RSP ")}) {
    if (s.size() >= p.size() && s.substr(0, p.size()) == p) return ProbeVerdict::kYes;
    if (s.size() < p.size() && p.substr(0, s.size()) == s) return ProbeVerdict::kMaybe;
  }
  return ProbeVerdict::kNo;
}

constexpr std::string_view kSigs[] = {"^(REQ|RSP) "};
constexpr uint16_t kPorts[] = {7000};
const ProtocolDescriptor kLine{"line", kTcp, kSigs, kPorts, probe_line, parser_factory<LineParser>(), {}};
const ProtocolDescriptor* const kLineList[] = {&kLine};

class Records : public RecordSink {
 public:
  void on_record(FlowRecord& r) override { all.push_back(r); }
  std::vector<FlowRecord> all;
};

// --- a TCP conversation builder ----------------------------------------------------------------
struct Conn {
  fb::Ip4 cip = fb::ip4("10.0.0.1"), sip = fb::ip4("10.0.0.2");
  uint16_t cport = 40000, sport = 7000;
  uint32_t cseq = 100, sseq = 5000;
  fb::EthOpts eth{};
  uint32_t vni = 0;  // VXLAN when non-zero

  fb::Bytes frame(bool from_client, const fb::Bytes& payload, uint8_t flags, uint32_t seq) {
    fb::TcpOpts t;
    t.seq = seq;
    t.flags = flags;
    auto l4 = from_client ? fb::tcp(cport, sport, payload, t) : fb::tcp(sport, cport, payload, t);
    auto ip = from_client ? fb::ipv4(cip, sip, fb::kTcp, l4) : fb::ipv4(sip, cip, fb::kTcp, l4);
    auto inner = fb::ethernet(fb::kEthIpv4, ip, eth);
    if (vni == 0) return inner;
    return fb::ethernet(fb::kEthIpv4, fb::ipv4(fb::ip4("192.168.0.1"), fb::ip4("192.168.0.2"), fb::kUdp,
                                               fb::udp(55555, 4789, fb::vxlan(vni, inner))));
  }
  std::vector<fb::Bytes> handshake() {
    std::vector<fb::Bytes> v;
    v.push_back(frame(true, {}, fb::tcpf::kSyn, cseq++));
    v.push_back(frame(false, {}, fb::tcpf::kSyn | fb::tcpf::kAck, sseq++));
    v.push_back(frame(true, {}, fb::tcpf::kAck, cseq));
    return v;
  }
  fb::Bytes data(bool from_client, std::string_view text) {
    uint32_t& seq = from_client ? cseq : sseq;
    auto f = frame(from_client, fb::bytes(text), fb::tcpf::kPsh | fb::tcpf::kAck, seq);
    seq += static_cast<uint32_t>(text.size());
    return f;
  }
};

class FlowProcessorTest : public ::testing::Test {
 protected:
  FlowProcessorTest() : sigs_(kLineList) {}
  using Hints = std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>;
  std::unique_ptr<FlowProcessor> make(FlowProcessorConfig cfg = {}, Hints hints = {}) {
    return std::make_unique<FlowProcessor>(3, cfg, sigs_, hints, records_, stats_);
  }
  uint64_t stat(uint32_t id) const { return stats_[id].get(); }
  void feed(FlowProcessor& p, const fb::Bytes& f, uint64_t ts) { p.process_frame(f, ts); }
  SignatureDatabase sigs_;
  Records records_;
  WorkerStats stats_;
};

TEST_F(FlowProcessorTest, HandshakeRequestResponseMakesOneSession) {
  auto p = make();
  Conn c;
  uint64_t ts = 1'700'000'000'000'000;
  for (auto& f : c.handshake()) feed(*p, f, ts++);
  feed(*p, c.data(true, "REQ 7\n"), 1'700'000'000'000'100);
  feed(*p, c.data(false, "RSP 7\n"), 1'700'000'000'000'350);
  ASSERT_EQ(records_.all.size(), 1u);
  const FlowRecord& r = records_.all[0];
  EXPECT_EQ(r.type, RecordType::kSession);
  EXPECT_EQ(r.protocol, kUnknownProtocol);  // the toy protocol is not in the registry: no id
  EXPECT_EQ(r.worker, 3);
  EXPECT_EQ(r.l7.get(Field::kRequestId), "7");
  EXPECT_TRUE(r.has_rrt);
  EXPECT_EQ(r.rrt_us, 250u);
  EXPECT_EQ(r.start_time_us, 1'700'000'000'000'100u);
  EXPECT_EQ(r.end_time_us, 1'700'000'000'000'350u);
  EXPECT_EQ(r.net.client_port, 40000);
  EXPECT_EQ(r.net.server_port, 7000);
  EXPECT_EQ(r.net.client_ip, fb::mapped(c.cip));
  EXPECT_EQ(r.l7.request_length, 6u);
  EXPECT_EQ(r.l7.response_length, 6u);
  EXPECT_EQ(stats_.protocol_flows(kUnknownProtocol).get(), 1u);
}

TEST_F(FlowProcessorTest, MidStreamPickupUsesPortHintForOrientation) {
  // No SYN seen, and the server's port (7000) is lower than... the client's is too: 7000 vs 6000.
  // Only the port hint can tell which side serves.
  auto p = make({}, Hints{{7000, &kLine}});
  Conn c;
  c.cport = 6000;
  feed(*p, c.data(false, "RSP 1\n"), 10);  // capture starts with a response
  feed(*p, c.data(true, "REQ 2\n"), 20);
  feed(*p, c.data(false, "RSP 2\n"), 30);
  p->flush_all();
  ASSERT_EQ(records_.all.size(), 2u);
  EXPECT_EQ(records_.all[0].type, RecordType::kResponse);
  EXPECT_EQ(records_.all[1].type, RecordType::kSession);
  EXPECT_EQ(records_.all[1].net.server_port, 7000);
  EXPECT_EQ(records_.all[1].net.client_port, 6000);
}

TEST_F(FlowProcessorTest, ParserCorrectsAWrongOrientationGuess) {
  // Mid-stream, no hint, and the client uses the lower port: the guess (higher port = client) is
  // wrong until the parser sees who sends requests.
  auto p = make();
  Conn c;
  c.cport = 3000;
  c.sport = 9000;
  feed(*p, c.data(true, "REQ 4\n"), 10);
  feed(*p, c.data(false, "RSP 4\n"), 20);
  ASSERT_EQ(records_.all.size(), 1u);
  EXPECT_EQ(records_.all[0].type, RecordType::kSession);
  EXPECT_EQ(records_.all[0].net.client_port, 3000);
  EXPECT_EQ(records_.all[0].net.server_port, 9000);
  EXPECT_EQ(records_.all[0].net.server_ip, fb::mapped(c.sip));
}

TEST_F(FlowProcessorTest, HandshakeOrientationIsNotOverruledByTheParser) {
  // The SYN settles who the client is: a request travelling towards it (a server-initiated call)
  // must not swap the endpoints.
  auto p = make();
  Conn c;
  for (auto& f : c.handshake()) feed(*p, f, 1);
  feed(*p, c.data(false, "REQ 8\n"), 10);
  feed(*p, c.data(true, "RSP 8\n"), 20);
  ASSERT_EQ(records_.all.size(), 1u);
  EXPECT_EQ(records_.all[0].type, RecordType::kSession);
  EXPECT_EQ(records_.all[0].net.client_port, 40000);
  EXPECT_EQ(records_.all[0].net.server_port, 7000);
}

TEST_F(FlowProcessorTest, WorkerBufferBudgetBoundsAllFlowsTogether) {
  // Each flow holds one out-of-order segment of 6000 bytes (an 8 KiB holding block each); the
  // worker may buffer 20 KiB in all, so two flows hold theirs and the other two are refused (a
  // counted gap each).
  FlowProcessorConfig cfg;
  cfg.max_out_of_order_bytes = 8192;
  cfg.max_buffered_total = 20 * 1024;
  auto p = make(cfg);
  const std::string body = std::string(5997, '1') + "\n";
  for (uint16_t i = 0; i < 4; ++i) {
    Conn c;
    c.cport = static_cast<uint16_t>(41000 + i);
    for (auto& f : c.handshake()) feed(*p, f, 1);
    c.cseq += 4;  // "REQ " is lost: what follows must be held
    feed(*p, c.data(true, body), 2);
  }
  p->publish_stats();
  EXPECT_LE(stat(WorkerStats::kPoolBytes), 20u * 1024);
  EXPECT_GE(stat(WorkerStats::kBufferedBytes), 2u * 6000);  // two flows hold their segment
  EXPECT_GE(stat(WorkerStats::kBudgetRefusals), 2u);        // the other two were refused
  p->flush_all();
  EXPECT_EQ(stat(WorkerStats::kBufferedBytes), 0u);
}

TEST_F(FlowProcessorTest, OutOfOrderAndSplitSegmentsAreReassembled) {
  auto p = make();
  Conn c;
  for (auto& f : c.handshake()) feed(*p, f, 1);
  // "REQ 11\nREQ 12\n" in three segments delivered 3,1,2.
  auto s1 = c.data(true, "REQ 1");
  auto s2 = c.data(true, "1\nREQ ");
  auto s3 = c.data(true, "12\n");
  feed(*p, s3, 2);
  feed(*p, s1, 3);
  feed(*p, s2, 4);
  feed(*p, c.data(false, "RSP 12\nRSP 11\n"), 9);
  ASSERT_EQ(records_.all.size(), 2u);
  EXPECT_EQ(records_.all[0].l7.get(Field::kRequestId), "12");
  EXPECT_EQ(records_.all[1].l7.get(Field::kRequestId), "11");
  for (auto& r : records_.all) EXPECT_EQ(r.type, RecordType::kSession);
  p->publish_stats();
  EXPECT_GE(stat(WorkerStats::kOutOfOrder), 1u);
}

TEST_F(FlowProcessorTest, VlanAndVxlanKeepFlowsApart) {
  auto p = make();
  Conn plain, vlan, vx;
  vlan.eth.tags.push_back({100, 0x8100, 0});
  vx.vni = 4242;
  for (Conn* c : {&plain, &vlan, &vx})
    for (auto& f : c->handshake()) feed(*p, f, 1);
  feed(*p, plain.data(true, "REQ 1\n"), 2);
  feed(*p, vlan.data(true, "REQ 1\n"), 2);
  feed(*p, vx.data(true, "REQ 1\n"), 2);
  feed(*p, vx.data(false, "RSP 1\n"), 3);
  feed(*p, vlan.data(false, "RSP 1\n"), 3);
  EXPECT_EQ(p->active_flows(), 3u);
  ASSERT_EQ(records_.all.size(), 2u);
  EXPECT_TRUE(records_.all[0].net.has_tunnel_id);
  EXPECT_EQ(records_.all[0].net.tunnel_id, 4242u);
  EXPECT_TRUE(records_.all[1].net.has_vlan);
  EXPECT_EQ(records_.all[1].net.vlan, 100);
  p->flush_all();  // the plain flow's request was never answered
  ASSERT_EQ(records_.all.size(), 3u);
  EXPECT_EQ(records_.all[2].type, RecordType::kRequest);
  EXPECT_FALSE(records_.all[2].net.has_vlan);
}

TEST_F(FlowProcessorTest, UnansweredRequestTimesOut) {
  FlowProcessorConfig cfg;
  cfg.request_timeout_us = 1'000'000;
  auto p = make(cfg);
  Conn c;
  for (auto& f : c.handshake()) feed(*p, f, 1'000);
  feed(*p, c.data(true, "REQ 5\n"), 2'000);
  p->housekeeping(900'000);
  EXPECT_TRUE(records_.all.empty());
  p->housekeeping(1'002'000);
  ASSERT_EQ(records_.all.size(), 1u);
  EXPECT_EQ(records_.all[0].type, RecordType::kRequest);
  EXPECT_EQ(records_.all[0].l7.response_status, ResponseStatus::kTimeout);
}

TEST_F(FlowProcessorTest, IdleFlowsExpireAndFullTableEvicts) {
  FlowProcessorConfig cfg;
  cfg.flow_capacity = 2;
  cfg.flow_idle_timeout_us = 10'000;
  cfg.no_payload_timeout_us = 10'000;
  auto p = make(cfg);
  for (uint16_t i = 0; i < 3; ++i) {
    Conn c;
    c.cport = static_cast<uint16_t>(40000 + i);
    for (auto& f : c.handshake()) feed(*p, f, 100 + i);
  }
  p->publish_stats();
  EXPECT_EQ(p->active_flows(), 2u);
  EXPECT_EQ(stat(WorkerStats::kEvictions), 1u);
  p->housekeeping(50'000);
  EXPECT_EQ(p->active_flows(), 0u);
  EXPECT_EQ(stat(WorkerStats::kEndedIdle), 2u);
}

// l7tap_flow_insert_failures_total: a flow the table's index cannot place (both of its buckets
// full, no resident movable) is not tracked. With the per-run secret hash seed nobody can aim
// flows at one bucket pair and the index is at most half full, so in practice it stays 0; it is
// the table's only way to lose a flow, so it must show when it happens. A test that knows the
// seed can make it happen: 17 flows whose hashes share the bucket and the 16-bit signature fill
// both of their buckets (8 slots each) and the 17th has nowhere to go, though the table has room.
TEST_F(FlowProcessorTest, FlowsTheIndexCannotPlaceAreCounted) {
  FlowProcessorConfig cfg;
  cfg.flow_capacity = 32;  // 64 index slots: 8 buckets of 8 (the low 3 hash bits pick the bucket)
  cfg.hash_seed = 0x5eed;
  auto same_slot_pair = [](uint64_t a, uint64_t b) {
    return (a & 7) == (b & 7) && ((a >> 32) & 0xffff) == ((b >> 32) & 0xffff);
  };
  // Client 10.0.x.y:port → server 10.0.0.2:7000, as the SYN's decode gives it.
  auto key_of = [](uint8_t x, uint8_t y, uint16_t port) {
    DecodedPacket p;
    p.src_ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, x, y};
    p.dst_ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
    p.l4_proto = 6;
    p.src_port = port;
    p.dst_port = 7000;
    bool swapped;
    return make_flow_key(p, swapped);
  };
  std::vector<Conn> flows;
  uint64_t first = 0;
  for (uint32_t n = 0; flows.size() < 17 && n < (1u << 30); ++n) {
    const auto x = static_cast<uint8_t>(n >> 24), y = static_cast<uint8_t>(n >> 16);
    const auto port = static_cast<uint16_t>(n);
    if (port < 1024) continue;
    const uint64_t h = flow_hash(key_of(x, y, port), cfg.hash_seed);
    if (flows.empty()) first = h;
    if (!flows.empty() && !same_slot_pair(h, first)) continue;
    Conn c;
    c.cip = fb::ip4(("10.0." + std::to_string(x) + "." + std::to_string(y)).c_str());
    c.cport = port;
    flows.push_back(c);
  }
  ASSERT_EQ(flows.size(), 17u);
  auto p = make(cfg);
  for (Conn& c : flows) feed(*p, c.handshake()[0], 1'000);
  p->publish_stats();
  EXPECT_EQ(stat(WorkerStats::kFlowsCreated), 16u);
  EXPECT_EQ(stat(WorkerStats::kInsertFailures), 1u);
  EXPECT_EQ(p->active_flows(), 16u);
  EXPECT_EQ(stat(WorkerStats::kEvictions), 0u);  // the table had room: only the index did not
}

TEST_F(FlowProcessorTest, UnknownProtocolIsCountedAndIgnored) {
  auto p = make();
  Conn c;
  for (auto& f : c.handshake()) feed(*p, f, 1);
  for (int i = 0; i < 10; ++i) feed(*p, c.data(true, "\x16\x03\x01 not ours at all\n"), 2 + i);
  EXPECT_TRUE(records_.all.empty());
  EXPECT_EQ(stat(WorkerStats::kDetectionFailures), 1u);
  EXPECT_EQ(stats_.decode(DecodeStatus::kOk).get(), 13u);
  // After 8 attempts the flow is bypassed: its last 2 packets are only counted.
  EXPECT_EQ(stats_.bypassed(BypassReason::kDetectionFailed).get(), 1u);
  EXPECT_EQ(stat(WorkerStats::kBypassedPackets), 2u);
  p->publish_stats();
  EXPECT_EQ(stat(WorkerStats::kBufferedBytes), 0u);
}

TEST_F(FlowProcessorTest, DetectionWaitsForMoreBytesThenReplaysThem) {
  auto p = make();
  Conn c;
  for (auto& f : c.handshake()) feed(*p, f, 1);
  feed(*p, c.data(true, "RE"), 2);  // too short to tell: held back
  feed(*p, c.data(true, "Q 9\n"), 3);
  feed(*p, c.data(false, "RSP 9\n"), 4);
  ASSERT_EQ(records_.all.size(), 1u);
  EXPECT_EQ(records_.all[0].type, RecordType::kSession);
  EXPECT_EQ(records_.all[0].l7.get(Field::kRequestId), "9");
}

TEST_F(FlowProcessorTest, MalformedFramesCostOnlyThemselves) {
  auto p = make();
  Conn c;
  for (auto& f : c.handshake()) feed(*p, f, 1);
  fb::Bytes junk = c.data(true, "REQ 1\n");
  junk.resize(20);  // truncated inside the IP header
  feed(*p, junk, 2);
  c.cseq -= 6;  // the truncated frame never delivered its bytes
  feed(*p, c.data(true, "REQ 1\n"), 3);
  feed(*p, c.data(false, "RSP 1\n"), 4);
  ASSERT_EQ(records_.all.size(), 1u);
  EXPECT_EQ(records_.all[0].type, RecordType::kSession);
  EXPECT_EQ(stats_.decode(DecodeStatus::kTruncated).get(), 1u);
}

}  // namespace
}  // namespace l7tap
