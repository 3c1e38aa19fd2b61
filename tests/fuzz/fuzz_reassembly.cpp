// libFuzzer target for TCP reassembly (dataplane/tcp_reassembly), driven directly: both directions
// of one connection as a sequence of segments with SYN/FIN flags, sequence numbers near or far from
// the stream position, acknowledgements and windows from the peer.
//
// Input layout:
//   byte 0: bit 0 = payload mode: 1 "true stream" (every segment's bytes are the bytes of one fixed
//           stream at the segment's sequence numbers: each byte delivered must be that byte, so
//           any mis-trimmed overlap or misplaced held run is caught), 0 raw (bytes from the input,
//           so retransmissions may disagree); bits 1-2 = out-of-order cap (0, 1 KiB, 8 KiB,
//           64 KiB); bit 3 = a tight pool budget (4 KiB: refusals happen); bits 4-7 = first
//           sequence numbers (0: 0, else near 2^32 so wrap-around comes early).
//   then segments: [flags u8][seq i16 BE][len u16 BE] + when ACK [ack i16 BE][window u8] + in raw
//   mode `len` payload bytes (cut at the input's end).
//     flags bit 0 = direction (1 = to client), bit 1 SYN, bit 2 FIN, bit 3 ACK (acknowledges the
//     other direction), bit 4 = seq is absolute (the i16 shifted left by 16: far ahead/behind),
//     bit 5 = flush this direction after the segment (end of flow); otherwise seq is relative to
//     the highest sequence number this direction has sent so far; len uses bits 0-12 (up to 8191).
//     ack is relative to the highest sequence number the other direction sent; window x 256
//     (0 = unknown).
// After the segments (or half a MiB of payload) both directions are flushed and reset; nothing may
// stay held or in use.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dataplane/tcp_reassembly.hpp"
#include "protocols/core/buffer_pool.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace l7tap;

// "True stream" mode: the byte at sequence number `seq` of direction `dir` is
// kStream[dir][seq % kPeriod] (a prime period, so no plausible misplacement lands on the same
// bytes). The table has a segment's worth of bytes past the period, so any run of up to kMaxLen
// bytes is one contiguous slice of it — except across the 2^32 wrap, where `seq % kPeriod` jumps
// and the bytes are taken one by one.
constexpr uint32_t kPeriod = 65521;
constexpr uint32_t kMaxLen = 8191;
constexpr uint64_t kMaxPayloadPerInput = 512 * 1024;
struct StreamTable {
  StreamTable() {
    uint32_t x = 0x12345678;
    for (auto& dir : bytes) {
      for (uint32_t i = 0; i < kPeriod; ++i) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        dir[i] = static_cast<uint8_t>(x >> 24);
      }
      std::memcpy(dir + kPeriod, dir, kMaxLen);  // periodic: bytes[kPeriod + i] is position i again
    }
  }
  uint8_t at(unsigned dir, uint32_t seq) const { return bytes[dir][seq % kPeriod]; }
  // The `len` bytes from `seq`; `scratch` is used across the wrap.
  const uint8_t* run(unsigned dir, uint32_t seq, std::size_t len, uint8_t* scratch) const {
    if (seq <= UINT32_MAX - len) return &bytes[dir][seq % kPeriod];
    for (std::size_t i = 0; i < len; ++i) scratch[i] = at(dir, seq + static_cast<uint32_t>(i));
    return scratch;
  }
  uint8_t bytes[2][kPeriod + kMaxLen];
};
const StreamTable& stream_table() {
  static const StreamTable* t = new StreamTable();
  return *t;
}

class CheckingConsumer final : public StreamConsumer {
 public:
  void on_stream_data(std::span<const uint8_t> data, uint64_t) override {
    FUZZ_CHECK(started);
    if (true_stream) {
      // In pieces of at most kMaxLen (a gap-free delivery of held runs can be longer).
      for (std::size_t i = 0; i < data.size(); i += kMaxLen) {
        const std::size_t n = std::min<std::size_t>(kMaxLen, data.size() - i);
        const uint8_t* want = stream_table().run(dir, pos + static_cast<uint32_t>(i), n, scratch_);
        FUZZ_CHECK(std::memcmp(data.data() + i, want, n) == 0);
      }
    } else {
      volatile unsigned sum = 0;  // every byte readable (ASan)
      for (uint8_t b : data) sum = sum + b;
      (void)sum;
    }
    pos += static_cast<uint32_t>(data.size());
    delivered += data.size();
  }
  void on_stream_gap(uint64_t lost, uint64_t) override {
    FUZZ_CHECK(started);
    FUZZ_CHECK(lost > 0 && lost < (uint64_t{1} << 31));
    pos += static_cast<uint32_t>(lost);
    gap_bytes += lost;
  }
  unsigned dir = 0;
  bool true_stream = false;
  bool started = false;
  uint32_t pos = 0;  // sequence number of the next byte the consumer expects
  uint64_t delivered = 0, gap_bytes = 0;

 private:
  uint8_t scratch_[kMaxLen];
};

// Reused across inputs (reset between them): the reassemblers hand their blocks back on reset().
struct Shared {
  BufferPool roomy{64ull << 20};
  BufferPool tight{4096};
  TcpReassembler tcp[2];
};

