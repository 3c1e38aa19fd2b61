// Live mode: the thin DPDK driver layer. EAL, ports (PCI or vdev), symmetric RSS where a port has
// several queues, pinned worker lcores polling in bursts (l3fwd style), and — when a port has
// fewer queues than there are workers — a dispatcher on the main lcore that hashes each frame's
// flow key (direction-independent) to a worker ring, so both directions of a connection always
// meet on the same worker. Everything after "a frame and its timestamp" is FlowProcessor.
#include <dirent.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "control/control_thread.hpp"
#include "dataplane/decode.hpp"
#include "dataplane/flow_key.hpp"
#include "dataplane/app/pipeline_setup.hpp"
#include "dataplane/app/runners.hpp"
#include "dataplane/ring_sink.hpp"

namespace l7tap {
namespace {

// 0x6d5a repeated: with this Toeplitz key the RSS hash of (a→b) equals that of (b→a), so both
// directions of a flow land in the same queue (Woo & Park, "Scalable TCP Session Monitoring
// with Symmetric Receive-side Scaling").
uint8_t g_symmetric_rss_key[40];

// Wall clock: only for packet timestamps (a PMD that does not stamp packets gets the time they
// arrived, which ends up in the records). Every interval (timeouts between packets, idle exits,
// deadlines) is measured on the monotonic clock, which a clock step (NTP, an operator) cannot move.
uint64_t wall_us() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}
uint64_t mono_us() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Shutdown: what the workers' final flush may wait for the control thread to make room in their
// record rings. Past it the rest is dropped and counted (l7tap_record_ring_drops_total), so a
// stalled control thread (e.g. a flow log on a blocked pipe) cannot hold the exit forever.
constexpr auto kFinalFlushDeadline = std::chrono::seconds(2);

// Largest frame a worker reads (64 KiB loopback MTU + headers): longer ones (mbuf chains) are
// dropped and counted in l7tap_oversize_frames_total.
constexpr std::size_t kMaxFrame = 65600;

struct QueueRef {
  uint16_t port;
  uint16_t queue;
};

struct Port {
  std::string name;
  uint16_t id = 0;
  uint16_t queues = 1;
  bool fanout = false;     // net_af_packet queues: the kernel's fanout spreads flows
  bool inner_rss = false;  // RSS hashes the innermost headers of tunnelled frames
  std::vector<int> packet_fds;  // fanout: the PMD's AF_PACKET sockets (read for rollover counts)
};

// The AF_PACKET sockets of this process bound to interface `ifindex`: the net_af_packet PMD's, one
// per queue. DPDK does not expose them; they are read (never changed) for their rollover counters.
std::vector<int> packet_sockets(unsigned ifindex) {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    int domain = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_PACKET) continue;
    sockaddr_ll sa{};
    socklen_t sl = sizeof sa;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&sa), &sl) == 0 &&
        static_cast<unsigned>(sa.sll_ifindex) == ifindex)
      fds.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  return fds;
}

// PACKET_FANOUT_FLAG_ROLLOVER, which DPDK 22.11's net_af_packet always sets, moves packets to
// another socket of the group (another queue, so another worker) when theirs is full: the flow is
// then split between workers. The kernel counts the moves per socket; their sum is reported.
uint64_t rollover_count(const std::vector<int>& fds) {
  uint64_t n = 0;
  for (int fd : fds) {
    tpacket_rollover_stats st{};
    socklen_t len = sizeof st;
    if (getsockopt(fd, SOL_PACKET, PACKET_ROLLOVER_STATS, &st, &len) == 0) n += st.tp_all;
  }
  return n;
}

// Packet timestamps: PMDs that stamp packets (net_pcap: the capture's time, in µs) set a dynamic
// field; otherwise the burst's wall-clock time is used.
struct Timestamps {
  int offset = -1;
  uint64_t flag = 0;
  void init() {
    offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
    int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
    flag = bit >= 0 ? (1ull << bit) : 0;
  }
  uint64_t of(const rte_mbuf* m, uint64_t fallback) const {
    if (offset < 0 || flag == 0 || (m->ol_flags & flag) == 0) return fallback;
    return *RTE_MBUF_DYNFIELD(m, offset, const rte_mbuf_timestamp_t*);
  }
};

