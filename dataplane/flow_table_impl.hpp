// Method bodies of FlowTable<V> (a template, so they live in a header). Included from
// flow_table.hpp only.
#pragma once

#include <utility>

#include "dataplane/flow_table.hpp"

namespace l7tap {

template <class V>
FlowTable<V>::FlowTable(uint32_t capacity, uint64_t idle_timeout_us, EndFn on_end)
    : capacity_(capacity == kNil ? kNil - 1 : capacity),  // kNil must stay out of the index range
      idle_timeout_us_(idle_timeout_us),
      on_end_(std::move(on_end)) {
  // Bucket count: power of two >= 2 x capacity keeps chains short (load factor <= 0.5).
  uint64_t buckets = 2;
  while (buckets < 2ull * capacity_) buckets <<= 1;
  bucket_mask_ = static_cast<uint32_t>(buckets - 1);
  buckets_ = std::make_unique<uint32_t[]>(buckets);
  for (uint64_t b = 0; b < buckets; ++b) buckets_[b] = kNil;

  entries_ = std::make_unique<Entry[]>(capacity_);
  close_prev_ = std::make_unique<uint32_t[]>(capacity_);
  close_next_ = std::make_unique<uint32_t[]>(capacity_);
  in_closing_ = std::make_unique<bool[]>(capacity_);  // value-initialised: false
  // Free list in index order (so a fresh table hands out entries 0, 1, 2, ...).
  for (uint32_t i = 0; i < capacity_; ++i) {
    entries_[i].lru_next = (i + 1 < capacity_) ? i + 1 : kNil;
    close_prev_[i] = close_next_[i] = kNil;
  }
  free_head_ = capacity_ > 0 ? 0 : kNil;
}

template <class V>
uint32_t FlowTable<V>::lookup(const FlowKey& key, uint32_t hash) const {
  for (uint32_t i = buckets_[hash & bucket_mask_]; i != kNil; i = entries_[i].next_in_bucket) {
    const Entry& e = entries_[i];
    if (e.hash == hash && e.key == key) return i;
  }
  return kNil;
}

template <class V>
void FlowTable<V>::lru_unlink(uint32_t i) {
  Entry& e = entries_[i];
  if (e.lru_prev != kNil) entries_[e.lru_prev].lru_next = e.lru_next; else lru_head_ = e.lru_next;
  if (e.lru_next != kNil) entries_[e.lru_next].lru_prev = e.lru_prev; else lru_tail_ = e.lru_prev;
  e.lru_prev = e.lru_next = kNil;
}

template <class V>
void FlowTable<V>::lru_push_head(uint32_t i) {
  Entry& e = entries_[i];
  e.lru_prev = kNil;
  e.lru_next = lru_head_;
  if (lru_head_ != kNil) entries_[lru_head_].lru_prev = i; else lru_tail_ = i;
  lru_head_ = i;
}

template <class V>
void FlowTable<V>::bucket_unlink(uint32_t i) {
  Entry& e = entries_[i];
  uint32_t* link = &buckets_[e.hash & bucket_mask_];
  while (*link != kNil && *link != i) link = &entries_[*link].next_in_bucket;
  if (*link == i) *link = e.next_in_bucket;
  e.next_in_bucket = kNil;
}

template <class V>
void FlowTable<V>::closing_unlink(uint32_t i) {
  if (!in_closing_[i]) return;
  const uint32_t p = close_prev_[i], n = close_next_[i];
  if (p != kNil) close_next_[p] = n; else close_head_ = n;
  if (n != kNil) close_prev_[n] = p; else close_tail_ = p;
  close_prev_[i] = close_next_[i] = kNil;
  in_closing_[i] = false;
}

template <class V>
void FlowTable<V>::end_flow(uint32_t i, FlowEndReason why) {
  Entry& e = entries_[i];
  if (on_end_) on_end_(e, why);  // before anything is unlinked: the owner still sees the flow
  closing_unlink(i);
  bucket_unlink(i);
  lru_unlink(i);
  e.used = false;
  e.lru_next = free_head_;
  free_head_ = i;
  --size_;
}

template <class V>
typename FlowTable<V>::Entry* FlowTable<V>::find(const FlowKey& key, uint32_t hash) {
  if (capacity_ == 0) return nullptr;
  const uint32_t i = lookup(key, hash);
  return i == kNil ? nullptr : &entries_[i];
}

template <class V>
typename FlowTable<V>::Entry* FlowTable<V>::find_or_insert(const FlowKey& key, uint32_t hash,
                                                           uint64_t now_us, bool& created) {
  created = false;
  if (capacity_ == 0) {
    ++stats_.insert_failures;
    return nullptr;
  }
  uint32_t i = lookup(key, hash);
  if (i != kNil) {
    if (lru_head_ != i) {
      lru_unlink(i);
      lru_push_head(i);
    }
    entries_[i].last_seen_us = now_us;
    return &entries_[i];
  }

  if (free_head_ == kNil) {  // full: the coldest flow makes room
    ++stats_.evicted;
    end_flow(lru_tail_, FlowEndReason::kEvicted);
  }
  i = free_head_;
  Entry& e = entries_[i];
  free_head_ = e.lru_next;

  e.key = key;
  e.hash = hash;
  e.last_seen_us = now_us;
  e.close_deadline_us = 0;
  e.value.reset();
  e.used = true;
  uint32_t& bucket = buckets_[hash & bucket_mask_];
  e.next_in_bucket = bucket;
  bucket = i;
  lru_push_head(i);
  ++size_;
  ++stats_.inserted;
  created = true;
  return &e;
}

template <class V>
void FlowTable<V>::mark_closing(Entry& e, uint64_t deadline_us) {
  if (deadline_us == 0) deadline_us = 1;
  const uint32_t i = index_of(e);
  if (in_closing_[i]) {
    if (e.close_deadline_us <= deadline_us) return;  // keep the earlier deadline
    closing_unlink(i);
  }
  e.close_deadline_us = deadline_us;
  // Sorted insert walking back from the tail (latest deadline).
  uint32_t after = close_tail_;
  while (after != kNil && entries_[after].close_deadline_us > deadline_us) after = close_prev_[after];
  const uint32_t before = after == kNil ? close_head_ : close_next_[after];
  close_prev_[i] = after;
  close_next_[i] = before;
  if (after != kNil) close_next_[after] = i; else close_head_ = i;
  if (before != kNil) close_prev_[before] = i; else close_tail_ = i;
  in_closing_[i] = true;
}

template <class V>
uint32_t FlowTable<V>::expire(uint64_t now_us, uint32_t budget) {
  uint32_t ended = 0;
  while (ended < budget && close_head_ != kNil && entries_[close_head_].close_deadline_us <= now_us) {
    ++stats_.expired_closed;
    end_flow(close_head_, FlowEndReason::kClosed);
    ++ended;
  }
  // The LRU tail is the least recently seen flow; stop at the first one still active. (With
  // replayed timestamps that go slightly backwards the list is only nearly sorted; such a flow
  // ends on a later call.)
  // Written as a difference so a huge idle timeout ("never") cannot overflow.
  while (ended < budget && lru_tail_ != kNil && entries_[lru_tail_].last_seen_us <= now_us &&
         now_us - entries_[lru_tail_].last_seen_us >= idle_timeout_us_) {
    ++stats_.expired_idle;
    end_flow(lru_tail_, FlowEndReason::kIdle);
    ++ended;
  }
  return ended;
}

template <class V>
void FlowTable<V>::clear() {
  while (lru_tail_ != kNil) end_flow(lru_tail_, FlowEndReason::kShutdown);
}

template <class V>
uint32_t FlowTable<V>::size() const { return size_; }

template <class V>
uint32_t FlowTable<V>::capacity() const { return capacity_; }

template <class V>
const FlowTableStats& FlowTable<V>::stats() const { return stats_; }

template <class V>
template <class F>
void FlowTable<V>::for_each(F&& f) {
  for (uint32_t i = lru_tail_; i != kNil;) {
    const uint32_t prev = entries_[i].lru_prev;  // read first: f may touch the entry's value
    f(entries_[i]);
    i = prev;
  }
}

}  // namespace l7tap
