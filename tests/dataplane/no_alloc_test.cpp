// The per-packet path allocates nothing from the heap once a worker is warm: every global
// operator new of this executable is counted (tests/counting_new.hpp), a FlowProcessor with the real
// protocol registry replays generated traffic (tools/gen: MQTT, Kafka, AMQP, NATS, ZMTP conversations,
// large messages over many segments, errors, VLAN and VXLAN) with its records handed to the record
// ring as a live worker does, and after a warm-up replay a second replay of the same conversations
// on other client addresses, later in time — so every flow is new to the worker, with the same
// mix of messages — must not allocate at all: flow state, parser state, tails, held segments,
// detection bytes and pending requests all come from the worker's pools, which the warm-up grew
// to what this traffic needs at its peak.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "control/record_ring.hpp"
#include "dataplane/flow_processor.hpp"
#include "dataplane/ring_sink.hpp"
#include "protocols/registry.hpp"
#include "tools/gen/stored_frames.hpp"
#include "tools/gen/traffic_gen.hpp"
#include "tests/counting_new.hpp"

namespace l7tap {
namespace {

// A stream of `count` frames from `flows` concurrent conversations, then every frame until they
// have all finished (handshake to FIN, every kind of message).
gen::StoredFrames generate(uint64_t seed, uint32_t flows, uint32_t count, uint64_t start_us) {
  gen::Options o;
  o.seed = seed;
  o.concurrency = flows;
  o.vlan = 0.1;
  o.vxlan = 0.1;
  o.large_share = 0.02;
  o.start_us = start_us;
  gen::TrafficGenerator g(o);
  return gen::StoredFrames::record(g, count, true);
}

TEST(NoAllocation, SteadyStateReplayAllocatesNothing) {
  SignatureDatabase sigs(all_protocols());
  const auto hints = default_port_hints();
  FlowProcessorConfig cfg;
  cfg.flow_capacity = 4096;
  cfg.hash_seed = 3;
  RecordRing ring(16u << 20);
  Counter dropped;
  DroppingRingSink sink(ring, dropped);
  WorkerStats stats;
  FlowProcessor proc(0, cfg, sigs, hints, sink, stats);
  FlowRecord drained;

  const gen::StoredFrames warm = generate(1, 500, 60'000, 1'700'000'000'000'000);
  gen::StoredFrames steady = warm;  // the same conversations from other clients, later
  steady.readdress(1);
  steady.shift_time(warm.duration_us() + 120'000'000);

  auto run = [&](const gen::StoredFrames& r) {
    std::span<const uint8_t> burst[32];
    uint64_t stamps[32];
    for (std::size_t i = 0; i < r.size(); i += 32) {
      const uint32_t m = static_cast<uint32_t>(std::min<std::size_t>(32, r.size() - i));
      for (uint32_t k = 0; k < m; ++k) {
        burst[k] = r.frame(i + k);
        stamps[k] = r.ts[i + k];
      }
      proc.process_burst(burst, stamps, m);
      proc.housekeeping(stamps[m - 1]);
      proc.publish_stats();
      while (ring.pop(drained)) {
      }
    }
  };

  run(warm);
  proc.housekeeping(warm.ts.back() + 100'000'000);  // the warm-up's flows and requests end
  while (ring.pop(drained)) {
  }
  const uint64_t records_warm = stats[WorkerStats::kRecordsEmitted].get();
  ASSERT_GT(records_warm, 10'000u);

  const uint64_t before = test_alloc::count();
  test_alloc::arm(std::getenv("L7TAP_TRAP_ALLOCATIONS") != nullptr);
  run(steady);
  test_alloc::arm(false);
  const uint64_t allocations = test_alloc::count() - before;

  const uint64_t records_steady = stats[WorkerStats::kRecordsEmitted].get() - records_warm;
  EXPECT_GT(records_steady, 10'000u);  // the replay did real work: flows, messages, records
  EXPECT_GT(stats[WorkerStats::kFlowsCreated].get(), 1'000u);
  for (const char* name : {"mqtt", "kafka", "amqp", "nats", "zmtp", "pulsar", "openwire", "rocketmq"})
    EXPECT_GT(stats.messages(protocol_id(name)).get(), 0u) << name;
  EXPECT_EQ(dropped.get(), 0u);
  EXPECT_EQ(allocations, 0u) << "heap allocations during a steady-state replay of "
                             << steady.size() << " frames";
}

}  // namespace
}  // namespace l7tap