struct Live;

struct Worker {
  uint16_t id = 0;
  unsigned lcore = 0;
  std::vector<QueueRef> queues;  // direct mode
  rte_ring* ring = nullptr;      // dispatcher mode
  std::unique_ptr<RecordRing> records;
  std::unique_ptr<WorkerStats> stats;
  std::unique_ptr<DroppingRingSink> sink;
  std::unique_ptr<FlowProcessor> processor;
  std::atomic<uint64_t> last_rx_mono_us{0};
  Live* live = nullptr;
};

struct Live {
  const Config* cfg = nullptr;
  std::vector<Port> ports;
  std::vector<std::unique_ptr<Worker>> workers;
  DispatcherStats dispatcher_stats;
  uint64_t hash_seed = 0;  // the workers' flow-hash seed: the dispatcher hashes the same way
  bool dispatcher = false;
  // Every port replays a capture file (net_pcap rx_pcap=): nothing is lost by waiting, so a full
  // worker ring makes the dispatcher wait instead of dropping. With a live port, waiting would only
  // move the loss to the NIC (rx_missed) and stall every other worker, so it drops and counts.
  bool lossless = false;
  Timestamps ts;
  rte_mempool* pool = nullptr;
  // The workers' own stop flag, set by the main lcore once the dispatcher has returned (g_stop
  // only stops the main lcore): after it no frame is enqueued to a worker ring, so a worker's
  // final drain of its ring sees everything it was handed.
  std::atomic<bool> stop_workers{false};
};

// Packet time → "now" for timeouts: packet time plus the (monotonic) time elapsed since that
// packet, so flows and requests still time out while the link is quiet (and replays of old
// captures behave), and a wall-clock step does not expire them all at once.
struct Clock {
  uint64_t last_pkt_us = 0;
  uint64_t last_pkt_mono_us = 0;
  void saw(uint64_t pkt_us, uint64_t mono) {
    if (pkt_us >= last_pkt_us) {
      last_pkt_us = pkt_us;
      last_pkt_mono_us = mono;
    }
  }
  uint64_t now(uint64_t mono) const {
    if (last_pkt_mono_us == 0) return 0;  // no packet yet: no notion of time
    return last_pkt_us + (mono > last_pkt_mono_us ? mono - last_pkt_mono_us : 0);
  }
};

void process_burst(Worker& w, Clock& clock, rte_mbuf** bufs, uint16_t n, std::vector<uint8_t>& scratch) {
  if (n == 0) return;
  const uint64_t wall = wall_us();
  const uint64_t mono = mono_us();
  std::span<const uint8_t> frames[FlowProcessor::kMaxBurst];
  uint64_t stamps[FlowProcessor::kMaxBurst];
  uint32_t k = 0;
  uint16_t first = 0;  // mbufs [first, i) are in frames[]: freed once processed
  auto run = [&](uint16_t end) {
    w.processor->process_burst(frames, stamps, k);
    for (uint16_t j = first; j < end; ++j) rte_pktmbuf_free(bufs[j]);
    k = 0;
    first = end;
  };
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = bufs[i];
    const uint64_t ts = w.live->ts.of(m, wall);
    clock.saw(ts, mono);
    const uint32_t len = rte_pktmbuf_pkt_len(m);
    if (m->nb_segs == 1) {  // read in place, processed with the rest of the burst
      if (k == FlowProcessor::kMaxBurst) run(i);
      frames[k] = {rte_pktmbuf_mtod(m, const uint8_t*), len};
      stamps[k++] = ts;
      continue;
    }
    // A chained (jumbo) frame is linearised into the scratch buffer and processed on its own.
    run(i);
    const void* p = len <= scratch.size() ? rte_pktmbuf_read(m, 0, len, scratch.data()) : nullptr;
    if (p != nullptr)
      w.processor->process_frame({static_cast<const uint8_t*>(p), len}, ts);
    else
      (*w.stats)[WorkerStats::kOversizeFrames].add();
    rte_pktmbuf_free(m);
    first = i + 1;
  }
  run(n);
  w.last_rx_mono_us.store(mono, std::memory_order_relaxed);
}