uint16_t be16(std::span<const uint8_t> d, std::size_t at) { return static_cast<uint16_t>(d[at] << 8 | d[at + 1]); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Shared* shared = new Shared();  // lives for the process (no exit-time destructor races)
  static constexpr uint32_t kCaps[4] = {0, 1024, 8192, 65536};
  static uint8_t payload_buf[kMaxLen];
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const bool true_stream = (mode & 1) != 0;
  const uint32_t cap = kCaps[(mode >> 1) & 3];
  BufferPool& pool = (mode & 8) != 0 ? shared->tight : shared->roomy;
  const uint32_t isn = (mode >> 4) == 0 ? 0 : 0u - (mode >> 4) * 4096u;

  CheckingConsumer out[2];
  ReassemblyStats stats;
  uint32_t sent_hi[2] = {isn, isn + 0x40000000u};  // highest sequence number each side sent
  for (unsigned d = 0; d < 2; ++d) {
    TcpReassembler& t = shared->tcp[d];
    t.set_pool(&pool);
    t.set_max_out_of_order_bytes(cap);
    out[d].dir = d;
    out[d].true_stream = true_stream;
  }

  std::span<const uint8_t> rest(data + 1, size - 1);
  uint64_t now = 1'700'000'000'000'000ull;
  uint64_t segments = 0;
  // In true-stream mode 5 input bytes make up to 8 KiB of payload: a 64 KiB input would push
  // ~100 MB through per run. Half a MiB (eight times the largest out-of-order cap) is plenty.
  uint64_t payload_total = 0;
  while (rest.size() >= 5 && payload_total <= kMaxPayloadPerInput) {
    const uint8_t flags = rest[0];
    const auto rel = static_cast<int16_t>(be16(rest, 1));
    std::size_t len = be16(rest, 3) & 0x1fff;
    rest = rest.subspan(5);
    const unsigned d = flags & 1;
    TcpReassembler& t = shared->tcp[d];
    const bool syn = (flags & 2) != 0, fin = (flags & 4) != 0;
    const uint32_t seq = (flags & 0x10) != 0 ? sent_hi[d] + (static_cast<uint32_t>(rel) << 16)
                                              : sent_hi[d] + static_cast<uint32_t>(static_cast<int32_t>(rel));
    if ((flags & 8) != 0) {
      if (rest.size() < 3) break;
      const auto ack_rel = static_cast<int16_t>(be16(rest, 0));
      const uint32_t window = uint32_t{rest[2]} << 8;
      rest = rest.subspan(3);
      // The peer's ACK is about the other direction's bytes.
      shared->tcp[d ^ 1].on_peer_ack(sent_hi[d ^ 1] + static_cast<uint32_t>(static_cast<int32_t>(ack_rel)), window);
      // As the flow processor does: a hole the peer acknowledged releases what is held behind it.
      shared->tcp[d ^ 1].release_confirmed(out[d ^ 1], stats);
    }
    std::span<const uint8_t> payload;
    const uint32_t data_seq = syn ? seq + 1 : seq;
    if (true_stream) {
      payload = std::span<const uint8_t>(stream_table().run(d, data_seq, len, payload_buf), len);
    } else {
      if (len > rest.size()) len = rest.size();
      payload = rest.first(len);
      rest = rest.subspan(len);
    }
    if (static_cast<int32_t>(data_seq + static_cast<uint32_t>(len) - sent_hi[d]) > 0)
      sent_hi[d] = data_seq + static_cast<uint32_t>(len);

    if (!t.initialized() && (syn || !payload.empty())) {
      // This segment starts the stream: at its first byte after the SYN's sequence number.
      out[d].started = true;
      out[d].pos = data_seq;
    }
    payload_total += payload.size();
    now += 100;
    t.on_segment(seq, syn, fin, payload, now, out[d], stats);
    ++segments;
    FUZZ_CHECK(t.initialized() == out[d].started);
    if (fin) FUZZ_CHECK(t.fin_seen());
    FUZZ_CHECK(t.held_bytes() <= cap);
    // The holding block: the run table (64 runs of 24 bytes) and the bytes, in a power-of-two block.
    FUZZ_CHECK(t.held_capacity() <= 2 * (cap + 64 * 24));
    FUZZ_CHECK(pool.in_use() == uint64_t{shared->tcp[0].held_capacity()} + shared->tcp[1].held_capacity());
    FUZZ_CHECK(pool.held() <= pool.limit());
    if ((flags & 0x20) != 0) {
      t.flush(now, out[d], stats);
      FUZZ_CHECK(t.held_bytes() == 0);
    }
  }
  FUZZ_CHECK(stats.segments == segments);
  for (unsigned d = 0; d < 2; ++d) {
    TcpReassembler& t = shared->tcp[d];
    t.flush(now, out[d], stats);
    FUZZ_CHECK(t.held_bytes() == 0);
    t.reset();
    FUZZ_CHECK(!t.initialized() && t.held_capacity() == 0);
  }
  FUZZ_CHECK(pool.in_use() == 0);
  FUZZ_CHECK(stats.gap_bytes == out[0].gap_bytes + out[1].gap_bytes);
  return 0;
}
