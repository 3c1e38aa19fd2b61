// l7tap-bench: the worker's per-packet code measured in memory, next to DPDK's raw net_null
// receive loop as the ceiling, in one run (the machine is a noisy VM: ratios measured side by side
// mean something, absolute numbers less).
//
//   l7tap-bench [--seconds S] [--flows N,N,...] [--seed S] [--json FILE] [--no-dpdk] [--no-floods]
//
// For each N: tools/gen builds a stream of frames from N TCP conversations open at once (the
// generator's default mix of every MQ protocol: MQTT, Kafka, AMQP, NATS, OpenWire, Pulsar, ZMTP,
// RocketMQ; handshakes, correct sequence numbers, errors, a share of VLAN and VXLAN), the
// frames are stored once, then replayed through the real worker code — decode → flow table →
// reassembly → detection → parser → pairing → records pushed into the record ring, which a
// consumer thread drains on the other core — in bursts of 32 for S seconds. Each replay of the
// stored frames gets new client addresses (rewritten between replays, outside the timed part), so
// flows stay distinct however long it runs; timestamps keep increasing.
// Then two floods (SYNs, UDP datagrams) of a million distinct 5-tuples against a full 100k-flow
// table: every frame a miss, an eviction and an insert.
// Then net_null: an EAL without hugepages, one port, the rx-burst loop freeing what it gets.
//
// Then the machine's memory, to read the table by: the latency of a dependent load from a random
// line of a region 8x the L3 (on huge pages, as the flow table and pool are), and how many random
// lines one core fetches per second when 16 loads are independent. The gap between two flow counts
// divided by that latency is how many DRAM latencies per packet the larger one leaves exposed.
//
// Prints a table (Mpps, ns/packet, records/s, flows, RSS, bytes per flow, ratio to net_null) and
// writes it as JSON.
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control/record_ring.hpp"
#include "dataplane/flow_processor.hpp"
#include "dataplane/ring_sink.hpp"
#include "protocols/registry.hpp"
#include "tools/gen/stored_frames.hpp"
#include "tools/gen/tcp_conversation.hpp"
#include "tools/gen/traffic_gen.hpp"

namespace {

using namespace l7tap;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096;
}

struct WorkerResult {
  uint32_t flows = 0;
  uint64_t packets = 0;
  double seconds = 0;
  uint64_t records = 0;
  uint32_t active_flows = 0;
  uint64_t rss = 0;
  uint64_t table_bytes = 0;
  uint64_t pool_bytes = 0;
  uint64_t evictions = 0;
  uint64_t ring_full = 0;
};