int worker_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  const uint16_t burst = w.live->cfg->burst_size;
  std::vector<rte_mbuf*> bufs(burst);
  std::vector<uint8_t> scratch(kMaxFrame);
  Clock clock;
  if (w.ring != nullptr) {
    std::fprintf(stderr, "l7tap: worker %u on lcore %u: fed by the dispatcher\n", w.id, w.lcore);
  } else {
    std::string qs;
    for (const QueueRef& q : w.queues) qs += " " + std::to_string(q.port) + "/" + std::to_string(q.queue);
    std::fprintf(stderr, "l7tap: worker %u on lcore %u: polling port/queue%s\n", w.id, w.lcore, qs.c_str());
  }
  uint32_t idle = 0;
  while (!w.live->stop_workers.load(std::memory_order_acquire)) {
    uint32_t got = 0;
    if (w.ring != nullptr) {
      unsigned n = rte_ring_sc_dequeue_burst(w.ring, reinterpret_cast<void**>(bufs.data()), burst, nullptr);
      process_burst(w, clock, bufs.data(), static_cast<uint16_t>(n), scratch);
      got += n;
    } else {
      for (const QueueRef& q : w.queues) {
        uint16_t n = rte_eth_rx_burst(q.port, q.queue, bufs.data(), burst);
        process_burst(w, clock, bufs.data(), n, scratch);
        got += n;
      }
    }
    if (got == 0) {
      if (++idle % 1024 == 0) {
        w.processor->housekeeping(clock.now(mono_us()));
        w.processor->publish_stats();
      }
      rte_pause();
    } else {
      idle = 0;
      w.processor->housekeeping(clock.now(mono_us()));
      w.processor->publish_stats();
    }
  }
  // The dispatcher has returned before stop_workers was set: what it handed over is all there is.
  if (w.ring != nullptr) {
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst(w.ring, reinterpret_cast<void**>(bufs.data()), burst, nullptr)) != 0)
      process_burst(w, clock, bufs.data(), static_cast<uint16_t>(n), scratch);
  }
  // Every open session is handed over whole: the control thread drains until stop() joins it
  // (after every worker returned), so the sink waits for room rather than drop, up to a deadline.
  w.sink->wait_for_room_until(std::chrono::steady_clock::now() + kFinalFlushDeadline);
  w.processor->flush_all();
  return 0;
}

