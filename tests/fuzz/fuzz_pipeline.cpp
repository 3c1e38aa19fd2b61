// libFuzzer target for the whole per-worker pipeline: frames → decode → flow table (tiny, so
// evictions happen) → TCP reassembly → detection over the real protocol registry and signatures →
// parsers → pairing → records (checked, fuzz_check.hpp). After flush_all() no flow, pending request
// or buffered byte may remain.
//
// Input layout: a sequence of [u16 big-endian header][frame]; header bits 0-13 = frame length
// (cut at the input's end), bits 14-15 = how far the clock moves before the frame: 0 → 1 ms,
// 1 → 10 ms, 2 → 100 ms, 3 → 10 s (timeouts are small, so idle/close/request expiry all run).
// Frames go to the processor in bursts of up to 8 (so flows created, found and evicted within one
// burst are exercised), the clock step of a burst's frames applying within it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/flow_processor.hpp"
#include "protocols/registry.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace l7tap;

constexpr uint64_t kStartUs = 1'700'000'000'000'000ull;
// A multiple of every timer-wheel turn (4096 slots of at most 2^16 µs, dataplane/flow_table_impl.hpp).
constexpr uint64_t kTurnUs = uint64_t{1} << 28;

class CheckingSink final : public RecordSink {
 public:
  void on_record(FlowRecord& r) override {
    FUZZ_CHECK(r.start_time_us >= kStartUs);
    FUZZ_CHECK(r.worker == 1);
    fuzz::check_record(r, line_);
  }

 private:
  std::string line_;
};

// Built once and reused by every input: compiling the Hyperscan database, building the detector's
// port table (65,536 entries), the flow table, the pairing pool and the counter block per input
// cost ~14 ms and kept the target near 70 inputs/s. Between inputs the processor is brought back to
// the state of a new one: flush_all() ends every flow (checked: nothing left), forget_verdicts()
// clears the per-server verdict cache, and each input's clock starts on a fresh turn of the flow
// table's timer wheel (kTurnUs), so slot positions match a new table's. What stays is the pool's
// cached free blocks, which never change whether a request fits the budget.
struct Shared {
  Shared() : sigs(all_protocols()), hints(default_port_hints()) {
    cfg.flow_capacity = 8;
    cfg.flow_idle_timeout_us = 200'000;
    cfg.no_payload_timeout_us = 100'000;
    cfg.hash_seed = 0x5eed;  // reproducible runs
    cfg.tcp_close_timeout_us = 20'000;
    cfg.max_out_of_order_bytes = 8192;
    cfg.request_timeout_us = 50'000;
    cfg.max_pending_per_flow = 8;
    cfg.pending_pool = 32;
    cfg.max_buffered_total = 32 * 1024;
    cfg.parser.max_buffered = 4096;
    cfg.parser.max_pending = 16;
    cfg.max_detect_bytes = 1024;
    cfg.max_detect_attempts = 4;
    proc = std::make_unique<FlowProcessor>(1, cfg, sigs, hints, sink, stats);
  }
  SignatureDatabase sigs;
  std::vector<std::pair<uint16_t, const ProtocolDescriptor*>> hints;
  FlowProcessorConfig cfg;
  CheckingSink sink;
  WorkerStats stats;
  std::unique_ptr<FlowProcessor> proc;
  uint64_t start_us = (kStartUs / kTurnUs + 1) * kTurnUs;  // where the next input's clock starts
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Shared* shared = new Shared();  // lives for the process (no exit-time destructor races)
  static constexpr uint64_t kStep[4] = {1'000, 10'000, 100'000, 10'000'000};

  FlowProcessor* proc = shared->proc.get();
  WorkerStats& stats = shared->stats;
  const uint64_t packets_before = stats[WorkerStats::kPackets].get();

  std::span<const uint8_t> rest(data, size);
  uint64_t now = shared->start_us;
  unsigned frames = 0, bursts = 0;
  std::span<const uint8_t> burst[8];
  uint64_t stamps[8];
  uint32_t n = 0;
  auto run = [&] {
    proc->process_burst(burst, stamps, n);
    n = 0;
    if (++bursts % 2 == 0) {
      proc->housekeeping(now);
      proc->publish_stats();
      FUZZ_CHECK(stats[WorkerStats::kPoolBytes].get() <= shared->cfg.max_buffered_total);
      FUZZ_CHECK(proc->active_flows() <= shared->cfg.flow_capacity);
    }
  };
  while (rest.size() >= 2) {
    const uint16_t hdr = static_cast<uint16_t>(rest[0] << 8 | rest[1]);
    rest = rest.subspan(2);
    std::size_t len = hdr & 0x3fff;
    if (len > rest.size()) len = rest.size();
    now += kStep[hdr >> 14];
    burst[n] = rest.first(len);
    stamps[n++] = now;
    rest = rest.subspan(len);
    ++frames;
    if (n == 8 || (hdr >> 14) == 3) run();  // a long pause ends the burst
  }
  if (n != 0) run();
  proc->flush_all();
  FUZZ_CHECK(proc->active_flows() == 0);
  FUZZ_CHECK(stats[WorkerStats::kActiveFlows].get() == 0);
  FUZZ_CHECK(stats[WorkerStats::kBufferedBytes].get() == 0);
  FUZZ_CHECK(stats[WorkerStats::kPackets].get() - packets_before == frames);
  FUZZ_CHECK(proc->pool().in_use() == 0);
  // Reset for the next input (see Shared).
  proc->forget_verdicts();
  shared->start_us = (now / kTurnUs + 2) * kTurnUs;
  return 0;
}
