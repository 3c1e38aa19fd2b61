// Method bodies of FlowTable<V> (a template, so they live in a header). Included from
// flow_table.hpp only.
#pragma once

#include <bit>
#include <new>

#include "dataplane/flow_table.hpp"
#include "protocols/core/huge_memory.hpp"

namespace l7tap {

template <class V>
FlowTable<V>::FlowTable(uint32_t capacity, FlowTimeouts timeouts, EndFn on_end)
    : capacity_(capacity == kNil ? kNil - 1 : capacity),  // kNil must stay out of the index range
      timeouts_(timeouts),
      on_end_(std::move(on_end)) {
  bucket_count_ = static_cast<uint32_t>(bucket_count_for(capacity_));
  bucket_mask_ = bucket_count_ - 1;
  // Index and entries on transparent huge pages (huge_memory.hpp), mapped, not touched: a page
  // costs nothing until a flow first lands on it. The mapping comes zeroed: every slot empty.
  buckets_ = static_cast<Bucket*>(huge_map(sizeof(Bucket) * bucket_count_));
  entries_ = static_cast<Entry*>(huge_map(sizeof(Entry) * std::size_t{capacity_}));
  if (buckets_ == nullptr || (entries_ == nullptr && capacity_ != 0)) {
    huge_unmap(buckets_, sizeof(Bucket) * bucket_count_);
    throw std::bad_alloc();
  }
  timers_ = static_cast<Timer*>(::operator new(sizeof(Timer) * std::size_t{capacity_}));
  wheel_ = std::make_unique<uint32_t[]>(kWheelSlots);
  std::fill(wheel_.get(), wheel_.get() + kWheelSlots, kNil);
  // Resolution: an eighth of the shortest timeout, as a power of two from 1 µs to 65.5 ms (with
  // 4096 slots the wheel then spans up to 268 s; longer timeouts take several turns).
  const uint64_t shortest = std::min({timeouts_.idle_us, timeouts_.no_payload_us, timeouts_.close_us});
  const uint64_t eighth = shortest / 8;
  tick_shift_ = eighth == 0 ? 0 : std::min<uint32_t>(16, static_cast<uint32_t>(std::bit_width(eighth)) - 1);
}

template <class V>
FlowTable<V>::~FlowTable() {
  for (uint32_t i = fresh_; i-- > 0;) entries_[i].~Entry();
  huge_unmap(entries_, sizeof(Entry) * std::size_t{capacity_});
  huge_unmap(buckets_, sizeof(Bucket) * bucket_count_);
  ::operator delete(timers_);
}

template <class V>
uint32_t FlowTable<V>::lookup(const FlowKey& key, uint64_t hash) const {
  const uint16_t sig = sig_of(hash);
  uint32_t b = bucket_of(hash);
  for (int k = 0; k < 2; ++k, b = alt_bucket(b, sig)) {
    const Bucket& bk = buckets_[b];
    for (uint32_t m = match(bk, sig); m != 0; m &= m - 1) {
      const uint32_t idx = bk.idx[std::countr_zero(m)];
      const Entry& e = entries_[idx];
      if (e.hash == hash && e.key == key) return idx;
    }
  }
  return kNil;
}

template <class V>
bool FlowTable<V>::place(uint32_t b, uint16_t sig, uint32_t idx) {
  Bucket& bk = buckets_[b];
  const uint32_t free_slots = match(bk, 0);
  if (free_slots == 0) return false;
  const auto w = static_cast<uint32_t>(std::countr_zero(free_slots));
  bk.sig[w] = sig;
  bk.idx[w] = idx;
  return true;
}

template <class V>
bool FlowTable<V>::index_insert(uint64_t hash, uint32_t idx) {
  const uint16_t sig = sig_of(hash);
  const uint32_t b1 = bucket_of(hash), b2 = alt_bucket(b1, sig);
  if (place(b1, sig, idx) || place(b2, sig, idx)) return true;
  // Both full: move a resident to its other bucket (one move, then two) to free a slot.
  for (uint32_t bb : {b1, b2}) {
    Bucket& bk = buckets_[bb];
    for (uint32_t w = 0; w < kWays; ++w) {
      const uint32_t a = alt_bucket(bb, bk.sig[w]);
      if (a != bb && place(a, bk.sig[w], bk.idx[w])) {
        bk.sig[w] = sig;
        bk.idx[w] = idx;
        return true;
      }
    }
  }
  for (uint32_t bb : {b1, b2}) {
    Bucket& bk = buckets_[bb];
    for (uint32_t w = 0; w < kWays; ++w) {
      const uint32_t a = alt_bucket(bb, bk.sig[w]);
      if (a == bb) continue;
      Bucket& ak = buckets_[a];
      for (uint32_t v = 0; v < kWays; ++v) {
        const uint32_t c = alt_bucket(a, ak.sig[v]);
        if (c == a || !place(c, ak.sig[v], ak.idx[v])) continue;
        ak.sig[v] = bk.sig[w];
        ak.idx[v] = bk.idx[w];
        bk.sig[w] = sig;
        bk.idx[w] = idx;
        return true;
      }
    }
  }
  return false;
}

template <class V>
void FlowTable<V>::index_remove(uint64_t hash, uint32_t idx) {
  const uint16_t sig = sig_of(hash);
  uint32_t b = bucket_of(hash);
  for (int k = 0; k < 2; ++k, b = alt_bucket(b, sig)) {
    Bucket& bk = buckets_[b];
    for (uint32_t m = match(bk, sig); m != 0; m &= m - 1) {
      const auto w = static_cast<uint32_t>(std::countr_zero(m));
      if (bk.idx[w] == idx) {
        bk.sig[w] = 0;
        return;
      }
    }
  }
}

template <class V>
uint64_t FlowTable<V>::due_of(const Entry& e) const {
  const uint64_t t = e.active ? timeouts_.idle_us : timeouts_.no_payload_us;
  uint64_t due = t > UINT64_MAX - e.last_seen_us ? UINT64_MAX : e.last_seen_us + t;  // "never" stays never
  if (e.close_deadline_us != 0) due = std::min(due, e.close_deadline_us);
  return due;
}

template <class V>
void FlowTable<V>::schedule(uint32_t idx, uint64_t due_us) {
  uint64_t t = due_us >> tick_shift_;
  if (t < cursor_) t = cursor_;
  if (t - cursor_ >= kWheelSlots) t = cursor_ + kWheelSlots - 1;  // beyond the wheel: look again then
  const auto slot = static_cast<uint32_t>(t & (kWheelSlots - 1));
  Timer& e = timers_[idx];
  e.slot = slot;
  e.prev = kNil;
  e.next = wheel_[slot];
  if (e.next != kNil) timers_[e.next].prev = idx;
  wheel_[slot] = idx;
  occupied_[slot >> 6] |= uint64_t{1} << (slot & 63);
}

template <class V>
void FlowTable<V>::unschedule(uint32_t idx) {
  Timer& e = timers_[idx];
  if (e.slot == kNil) return;
  if (e.prev != kNil) timers_[e.prev].next = e.next; else wheel_[e.slot] = e.next;
  if (e.next != kNil) timers_[e.next].prev = e.prev;
  if (wheel_[e.slot] == kNil) occupied_[e.slot >> 6] &= ~(uint64_t{1} << (e.slot & 63));
  e.prev = e.next = e.slot = kNil;
}

template <class V>
void FlowTable<V>::end_flow(uint32_t idx, FlowEndReason why) {
  Entry& e = entries_[idx];
  if (on_end_) on_end_(e, why);  // before anything is unlinked: the owner still sees the flow
  index_remove(e.hash, idx);
  unschedule(idx);
  e.used = false;
  timers_[idx].next = free_head_;
  free_head_ = idx;
  --size_;
}

template <class V>
uint32_t FlowTable<V>::next_occupied(uint32_t from) const {
  for (uint32_t s = from; s < kWheelSlots;) {
    const auto pos = static_cast<uint32_t>((cursor_ + s) & (kWheelSlots - 1));
    // The bits of pos's word from pos on are the slots at offsets s, s + 1, ... (the word does not
    // wrap: slot numbers in a word are consecutive).
    const uint64_t bits = occupied_[pos >> 6] >> (pos & 63);
    if (bits != 0) return std::min<uint32_t>(kWheelSlots, s + static_cast<uint32_t>(std::countr_zero(bits)));
    s += 64 - (pos & 63);
  }
  return kWheelSlots;
}

template <class V>
uint32_t FlowTable<V>::pick_victim() {
  // The flow due soonest among the first few found in the wheel. Slots are lazy: a flow touched,
  // or carrying payload, since it was scheduled still sits in its old, earlier slot (the SYN's
  // no-payload deadline of a conversation that has been busy since). Such flows are moved to
  // where they are due now — a bounded number per call — so that a flood of flows that never
  // carry payload evicts its own kind, not the established conversations scheduled early.
  constexpr int kCandidates = 8;
  constexpr int kMaxMoves = 64;
  uint32_t best = kNil;
  uint64_t best_due = 0;
  int seen = 0, moves = 0;
  for (uint32_t s = next_occupied(0); s < kWheelSlots && seen < kCandidates; s = next_occupied(s + 1)) {
    const uint64_t tick = cursor_ + s;
    for (uint32_t i = wheel_[tick & (kWheelSlots - 1)]; i != kNil && seen < kCandidates;) {
      const uint32_t next = timers_[i].next;
      const uint64_t due = due_of(entries_[i]);
      if ((due >> tick_shift_) > tick && moves < kMaxMoves && s + 1 < kWheelSlots) {
        unschedule(i);
        schedule(i, due);
        ++moves;
      } else {
        if (best == kNil || due < best_due) {
          best = i;
          best_due = due;
        }
        ++seen;
      }
      i = next;
    }
  }
  return best;
}

template <class V>
uint32_t FlowTable<V>::insert(const FlowKey& key, uint64_t hash, uint64_t now_us) {
  if (capacity_ == 0) {
    ++stats_.insert_failures;
    return kNil;
  }
  if (free_head_ == kNil && fresh_ == capacity_) {  // full: one of the first flows due makes room
    const uint32_t victim = pick_victim();
    if (victim == kNil) {
      ++stats_.insert_failures;
      return kNil;
    }
    ++stats_.evicted;
    end_flow(victim, FlowEndReason::kEvicted);
  }
  if (size_ == 0) cursor_ = now_us >> tick_shift_;  // an empty wheel starts at the present
  // The last freed entry (warm in cache), else the next never used one.
  const uint32_t i = free_head_ != kNil ? free_head_ : fresh_;
  if (!index_insert(hash, i)) {
    ++stats_.insert_failures;
    return kNil;
  }
  if (i == free_head_) {
    free_head_ = timers_[i].next;
    timers_[i].next = kNil;
  } else {
    new (&entries_[i]) Entry();
    new (&timers_[i]) Timer();
    ++fresh_;
  }
  Entry& e = entries_[i];
  e.key = key;
  e.hash = hash;
  e.last_seen_us = now_us;
  e.close_deadline_us = 0;
  e.used = true;
  e.active = false;
  e.value.reset();
  ++size_;
  ++stats_.inserted;
  schedule(i, due_of(e));
  return i;
}

template <class V>
typename FlowTable<V>::Entry* FlowTable<V>::find_or_insert(const FlowKey& key, uint64_t hash, uint64_t now_us,
                                                           bool& created) {
  created = false;
  uint32_t i = lookup(key, hash);
  if (i != kNil) {
    touch(i, now_us);
    return &entries_[i];
  }
  i = insert(key, hash, now_us);
  if (i == kNil) return nullptr;
  created = true;
  return &entries_[i];
}

template <class V>
void FlowTable<V>::mark_closing(uint32_t idx, uint64_t deadline_us) {
  if (deadline_us == 0) deadline_us = 1;
  Entry& e = entries_[idx];
  if (e.close_deadline_us != 0 && e.close_deadline_us <= deadline_us) return;  // keep the earlier one
  e.close_deadline_us = deadline_us;
  unschedule(idx);
  schedule(idx, due_of(e));
}

template <class V>
uint32_t FlowTable<V>::expire(uint64_t now_us, uint32_t budget) {
  const uint64_t now_tick = now_us >> tick_shift_;
  uint32_t ended = 0;
  uint32_t turned = 0;  // slots passed in this call
  // A slot is processed once the clock is past it, so everything in it that is due is due now.
  while (cursor_ < now_tick && ended < budget) {
    if (size_ == 0) {  // nothing to look at: the wheel jumps to the present
      cursor_ = now_tick;
      break;
    }
    uint32_t& head = wheel_[cursor_ & (kWheelSlots - 1)];
    while (head != kNil && ended < budget) {
      // The slot's flows are scattered over the table: take a batch from its list (the dense
      // timer records) and prefetch their entries before looking at any of them.
      constexpr uint32_t kBatch = 16;
      uint32_t batch[kBatch];
      uint32_t n = 0;
      for (uint32_t i = head; i != kNil && n < kBatch; i = timers_[i].next) {
        batch[n++] = i;
        prefetch_entry(i, 0, 2);
      }
      for (uint32_t k = 0; k < n && ended < budget; ++k) {
        const uint32_t i = batch[k];
        unschedule(i);
        Entry& e = entries_[i];
        const uint64_t due = due_of(e);
        if (due > now_us) {  // touched since it was scheduled: look again when it is due
          schedule(i, due);
          continue;
        }
        const bool closed = e.close_deadline_us != 0 && e.close_deadline_us <= now_us;
        ++(closed ? stats_.expired_closed : stats_.expired_idle);
        end_flow(i, closed ? FlowEndReason::kClosed : FlowEndReason::kIdle);
        ++ended;
      }
    }
    if (head != kNil) break;  // out of budget inside this slot: continue here next call
    ++cursor_;
    // A clock jump of more than a turn: once every slot was looked at in this call, every flow
    // left is due after now_us, so the wheel can jump (a flow may then be looked at up to one turn
    // late, never early).
    if (++turned >= kWheelSlots && now_tick - cursor_ > kWheelSlots) cursor_ = now_tick - 1;
  }
  return ended;
}

template <class V>
void FlowTable<V>::clear() {
  for (uint32_t s = 0; s < kWheelSlots && size_ != 0; ++s) {
    uint32_t& head = wheel_[(cursor_ + s) & (kWheelSlots - 1)];
    while (head != kNil) end_flow(head, FlowEndReason::kShutdown);
  }
}

}  // namespace l7tap