// Main lcore in dispatcher mode: poll every queue, send each frame to hash(flow) % workers.
void dispatcher_loop(Live& live) {
  const uint16_t burst = live.cfg->burst_size;
  const std::size_t nw = live.workers.size();
  std::vector<rte_mbuf*> bufs(burst);
  std::vector<std::vector<rte_mbuf*>> out(nw, std::vector<rte_mbuf*>(burst));
  std::vector<unsigned> count(nw);
  std::vector<uint8_t> scratch(kMaxFrame);
  uint64_t last_rx = mono_us();
  std::fprintf(stderr, "l7tap: dispatcher on main lcore %u → %zu workers\n", rte_lcore_id(), nw);
  while (!g_stop.load(std::memory_order_relaxed)) {
    bool any = false;
    for (const Port& port : live.ports) {
      for (uint16_t q = 0; q < port.queues; ++q) {
        uint16_t n = rte_eth_rx_burst(port.id, q, bufs.data(), burst);
        if (n == 0) continue;
        any = true;
        std::fill(count.begin(), count.end(), 0);
        for (uint16_t i = 0; i < n; ++i) {
          rte_mbuf* m = bufs[i];
          const uint32_t len = rte_pktmbuf_pkt_len(m);
          const void* p = len <= scratch.size() ? rte_pktmbuf_read(m, 0, len, scratch.data()) : nullptr;
          std::size_t target = 0;
          DecodedPacket pkt;
          if (p != nullptr && decode_frame({static_cast<const uint8_t*>(p), len}, pkt) == DecodeStatus::kOk) {
            bool swapped;
            target = worker_of(flow_hash(make_flow_key(pkt, swapped), live.hash_seed), static_cast<uint32_t>(nw));
          }
          out[target][count[target]++] = m;
        }
        live.dispatcher_stats[DispatcherStats::kPackets].add(n);
        for (std::size_t w = 0; w < nw; ++w) {
          if (count[w] == 0) continue;
          unsigned sent = rte_ring_sp_enqueue_burst(live.workers[w]->ring, reinterpret_cast<void**>(out[w].data()),
                                                    count[w], nullptr);
          // Replaying a file there is no wire to fall behind: wait for the worker instead of dropping.
          while (live.lossless && sent < count[w] && !g_stop.load(std::memory_order_relaxed)) {
            rte_pause();
            sent += rte_ring_sp_enqueue_burst(live.workers[w]->ring, reinterpret_cast<void**>(out[w].data() + sent),
                                              count[w] - sent, nullptr);
          }
          if (sent < count[w]) {
            live.dispatcher_stats[DispatcherStats::kRingDrops].add(count[w] - sent);
            for (unsigned i = sent; i < count[w]; ++i) rte_pktmbuf_free(out[w][i]);
          }
        }
      }
    }
    const uint64_t now = mono_us();
    if (any) {
      last_rx = now;
    } else {
      if (live.cfg->exit_when_idle_us != 0 && now - last_rx >= live.cfg->exit_when_idle_us) {
        std::fprintf(stderr, "l7tap: no packets for %.1f s (workers.exit_when_idle): stopping\n",
                     static_cast<double>(live.cfg->exit_when_idle_us) / 1e6);
        g_stop.store(true);
      }
      rte_pause();
    }
  }
}

bool looks_like_pci(const std::string& dev) {
  static const std::regex pci("^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$");
  return std::regex_match(dev, pci);
}

