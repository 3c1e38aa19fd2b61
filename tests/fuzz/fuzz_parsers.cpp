// libFuzzer target for every protocol parser behind the real framework: StreamDriver (small
// max_buffered, so the skip / resync / buffer-bound paths run) with a MemoryBudget, messages into a
// real SessionPairing whose records are checked (fuzz_check.hpp), plus each descriptor's probe().
//
// Input layout (so seeds made from captures by tools/fuzz_seeds.py replay real conversations):
//   byte 0, low nibble : protocol = all_protocols()[nibble % count]
//   byte 0, high nibble: 0 = framed: the rest is records [u16 big-endian header][data], header
//                        bit 15 = direction (1 = to client), bit 14 = a gap in that direction
//                        before the data, bits 0-13 = data length (cut at the input's end);
//                        1..15 = pattern: bits 0-1 chunk sizes (0 one chunk, 1 up to 16 bytes,
//                        2 up to 512, 3 up to 8192; sizes from a PRNG seeded by the input), bit 2
//                        alternate direction every chunk, bit 3 start with to-client; about one
//                        chunk in 32 is preceded by a gap.
// The memory budget is tight (refusals happen) for inputs of odd length, roomy for even ones.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocols/core/memory_budget.hpp"
#include "protocols/core/session_pairing.hpp"
#include "protocols/core/stream_driver.hpp"
#include "protocols/registry.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace l7tap;

constexpr uint32_t kMaxBuffered = 4096;
constexpr uint64_t kStartUs = 1'700'000'000'000'000ull;
constexpr uint64_t kRequestTimeoutUs = 50'000;  // 50 chunks: expiry runs within one input

class CheckingSink final : public RecordSink {
 public:
  explicit CheckingSink(ProtocolId expected) : expected_(expected) {}
  void on_record(FlowRecord& r) override {
    FUZZ_CHECK(r.protocol == expected_);
    FUZZ_CHECK(r.start_time_us >= kStartUs);
    fuzz::check_record(r, line_);
    ++records;
  }
  uint64_t records = 0;

 private:
  ProtocolId expected_;
  std::string line_;
};

void check_probe(const ProtocolDescriptor& d, std::span<const uint8_t> data) {
  for (Dir dir : {Dir::kToServer, Dir::kToClient}) {
    // The detector offers the first bytes and then more as they arrive: try a few prefixes.
    for (std::size_t n : {std::size_t{1}, std::size_t{4}, std::size_t{16}, data.size()}) {
      const ProbeVerdict v = d.probe(dir, data.first(n < data.size() ? n : data.size()));
      FUZZ_CHECK(v == ProbeVerdict::kNo || v == ProbeVerdict::kMaybe || v == ProbeVerdict::kYes);
    }
  }
}

// Small deterministic PRNG (xorshift32) for chunk sizes and gap positions.
struct Rng {
  uint32_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

// Drives one flow: the stream driver and, for its first chunks, the datagram path of a second
// driver (a UDP flow detected as this protocol takes that path).
class Harness {
 public:
  Harness(const ProtocolDescriptor& d, uint64_t budget_limit)
      : sink_(d.id), pairing_(64, 16, kRequestTimeoutUs, sink_), flow_sink_(pairing_, flow_) {
    budget_.limit = budget_limit;
    flow_.protocol = d.id;
    flow_.net.client_port = 40000;
    flow_.net.server_port = d.default_ports.empty() ? 1 : d.default_ports.front();
    options_.max_buffered = kMaxBuffered;
    options_.max_pending = 16;
    stream_.attach(d.create());
    datagram_.attach(d.create());
    FUZZ_CHECK(stream_.attached() && datagram_.attached());
  }

  void chunk(Dir dir, bool gap, std::span<const uint8_t> data) {
    now_ += 1000;
    ParseContext ctx;
    ctx.sink = &flow_sink_;
    ctx.options = &options_;
    ctx.now_us = now_;
    ctx.budget = &budget_;
    if (gap) stream_.on_gap(dir);
    stream_.on_stream_data(dir, data, ctx);
    if (datagrams_ < 4 && !data.empty()) {
      ++datagrams_;
      ParseContext dctx = ctx;
      datagram_.on_datagram(dir, data, dctx);
    }
    (void)stream_.take_errors();
    (void)stream_.take_messages();
    pairing_.expire(now_);
    // Two directions, each bounded by max_buffered (vector growth at most doubles it).
    FUZZ_CHECK(budget_.used <= budget_.limit);
    FUZZ_CHECK(budget_.used <= 4ull * kMaxBuffered);
  }

  void finish() {
    stream_.reset();
    datagram_.reset();
    FUZZ_CHECK(budget_.used == 0);
    pairing_.end_flow(flow_);
    FUZZ_CHECK(pairing_.pending() == 0);
    FUZZ_CHECK(flow_.head == FlowSessions::kNil && flow_.count == 0);
  }

 private:
  CheckingSink sink_;
  SessionPairing pairing_;
  FlowSessions flow_;
  SessionPairing::FlowSink flow_sink_;
  ParserOptions options_;
  MemoryBudget budget_;
  StreamDriver stream_;
  StreamDriver datagram_;
  uint64_t now_ = kStartUs;
  int datagrams_ = 0;
};

void run_framed(Harness& h, std::span<const uint8_t> rest) {
  while (rest.size() >= 2) {
    const uint16_t hdr = static_cast<uint16_t>(rest[0] << 8 | rest[1]);
    rest = rest.subspan(2);
    const Dir dir = (hdr & 0x8000) != 0 ? Dir::kToClient : Dir::kToServer;
    const bool gap = (hdr & 0x4000) != 0;
    std::size_t len = hdr & 0x3fff;
    if (len > rest.size()) len = rest.size();
    h.chunk(dir, gap, rest.first(len));
    rest = rest.subspan(len);
  }
}

void run_pattern(Harness& h, unsigned pattern, std::span<const uint8_t> rest, uint32_t seed) {
  static constexpr uint32_t kMaxChunk[4] = {0, 16, 512, 8192};
  const uint32_t max_chunk = kMaxChunk[pattern & 3];
  const bool alternate = (pattern & 4) != 0;
  Dir dir = (pattern & 8) != 0 ? Dir::kToClient : Dir::kToServer;
  Rng rng{seed | 1};
  while (!rest.empty()) {
    std::size_t len = max_chunk == 0 ? rest.size() : 1 + rng.next() % max_chunk;
    if (len > rest.size()) len = rest.size();
    const bool gap = (rng.next() & 31) == 0;
    h.chunk(dir, gap, rest.first(len));
    rest = rest.subspan(len);
    if (alternate) dir = opposite(dir);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto protocols = all_protocols();
  FUZZ_CHECK(!protocols.empty());
  const ProtocolDescriptor& d = *protocols[(data[0] & 0x0f) % protocols.size()];
  const unsigned pattern = data[0] >> 4;
  const std::span<const uint8_t> rest(data + 1, size - 1);

  check_probe(d, rest);

  Harness h(d, (size & 1) != 0 ? 6144 : (64ull << 20));
  if (pattern == 0) {
    run_framed(h, rest);
  } else {
    uint32_t seed = static_cast<uint32_t>(size) * 2654435761u;
    for (std::size_t i = 0; i < rest.size() && i < 8; ++i) seed = seed * 31 + rest[i];
    run_pattern(h, pattern, rest, seed);
  }
  h.finish();
  return 0;
}
