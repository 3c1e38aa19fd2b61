// Per-worker flow table: fixed capacity (from the conf), allocated once at start, no locks (one
// worker owns it). Entries sit on an LRU list ordered by last activity, so idle expiry pops from
// the cold end in O(1) per expired flow. When the table is full the least recently used flow is
// evicted to make room (counted); a flow is never silently lost: the owner's callback sees every
// removal first (to flush its sessions).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "dataplane/flow_key.hpp"

namespace l7tap {

enum class FlowEndReason : uint8_t { kIdle, kClosed, kEvicted, kShutdown };

struct FlowTableStats {
  uint64_t inserted = 0;
  uint64_t expired_idle = 0;
  uint64_t expired_closed = 0;
  uint64_t evicted = 0;   // removed to make room when full
  uint64_t insert_failures = 0;
};

// V is the per-flow state; it must be default-constructible and have `void reset()` which returns
// it to the default state (entries are reused, never freed while the table lives).
//
// The end callback must not call back into the table (it may read and modify the entry it is
// given). Entry pointers stay valid for the table's life; an entry is reused for another flow only
// after the callback has seen it end.
template <class V>
class FlowTable {
 public:
  static constexpr uint32_t kNil = 0xffffffffu;

  struct Entry {
    FlowKey key;
    uint32_t hash = 0;
    uint64_t last_seen_us = 0;
    // When non-zero: the flow is closing (FIN both ways or RST) and ends at this time.
    uint64_t close_deadline_us = 0;
    V value;
    // intrusive links (indexes; kNil = none)
    uint32_t next_in_bucket = kNil, lru_prev = kNil, lru_next = kNil;
    bool used = false;
  };
  using EndFn = std::function<void(Entry&, FlowEndReason)>;

  FlowTable(uint32_t capacity, uint64_t idle_timeout_us, EndFn on_end);
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Finds the flow or creates it (evicting the LRU flow when full). Moves it to the hot end of
  // the LRU list and sets last_seen_us = now_us. `created` tells whether it is new.
  // Returns nullptr only when capacity is 0.
  Entry* find_or_insert(const FlowKey& key, uint32_t hash, uint64_t now_us, bool& created);
  Entry* find(const FlowKey& key, uint32_t hash);

  // Marks a flow as closing: it ends at `deadline_us` (the caller passes now + close timeout),
  // unless it already has an earlier deadline. A deadline of 0 is stored as 1 (0 means "open").
  void mark_closing(Entry& e, uint64_t deadline_us);

  // Ends flows idle for longer than the idle timeout and closing flows past their deadline;
  // at most `budget` flows per call (so one call never stalls the worker). Returns the number ended.
  // Closing flows are handled first (kClosed), then idle ones from the cold end (kIdle).
  uint32_t expire(uint64_t now_us, uint32_t budget);

  // Ends every flow (reason kShutdown): used at end of input / on shutdown.
  void clear();

  uint32_t size() const;
  uint32_t capacity() const;
  const FlowTableStats& stats() const;
  // Visits every live entry (cold to hot). For housekeeping such as session timeouts.
  // `f` must not insert or remove flows.
  template <class F> void for_each(F&& f);

 private:
  uint32_t index_of(const Entry& e) const { return static_cast<uint32_t>(&e - entries_.get()); }
  uint32_t lookup(const FlowKey& key, uint32_t hash) const;
  void lru_unlink(uint32_t i);
  void lru_push_head(uint32_t i);
  void bucket_unlink(uint32_t i);
  void closing_unlink(uint32_t i);
  // Calls on_end, unlinks the entry from every list and returns it to the free list.
  void end_flow(uint32_t i, FlowEndReason why);

  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  uint32_t bucket_mask_ = 0;
  uint64_t idle_timeout_us_ = 0;
  EndFn on_end_;
  FlowTableStats stats_;

  std::unique_ptr<Entry[]> entries_;
  std::unique_ptr<uint32_t[]> buckets_;  // head entry index per bucket
  uint32_t free_head_ = kNil;            // free list threaded through lru_next
  uint32_t lru_head_ = kNil;             // hottest
  uint32_t lru_tail_ = kNil;             // coldest

  // Closing flows live on their own list sorted by deadline (earliest first), so expiry of closed
  // flows touches only the flows it ends. Deadlines are normally now + a fixed timeout, so a new
  // one belongs at the tail and the sorted insert (which walks from the tail) is O(1) in practice.
  std::unique_ptr<uint32_t[]> close_prev_;
  std::unique_ptr<uint32_t[]> close_next_;
  std::unique_ptr<bool[]> in_closing_;
  uint32_t close_head_ = kNil;
  uint32_t close_tail_ = kNil;
};

}  // namespace l7tap

#include "dataplane/flow_table_impl.hpp"