void setup_port(Live& live, std::size_t index) {
  const PortConfig& pc = live.cfg->ports[index];
  const std::string key = "ports[" + std::to_string(index) + "].device";
  std::string devname = pc.device;
  if (!looks_like_pci(pc.device)) {
    devname = pc.device.substr(0, pc.device.find(','));
    uint16_t existing;
    if (rte_eth_dev_get_port_by_name(devname.c_str(), &existing) != 0 && rte_dev_probe(pc.device.c_str()) != 0)
      throw ConfigError(key, "cannot create vdev \"" + pc.device + "\": " + rte_strerror(rte_errno) +
                                 " (check the driver name and its arguments, e.g. a missing rx_pcap file)");
  }
  Port port;
  port.name = pc.name;
  if (rte_eth_dev_get_port_by_name(devname.c_str(), &port.id) != 0)
    throw ConfigError(key, "no DPDK port named \"" + devname +
                               "\" (a PCI NIC must be bound to vfio-pci/uio and the EAL args must not say --no-pci)");
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port.id, &info) != 0) throw std::runtime_error(key + ": rte_eth_dev_info_get failed");
  port.queues = pc.rx_queues;
  if (port.queues > info.max_rx_queues)
    throw ConfigError("ports[" + std::to_string(index) + "].rx_queues",
                      std::to_string(port.queues) + " queues requested, the device has " +
                          std::to_string(info.max_rx_queues));
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof conf);
  const std::string driver = info.driver_name != nullptr ? info.driver_name : "";
  if (driver == "net_af_packet" && info.max_rx_queues > 1 && port.queues != info.max_rx_queues) {
    // With qpairs=N the kernel hands packets to all N sockets: an unpolled one loses its flows.
    throw ConfigError("ports[" + std::to_string(index) + "].rx_queues",
                      "net_af_packet spreads packets over all of its qpairs=" + std::to_string(info.max_rx_queues) +
                          " sockets: set rx_queues to " + std::to_string(info.max_rx_queues));
  }
  if (port.queues > 1 && driver == "net_af_packet") {
    // No RSS: the kernel spreads flows over the PMD's sockets (PACKET_FANOUT_HASH, a symmetric
    // flow hash, so both directions of a connection reach one queue). Every socket receives, so
    // every one is polled (rx_queues equals the vdev's qpairs, checked above).
    port.fanout = true;
    const std::size_t at = pc.device.find("iface=");
    if (at != std::string::npos) {
      const std::string iface = pc.device.substr(at + 6, pc.device.find(',', at) - (at + 6));
      if (const unsigned ifindex = if_nametoindex(iface.c_str())) port.packet_fds = packet_sockets(ifindex);
    }
  } else if (port.queues > 1) {
    if (info.flow_type_rss_offloads == 0)
      throw ConfigError("ports[" + std::to_string(index) + "].rx_queues",
                        "driver " + driver +
                            " has no RSS: use 1 queue (the dispatcher spreads flows over the workers)");
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = g_symmetric_rss_key;
    conf.rx_adv_conf.rss_conf.rss_key_len = sizeof g_symmetric_rss_key;
    uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    // Mirror traffic often arrives tunnelled (VXLAN, GRE/ERSPAN): hash the innermost headers
    // where the NIC can, so a tunnel's flows spread and both directions still meet.
    port.inner_rss = (info.flow_type_rss_offloads & RTE_ETH_RSS_LEVEL_INNERMOST) != 0;
    if (port.inner_rss) hf |= RTE_ETH_RSS_LEVEL_INNERMOST;
    conf.rx_adv_conf.rss_conf.rss_hf = hf;
  }
  uint16_t txq = 0;
  int rc = rte_eth_dev_configure(port.id, port.queues, txq, &conf);
  if (rc != 0) {  // some PMDs insist on a TX queue even for receive-only use
    txq = 1;
    rc = rte_eth_dev_configure(port.id, port.queues, txq, &conf);
  }
  if (rc != 0) throw std::runtime_error(key + ": rte_eth_dev_configure failed: " + rte_strerror(-rc));
  uint16_t nb_rxd = pc.rx_descriptors, nb_txd = 512;
  rte_eth_dev_adjust_nb_rx_tx_desc(port.id, &nb_rxd, &nb_txd);
  const int socket = rte_eth_dev_socket_id(port.id);
  for (uint16_t q = 0; q < port.queues; ++q) {
    rc = rte_eth_rx_queue_setup(port.id, q, nb_rxd, socket < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(socket),
                                nullptr, live.pool);
    if (rc != 0) throw std::runtime_error(key + ": rx queue " + std::to_string(q) + " setup failed: " + rte_strerror(-rc));
  }
  for (uint16_t q = 0; q < txq; ++q) {
    rc = rte_eth_tx_queue_setup(port.id, q, nb_txd, socket < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(socket), nullptr);
    if (rc != 0) throw std::runtime_error(key + ": tx queue setup failed: " + rte_strerror(-rc));
  }
  rc = rte_eth_dev_start(port.id);
  if (rc != 0) throw std::runtime_error(key + ": rte_eth_dev_start failed: " + rte_strerror(-rc));
  if (pc.promiscuous && rte_eth_promiscuous_enable(port.id) != 0)
    std::fprintf(stderr, "l7tap: port %s: promiscuous mode not supported by %s (continuing)\n", pc.name.c_str(),
                 info.driver_name);
  const char* spread = port.queues == 1 ? ""
                       : port.fanout    ? ", kernel fanout (symmetric flow hash)"
                       : port.inner_rss ? ", symmetric RSS on the innermost headers"
                                        : ", symmetric RSS";
  std::fprintf(stderr, "l7tap: port %s = %s (port id %u, driver %s, %u rx queue%s%s)\n", pc.name.c_str(),
               pc.device.c_str(), port.id, info.driver_name, port.queues, port.queues == 1 ? "" : "s", spread);
  if (port.queues > 1 && !port.fanout && !port.inner_rss)
    std::fprintf(stderr,
                 "l7tap: port %s: the NIC hashes tunnelled frames (VXLAN, GRE, ERSPAN) by their outer headers; "
                 "for tunnelled mirror traffic use 1 rx queue and workers.dispatcher (it hashes the inner flow)\n",
                 pc.name.c_str());
  live.ports.push_back(port);
}

