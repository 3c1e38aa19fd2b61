// libFuzzer target for every protocol parser behind the real framework, taken from the registry:
// StreamDriver (small max_buffered, so the skip / resync / buffer-bound paths run) with parsers and
// tails in a BufferPool, messages into a real SessionPairing whose records are checked
// (fuzz_check.hpp), plus each descriptor's probe().
//
// Input layout (so seeds made from captures by tools/fuzz_seeds.py replay real conversations):
//   byte 0, low nibble: 0 = framed: the rest is records [u16 big-endian header][data], header
//                       bit 15 = direction (1 = to client), bit 14 = a gap in that direction
//                       before the data, bits 0-13 = data length (cut at the input's end);
//                       1..15 = pattern: bits 0-1 chunk sizes (0 one chunk, 1 up to 16 bytes,
//                       2 up to 512, 3 up to 8192; sizes from a PRNG seeded by the input), bit 2
//                       alternate direction every chunk, bit 3 start with to-client; about one
//                       chunk in 32 is preceded by a gap.
//   then the protocol: its index in the registry as an unsigned LEB128 varint (modulo the number
//   of protocols: no ceiling on how many there are).
// The pool's budget is tight (refusals happen; heap-backed) for inputs of odd length, roomy (64 MiB:
// slab-backed, as a worker's pool) for even ones.
// Pool and pairing engine are reused across inputs (struct Budget).
//
// With L7TAP_FUZZ_WRITE_SEEDS=DIR in the environment, the target first writes one framed seed per
// registered protocol from its descriptor's fuzz_samples into DIR (tools/fuzz does this).
// With L7TAP_FUZZ_PROTOCOL=NAME every input goes to that protocol (the index is read and ignored,
// so the same seeds serve): a campaign on one protocol (tools/fuzz parsers:NAME).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "protocols/core/buffer_pool.hpp"
#include "protocols/core/byte_reader.hpp"
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
  void on_record(FlowRecord& r) override {
    FUZZ_CHECK(r.protocol == expected);
    FUZZ_CHECK(r.start_time_us >= kStartUs);
    fuzz::check_record(r, line_);
    ++records;
  }
  ProtocolId expected = kUnknownProtocol;
  uint64_t records = 0;

 private:
  std::string line_;
};

// The pool and the pairing engine are built once per budget and reused by every input (a new
// SessionPairing per input allocated and poisoned its request slots each time). An input leaves
// them as it found them: Harness::finish() checks that no request is pending and no block is in
// use; only the pool's cached free blocks stay, which never change whether a request fits.
struct Budget {
  explicit Budget(uint64_t limit) : pool(limit, BufferPool::backing_for(limit)), pairing(64, 16, kRequestTimeoutUs, sink, pool) {}
  BufferPool pool;
  CheckingSink sink;
  SessionPairing pairing;
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
  Harness(const ProtocolDescriptor& d, Budget& b)
      : id_(protocol_id(&d)), pool_(b.pool), sink_(b.sink), pairing_(b.pairing), flow_sink_(pairing_, flow_) {
    sink_.expected = id_;
    flow_.protocol = id_;
    flow_.net.client_port = 40000;
    flow_.net.server_port = d.default_ports.empty() ? 1 : d.default_ports.front();
    options_.max_buffered = kMaxBuffered;
    options_.max_pending = 16;
    const ParserEnv env{&options_, &pool_};
    // With a tight budget the parser state itself may be refused: then there is nothing to drive.
    attached_ = stream_.attach(d, env) && datagram_.attach(d, env);
  }

  void chunk(Dir dir, bool gap, std::span<const uint8_t> data) {
    if (!attached_) return;
    now_ += 1000;
    ParseContext ctx;
    ctx.sink = &flow_sink_;
    ctx.options = &options_;
    ctx.now_us = now_;
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
    FUZZ_CHECK(pool_.held() <= pool_.limit());
    // Two tails of at most max_buffered (a power-of-two block each), the parsers' state and the
    // pending requests' fields: bounded whatever the input.
    FUZZ_CHECK(pool_.in_use() <= 4ull * kMaxBuffered + 64 * 4096 + 256 * 1024);
  }

  void finish() {
    pairing_.end_flow(flow_);
    FUZZ_CHECK(pairing_.pending() == 0);
    FUZZ_CHECK(flow_.head == FlowSessions::kNil && flow_.count == 0);
    stream_.reset();
    datagram_.reset();
    FUZZ_CHECK(pool_.in_use() == 0);  // every block went back
  }

 private:
  ProtocolId id_;
  BufferPool& pool_;
  CheckingSink& sink_;
  SessionPairing& pairing_;
  FlowSessions flow_;
  SessionPairing::FlowSink flow_sink_;
  ParserOptions options_;
  StreamDriver stream_;
  StreamDriver datagram_;
  uint64_t now_ = kStartUs;
  int datagrams_ = 0;
  bool attached_ = false;
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


void write_seeds(const char* dir) {
  const auto protocols = all_protocols();
  for (std::size_t i = 0; i < protocols.size(); ++i) {
    std::vector<uint8_t> seed{0};  // framed
    for (uint64_t v = i;; v >>= 7) {
      seed.push_back(static_cast<uint8_t>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
      if (v < 0x80) break;
    }
    for (const FuzzSample& s : protocols[i]->fuzz_samples) {
      const auto hdr = static_cast<uint16_t>((s.dir == Dir::kToClient ? 0x8000 : 0) | (s.bytes.size() & 0x3fff));
      seed.push_back(static_cast<uint8_t>(hdr >> 8));
      seed.push_back(static_cast<uint8_t>(hdr));
      seed.insert(seed.end(), s.bytes.begin(), s.bytes.begin() + (hdr & 0x3fff));
    }
    const std::string path = std::string(dir) + "/registry-" + std::string(protocols[i]->name);
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fwrite(seed.data(), 1, seed.size(), f);
      std::fclose(f);
    }
  }
}

const ProtocolDescriptor* g_only = nullptr;  // L7TAP_FUZZ_PROTOCOL

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("L7TAP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  if (const char* name = std::getenv("L7TAP_FUZZ_PROTOCOL"); name != nullptr && *name != '\0') {
    g_only = find_protocol(name);
    if (g_only == nullptr) {
      std::fprintf(stderr, "fuzz_parsers: L7TAP_FUZZ_PROTOCOL=%s is not a registered protocol\n", name);
      std::exit(2);
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto protocols = all_protocols();
  FUZZ_CHECK(!protocols.empty());
  const unsigned pattern = data[0] & 0x0f;
  std::span<const uint8_t> rest(data + 1, size - 1);
  ByteReader r(rest);
  const uint64_t index = r.uvarint();  // unsigned LEB128
  if (!r.ok()) return 0;
  rest = r.rest();
  const ProtocolDescriptor& d = g_only != nullptr ? *g_only : *protocols[index % protocols.size()];

  check_probe(d, rest);

  static Budget* tight = new Budget(6144);  // live for the process (no exit-time destructor races)
  static Budget* roomy = new Budget(64ull << 20);
  Harness h(d, (size & 1) != 0 ? *tight : *roomy);
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
