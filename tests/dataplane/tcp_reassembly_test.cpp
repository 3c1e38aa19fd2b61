// TcpReassembler: ordering, retransmission/overlap trimming, holding cap and gaps, sequence
// wrap-around, mid-stream pickup, zero-copy delivery, and randomised segmentation/reordering.
#include "dataplane/tcp_reassembly.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace l7tap {
namespace {

// Records what the reassembler delivers: the byte stream with each gap as a run of `fill` bytes
// (so positions stay aligned with the source stream), plus the individual events.
struct Collector : StreamConsumer {
  std::vector<uint8_t> bytes;
  std::vector<bool> is_gap;  // parallel to bytes
  std::vector<uint64_t> gap_events;
  std::vector<const uint8_t*> data_ptrs;
  std::vector<uint64_t> data_ts;
  uint8_t fill = '#';
  void on_stream_data(std::span<const uint8_t> d, uint64_t ts) override {
    EXPECT_FALSE(d.empty());
    data_ptrs.push_back(d.data());
    data_ts.push_back(ts);
    bytes.insert(bytes.end(), d.begin(), d.end());
    is_gap.insert(is_gap.end(), d.size(), false);
  }
  void on_stream_gap(uint64_t lost, uint64_t) override {
    EXPECT_GT(lost, 0u);
    gap_events.push_back(lost);
    bytes.insert(bytes.end(), lost, fill);
    is_gap.insert(is_gap.end(), lost, true);
  }
  std::string str() const { return std::string(bytes.begin(), bytes.end()); }
};

std::span<const uint8_t> S(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Harness {
  explicit Harness(uint32_t cap = 65536) : r(cap) { r.set_pool(&pool); }
  BufferPool pool;  // before r: r gives its block back when destroyed
  TcpReassembler r;
  Collector c;
  ReassemblyStats st;
  void seg(uint32_t seq, const std::string& data, bool syn = false, bool fin = false, uint64_t ts = 0) {
    r.on_segment(seq, syn, fin, S(data), ts, c, st);
  }
  void flush(uint64_t ts = 0) { r.flush(ts, c, st); }
};

constexpr uint32_t kIsn = 1000;

TEST(TcpReassembly, InOrderAfterSyn) {
  Harness h;
  EXPECT_FALSE(h.r.initialized());
  h.seg(kIsn, "", /*syn=*/true);
  EXPECT_TRUE(h.r.initialized());
  h.seg(kIsn + 1, "hello ");
  h.seg(kIsn + 7, "world");
  h.seg(kIsn + 12, "", false, /*fin=*/true);
  EXPECT_EQ(h.c.str(), "hello world");
  EXPECT_TRUE(h.r.fin_seen());
  EXPECT_EQ(h.st.segments, 4u);
  EXPECT_EQ(h.st.in_order, 2u);
  EXPECT_EQ(h.st.out_of_order, 0u);
  EXPECT_EQ(h.st.retransmitted, 0u);
  EXPECT_EQ(h.st.gaps, 0u);
}

TEST(TcpReassembly, SynCarryingDataStartsAfterSyn) {
  Harness h;  // TCP Fast Open style: payload on the SYN begins at ISN + 1
  h.seg(kIsn, "abc", /*syn=*/true);
  h.seg(kIsn + 4, "def");
  EXPECT_EQ(h.c.str(), "abcdef");
}

TEST(TcpReassembly, ThreeSegmentsAllPermutationsGiveSameStream) {
  const std::vector<std::pair<uint32_t, std::string>> segs = {
      {kIsn + 1, "first-"}, {kIsn + 7, "second-"}, {kIsn + 14, "third"}};
  std::vector<int> order = {0, 1, 2};
  int perms = 0;
  do {
    Harness h;
    h.seg(kIsn, "", true);
    for (int i : order) h.seg(segs[i].first, segs[i].second);
    EXPECT_EQ(h.c.str(), "first-second-third") << "order " << order[0] << order[1] << order[2];
    EXPECT_EQ(h.r.held_bytes(), 0u);
    EXPECT_EQ(h.st.gaps, 0u);
    EXPECT_EQ(h.st.in_order + h.st.out_of_order, 3u);
    ++perms;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(perms, 6);
}

TEST(TcpReassembly, OutOfOrderIsHeldUntilHoleFills) {
  Harness h;
  h.seg(kIsn, "", true);
  h.seg(kIsn + 4, "EFGH", false, false, 10);
  EXPECT_EQ(h.c.str(), "");
  EXPECT_EQ(h.r.held_bytes(), 4u);
  EXPECT_EQ(h.st.out_of_order, 1u);
  h.seg(kIsn + 1, "ABC", false, false, 20);
  EXPECT_EQ(h.c.str(), "ABCEFGH");
  EXPECT_EQ(h.r.held_bytes(), 0u);
  // Held bytes are delivered with the timestamp of the packet that made them deliverable.
  ASSERT_EQ(h.c.data_ts.size(), 2u);
  EXPECT_EQ(h.c.data_ts[1], 20u);
}

TEST(TcpReassembly, ExactDuplicateIsDropped) {
  Harness h;
  h.seg(kIsn, "", true);
  h.seg(kIsn + 1, "abcd");
  h.seg(kIsn + 1, "abcd");
  h.seg(kIsn + 5, "efgh");
  EXPECT_EQ(h.c.str(), "abcdefgh");
  EXPECT_EQ(h.st.retransmitted, 1u);
}

TEST(TcpReassembly, PartialOverlapAtFrontIsTrimmed) {
  Harness h;
  h.seg(kIsn, "", true);
  h.seg(kIsn + 1, "abcd");
  h.seg(kIsn + 3, "cdef");  // "cd" already delivered; garbage in the overlap must not show
  EXPECT_EQ(h.c.str(), "abcdef");
  EXPECT_EQ(h.st.overlaps_trimmed, 1u);
  h.seg(kIsn + 2, "XXXXXgh");  // starts 5 bytes back: only "gh" is new
  EXPECT_EQ(h.c.str(), "abcdefgh");
  EXPECT_EQ(h.st.overlaps_trimmed, 2u);
}

TEST(TcpReassembly, InOrderSegmentOverlappingHeldDataAtItsEnd) {
  Harness h;
  h.seg(kIsn, "", true);
  h.seg(kIsn + 6, "FGHIJ");    // held [5,10)
  h.seg(kIsn + 1, "ABCDEFG");  // in order [1,8): overlaps the front of the held run
  EXPECT_EQ(h.c.str(), "ABCDEFGHIJ");
  EXPECT_EQ(h.r.held_bytes(), 0u);
  EXPECT_GE(h.st.overlaps_trimmed, 1u);
}

TEST(TcpReassembly, InOrderSegmentCoveringHeldDataEntirely) {
  Harness h;
  h.seg(kIsn, "", true);
  h.seg(kIsn + 3, "CD");
  h.seg(kIsn + 1, "abcdef");  // in-order copy wins; the held copy is discarded unseen
  EXPECT_EQ(h.c.str(), "abcdef");
  EXPECT_EQ(h.r.held_bytes(), 0u);
}

TEST(TcpReassembly, OutOfOrderOverlapWithHeldData) {
  Harness h;
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;  // stream "0123456789abcdefghij"
  h.seg(b + 10, "abcde");       // held [10,15)
  h.seg(b + 5, "56789abcdefgh");  // [5,18): only [5,10) and [15,18) are new
  EXPECT_EQ(h.r.held_bytes(), 13u);
  EXPECT_EQ(h.st.overlaps_trimmed, 1u);
  h.seg(b + 12, "cde");  // entirely held: a retransmission
  EXPECT_EQ(h.st.retransmitted, 1u);
  EXPECT_EQ(h.r.held_bytes(), 13u);
  h.seg(b + 16, "ghij");  // overlaps the end of held data
  EXPECT_EQ(h.r.held_bytes(), 15u);
  h.seg(b + 0, "01234");
  EXPECT_EQ(h.c.str(), "0123456789abcdefghij");
  EXPECT_EQ(h.r.held_bytes(), 0u);
  EXPECT_EQ(h.st.gaps, 0u);
}

TEST(TcpReassembly, OutOfOrderSegmentSpanningSeveralHeldRuns) {
  Harness h;
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;  // stream "ABCDEFGHIJKLMNOPQRST"
  h.seg(b + 4, "EF");
  h.seg(b + 8, "IJ");
  h.seg(b + 12, "MN");
  h.seg(b + 2, "CDEFGHIJKLMNOPQ");  // fills three holes and extends past the last run
  EXPECT_EQ(h.r.held_bytes(), 15u);
  h.seg(b + 0, "AB");
  h.seg(b + 17, "RST");
  EXPECT_EQ(h.c.str(), "ABCDEFGHIJKLMNOPQRST");
}

TEST(TcpReassembly, FlushReportsExactGaps) {
  Harness h;
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  h.seg(b, "abc");          // delivered [0,3)
  h.seg(b + 10, "klm");     // held [10,13)
  h.seg(b + 20, "uv");      // held [20,22)
  EXPECT_EQ(h.c.str(), "abc");
  h.flush(99);
  ASSERT_EQ(h.c.gap_events.size(), 2u);
  EXPECT_EQ(h.c.gap_events[0], 7u);  // [3,10)
  EXPECT_EQ(h.c.gap_events[1], 7u);  // [13,20)
  EXPECT_EQ(h.c.str(), "abc#######klm#######uv");
  EXPECT_EQ(h.st.gaps, 2u);
  EXPECT_EQ(h.st.gap_bytes, 14u);
  EXPECT_EQ(h.r.held_bytes(), 0u);
  // Delivery continues after the last flushed byte.
  h.seg(b + 22, "wx");
  EXPECT_EQ(h.c.str(), "abc#######klm#######uvwx");
}

TEST(TcpReassembly, ByteCapForcesGap) {
  Harness h(10);
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  h.seg(b, "ab");             // next = 2
  h.seg(b + 20, "12345678");  // held [20,28): 8 of 10 bytes
  EXPECT_EQ(h.st.cap_drops, 0u);
  h.seg(b + 40, "XYZ");  // 3 more do not fit: give up [2,20), deliver held, then hold [40,43)
  EXPECT_EQ(h.st.cap_drops, 1u);
  ASSERT_EQ(h.c.gap_events.size(), 1u);
  EXPECT_EQ(h.c.gap_events[0], 18u);
  EXPECT_EQ(h.c.str(), "ab" + std::string(18, '#') + "12345678");
  EXPECT_EQ(h.r.held_bytes(), 3u);
  h.flush();
  ASSERT_EQ(h.c.gap_events.size(), 2u);
  EXPECT_EQ(h.c.gap_events[1], 12u);  // [28,40)
  EXPECT_EQ(h.st.gap_bytes, 30u);
  EXPECT_EQ(h.c.str(), "ab" + std::string(18, '#') + "12345678" + std::string(12, '#') + "XYZ");
}

TEST(TcpReassembly, CapHitByFillerOfTheHoleCostsOnlyTheHole) {
  Harness h(8);
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  h.seg(b + 10, "klmnopqr");  // holding area full
  h.seg(b + 5, "fghij");      // would fill part of the hole but cannot be held
  // Everything up to the held data is given up, so the new segment is now behind: dropped.
  EXPECT_EQ(h.st.cap_drops, 1u);
  EXPECT_EQ(h.c.str(), std::string(10, '#') + "klmnopqr");
  EXPECT_EQ(h.st.gap_bytes, 10u);
}

TEST(TcpReassembly, SegmentLargerThanCapIsDeliveredAfterGap) {
  Harness h(0);  // no holding at all
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  h.seg(b, "ab");
  h.seg(b + 5, "fgh");
  EXPECT_EQ(h.c.str(), "ab###fgh");
  EXPECT_EQ(h.st.gap_bytes, 3u);
  EXPECT_EQ(h.st.cap_drops, 1u);
  EXPECT_EQ(h.r.held_bytes(), 0u);
}

TEST(TcpReassembly, DescriptorLimitForcesGap) {
  Harness h(1 << 20);
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  // 100 one-byte holes, each followed by one held byte: more distinct runs than can be tracked.
  for (uint32_t i = 0; i < 100; ++i) h.seg(b + 2 * i + 1, std::string(1, char('A' + i % 26)));
  EXPECT_GE(h.st.cap_drops, 1u);
  h.flush();
  // Every position 0..199 is accounted for exactly once: held bytes or gap bytes.
  ASSERT_EQ(h.c.bytes.size(), 200u);
  for (uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(h.c.bytes[2 * i], '#');
    EXPECT_EQ(h.c.bytes[2 * i + 1], 'A' + i % 26);
  }
  EXPECT_EQ(h.st.gap_bytes, 100u);
}

TEST(TcpReassembly, AdjacentOutOfOrderSegmentsShareOneRun) {
  Harness h(1 << 20);
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  // One lost segment followed by a long in-order burst: must not hit the descriptor limit.
  for (uint32_t i = 1; i <= 500; ++i) h.seg(b + 10 * i, std::string(10, char('a' + i % 26)));
  EXPECT_EQ(h.st.cap_drops, 0u);
  EXPECT_EQ(h.r.held_bytes(), 5000u);
  h.seg(b, std::string(10, 'a'));
  EXPECT_EQ(h.c.bytes.size(), 5010u);
  EXPECT_EQ(h.st.gaps, 0u);
}

TEST(TcpReassembly, SegmentsArrivingInReverseMergeIntoOneRun) {
  Harness h(1 << 20);
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  // Each segment ends where the previously held one starts.
  for (uint32_t i = 500; i >= 1; --i) h.seg(b + 10 * i, std::string(10, char('a' + i % 26)));
  EXPECT_EQ(h.st.cap_drops, 0u);
  h.seg(b, std::string(10, 'a'));
  ASSERT_EQ(h.c.bytes.size(), 5010u);
  for (uint32_t i = 0; i <= 500; ++i) EXPECT_EQ(h.c.bytes[10 * i + 9], 'a' + i % 26);
}

TEST(TcpReassembly, DescriptorLimitCountsHolesExactly) {
  Harness h(1 << 20);
  h.seg(kIsn, "", true);
  const uint32_t b = kIsn + 1;
  // 64 runs: one byte at every odd position 1..127, holes at the even positions.
  for (uint32_t i = 0; i < 64; ++i) h.seg(b + 2 * i + 1, "x");
  EXPECT_EQ(h.st.cap_drops, 0u);
  h.seg(b + 128, "yy");  // extends the last run: no new run needed
  EXPECT_EQ(h.st.cap_drops, 0u);
  h.seg(b + 4, "z");  // fills a hole between two runs: 63 runs
  EXPECT_EQ(h.st.cap_drops, 0u);
  h.seg(b + 200, "w");  // a new run fits again: 64
  EXPECT_EQ(h.st.cap_drops, 0u);
  h.seg(b + 199, "q");  // ends where a run starts: merges into it
  EXPECT_EQ(h.st.cap_drops, 0u);
  EXPECT_EQ(h.r.held_bytes(), 64u + 2u + 1u + 1u + 1u);
  h.seg(b + 300, "v");  // a 65th does not
  EXPECT_EQ(h.st.cap_drops, 1u);
  EXPECT_EQ(h.r.held_bytes(), 1u);
  h.flush();
  ASSERT_EQ(h.c.bytes.size(), 301u);
  EXPECT_EQ(h.c.bytes[4], 'z');
  EXPECT_EQ(h.c.bytes[129], 'y');
  EXPECT_EQ(h.c.bytes[199], 'q');
  EXPECT_EQ(h.c.bytes[200], 'w');
  EXPECT_EQ(h.c.bytes[300], 'v');
  EXPECT_EQ(h.st.gap_bytes, 301u - (64u + 2u + 1u + 1u + 1u + 1u));
}

TEST(TcpReassembly, SequenceWrapAround) {
  Harness h;
  const uint32_t isn = 0xfffffff8u;
  h.seg(isn, "", true);
  // Stream "0123456789ABCDEF" starts at 0xfffffff9 and wraps to 0 after 7 bytes.
  h.seg(0x00000003u, "ABCDEF");   // held, after the wrap
  h.seg(0xfffffffcu, "3456789");  // crosses the wrap: [3,10)
  h.seg(0xfffffff9u, "012");
  h.seg(0xfffffffau, "12");  // old: retransmission
  EXPECT_EQ(h.c.str(), "0123456789ABCDEF");
  EXPECT_EQ(h.st.retransmitted, 1u);
  EXPECT_EQ(h.st.gaps, 0u);
  h.seg(0x00000009u, "GH");
  EXPECT_EQ(h.c.str(), "0123456789ABCDEFGH");
}

TEST(TcpReassembly, GapAcrossWrapAround) {
  Harness h;
  h.seg(0xfffffff0u, "abcd");  // mid-stream pickup just before the wrap; next = 0xfffffff4
  h.seg(0x00000004u, "xyz");   // 16 bytes ahead
  h.flush();
  ASSERT_EQ(h.c.gap_events.size(), 1u);
  EXPECT_EQ(h.c.gap_events[0], 16u);
  EXPECT_EQ(h.c.str(), "abcd" + std::string(16, '#') + "xyz");
}

TEST(TcpReassembly, SynlessPickupStartsAtFirstDataSegment) {
  Harness h;
  h.seg(5000, "", false, false);  // pure ACK / keep-alive: does not fix the position
  EXPECT_FALSE(h.r.initialized());
  h.seg(123456, "mid-");
  EXPECT_TRUE(h.r.initialized());
  h.seg(123460, "stream");
  h.seg(123450, "older!");  // before the pickup point: treated as already delivered
  EXPECT_EQ(h.c.str(), "mid-stream");
  EXPECT_EQ(h.st.retransmitted, 1u);
}

TEST(TcpReassembly, InOrderDataIsNotCopied) {
  Harness h;
  h.seg(kIsn, "", true);
  const std::string p1 = "first packet";
  h.r.on_segment(kIsn + 1, false, false, S(p1), 0, h.c, h.st);
  ASSERT_EQ(h.c.data_ptrs.size(), 1u);
  EXPECT_EQ(h.c.data_ptrs[0], reinterpret_cast<const uint8_t*>(p1.data()));
  // A front-trimmed retransmission is delivered from inside the packet too.
  const std::string p2 = "packet, second";
  h.r.on_segment(kIsn + 1 + 6, false, false, S(p2), 0, h.c, h.st);
  ASSERT_EQ(h.c.data_ptrs.size(), 2u);
  EXPECT_EQ(h.c.data_ptrs[1], reinterpret_cast<const uint8_t*>(p2.data()) + 6);
  EXPECT_EQ(h.c.str(), "first packet, second");
}

TEST(TcpReassembly, ZeroLengthSegmentsOnlyDoBookkeeping) {
  Harness h;
  h.seg(kIsn, "", true);
  h.seg(kIsn + 50, "");  // bogus pure ACK far ahead: not a gap, nothing held
  EXPECT_EQ(h.r.held_bytes(), 0u);
  EXPECT_FALSE(h.r.fin_seen());
  h.seg(kIsn + 1, "data");
  h.seg(kIsn + 5, "", false, true);
  EXPECT_TRUE(h.r.fin_seen());
  EXPECT_EQ(h.c.str(), "data");
  EXPECT_EQ(h.st.in_order, 1u);
  EXPECT_EQ(h.st.gaps, 0u);
}

TEST(TcpReassembly, FinIsRecordedWhenSeenEvenBeforeItsPosition) {
  Harness h;
  h.seg(kIsn, "", true);
  h.seg(kIsn + 10, "tail", false, true);  // out of order, carries FIN
  EXPECT_TRUE(h.r.fin_seen());
  EXPECT_EQ(h.r.held_bytes(), 4u);
}

TEST(TcpReassembly, ResetReturnsToUninitialisedAndIsReusable) {
  Harness h(64);
  h.seg(kIsn, "", true);
  h.seg(kIsn + 10, "held", false, true);
  h.r.reset();
  EXPECT_FALSE(h.r.initialized());
  EXPECT_FALSE(h.r.fin_seen());
  EXPECT_EQ(h.r.held_bytes(), 0u);
  Collector c2;
  ReassemblyStats st2;
  const std::string a = "new", b = "flow";
  h.r.on_segment(7, true, false, {}, 0, c2, st2);
  h.r.on_segment(11, false, false, S(b), 0, c2, st2);  // held, using the retained storage
  h.r.on_segment(8, false, false, S(a), 0, c2, st2);
  h.r.flush(0, c2, st2);
  EXPECT_EQ(c2.str(), "newflow");
  EXPECT_EQ(st2.gaps, 0u);
}

// ---- randomised ---------------------------------------------------------------------------

std::vector<uint8_t> make_stream(size_t n, std::mt19937& rng) {
  std::vector<uint8_t> s(n);
  for (auto& b : s) b = static_cast<uint8_t>(rng());
  return s;
}

struct Piece {
  uint32_t off, len;
};

// Feeds `pieces` of `stream` (offsets relative to the first data byte at isn + 1) and returns
// what was delivered after a final flush.
Collector feed(const std::vector<uint8_t>& stream, uint32_t isn, const std::vector<Piece>& pieces,
               uint32_t cap, ReassemblyStats& st) {
  BufferPool pool;
  TcpReassembler r(cap);
  r.set_pool(&pool);
  Collector c;
  c.fill = 0;
  r.on_segment(isn, true, false, {}, 0, c, st);
  uint64_t ts = 1;
  for (const Piece& p : pieces)
    r.on_segment(isn + 1 + p.off, false, false, std::span(stream.data() + p.off, p.len), ts++, c, st);
  r.flush(ts, c, st);
  return c;
}

std::vector<Piece> segment(size_t n, uint32_t min_len, uint32_t max_len, std::mt19937& rng) {
  std::vector<Piece> v;
  for (uint32_t off = 0; off < n;) {
    const uint32_t len = std::min<uint32_t>(std::uniform_int_distribution<uint32_t>(min_len, max_len)(rng),
                                            static_cast<uint32_t>(n - off));
    v.push_back({off, len});
    off += len;
  }
  return v;
}

// Random retransmissions: arbitrary sub-ranges of the stream (so they straddle segment
// boundaries and overlap held data at either end), inserted at random places.
void add_duplicates(std::vector<Piece>& v, size_t n, int count, std::mt19937& rng) {
  for (int i = 0; i < count; ++i) {
    const uint32_t off = std::uniform_int_distribution<uint32_t>(0, static_cast<uint32_t>(n - 1))(rng);
    const uint32_t len = std::min<uint32_t>(std::uniform_int_distribution<uint32_t>(1, 3000)(rng),
                                            static_cast<uint32_t>(n - off));
    const size_t at = std::uniform_int_distribution<size_t>(0, v.size())(rng);
    v.insert(v.begin() + static_cast<ptrdiff_t>(at), Piece{off, len});
  }
}

TEST(TcpReassemblyRandom, FullPermutationWithDuplicatesReproducesStream) {
  for (uint32_t seed : {1u, 2u, 3u, 42u, 1234u, 99991u}) {
    std::mt19937 rng(seed);
    const size_t n = 100 * 1024;
    const auto stream = make_stream(n, rng);
    // Sizes >= 1000 keep the number of simultaneous holes below the descriptor limit.
    auto pieces = segment(n, 1000, 3000, rng);
    std::shuffle(pieces.begin(), pieces.end(), rng);
    add_duplicates(pieces, n, 20, rng);
    // Odd seeds start close to 2^32 so the stream wraps.
    const uint32_t isn = (seed & 1) ? 0xffffffffu - 50000u : static_cast<uint32_t>(rng());
    ReassemblyStats st;
    const Collector c = feed(stream, isn, pieces, 1u << 20, st);
    ASSERT_EQ(c.bytes.size(), n) << "seed " << seed;
    EXPECT_TRUE(c.bytes == stream) << "seed " << seed;
    EXPECT_EQ(st.gaps, 0u);
    EXPECT_EQ(st.cap_drops, 0u);
    EXPECT_EQ(st.segments, pieces.size() + 1);
  }
}

TEST(TcpReassemblyRandom, SmallSegmentsLocalReorderingReproducesStream) {
  for (uint32_t seed : {7u, 8u, 9u, 10u}) {
    std::mt19937 rng(seed);
    const size_t n = 100 * 1024;
    const auto stream = make_stream(n, rng);
    auto pieces = segment(n, 1, 200, rng);
    for (size_t w = 0; w < pieces.size(); w += 16)  // reorder within windows of 16 segments
      std::shuffle(pieces.begin() + w, pieces.begin() + std::min(pieces.size(), w + 16), rng);
    add_duplicates(pieces, n, 200, rng);
    ReassemblyStats st;
    const Collector c = feed(stream, static_cast<uint32_t>(rng()), pieces, 1u << 20, st);
    EXPECT_TRUE(c.bytes == stream) << "seed " << seed;
    EXPECT_EQ(st.gaps, 0u);
  }
}

// With loss and a small cap the stream has gaps, but every delivered byte must sit at its true
// position, bytes no segment carried must be reported lost, and delivered + lost bytes must cover
// the stream exactly once.
TEST(TcpReassemblyRandom, LossAndSmallCapKeepPositionsExact) {
  for (uint32_t seed : {11u, 12u, 13u, 14u, 15u}) {
    std::mt19937 rng(seed);
    const size_t n = 100 * 1024;
    const auto stream = make_stream(n, rng);
    auto pieces = segment(n, 1, 1460, rng);
    const Piece last = pieces.back();
    std::shuffle(pieces.begin(), pieces.end(), rng);
    std::vector<Piece> kept;
    for (const Piece& p : pieces)
      if (rng() % 10 != 0) kept.push_back(p);  // lose about 10%
    kept.push_back(last);  // the end is known, so the delivered length is exactly n
    add_duplicates(kept, n, 50, rng);
    std::vector<bool> carried(n, false);
    for (const Piece& p : kept)
      for (uint32_t i = p.off; i < p.off + p.len; ++i) carried[i] = true;

    ReassemblyStats st;
    const uint32_t cap = 4096 + (seed % 3) * 8192;
    const Collector c = feed(stream, static_cast<uint32_t>(rng()), kept, cap, st);
    ASSERT_EQ(c.bytes.size(), n) << "seed " << seed;
    const uint64_t gap_total = std::accumulate(c.gap_events.begin(), c.gap_events.end(), uint64_t{0});
    EXPECT_EQ(gap_total, st.gap_bytes);
    EXPECT_EQ(st.gaps, c.gap_events.size());
    EXPECT_GT(st.cap_drops, 0u);
    size_t wrong = 0, missing_not_gap = 0, gap_bytes = 0;
    for (size_t i = 0; i < n; ++i) {
      if (c.is_gap[i]) {
        ++gap_bytes;
      } else {
        if (c.bytes[i] != stream[i]) ++wrong;
        if (!carried[i]) ++missing_not_gap;
      }
    }
    EXPECT_EQ(wrong, 0u) << "seed " << seed;
    EXPECT_EQ(missing_not_gap, 0u) << "seed " << seed;
    EXPECT_EQ(gap_bytes, gap_total);
  }
}

}  // namespace
}  // namespace l7tap

namespace l7tap {
namespace {

TEST(TcpReassembly, HoldingBlockIsSizedToWhatIsHeldAndReturnedWhenTheHoleFills) {
  Harness h(65536);
  h.seg(kIsn, "", true);
  h.seg(kIsn + 1 + 5, "world");  // ahead of "hello": must be held
  EXPECT_GT(h.pool.in_use(), 0u);
  EXPECT_LE(h.pool.in_use(), 2048u);  // a few bytes held: a small block, not the 64 KiB cap
  EXPECT_TRUE(h.c.gap_events.empty());
  h.seg(kIsn + 1, "hello");
  EXPECT_EQ(h.c.str(), "helloworld");
  EXPECT_EQ(h.pool.in_use(), 0u);  // the hole is filled: nothing pinned until the flow ends
  EXPECT_EQ(h.r.held_capacity(), 0u);
  // Holding more grows the block; it goes back once drained.
  std::string big(4000, 'x');
  for (int i = 1; i <= 10; ++i) h.seg(kIsn + 11 + 4000u * static_cast<uint32_t>(i), big);
  EXPECT_EQ(h.r.held_bytes(), 40000u);
  EXPECT_GE(h.pool.in_use(), 40000u);
  h.seg(kIsn + 11, big);
  EXPECT_EQ(h.r.held_bytes(), 0u);
  EXPECT_EQ(h.pool.in_use(), 0u);
  EXPECT_EQ(h.c.bytes.size(), 10u + 11 * 4000u);
}

TEST(TcpReassembly, PoolRefusalBecomesAGapNotALoss) {
  Harness h(1024);
  h.pool.set_limit(100);  // less than any holding block
  h.seg(kIsn, "", true);
  h.seg(kIsn + 1 + 5, "world");  // cannot be held: the hole before it is given up
  EXPECT_GE(h.pool.refused(), 1u);
  EXPECT_EQ(h.pool.in_use(), 0u);
  ASSERT_EQ(h.c.gap_events.size(), 1u);
  EXPECT_EQ(h.c.gap_events[0], 5u);
  EXPECT_EQ(h.c.str(), "#####world");
  h.seg(kIsn + 1 + 10, "!");  // in order again: delivered, nothing held
  EXPECT_EQ(h.c.str(), "#####world!");
}

// Segments forged far ahead (as an attacker on the mirror can inject) must not move the stream:
// beyond the peer's window they are dropped, and the real data after them is delivered.
TEST(TcpReassembly, FarAheadSegmentsAreOutOfWindow) {
  Harness h;
  h.seg(kIsn, "", true);
  h.r.on_peer_ack(kIsn + 1, 65535);  // the receiver's SYN-ACK: nothing received yet, 64 KiB window
  for (int i = 0; i < 50; ++i) h.seg(kIsn + 1 + (1u << 30) + 100u * static_cast<uint32_t>(i), std::string(100, 'F'));
  EXPECT_EQ(h.st.out_of_window, 50u);
  EXPECT_EQ(h.r.held_bytes(), 0u);
  h.seg(kIsn + 1, "real data");
  h.seg(kIsn + 10, " continues");
  EXPECT_EQ(h.c.str(), "real data continues");
  EXPECT_TRUE(h.c.gap_events.empty());
  // Without any acknowledgement seen (a one-way capture) the bound is kUnknownWindow.
  Harness u;
  u.seg(kIsn, "", true);
  u.seg(kIsn + 1 + (1u << 30), "forged");
  EXPECT_EQ(u.st.out_of_window, 1u);
  u.seg(kIsn + 1 + TcpReassembler::kUnknownWindow - 10, "plausible");  // held
  EXPECT_EQ(u.st.out_of_window, 1u);
  EXPECT_EQ(u.r.held_bytes(), 9u);
}

// A hole is only given up when the peer acknowledged past it: forged or reordered data that fills
// the holding area cannot make the real bytes before it count as lost.
TEST(TcpReassembly, UnacknowledgedHoleIsNotGivenUp) {
  Harness h(4096);
  h.seg(kIsn, "", true);
  h.r.on_peer_ack(kIsn + 1, 1 << 20);
  const std::string chunk(1000, 'f');
  for (uint32_t i = 0; i < 4; ++i) h.seg(kIsn + 1 + 100 + 1000 * i, chunk);  // 4000 bytes held
  EXPECT_EQ(h.r.held_bytes(), 4000u);
  h.seg(kIsn + 1 + 100 + 4000, chunk);  // no room, and the hole [1, 101) is not acknowledged
  EXPECT_EQ(h.st.unconfirmed_drops, 1u);
  EXPECT_TRUE(h.c.gap_events.empty());
  EXPECT_EQ(h.r.held_bytes(), 4000u);
  // The real bytes arrive: everything held is delivered in order.
  h.seg(kIsn + 1, std::string(100, 'r'));
  EXPECT_EQ(h.c.bytes.size(), 4100u);
  EXPECT_TRUE(h.c.gap_events.empty());
  // Now a hole the peer did acknowledge past (the capture lost it): it is given up when needed.
  h.r.on_peer_ack(kIsn + 1 + 4100 + 500, 1 << 20);
  for (uint32_t i = 0; i < 4; ++i) h.seg(kIsn + 1 + 4100 + 500 + 1000 * i, chunk);
  h.seg(kIsn + 1 + 4100 + 500 + 4000, chunk);  // no room: the acknowledged hole goes
  ASSERT_EQ(h.c.gap_events.size(), 1u);
  EXPECT_EQ(h.c.gap_events[0], 500u);
  EXPECT_EQ(h.st.cap_drops, 1u);
}

// A mirror that dropped a segment: the receiver acknowledges past the hole, so those bytes are
// lost to the capture for good. The held bytes are delivered as soon as the acknowledgement is
// seen (at the time they arrived), not when the holding area fills up or the flow ends.
TEST(TcpReassembly, AcknowledgedHoleIsReleasedAtOnceWithArrivalTimes) {
  Harness h;
  h.seg(kIsn, "", /*syn=*/true, false, 10);
  h.seg(kIsn + 1, "aaaa", false, false, 20);
  // "bbbb" (kIsn + 5) never reaches the capture; "cccc" and "eeee" arrive after it, "dddd" is
  // missing too.
  h.seg(kIsn + 9, "cccc", false, false, 30);
  h.seg(kIsn + 17, "eeee", false, false, 35);
  EXPECT_EQ(h.c.str(), "aaaa");
  // No acknowledgement past the hole yet: nothing to release.
  h.r.on_peer_ack(kIsn + 5, 65535);
  h.r.release_confirmed(h.c, h.st);
  EXPECT_EQ(h.c.str(), "aaaa");
  // The receiver acknowledges "bbbb" and "cccc" but not "dddd": the gap is reported and "cccc"
  // delivered with its own arrival time; "dddd" may still come, so "eeee" waits.
  h.r.on_peer_ack(kIsn + 13, 65535);
  h.r.release_confirmed(h.c, h.st);
  EXPECT_EQ(h.c.str(), "aaaa####cccc");
  ASSERT_EQ(h.c.data_ts.size(), 2u);
  EXPECT_EQ(h.c.data_ts[1], 30u);
  EXPECT_EQ(h.r.held_bytes(), 4u);
  // It does come (a retransmission the capture saw): in order, with what was held behind it.
  h.seg(kIsn + 13, "dddd", false, false, 50);
  EXPECT_EQ(h.c.str(), "aaaa####ccccddddeeee");
  EXPECT_EQ(h.r.held_bytes(), 0u);
  EXPECT_EQ(h.st.gaps, 1u);
}

TEST(TcpReassembly, AcknowledgementInsideTheHoleReleasesOnlyThatPart) {
  Harness h;
  h.seg(kIsn, "", /*syn=*/true);
  h.seg(kIsn + 1, "aa", false, false, 5);
  h.seg(kIsn + 11, "zz", false, false, 7);  // 8 bytes missing before it
  h.r.on_peer_ack(kIsn + 7, 65535);         // the receiver has 4 of them
  h.r.release_confirmed(h.c, h.st);
  EXPECT_EQ(h.c.str(), "aa####");
  EXPECT_EQ(h.r.held_bytes(), 2u);  // the other 4 may still be captured
  h.seg(kIsn + 7, "wxyz", false, false, 9);
  EXPECT_EQ(h.c.str(), "aa####wxyzzz");
  // An acknowledgement never moves the stream past bytes this direction carried: nothing held,
  // nothing to release, the next segment decides.
  h.r.on_peer_ack(kIsn + 100, 65535);
  h.r.release_confirmed(h.c, h.st);
  EXPECT_EQ(h.c.str(), "aa####wxyzzz");
}

}  // namespace
}  // namespace l7tap
