// Floods on the mirror (issue "reliability and security", adversarial traffic), built by our
// generator (tools/gen) and run through a FlowProcessor with the real protocol registry:
//  - a million SYNs and a million UDP 5-tuples against a small table: the table stays within its
//    capacity, memory stays flat, evictions are counted, and the established MQTT conversations
//    (quiet for a while, so least recently seen) are still parsed afterwards: flows that never
//    carried anything we parse must not evict ones that do;
//  - hash flooding: keys crafted to collide under a seed the attacker guessed do not collide under
//    the table's own seed;
//  - a stalled control thread: the record ring fills, records are dropped and counted, and the
//    worker never blocks.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "control/record_ring.hpp"
#include "dataplane/flow_processor.hpp"
#include "dataplane/ring_sink.hpp"
#include "protocols/registry.hpp"
#include "tests/dataplane/mqtt_frames.hpp"
#include "tools/gen/proto_mqtt.hpp"
#include "tools/gen/tcp_conversation.hpp"
#include "tools/gen/writer.hpp"

namespace l7tap {
namespace {

class Records : public RecordSink {
 public:
  void on_record(FlowRecord& r) override {
    ++total;
    if (r.l7.get(Field::kRequestType) == "PUBLISH" && r.has_rrt) ++publishes;
  }
  uint64_t total = 0;
  uint64_t publishes = 0;
};

class Flood : public ::testing::Test {
 protected:
  static constexpr uint32_t kCapacity = 4096;
  static constexpr int kMqttFlows = 40;

  Flood() : protos_(all_protocols().begin(), all_protocols().end()), sigs_(protos_) {
    FlowProcessorConfig cfg;
    cfg.flow_capacity = kCapacity;
    cfg.hash_seed = 11;
    proc_ = std::make_unique<FlowProcessor>(0, cfg, sigs_, std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>{},
                                            records_, stats_);
    for (int i = 0; i < kMqttFlows; ++i) {
      gen::FlowSpec s;
      s.client_ip = gen::ip4(10, 1, 0, static_cast<uint8_t>(i + 1));
      s.server_ip = gen::ip4(10, 9, 9, 9);
      s.client_port = static_cast<uint16_t>(40000 + i);
      s.server_port = 1883;
      mqtt_.emplace_back(s);
    }
  }

  gen::FrameCallback<std::function<void(std::span<const uint8_t>)>> out_{
      [this](std::span<const uint8_t> f) { proc_->process_frame(f, ts_); }};

  // CONNECT/CONNACK on every MQTT conversation, left open.
  void establish() {
    for (int i = 0; i < kMqttFlows; ++i) {
      gen::TcpConversation& c = mqtt_[i];
      c.handshake(out_);
      c.send(out_, gen::Dir::kToServer, mqtt_connect("dev" + std::to_string(i)));
      c.send(out_, gen::Dir::kToClient, mqtt_connack());
      ts_ += 10;
    }
  }
  // One PUBLISH QoS 1 / PUBACK on every MQTT conversation.
  void publish_round(uint16_t id) {
    for (int i = 0; i < kMqttFlows; ++i) {
      gen::TcpConversation& c = mqtt_[i];
      c.send(out_, gen::Dir::kToServer, mqtt_publish("sensors/" + std::to_string(i), id, 32));
      c.send(out_, gen::Dir::kToClient, mqtt_puback(id), true);
      ts_ += 10;
    }
  }
  // A frame from the n-th distinct attacker endpoint (never the same 5-tuple twice).
  gen::FlowSpec attacker(uint32_t n) {
    gen::FlowSpec s;
    s.client_ip = gen::ip4(172, 16 + static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                           static_cast<uint8_t>(n >> 8));
    s.server_ip = gen::ip4(10, 9, 9, 9);
    s.client_port = static_cast<uint16_t>(1024 + (n & 0xff));
    s.server_port = 80;
    return s;
  }

  // The flood, with the checks every flood shares: the table never exceeds its capacity, the pool
  // does not grow with the flood, and the MQTT conversations (idle for 5 s before it, so the least
  // recently seen flows in the table) still produce every PUBLISH afterwards.
  template <class Frame>
  void run(uint32_t frames, Frame frame) {
    establish();
    publish_round(1);
    ts_ += 5'000'000;  // the conversations go quiet for 5 s
    proc_->publish_stats();
    const uint64_t created_before = stats_[WorkerStats::kFlowsCreated].get();
    uint64_t pool_at_start = 0;
    for (uint32_t n = 0; n < frames; ++n) {
      frame(n);
      ts_ += 1;  // a million frames a second
      if (n % 100000 == 99999) {
        ASSERT_LE(proc_->active_flows(), kCapacity);
        proc_->housekeeping(ts_);
        proc_->publish_stats();
        if (pool_at_start == 0) pool_at_start = stats_[WorkerStats::kPoolBytes].get();
        EXPECT_LE(stats_[WorkerStats::kPoolBytes].get(), pool_at_start + 64 * 1024) << "after " << n + 1 << " frames";
      }
    }
    const uint64_t publishes_before = records_.publishes;
    publish_round(2);
    proc_->publish_stats();
    EXPECT_EQ(records_.publishes - publishes_before, static_cast<uint64_t>(kMqttFlows))
        << "every established MQTT conversation still parsed after the flood";
    // The MQTT flows were never evicted: the flood's flows are the only ones created since.
    EXPECT_EQ(stats_[WorkerStats::kFlowsCreated].get() - created_before, frames);
    EXPECT_GE(stats_[WorkerStats::kEvictions].get(), frames - kCapacity);
    EXPECT_EQ(stats_[WorkerStats::kInsertFailures].get(), 0u);
    EXPECT_LE(proc_->active_flows(), kCapacity);
  }

