// Per-worker flow table: fixed capacity (from the conf), allocated once at start, no locks (one
// worker owns it), no allocation after start.
//
// Two parts, so that a lookup touches as little memory as possible:
//  - a hot index of 64-byte buckets, each holding 8 (16-bit signature, entry index) pairs; a flow
//    lives in one of two buckets chosen by its hash (bucketised cuckoo hashing: an insert into two
//    full buckets moves a resident to its other bucket). The index has 2 slots per entry of
//    capacity, so it is at most half full and a lookup reads one bucket (rarely two), each
//    matched by one SSE2 compare; callers prefetch them for a whole burst first (see FlowProcessor).
//  - the cold entries (key, timestamps, the owner's per-flow state), read only on a signature match.
//
// Timeouts run on a timer wheel, not on a list relinked per packet: a packet only stores its
// timestamp (touch()). Each flow sits in the wheel slot of the time it is due to be looked at; when
// the wheel reaches that slot the flow either ended (idle, or closing deadline passed) or is put
// back in the slot of its new due time (lazy rescheduling). So a packet costs one store and an
// expiry pass costs O(flows looked at). Flows that never carried payload (SYN scans, half-open
// connections) use a shorter idle timeout than flows that did.
//
// When the table is full, a new flow evicts one of the first flows due in the wheel — the least
// recently active ones, give or take the wheel's lazy order (counted). The hash is the caller's
// (seeded: see flow_key.hpp), so nobody outside can aim flows at one bucket. A flow that cannot be
// placed in the index (both buckets and every one- or two-move alternative full) is not tracked and
// counted in stats().insert_failures (l7tap_flow_insert_failures_total). With the secret per-run
// seed and the index at most half full this practically never happens; it is counted because it
// is the one way the table can lose a flow while it has room (a test that knows the seed makes it
// happen with 17 flows sharing a bucket pair and signature: tests/dataplane/flow_processor_test).
//
// The owner's callback sees every flow end before its entry is reused (to flush its sessions).
//
// Why not DPDK's rte_hash (also a bucketised cuckoo table with signatures): the per-packet code is
// DPDK-free (tests, offline mode and the fuzzers link no EAL), and the table's entries carry the
// timer wheel's state and the flow state in place, looked up in burst stages with our own
// prefetches; rte_hash would add a second structure keyed by index for both.
#pragma once

#include <emmintrin.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>

#include "dataplane/flow_key.hpp"

namespace l7tap {

enum class FlowEndReason : uint8_t { kIdle, kClosed, kEvicted, kShutdown };

struct FlowTableStats {
  uint64_t inserted = 0;
  uint64_t expired_idle = 0;
  uint64_t expired_closed = 0;
  uint64_t evicted = 0;          // removed to make room when full
  uint64_t insert_failures = 0;  // no room in the index: the flow was not tracked
};

struct FlowTimeouts {
  uint64_t idle_us = 60'000'000;        // flows that carried payload
  uint64_t no_payload_us = 10'000'000;  // flows that did not (yet)
  uint64_t close_us = 2'000'000;        // only sizes the wheel's resolution
};

// V is the per-flow state; it must be default-constructible and have `void reset()` which returns
// it to the default state (entries are reused, never freed while the table lives).
template <class V>
class FlowTable {
 public:
  static constexpr uint32_t kNil = 0xffffffffu;

  struct alignas(64) Entry {
    FlowKey key;
    uint64_t hash = 0;
    uint64_t last_seen_us = 0;
    // When non-zero: the flow is closing (FIN both ways or RST) and ends at this time.
    uint64_t close_deadline_us = 0;
    bool used = false;
    bool active = false;  // carried payload: the idle timeout applies, not the no-payload one
    V value;
  };
  using EndFn = std::function<void(Entry&, FlowEndReason)>;