WorkerResult run_worker(uint32_t flows, uint64_t seed, double seconds) {
  const uint64_t count = std::max<uint64_t>(2'000'000, 4ull * flows);
  std::fprintf(stderr, "bench: %u flows: generating %lu frames...\n", flows, static_cast<unsigned long>(count));
  gen::Options o;
  o.seed = seed;
  o.concurrency = flows;
  o.vlan = 0.1;
  o.vxlan = 0.05;
  o.errors = 0.05;
  gen::TrafficGenerator g(o);
  gen::StoredFrames fr = gen::StoredFrames::record(g, count, false);

  SignatureDatabase sigs(all_protocols());
  const auto hints = default_port_hints();
  // The generator's time runs at about 1 Mpps of traffic: conversations close by the tens of
  // thousands per second. Closed flows linger tcp_close_timeout; flows left open at the end of a
  // replay time out a quarter into the next. The table holds all of that without evicting.
  FlowProcessorConfig cfg;
  cfg.tcp_close_timeout_us = 20'000;
  cfg.flow_idle_timeout_us = fr.duration_us() / 4 + 1;
  cfg.no_payload_timeout_us = cfg.flow_idle_timeout_us;
  cfg.flow_capacity = 2 * flows + 65536;
  cfg.pending_pool = std::max<uint32_t>(8192, flows * 2);
  cfg.max_buffered_total = 8ull << 30;
  cfg.hash_seed = seed * 0x9e3779b97f4a7c15ULL + 1;

  RecordRing ring(4u << 20);  // records.ring_size default
  std::atomic<bool> done{false};
  std::atomic<uint64_t> records{0};
  std::thread consumer([&] {
    FlowRecord r;
    uint64_t n = 0;
    while (!done.load(std::memory_order_relaxed) || !ring.empty()) {
      if (ring.pop(r))
        ++n;
      else
        std::this_thread::yield();
    }
    records.store(n);
  });
  // As a live worker hands records over: push, and count (not wait) when the ring is full — the
  // consumer's scheduling on a shared core must not count as the worker's time.
  Counter ring_full;
  DroppingRingSink sink(ring, ring_full);
  WorkerStats stats;
  WorkerResult res;
  res.flows = flows;
  {
    FlowProcessor proc(0, cfg, sigs, hints, sink, stats);
    constexpr uint32_t kBurst = 32;
    std::span<const uint8_t> burst[kBurst];
    uint64_t stamps[kBurst];
    uint64_t shift = 0;  // timestamps move on by one replay's duration per replay
    double busy = 0;
    uint32_t round = 0;
    uint64_t records_before = 0;
    // One replay to warm up (pools, table, caches), then measured replays until `seconds`.
    for (bool warm = true;; warm = false) {
      const auto t0 = Clock::now();
      const std::size_t n = fr.size();
      for (std::size_t i = 0; i < n; i += kBurst) {
        const uint32_t m = static_cast<uint32_t>(std::min<std::size_t>(kBurst, n - i));
        for (uint32_t k = 0; k < m; ++k) {
          burst[k] = fr.frame(i + k);
          stamps[k] = fr.ts[i + k] + shift;
        }
        proc.process_burst(burst, stamps, m);
        proc.housekeeping(stamps[m - 1]);
      }
      const double dt = seconds_since(t0);
      if (!warm) {
        busy += dt;
        res.packets += n;
      } else {
        records_before = stats[WorkerStats::kRecordsEmitted].get();
        res.rss = 0;
      }
      shift += fr.duration_us();
      fr.readdress(++round);  // not timed
      if (!warm && busy >= seconds) break;
    }
    proc.publish_stats();
    res.seconds = busy;
    res.active_flows = proc.active_flows();
    res.rss = rss_bytes();
    res.table_bytes = proc.table().memory_bytes();
    res.pool_bytes = proc.pool().held();
    // Where the pool's memory goes: blocks in use per size class.
    std::fprintf(stderr, "bench: %u flows: pool blocks in use by size:", flows);
    for (uint32_t c = 0; c < BufferPool::kClasses; ++c)
      if (const uint64_t b = proc.pool().blocks_in_use(c))
        std::fprintf(stderr, " %u:%lu", 64u << c, static_cast<unsigned long>(b));
    std::fprintf(stderr, " (entry %zu bytes)\n", sizeof(FlowProcessor::Table::Entry));
    res.evictions = stats[WorkerStats::kEvictions].get();
    res.records = stats[WorkerStats::kRecordsEmitted].get() - records_before;
    res.ring_full = ring_full.get();
  }
  done.store(true);
  consumer.join();
  return res;
}

// A flood on the mirror: one frame per 5-tuple, never the same twice within a million — SYNs, or
// UDP datagrams nothing parses — against a 100k-flow table that is always full, so every frame
// is a lookup miss, an eviction and an insert (the worst case of the flow layer).
struct FloodResult {
  const char* name = "";
  uint64_t packets = 0;
  double seconds = 0;
  uint64_t evictions = 0;
  uint64_t rss = 0;
};

