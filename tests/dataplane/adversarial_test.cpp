// The flow layer against an attacker on the mirror: traffic built by our generator (tools/gen,
// written from the protocol specifications) through a FlowProcessor with the real protocol
// registry. One test per defect found that way (issue "framework v2", item 8), plus bypass:
//  - detection cache poisoning by one odd flow to a server;
//  - the buffer budget pinned by flows reordered once;
//  - forged segments far ahead in sequence;
//  - TCP-only protocols recognised in UDP datagrams;
//  - flows nobody can parse still buffered.
// And reassembly abuse (issue "reliability and security"): retransmissions that overlap with other
// bytes, a zero window forged from the server, endless out-of-order data that never fills its hole.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/flow_processor.hpp"
#include "protocols/registry.hpp"
#include "tests/dataplane/mqtt_frames.hpp"
#include "tools/gen/proto_mqtt.hpp"
#include "tools/gen/proto_nats.hpp"
#include "tools/gen/tcp_conversation.hpp"
#include "tools/gen/writer.hpp"

namespace l7tap {
namespace {

class Records : public RecordSink {
 public:
  void on_record(FlowRecord& r) override { all.push_back(r); }
  // (protocol name, request_type) → records
  std::map<std::pair<std::string, std::string>, int> count() const {
    std::map<std::pair<std::string, std::string>, int> m;
    for (const FlowRecord& r : all)
      ++m[{std::string(protocol_name(r.protocol)), std::string(r.l7.get(Field::kRequestType))}];
    return m;
  }
  int of(std::string_view proto) const {
    int n = 0;
    for (const FlowRecord& r : all) n += protocol_name(r.protocol) == proto;
    return n;
  }
  std::vector<FlowRecord> all;
};

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

class Adversarial : public ::testing::Test {
 protected:
  Adversarial() : protos_(all_protocols().begin(), all_protocols().end()), sigs_(protos_) {}

  // No port hints: the broker ports below are random high ports, so detection comes from the
  // bytes alone (the harder case for the cache).
  FlowProcessor& make(FlowProcessorConfig cfg = {}) {
    cfg.hash_seed = 7;
    proc_ = std::make_unique<FlowProcessor>(0, cfg, sigs_, std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>{},
                                            records_, stats_);
    return *proc_;
  }
  void feed(const gen::FrameArena& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) proc_->process_frame(frames[i], ts_ += 10);
  }
  gen::FlowSpec spec(uint16_t client_port, uint16_t server_port = 31883) {
    gen::FlowSpec s;
    s.client_ip = gen::ip4(10, 1, static_cast<uint8_t>(client_port >> 8), static_cast<uint8_t>(client_port));
    s.server_ip = gen::ip4(10, 9, 9, 9);
    s.client_port = client_port;
    s.server_port = server_port;
    return s;
  }
  // A whole MQTT conversation: CONNECT/CONNACK, PUBLISH QoS 1/PUBACK, orderly close.
  void mqtt_conversation(gen::FlowSpec s, const std::string& id) {
    gen::TcpConversation c(s);
    gen::FrameArena f;
    c.handshake(f);
    c.send(f, gen::Dir::kToServer, mqtt_connect(id));
    c.send(f, gen::Dir::kToClient, mqtt_connack());
    c.send(f, gen::Dir::kToServer, mqtt_publish("sensors/" + id, 1, 40));
    c.send(f, gen::Dir::kToClient, mqtt_puback(1), true);
    c.close(f, gen::Dir::kToServer);
    feed(f);
  }