  FlowTable(uint32_t capacity, FlowTimeouts timeouts, EndFn on_end);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // --- lookup and insert (batched callers: prefetch every hash of a burst, then look up) ---
  // The flow's first bucket: at most half full, the index places flows there first, so the
  // second is rarely needed.
  void prefetch(uint64_t hash) const {
    _mm_prefetch(reinterpret_cast<const char*>(&buckets_[bucket_of(hash)]), _MM_HINT_T0);
  }
  // Cache lines [first, first + n) of the entry (64 bytes each), as many as exist. The owner knows
  // which part of its state a packet needs; more outstanding prefetches than the core tracks only
  // stall it.
  void prefetch_entry(uint32_t idx, uint32_t first = 0, uint32_t n = (sizeof(Entry) + 63) / 64) const {
    const char* p = reinterpret_cast<const char*>(&entries_[idx]);
    for (std::size_t off = first * 64u; off < sizeof(Entry) && off < (first + n) * 64u; off += 64)
      _mm_prefetch(p + off, _MM_HINT_T0);
  }
  // Index of the flow, kNil when absent.
  uint32_t lookup(const FlowKey& key, uint64_t hash) const;
  // The entry a lookup would compare first (from the index alone, without touching entries), to
  // prefetch it a stage before lookup(); kNil when no slot has the flow's signature.
  uint32_t candidate(uint64_t hash) const {
    const uint16_t sig = sig_of(hash);
    const uint32_t b = bucket_of(hash);
    if (const uint32_t m = match(buckets_[b], sig)) return buckets_[b].idx[std::countr_zero(m)];
    const uint32_t a = alt_bucket(b, sig);
    if (const uint32_t m = match(buckets_[a], sig)) return buckets_[a].idx[std::countr_zero(m)];
    return kNil;
  }
  // Inserts a flow lookup() did not find, evicting one when full; last_seen_us = now_us. kNil when
  // it cannot be placed (or capacity is 0), counted in stats().insert_failures.
  uint32_t insert(const FlowKey& key, uint64_t hash, uint64_t now_us);
  Entry& entry(uint32_t idx) { return entries_[idx]; }
  const Entry& entry(uint32_t idx) const { return entries_[idx]; }
  // A packet of the flow: one store, no relinking.
  void touch(uint32_t idx, uint64_t now_us) { entries_[idx].last_seen_us = now_us; }
  // The flow carried payload: from now on the (longer) idle timeout applies.
  void set_active(uint32_t idx) { entries_[idx].active = true; }

  // Convenience for tests and slow paths: lookup (+ insert when absent, with touch when present).
  Entry* find(const FlowKey& key, uint64_t hash) {
    const uint32_t i = lookup(key, hash);
    return i == kNil ? nullptr : &entries_[i];
  }
  Entry* find_or_insert(const FlowKey& key, uint64_t hash, uint64_t now_us, bool& created);

  // Marks a flow as closing: it ends at `deadline_us` (the caller passes now + close timeout),
  // unless it already has an earlier deadline. A deadline of 0 is stored as 1 (0 means "open").
  void mark_closing(uint32_t idx, uint64_t deadline_us);

  // Ends flows whose idle timeout or closing deadline has passed, at most `budget` per call (so
  // one call never stalls the worker); a flow ends at most one wheel tick (tick_us()) after it is
  // due, never before. Returns the number ended.
  uint32_t expire(uint64_t now_us, uint32_t budget);

  // Ends every flow (reason kShutdown), earliest due first: end of input / shutdown.
  void clear();

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  const FlowTableStats& stats() const { return stats_; }
  uint64_t tick_us() const { return uint64_t{1} << tick_shift_; }
  // Bytes the table allocated (index + entries): for the per-flow memory figures.
  uint64_t memory_bytes() const { return memory_bytes_for(capacity_); }
  // What a table of `capacity` flows allocates, before allocating it (the start-up memory check).
  static uint64_t memory_bytes_for(uint32_t capacity) {
    return bucket_count_for(capacity) * sizeof(Bucket) + uint64_t{capacity} * (sizeof(Entry) + sizeof(Timer)) +
           uint64_t{kWheelSlots} * sizeof(uint32_t) + sizeof(occupied_);
  }

 private:
  static constexpr uint32_t kWays = 8;
  static constexpr uint32_t kWheelSlots = 4096;
  struct alignas(64) Bucket {
    uint16_t sig[kWays];
    uint32_t idx[kWays];
  };