FloodResult run_flood(bool udp, double seconds) {
  constexpr uint32_t kTuples = 1'000'000;
  gen::FrameArena frames;
  static const std::vector<uint8_t> junk(64, 0x5a);
  for (uint32_t n = 0; n < kTuples; ++n) {
    gen::FlowSpec s;
    s.client_ip = gen::ip4(172, 16 + static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                           static_cast<uint8_t>(n >> 8));
    s.server_ip = gen::ip4(10, 9, 9, 9);
    s.client_port = static_cast<uint16_t>(1024 + (n & 0xff));
    s.server_port = udp ? 5353 : 80;
    gen::TcpConversation c(s);
    if (udp) {
      c.datagram(frames, gen::Dir::kToServer, junk);
    } else {
      gen::TcpConversation::Segment syn = c.next(gen::Dir::kToServer, {}, gen::tcp::kSyn);
      syn.ack = 0;
      c.emit(frames, syn);
    }
  }
  SignatureDatabase sigs(all_protocols());
  FlowProcessorConfig cfg;
  cfg.flow_capacity = 100'000;
  cfg.hash_seed = 0x9e3779b97f4a7c15ULL;
  RecordRing ring(1u << 20);
  Counter drops;
  DroppingRingSink sink(ring, drops);
  WorkerStats stats;
  FlowProcessor proc(0, cfg, sigs, default_port_hints(), sink, stats);
  constexpr uint32_t kBurst = 32;
  std::span<const uint8_t> burst[kBurst];
  uint64_t stamps[kBurst];
  uint64_t ts = 1'700'000'000'000'000;
  FloodResult r;
  r.name = udp ? "UDP flood, 1M tuples, 100k table" : "SYN flood, 1M tuples, 100k table";
  for (bool warm = true;; warm = false) {
    const auto t0 = Clock::now();
    for (uint32_t i = 0; i < kTuples; i += kBurst) {
      const uint32_t m = std::min(kBurst, kTuples - i);
      for (uint32_t k = 0; k < m; ++k) {
        burst[k] = frames[i + k];
        stamps[k] = ++ts;
      }
      proc.process_burst(burst, stamps, m);
      proc.housekeeping(ts);
    }
    if (!warm) {
      r.seconds += seconds_since(t0);
      r.packets += kTuples;
      if (r.seconds >= seconds) break;
    }
  }
  proc.publish_stats();
  r.evictions = stats[WorkerStats::kEvictions].get();
  r.rss = rss_bytes();
  return r;
}