std::vector<PortStats> sample_ports(const Live& live) {
  std::vector<PortStats> out;
  for (const Port& p : live.ports) {
    rte_eth_stats s;
    if (rte_eth_stats_get(p.id, &s) != 0) continue;
    PortStats ps;
    ps.name = p.name;
    ps.rx_packets = s.ipackets;
    ps.rx_bytes = s.ibytes;
    ps.rx_missed = s.imissed;
    ps.rx_errors = s.ierrors;
    ps.rx_nombuf = s.rx_nombuf;
    if (p.fanout) {
      ps.has_rollover = true;
      ps.rx_rollover = rollover_count(p.packet_fds);
    }
    out.push_back(ps);
  }
  return out;
}

}  // namespace

int run_live(const Config& config, const RunOptions& options) {
  if (config.ports.empty())
    throw ConfigError("ports", "live mode needs at least one port (or use --pcap FILE for offline mode)");
  for (std::size_t i = 0; i < sizeof g_symmetric_rss_key; i += 2) {
    g_symmetric_rss_key[i] = 0x6d;
    g_symmetric_rss_key[i + 1] = 0x5a;
  }
  std::vector<std::string> args{"l7tap"};
  args.insert(args.end(), config.eal_args.begin(), config.eal_args.end());
  args.insert(args.end(), options.eal_args.begin(), options.eal_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0)
    throw std::runtime_error(std::string("rte_eal_init failed: ") + rte_strerror(rte_errno) +
                             " (check eal.args; without hugepages use --no-huge -m 512 --no-pci)");

  Live live;
  live.cfg = &config;
  const uint16_t nw = config.workers;
  bool need_dispatcher = config.dispatcher == "always";
  if (config.dispatcher == "auto")
    for (const PortConfig& p : config.ports) need_dispatcher |= nw > 1 && p.rx_queues < nw;
  if (config.dispatcher == "never") {
    unsigned queues = 0;
    for (const PortConfig& p : config.ports) queues += p.rx_queues;
    if (queues < nw)
      throw ConfigError("workers.dispatcher", "\"never\" needs at least as many rx queues (all ports together) as "
                                              "workers; there are " + std::to_string(queues) + " for " +
                                              std::to_string(nw) + " workers");
  }
  live.dispatcher = need_dispatcher;
  live.lossless = true;
  for (const PortConfig& p : config.ports) live.lossless &= p.device.find("rx_pcap=") != std::string::npos;
  if (rte_lcore_count() < static_cast<unsigned>(nw) + 1)
    throw ConfigError("workers.count", std::to_string(nw) + " workers need " + std::to_string(nw) +
                                           " worker lcores besides the main lcore; the EAL has " +
                                           std::to_string(rte_lcore_count()) + " lcores in all (set -l / --lcores)");
  uint64_t needed = 0;
  for (const PortConfig& p : config.ports) needed += static_cast<uint64_t>(p.rx_queues) * p.rx_descriptors;
  if (need_dispatcher) needed += static_cast<uint64_t>(nw) * config.dispatch_ring_size;
  needed += static_cast<uint64_t>(nw + 1) * (config.burst_size + 256);
  if (config.mbuf_pool_size < needed)
    throw ConfigError("workers.mbuf_pool_size", std::to_string(config.mbuf_pool_size) +
                                                   " mbufs cannot fill every rx ring and dispatcher ring; need at least " +
                                                   std::to_string(needed));
  live.pool = rte_pktmbuf_pool_create("l7tap_mbufs", config.mbuf_pool_size, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                      static_cast<int>(rte_socket_id()));
  if (live.pool == nullptr)
    throw std::runtime_error(std::string("mbuf pool: ") + rte_strerror(rte_errno) + " (raise -m in eal.args)");
  for (std::size_t i = 0; i < config.ports.size(); ++i) setup_port(live, i);
  live.ts.init();

  PipelineSetup setup(config);
  live.hash_seed = setup.processor_config().hash_seed;
  ControlInputs inputs;
  unsigned lcore = rte_get_next_lcore(-1, 1, 0);
  for (uint16_t i = 0; i < nw; ++i, lcore = rte_get_next_lcore(lcore, 1, 0)) {
    auto w = std::make_unique<Worker>();
    w->id = i;
    w->lcore = lcore;
    w->live = &live;
    w->records = std::make_unique<RecordRing>(config.record_ring_size);
    w->stats = std::make_unique<WorkerStats>(setup.protocol_ids());
    w->sink = std::make_unique<DroppingRingSink>(*w->records, (*w->stats)[WorkerStats::kRingDrops]);
    w->processor = std::make_unique<FlowProcessor>(i, setup.processor_config(), setup.signatures(),
                                                   setup.port_hints(), *w->sink, *w->stats);
    if (need_dispatcher) {
      const std::string rname = "l7tap_w" + std::to_string(i);
      w->ring = rte_ring_create(rname.c_str(), config.dispatch_ring_size, static_cast<int>(rte_socket_id()),
                                RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (w->ring == nullptr) throw std::runtime_error("rte_ring_create: " + std::string(rte_strerror(rte_errno)));
    } else {
      // Every (port, queue) is polled by exactly one worker, dealt out in turn. A queue holds both
      // directions of its flows (symmetric RSS, or a port that sees the whole conversation).
      unsigned k = 0;
      for (const Port& p : live.ports)
        for (uint16_t q = 0; q < p.queues; ++q, ++k)
          if (k % nw == i) w->queues.push_back({p.id, q});
    }
    inputs.rings.push_back(w->records.get());
    inputs.workers.push_back(&w->stats->block());
    live.workers.push_back(std::move(w));
  }
  if (need_dispatcher) inputs.globals.push_back(&live.dispatcher_stats.block());
  inputs.port_stats = [&live] { return sample_ports(live); };
  inputs.config_path = options.config_path;
  inputs.reload_requested = &g_reload;
  inputs.overrides = options.overrides;
  inputs.trace_headers = &setup.trace_headers();
  ControlPlane control(config, inputs);
  control.start();
  if (control.metrics_port() != 0)
    std::fprintf(stderr, "l7tap: /metrics on port %u (metrics.listen %s)\n", control.metrics_port(),
                 config.metrics_listen.c_str());

  // Shutdown, in the one order that leaves nothing behind and touches nothing freed: the workers
  // stop and are joined (their final flush waits for the control thread, still draining), then the
  // control thread drains the rings and closes the flow log, then /metrics stops (a scrape reads
  // rte_eth_stats) before the ports close and the EAL is cleaned up.
  auto shutdown = [&] {
    live.stop_workers.store(true, std::memory_order_release);
    rte_eal_mp_wait_lcore();
    control.stop();
    control.stop_metrics();
    for (const Port& p : live.ports) {
      rte_eth_dev_stop(p.id);
      rte_eth_dev_close(p.id);
    }
    for (auto& w : live.workers)
      if (w->ring != nullptr) rte_ring_free(w->ring);
    rte_mempool_free(live.pool);
    rte_eal_cleanup();
  };

  for (auto& w : live.workers) {
    if (rte_eal_remote_launch(worker_main, w.get(), w->lcore) != 0) {
      // The workers already running use the state freed below: stop and join them first.
      shutdown();
      throw std::runtime_error("cannot launch worker " + std::to_string(w->id) + " on lcore " +
                               std::to_string(w->lcore));
    }
  }
  if (need_dispatcher) {
    dispatcher_loop(live);  // returns on g_stop (signal, exit_when_idle): nothing is enqueued after it
  } else {
    const uint64_t start = mono_us();
    while (!g_stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (config.exit_when_idle_us == 0) continue;
      uint64_t last = start;
      for (auto& w : live.workers) last = std::max(last, w->last_rx_mono_us.load(std::memory_order_relaxed));
      if (mono_us() - last >= config.exit_when_idle_us) {
        std::fprintf(stderr, "l7tap: no packets for %.1f s (workers.exit_when_idle): stopping\n",
                     static_cast<double>(config.exit_when_idle_us) / 1e6);
        g_stop.store(true);
      }
    }
  }
  shutdown();
  return 0;
}

}  // namespace l7tap