  // Two index slots per entry: at most half full, where two-choice 8-way buckets practically never
  // need more than one move to place a flow.
  static uint64_t bucket_count_for(uint32_t capacity) {
    uint64_t buckets = 1;
    while (buckets * kWays < 2ull * capacity) buckets <<= 1;
    return buckets;
  }
  uint32_t bucket_of(uint64_t hash) const { return static_cast<uint32_t>(hash) & bucket_mask_; }
  // 0 marks an empty slot, so signatures are never 0.
  static uint16_t sig_of(uint64_t hash) {
    const auto s = static_cast<uint16_t>(hash >> 32);
    return s != 0 ? s : 1;
  }
  // The other bucket of a (bucket, signature) pair; alt_bucket(alt_bucket(b, s), s) == b, so a
  // resident can be moved without its full hash (partial-key cuckoo hashing).
  uint32_t alt_bucket(uint32_t b, uint16_t sig) const { return (b ^ (uint32_t{sig} * 0x5bd1e995u)) & bucket_mask_; }
  // Bit mask of the slots of `b` holding `sig` (0 = empty slots).
  static uint32_t match(const Bucket& b, uint16_t sig) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.sig));
    const __m128i m = _mm_cmpeq_epi16(s, _mm_set1_epi16(static_cast<short>(sig)));
    // Pack the 16-bit lanes (0 or -1) to bytes: movemask then gives one bit per slot.
    return static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(m, _mm_setzero_si128())));
  }
  bool place(uint32_t b, uint16_t sig, uint32_t idx);  // into a free slot of b
  bool index_insert(uint64_t hash, uint32_t idx);
  void index_remove(uint64_t hash, uint32_t idx);

  uint64_t due_of(const Entry& e) const;
  void schedule(uint32_t idx, uint64_t due_us);
  void unschedule(uint32_t idx);
  uint32_t pick_victim();  // moves lazily scheduled flows it passes
  // The first slot at or after offset `from` from the cursor that holds a flow (kWheelSlots when
  // none up to a whole turn).
  uint32_t next_occupied(uint32_t from) const;
  // Calls on_end, removes the entry from the index and the wheel and frees it.
  void end_flow(uint32_t idx, FlowEndReason why);

  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  uint32_t bucket_count_ = 0;
  uint32_t bucket_mask_ = 0;
  FlowTimeouts timeouts_;
  EndFn on_end_;
  FlowTableStats stats_;

  // Wheel links, apart from the entries: relinking touches these 12-byte records of the neighbours,
  // not their whole entries.
  struct Timer {
    uint32_t prev = kNil, next = kNil, slot = kNil;
  };

  Bucket* buckets_ = nullptr;
  // Entries and their timers are constructed when first used, not at start: the arrays are
  // allocated for the whole capacity (so the memory check at start stays honest), but a table
  // sized for a million flows that sees a thousand touches a thousand entries' pages. Building all
  // 65,536 default entries (32 MiB) was a third of the start-up time of `l7tap --pcap`, and the
  // resident memory of every worker from the first second.
  Entry* entries_ = nullptr;
  Timer* timers_ = nullptr;
  uint32_t fresh_ = 0;         // entries [0, fresh_) have been constructed
  uint32_t free_head_ = kNil;  // freed entries, threaded through timers_[i].next

  std::unique_ptr<uint32_t[]> wheel_;  // head entry per slot
  // One bit per slot: set while the slot holds a flow. A full table's evictions look for the
  // earliest flows, and with the 60 s idle timeout on 65 ms ticks those sit ~900 slots past the
  // cursor: walking the slots one by one cost ~6,700 instructions per eviction (34 % of all
  // instructions replaying 100k concurrent conversations into a 65,536-flow table).
  uint64_t occupied_[kWheelSlots / 64] = {};
  uint32_t tick_shift_ = 16;
  uint64_t cursor_ = 0;  // next tick the wheel processes
};

}  // namespace l7tap

#include "dataplane/flow_table_impl.hpp"