  std::vector<const ProtocolDescriptor*> protos_;
  SignatureDatabase sigs_;
  Records records_;
  WorkerStats stats_;
  std::unique_ptr<FlowProcessor> proc_;
  uint64_t ts_ = 1'700'000'000'000'000;
};

// One flow to an MQTT broker that sends "PING\r\n" (NATS-looking bytes) must not decide how every
// later conversation to that broker is parsed: 15 MQTT conversations after it are all MQTT.
TEST_F(Adversarial, OneOddFlowDoesNotPoisonTheServersDetection) {
  make();
  {
    gen::TcpConversation c(spec(50000));
    gen::FrameArena f;
    c.handshake(f);
    c.send(f, gen::Dir::kToServer, bytes("PING\r\n"));
    c.rst(f, gen::Dir::kToClient);  // the broker drops a client that does not speak MQTT
    feed(f);
  }
  for (uint16_t i = 0; i < 15; ++i) mqtt_conversation(spec(static_cast<uint16_t>(50001 + i)), "dev" + std::to_string(i));
  proc_->flush_all();
  const auto n = records_.count();
  EXPECT_EQ((n.at({"mqtt", "CONNECT"})), 15);
  EXPECT_EQ((n.at({"mqtt", "PUBLISH"})), 15);
  EXPECT_EQ(records_.of("nats"), 1);  // the odd flow's own PING, nothing more
}

// A verdict proven by one flow is not used for the same address on another VLAN (or tunnel), and
// a cached verdict the flow's own bytes contradict loses to what the bytes say.
TEST_F(Adversarial, CachedVerdictsAreKeyedByVlanAndOverruledByTheBytes) {
  make();
  mqtt_conversation(spec(50000), "proven");  // proves MQTT for 10.9.9.9:31883 without VLAN
  gen::FlowSpec other_vlan = spec(50001);
  other_vlan.vlan = 20;
  gen::FlowSpec same = spec(50002);
  for (const gen::FlowSpec& s : {other_vlan, same}) {  // NATS to the "same" server
    gen::TcpConversation c(s);
    gen::FrameArena f;
    c.handshake(f);
    std::vector<uint8_t> info;
    gen::Writer w(info);
    gen::nats::info(w, R"({"server_id":"x","version":"2.10.0"})");
    c.send(f, gen::Dir::kToClient, info);
    std::vector<uint8_t> hello;
    gen::Writer hw(hello);
    gen::nats::connect(hw, R"({"verbose":false})");
    gen::nats::pub(hw, "a.b", "", gen::as_bytes("hi"));
    c.send(f, gen::Dir::kToServer, hello);
    c.close(f, gen::Dir::kToServer);
    feed(f);
  }
  proc_->flush_all();
  const auto n = records_.count();
  EXPECT_EQ((n.at({"nats", "INFO"})), 2);
  EXPECT_EQ((n.at({"nats", "PUB"})), 2);
  EXPECT_EQ((n.at({"mqtt", "CONNECT"})), 1);
}

// The cache still does its job: a flow to a proven server picked up mid-connection, whose first
// bytes are the middle of a message no probe recognises, is parsed as the server's protocol.
TEST_F(Adversarial, ProvenServerRecognisesMidStreamFlows) {
  make();
  mqtt_conversation(spec(50000), "proven");
  gen::TcpConversation c(spec(50001));
  gen::FrameArena f;
  // No handshake: the capture starts in the tail of a PUBLISH, then whole packets follow.
  const auto tail = mqtt_publish("sensors/x", 9, 300);
  c.send(f, gen::Dir::kToServer, std::span<const uint8_t>(tail).subspan(100));
  c.send(f, gen::Dir::kToServer, mqtt_publish("sensors/mid", 10, 20));
  c.send(f, gen::Dir::kToClient, mqtt_puback(10));
  feed(f);
  proc_->flush_all();
  int mid = 0;
  for (const FlowRecord& r : records_.all)
    mid += protocol_name(r.protocol) == "mqtt" && r.l7.get(Field::kRequestResource) == "sensors/mid";
  EXPECT_EQ(mid, 1);
}

// Flows reordered once must not pin the worker's buffer budget after their hole is filled: with a
// budget that 300 pinned holding areas would exhaust, 100 later flows whose PUBLISH arrives out of
// order are all still reassembled and logged.
TEST_F(Adversarial, FilledHolesDoNotPinTheBufferBudget) {
  FlowProcessorConfig cfg;
  cfg.flow_capacity = 1024;
  cfg.max_out_of_order_bytes = 64 * 1024;
  cfg.max_buffered_total = 300 * 64 * 1024 / 4;  // a quarter of what 300 reserved areas would take
  make(cfg);
  auto reordered_publish = [&](uint16_t port, const std::string& id) {
    gen::TcpConversation c(spec(port));
    gen::FrameArena f;
    c.handshake(f);
    c.send(f, gen::Dir::kToServer, mqtt_connect(id));
    c.send(f, gen::Dir::kToClient, mqtt_connack());
    // PUBLISH in two segments, the second first: it is held until the first fills the hole.
    const auto pub = mqtt_publish("r/" + id, 1, 1000);
    const std::span<const uint8_t> all(pub);
    const gen::TcpConversation::Segment first = c.hold(gen::Dir::kToServer, all.first(500));
    const gen::TcpConversation::Segment second = c.hold(gen::Dir::kToServer, all.subspan(500));
    c.emit(f, second);
    c.emit(f, first);
    c.send(f, gen::Dir::kToClient, mqtt_puback(1), true);
    feed(f);  // left open: the flows stay in the table
  };
  for (uint16_t i = 0; i < 300; ++i) reordered_publish(static_cast<uint16_t>(20000 + i), "a" + std::to_string(i));
  proc_->publish_stats();
  // What stays in use is the open flows' parser state (a small block each), not holding areas.
  EXPECT_LT(stats_[WorkerStats::kBufferedBytes].get(), 300u * 1024) << "filled holes hold nothing";
  records_.all.clear();
  for (uint16_t i = 0; i < 100; ++i) reordered_publish(static_cast<uint16_t>(30000 + i), "b" + std::to_string(i));
  int publishes = 0;
  for (const FlowRecord& r : records_.all) publishes += r.l7.get(Field::kRequestType) == "PUBLISH" && r.has_rrt;
  EXPECT_EQ(publishes, 100);
  EXPECT_EQ(stats_[WorkerStats::kBudgetRefusals].get(), 0u);
}

// 50 segments forged 2^30 ahead in sequence (70 KB, more than a holding area takes, so holding
// them would force giving up the "hole" before them) must not move the stream: the real
// conversation after them is parsed whole.
TEST_F(Adversarial, ForgedFarAheadSegmentsDoNotMoveTheStream) {
  make();
  gen::TcpConversation c(spec(50000));
  gen::FrameArena f;
  c.handshake(f);
  const std::vector<uint8_t> junk(1400, 0x30);
  for (uint32_t k = 0; k < 50; ++k) {
    gen::TcpConversation::Segment s = c.next(gen::Dir::kToServer, junk);
    s.seq += (1u << 30) + 2000 * k;
    c.emit(f, s);
  }
  c.send(f, gen::Dir::kToServer, mqtt_connect("real"));
  c.send(f, gen::Dir::kToClient, mqtt_connack());
  for (uint16_t id = 1; id <= 5; ++id) {
    c.send(f, gen::Dir::kToServer, mqtt_publish("real/t", id, 50));
    c.send(f, gen::Dir::kToClient, mqtt_puback(id));
  }
  c.close(f, gen::Dir::kToServer);
  feed(f);
  proc_->flush_all();
  const auto n = records_.count();
  EXPECT_EQ((n.at({"mqtt", "CONNECT"})), 1);
  EXPECT_EQ((n.at({"mqtt", "PUBLISH"})), 5);
  for (const FlowRecord& r : records_.all) EXPECT_EQ(r.type, RecordType::kSession);
  proc_->publish_stats();
  EXPECT_EQ(stats_[WorkerStats::kOutOfWindow].get(), 50u);
  EXPECT_EQ(stats_[WorkerStats::kGaps].get(), 0u);
}

// MQTT and NATS run over TCP only: datagrams that look like them are not parsed as them.
TEST_F(Adversarial, TcpOnlyProtocolsAreNotParsedInUdp) {
  make();
  gen::TcpConversation c(spec(50000, 4222));
  gen::FrameArena f;
  c.datagram(f, gen::Dir::kToServer, bytes("PING\r\n"));
  c.datagram(f, gen::Dir::kToServer, mqtt_connect("udp"));
  c.datagram(f, gen::Dir::kToClient, bytes("PONG\r\n"));
  feed(f);
  proc_->flush_all();
  EXPECT_TRUE(records_.all.empty());
  EXPECT_EQ(stats_.bypassed(BypassReason::kNoParser).get(), 1u);
  EXPECT_EQ(stats_[WorkerStats::kBypassedPackets].get(), 3u);
}

// A flow nobody can parse (TLS here) is bypassed once detection fails: its later segments, in
// order or not, cost no reassembly and no buffer.
TEST_F(Adversarial, UnknownFlowsAreBypassedWithoutBuffering) {
  make();
  gen::TcpConversation c(spec(50000, 443));
  gen::FrameArena f;
  c.handshake(f);
  std::vector<uint8_t> hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
  hello.resize(517, 0x42);
  c.send(f, gen::Dir::kToServer, hello);
  std::vector<uint8_t> record(1400, 0x17);
  for (int i = 0; i < 20; ++i) c.send(f, gen::Dir::kToClient, record);  // "application data"
  // Out of order after the bypass: nothing is held.
  const auto a = c.hold(gen::Dir::kToClient, record);
  const auto b = c.hold(gen::Dir::kToClient, record);
  c.emit(f, b);
  c.emit(f, a);
  feed(f);
  proc_->publish_stats();
  EXPECT_TRUE(records_.all.empty());
  EXPECT_EQ(stats_.bypassed(BypassReason::kDetectionFailed).get(), 1u);
  EXPECT_GE(stats_[WorkerStats::kBypassedPackets].get(), 14u);  // after the 8 detection attempts
  EXPECT_EQ(stats_[WorkerStats::kBufferedBytes].get(), 0u);
  EXPECT_EQ(stats_[WorkerStats::kOutOfOrder].get(), 0u);
}

// A retransmission of bytes already delivered, carrying other bytes (an attacker rewriting a
// topic, or a broken middlebox), changes nothing: the first copy was parsed, the second is counted
// as a retransmission. Overlapping held data is trimmed the same way: first copy wins.
TEST_F(Adversarial, RetransmissionsWithOtherBytesDoNotRewriteTheStream) {
  make();
  gen::TcpConversation c(spec(50001));
  gen::FrameArena f;
  c.handshake(f);
  c.send(f, gen::Dir::kToServer, mqtt_connect("rw"));
  c.send(f, gen::Dir::kToClient, mqtt_connack());
  const auto real = mqtt_publish("real/topic", 1, 20);
  const auto fake = mqtt_publish("fake/topic", 1, 20);  // same length, other bytes
  ASSERT_EQ(real.size(), fake.size());
  const gen::TcpConversation::Segment first = c.next(gen::Dir::kToServer, real);
  c.emit(f, first);
  gen::TcpConversation::Segment again = first;
  again.payload = fake;
  c.emit(f, again);
  c.advance(gen::Dir::kToServer, static_cast<uint32_t>(real.size()));
  // Held data too: the second PUBLISH arrives out of order twice, real bytes first.
  const auto real2 = mqtt_publish("real/two", 2, 20);
  const auto fake2 = mqtt_publish("fake/two", 2, 20);
  const gen::TcpConversation::Segment hole = c.hold(gen::Dir::kToServer, std::span(real2).first(10));
  gen::TcpConversation::Segment rest = c.hold(gen::Dir::kToServer, std::span(real2).subspan(10));
  c.emit(f, rest);
  rest.payload = std::span(fake2).subspan(10);
  c.emit(f, rest);
  c.emit(f, hole);
  c.send(f, gen::Dir::kToClient, mqtt_puback(1));
  c.send(f, gen::Dir::kToClient, mqtt_puback(2));
  feed(f);
  proc_->flush_all();
  std::vector<std::string> topics;
  for (const FlowRecord& r : records_.all)
    if (r.l7.get(Field::kRequestType) == "PUBLISH") topics.emplace_back(r.l7.get(Field::kRequestResource));
  EXPECT_EQ(topics, (std::vector<std::string>{"real/topic", "real/two"}));
  proc_->publish_stats();
  EXPECT_EQ(stats_[WorkerStats::kRetransmissions].get(), 2u);
  EXPECT_EQ(stats_[WorkerStats::kGaps].get(), 0u);
}

// A zero window forged from the server's side must not blind us to the client's data: a window of
// 0 says nothing about where the client's bytes may be (zero-window probes, and the window opens
// again), so data just ahead of the stream is still held and the conversation parsed whole.
TEST_F(Adversarial, ForgedZeroWindowDoesNotBlindTheOtherSide) {
  make();
  gen::TcpConversation c(spec(50002));
  gen::FrameArena f;
  c.handshake(f);
  c.send(f, gen::Dir::kToServer, mqtt_connect("zw"));
  c.send(f, gen::Dir::kToClient, mqtt_connack());
  // The forged ACK: window field zeroed in the frame (untagged IPv4: TCP window at offset 48).
  gen::FrameArena forged;
  c.emit(forged, c.next(gen::Dir::kToClient, {}, gen::tcp::kAck));
  std::vector<uint8_t> zero(forged[0].begin(), forged[0].end());
  zero[48] = zero[49] = 0;
  feed(f);
  f.clear();
  proc_->process_frame(zero, ts_ += 10);
  // Then the client's PUBLISH, its two halves swapped, and the acks.
  const auto pub = mqtt_publish("after/zero", 1, 300);
  const gen::TcpConversation::Segment a = c.hold(gen::Dir::kToServer, std::span(pub).first(100));
  const gen::TcpConversation::Segment b = c.hold(gen::Dir::kToServer, std::span(pub).subspan(100));
  c.emit(f, b);
  c.emit(f, a);
  c.send(f, gen::Dir::kToClient, mqtt_puback(1));
  feed(f);
  proc_->flush_all();
  int publishes = 0;
  for (const FlowRecord& r : records_.all)
    publishes += r.l7.get(Field::kRequestType) == "PUBLISH" && r.l7.get(Field::kRequestResource) == "after/zero";
  EXPECT_EQ(publishes, 1);
  proc_->publish_stats();
  EXPECT_EQ(stats_[WorkerStats::kOutOfWindow].get(), 0u);
}

// One flow sends out-of-order data forever and never fills its hole (nor does the server
// acknowledge past it). What it holds stays within flows.max_out_of_order_bytes, the excess is
// dropped and counted, and a conversation beside it is parsed whole.
TEST_F(Adversarial, EndlessOutOfOrderDataStaysWithinItsCap) {
  FlowProcessorConfig cfg;
  cfg.max_out_of_order_bytes = 16 * 1024;
  make(cfg);
  gen::TcpConversation c(spec(50003));
  gen::FrameArena f;
  c.handshake(f);
  c.send(f, gen::Dir::kToServer, mqtt_connect("ooo"));
  c.send(f, gen::Dir::kToClient, mqtt_connack());
  const uint32_t hole = c.seq(gen::Dir::kToServer);
  c.drop(gen::Dir::kToServer, 1);  // the hole: one byte that never comes
  feed(f);
  const std::vector<uint8_t> junk(100, 0x30);
  uint64_t most_held = 0;
  for (int k = 0; k < 20000; ++k) {
    f.clear();
    c.send(f, gen::Dir::kToServer, junk);  // each 100 bytes further ahead
    if (k % 100 == 0) {  // the server acknowledges up to the hole, never past it
      gen::TcpConversation::Segment a = c.next(gen::Dir::kToClient, {}, gen::tcp::kAck);
      a.ack = hole;
      c.emit(f, a);
    }
    feed(f);
    if (k % 1000 == 999) {
      proc_->publish_stats();
      most_held = std::max(most_held, stats_[WorkerStats::kBufferedBytes].get());
    }
  }
  // The parser's state and the one holding area (its bytes and run descriptors, in a pool block of
  // the next power of two), nothing that grows with the stream.
  EXPECT_LE(most_held, 2 * 16u * 1024 + 4096);
  EXPECT_GT(stats_[WorkerStats::kUnconfirmedDrops].get() + stats_[WorkerStats::kOutOfWindow].get(), 19000u)
      << "unconfirmed " << stats_[WorkerStats::kUnconfirmedDrops].get() << " out of window "
      << stats_[WorkerStats::kOutOfWindow].get();
  EXPECT_EQ(stats_[WorkerStats::kGaps].get(), 0u) << "the hole is not given up while unacknowledged";
  mqtt_conversation(spec(50004), "beside");
  int publishes = 0;
  for (const FlowRecord& r : records_.all) publishes += r.l7.get(Field::kRequestType) == "PUBLISH";
  EXPECT_EQ(publishes, 1);
}


// A PUBLISH whose Remaining Length is the legal maximum (268,435,455) used to swallow the rest of
// the direction, uncounted. Through the whole pipeline: the length is refused (beyond mqtt's
// 16 MiB max message size), counted per protocol, and the next PUBLISH is logged and paired.
// With the limit raised above it (protocols.max_message_size), skipping starts and the next
// segment's whole packets stop it (a resync, no oversize). A real large PUBLISH is skipped and its
// bytes counted.
TEST_F(Adversarial, MqttLengthBombIsCountedAndTheNextPublishParsed) {
  static const MessageSizeLimit kRaised[] = {{"mqtt", 300u << 20}};
  const ProtocolId mqtt = protocol_id("mqtt");
  // The counters only grow: each case checks what it added.
  auto counts = [&] {
    return std::array<uint64_t, 4>{stats_.oversize(mqtt).get(), stats_.resyncs(mqtt).get(),
                                   stats_.skipped_bytes(mqtt).get(), stats_.messages(mqtt).get()};
  };
  for (const bool raised : {false, true}) {
    records_.all.clear();
    const auto before = counts();
    FlowProcessorConfig cfg;
    if (raised) cfg.parser.max_message = kRaised;
    make(cfg);
    gen::TcpConversation c(spec(50000));
    gen::FrameArena f;
    c.handshake(f);
    c.send(f, gen::Dir::kToServer, mqtt_connect("bomber"));
    c.send(f, gen::Dir::kToClient, mqtt_connack());
    std::vector<uint8_t> bomb = {0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x03, 'a', '/', 'b'};
    bomb.resize(bomb.size() + 40, 'p');
    c.send(f, gen::Dir::kToServer, bomb);
    c.send(f, gen::Dir::kToServer, mqtt_publish("sensors/after", 7, 20));
    c.send(f, gen::Dir::kToClient, mqtt_puback(7), true);
    c.close(f, gen::Dir::kToServer);
    feed(f);
    proc_->flush_all();
    int after = 0;
    for (const FlowRecord& r : records_.all)
      after += r.l7.get(Field::kRequestResource) == "sensors/after" && r.l7.response_status == ResponseStatus::kOk;
    EXPECT_EQ(after, 1) << raised;
    const auto now = counts();
    EXPECT_EQ(now[0] - before[0], raised ? 0u : 1u) << raised;
    EXPECT_EQ(now[1] - before[1], 1u) << raised;
    EXPECT_EQ(now[2] - before[2], 0u) << raised;
  }
  // A real 100 KB PUBLISH: decoded from its first segment, the rest skipped and counted.
  const auto before = counts();
  make();
  gen::TcpConversation c(spec(50001));
  gen::FrameArena f;
  c.handshake(f);
  c.send(f, gen::Dir::kToServer, mqtt_connect("big"));
  const auto big = mqtt_publish("sensors/big", 8, 100'000);
  c.send(f, gen::Dir::kToServer, big);
  c.send(f, gen::Dir::kToServer, mqtt_publish("sensors/small", 9, 10));
  feed(f);
  const auto now = counts();
  EXPECT_EQ(now[2] - before[2], big.size() - c.mss());
  EXPECT_EQ(now[1] - before[1], 0u);
  EXPECT_EQ(now[3] - before[3], 3u);  // CONNECT and both PUBLISHes
  // The families the control thread renders, labelled by protocol.
  int found = 0;
  for (const CounterFamily& fam : stats_.block().families())
    if (fam.name == "l7tap_parser_skipped_bytes_total" || fam.name == "l7tap_parser_resyncs_total" ||
        fam.name == "l7tap_parser_oversize_total")
      found += fam.label == "protocol" ? 1 : 0;
  EXPECT_EQ(found, 3);
}

}  // namespace
}  // namespace l7tap