  std::vector<const ProtocolDescriptor*> protos_;
  SignatureDatabase sigs_;
  Records records_;
  WorkerStats stats_;
  std::unique_ptr<FlowProcessor> proc_;
  std::vector<gen::TcpConversation> mqtt_;
  uint64_t ts_ = 1'700'000'000'000'000;
};

TEST_F(Flood, MillionSynsDoNotEvictEstablishedConversations) {
  run(1'000'000, [&](uint32_t n) {
    gen::TcpConversation c(attacker(n));
    gen::TcpConversation::Segment syn = c.next(gen::Dir::kToServer, {}, gen::tcp::kSyn);
    syn.ack = 0;
    c.emit(out_, syn);
  });
}

// UDP datagrams with payload to a million 5-tuples: no enabled protocol runs over UDP, so each
// flow is bypassed at once — and a bypassed flow is worth less than a parsed one when the table
// is full.
TEST_F(Flood, MillionUdpTuplesDoNotEvictEstablishedConversations) {
  static const std::vector<uint8_t> junk(64, 0x5a);
  run(1'000'000, [&](uint32_t n) {
    gen::TcpConversation c(attacker(n));
    c.datagram(out_, gen::Dir::kToServer, junk);
  });
  EXPECT_EQ(stats_.bypassed(BypassReason::kNoParser).get(), 1'000'000u);
}

// Hash flooding: an attacker who knows the hash function but not the seed crafts keys that share
// one bucket pair under the seed they guessed. Under that seed the pair's 16 slots overflow (the
// check that the crafted set really collides); under the table's own seed the same keys spread.
struct Nothing {
  void reset() {}
};
TEST(HashFlood, KeysCraftedForAnotherSeedDoNotCollide) {
  constexpr uint32_t kCap = 32;  // 8 buckets of 8 slots
  constexpr uint64_t kGuessed = 0x1234, kReal = 0x9e3779b97f4a7c15ull;
  using Table = FlowTable<Nothing>;
  std::vector<FlowKey> crafted;
  FlowKey k;
  k.ip_lo = {10, 0, 0, 1};
  k.ip_hi = {10, 0, 0, 2};
  k.port_hi = 80;
  k.l4_proto = 6;
  uint64_t want = 0;
  for (uint32_t n = 0; crafted.size() < 24 && n < 200'000'000u; ++n) {
    k.port_lo = static_cast<uint16_t>(n);
    k.ip_lo[2] = static_cast<uint8_t>(n >> 16);
    k.ip_lo[1] = static_cast<uint8_t>(n >> 24);
    // Same bucket (low 3 bits) and signature (bits 32..47): the same two candidate buckets.
    const uint64_t h = flow_hash(k, kGuessed) & 0x0000ffff00000007ull;
    if (crafted.empty()) want = h;
    if (h == want) crafted.push_back(k);
  }
  ASSERT_EQ(crafted.size(), 24u);
  auto failures = [&](uint64_t seed) {
    Table t(kCap, FlowTimeouts{}, [](Table::Entry&, FlowEndReason) {});
    uint64_t now = 1;
    for (const FlowKey& key : crafted) t.insert(key, flow_hash(key, seed), now++);
    return t.stats().insert_failures;
  };
  EXPECT_GE(failures(kGuessed), 8u) << "the crafted keys collide under the guessed seed";
  EXPECT_EQ(failures(kReal), 0u) << "and not under the table's own";
}

// The control thread stalls: nothing drains the record ring. The worker keeps going, drops what
// the ring cannot take and counts every record it made as either handed over or dropped.
TEST(StalledControl, FullRingDropsAndCountsNeverBlocks) {
  std::vector<const ProtocolDescriptor*> protos(all_protocols().begin(), all_protocols().end());
  SignatureDatabase sigs(protos);
  WorkerStats stats;
  RecordRing ring(64 * 1024);
  DroppingRingSink sink(ring, stats[WorkerStats::kRingDrops]);
  FlowProcessorConfig cfg;
  cfg.hash_seed = 3;
  FlowProcessor proc(0, cfg, sigs, {}, sink, stats);
  uint64_t ts = 1'700'000'000'000'000;
  gen::FrameCallback out([&](std::span<const uint8_t> f) { proc.process_frame(f, ts); });
  for (uint16_t i = 0; i < 2000; ++i) {
    gen::FlowSpec s;
    s.client_ip = gen::ip4(10, 2, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
    s.server_ip = gen::ip4(10, 9, 9, 9);
    s.client_port = static_cast<uint16_t>(30000 + i);
    s.server_port = 1883;
    gen::TcpConversation c(s);
    c.handshake(out);
    c.send(out, gen::Dir::kToServer, mqtt_connect("c" + std::to_string(i)));
    c.send(out, gen::Dir::kToClient, mqtt_connack(), true);
    c.close(out, gen::Dir::kToServer);
    ts += 100;
    proc.housekeeping(ts);  // flushes the burst's records into the ring, as the runtime does
  }
  proc.flush_all();
  proc.housekeeping(ts);
  proc.publish_stats();
  const uint64_t made = stats[WorkerStats::kRecordsEmitted].get();
  const uint64_t dropped = stats[WorkerStats::kRingDrops].get();
  EXPECT_GE(made, 2000u);
  EXPECT_GT(dropped, 0u) << "a 64 KiB ring cannot hold 2000 records";
  // What was not dropped is in the ring (or staged for it), nothing else.
  uint64_t in_ring = 0;
  FlowRecord r;
  for (;;) {
    while (ring.pop(r)) ++in_ring;
    if (ring.staged() == 0) break;
    ring.flush();
  }
  EXPECT_EQ(in_ring + dropped, made);
}

}  // namespace
}  // namespace l7tap