// DPDK's null PMD: mbufs from the pool straight back to it. The ceiling of a worker's rx loop.
double net_null_mpps(double seconds) {
  std::vector<std::string> args = {"l7tap-bench", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
                                   "-m", "512", "-l", "0", "--log-level", "lib.eal:error",
                                   "--vdev=net_null0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "bench: rte_eal_init failed: net_null skipped\n");
    return 0;
  }
  rte_mempool* pool = rte_pktmbuf_pool_create("bench", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  uint16_t port = 0;
  rte_eth_conf conf{};
  if (pool == nullptr || rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
      rte_eth_rx_queue_setup(port, 0, 1024, 0, nullptr, pool) != 0 ||
      rte_eth_tx_queue_setup(port, 0, 1024, 0, nullptr) != 0 || rte_eth_dev_start(port) != 0) {
    std::fprintf(stderr, "bench: net_null port setup failed\n");
    return 0;
  }
  rte_mbuf* bufs[32];
  uint64_t packets = 0;
  const auto t0 = Clock::now();
  double dt = 0;
  while ((dt = seconds_since(t0)) < seconds) {
    for (int i = 0; i < 1024; ++i) {
      const uint16_t n = rte_eth_rx_burst(port, 0, bufs, 32);
      rte_pktmbuf_free_bulk(bufs, n);
      packets += n;
    }
  }
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_cleanup();
  return static_cast<double>(packets) / dt / 1e6;
}

struct MemoryProbe {
  double latency_ns = 0;       // one dependent load from a random line
  double lines_per_s = 0;      // random lines fetched per second by 16 independent chains
};

// Pointer chasing over a random cyclic permutation of the region's lines (so neither the hardware
// prefetchers nor the caches help): one chain measures latency, 16 interleaved chains throughput.
MemoryProbe memory_probe() {
  constexpr std::size_t kBytes = 256u << 20;
  constexpr std::size_t kLines = kBytes / 64;
  MemoryProbe m;
  void* mem = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return m;
  ::madvise(mem, kBytes, MADV_HUGEPAGE);
  auto* base = static_cast<uint8_t*>(mem);
  std::vector<uint32_t> order(kLines);
  for (uint32_t i = 0; i < kLines; ++i) order[i] = i;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (std::size_t i = kLines - 1; i > 0; --i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::swap(order[i], order[x % (i + 1)]);
  }
  // Each line holds the offset of the next line of the cycle.
  for (std::size_t i = 0; i < kLines; ++i) {
    const uint64_t next = uint64_t{order[(i + 1) % kLines]} * 64;
    std::memcpy(base + uint64_t{order[i]} * 64, &next, sizeof next);
  }
  constexpr uint32_t kMaxChains = 16;
  auto chase = [&](uint32_t chains, uint64_t loads) {  // seconds per load
    uint64_t at[kMaxChains];
    const uint64_t steps = loads / chains;
    for (uint32_t c = 0; c < chains; ++c) at[c] = uint64_t{order[kLines / chains * c]} * 64;
    const auto t0 = Clock::now();
    for (uint64_t s = 0; s < steps; ++s)
      for (uint32_t c = 0; c < chains; ++c) std::memcpy(&at[c], base + at[c], sizeof at[c]);
    const double dt = seconds_since(t0);
    uint64_t sink = 0;
    for (uint32_t c = 0; c < chains; ++c) sink ^= at[c];
    asm volatile("" : : "r"(sink));  // the chains' ends are used: the loads stay
    return dt / static_cast<double>(steps * chains);
  };
  m.latency_ns = chase(1, 3'000'000) * 1e9;
  m.lines_per_s = 1 / chase(kMaxChains, 20'000'000);
  ::munmap(mem, kBytes);
  return m;
}

std::vector<uint32_t> parse_list(const char* s) {
  std::vector<uint32_t> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(static_cast<uint32_t>(std::stoul(item)));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  std::vector<uint32_t> flows = {1000, 100000, 1000000};
  uint64_t seed = 1;
  std::string json;  // written only when asked for (tools/bench writes build/bench/worker.json)
  bool dpdk = true;
  bool run_floods = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "l7tap-bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seconds") {
      seconds = std::atof(value());
    } else if (a == "--flows") {
      flows = parse_list(value());
    } else if (a == "--seed") {
      seed = std::strtoull(value(), nullptr, 10);
    } else if (a == "--json") {
      json = value();
    } else if (a == "--no-dpdk") {
      dpdk = false;
    } else if (a == "--no-floods") {
      run_floods = false;
    } else {
      std::fprintf(stderr, "usage: l7tap-bench [--seconds S] [--flows N,N,...] [--seed S] [--json FILE] [--no-dpdk] [--no-floods]\n");
      return 2;
    }
  }
  std::vector<WorkerResult> results;
  for (uint32_t n : flows) results.push_back(run_worker(n, seed, seconds));
  std::vector<FloodResult> floods;
  if (run_floods)
    for (bool udp : {false, true}) floods.push_back(run_flood(udp, seconds));
  const double null_mpps = dpdk ? net_null_mpps(seconds) : 0;
  const MemoryProbe mem = memory_probe();

  std::printf("%-30s %7s %8s %10s %8s %8s %9s %9s %8s\n", "in-memory worker (1 core)", "Mpps", "ns/pkt",
              "records/s", "flows", "RSS MiB", "B/flow", "evicted", "÷null");
  std::ostringstream js;
  js << "{\"seconds\":" << seconds << ",\"net_null_mpps\":" << null_mpps << ",\"workers\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const WorkerResult& r = results[i];
    const double mpps = static_cast<double>(r.packets) / r.seconds / 1e6;
    const double per_flow = r.active_flows != 0
                                ? static_cast<double>(r.table_bytes + r.pool_bytes) / r.active_flows
                                : 0;
    const double recs = static_cast<double>(r.records) / r.seconds;
    char label[64];
    std::snprintf(label, sizeof label, "%u concurrent flows", r.flows);
    std::printf("%-30s %7.2f %8.1f %10.0f %8u %8.0f %9.0f %9lu %7.1f%%\n", label, mpps, 1e3 / mpps, recs,
                r.active_flows, static_cast<double>(r.rss) / (1 << 20), per_flow,
                static_cast<unsigned long>(r.evictions), null_mpps > 0 ? 100 * mpps / null_mpps : 0.0);
    js << (i ? "," : "") << "{\"flows\":" << r.flows << ",\"packets\":" << r.packets << ",\"seconds\":" << r.seconds
       << ",\"mpps\":" << mpps << ",\"ns_per_packet\":" << 1e3 / mpps << ",\"records_per_s\":" << recs
       << ",\"active_flows\":" << r.active_flows << ",\"rss_bytes\":" << r.rss << ",\"bytes_per_flow\":" << per_flow
       << ",\"evictions\":" << r.evictions << ",\"ring_full\":" << r.ring_full << ",\"ratio_to_net_null\":" << (null_mpps > 0 ? mpps / null_mpps : 0)
       << "}";
  }
  js << "],\"floods\":[";
  for (std::size_t i = 0; i < floods.size(); ++i) {
    const FloodResult& f = floods[i];
    const double mpps = static_cast<double>(f.packets) / f.seconds / 1e6;
    std::printf("%-30s %7.2f %8.1f %10s %8s %8.0f %9s %9lu %7.1f%%\n", f.name, mpps, 1e3 / mpps, "-", "100000",
                static_cast<double>(f.rss) / (1 << 20), "-", static_cast<unsigned long>(f.evictions),
                null_mpps > 0 ? 100 * mpps / null_mpps : 0.0);
    js << (i ? "," : "") << "{\"name\":\"" << f.name << "\",\"packets\":" << f.packets << ",\"seconds\":" << f.seconds
       << ",\"mpps\":" << mpps << ",\"evictions\":" << f.evictions << ",\"rss_bytes\":" << f.rss << "}";
  }
  js << "],\"memory\":{\"latency_ns\":" << mem.latency_ns << ",\"random_lines_per_s\":" << mem.lines_per_s << "}}\n";
  for (const WorkerResult& r : results)
    if (r.ring_full != 0)
      std::printf("note: %u flows: the record consumer fell behind, %lu records not handed over\n", r.flows,
                  static_cast<unsigned long>(r.ring_full));
  if (dpdk) std::printf("%-30s %7.2f %8.1f\n", "net_null rx-burst loop (ceiling)", null_mpps, 1e3 / null_mpps);
  std::printf("memory: a dependent load from a random line %.0f ns; 16 independent chains %.0f M lines/s\n",
              mem.latency_ns, mem.lines_per_s / 1e6);
  // What a larger flow count costs over the smallest, in DRAM latencies left exposed per packet.
  const auto ns = [](const WorkerResult& r) { return r.seconds * 1e9 / static_cast<double>(r.packets); };
  for (std::size_t i = 1; i < results.size() && mem.latency_ns > 0; ++i) {
    std::printf("memory: %u flows cost %.0f ns/packet more than %u = %.1f exposed DRAM latencies per packet\n",
                results[i].flows, ns(results[i]) - ns(results[0]), results[0].flows,
                (ns(results[i]) - ns(results[0])) / mem.latency_ns);
  }
  if (!json.empty()) {
    std::ofstream(json) << js.str();
    std::fprintf(stderr, "bench: wrote %s\n", json.c_str());
  }
  return 0;
}
