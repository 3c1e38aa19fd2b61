// A worker's memory for per-flow state that grows with traffic: parser state, parsers' incomplete
// tails, bytes held during protocol detection, held out-of-order TCP data and pending requests. One
// worker owns it (no locks, no atomics on the hot path).
//
// Blocks come in power-of-two size classes (64 B … 2 GiB) and go back to a per-class free list when
// released, so a worker in a steady state allocates nothing: the heap is only asked when a class has
// no free block, i.e. when the worker holds more than it ever did before.
//
// The budget (flows.max_buffered_total) bounds everything the pool holds from the heap — blocks in
// use and blocks cached on free lists. When a new block would exceed it, cached blocks of other
// classes are returned to the heap first; if that is not enough the request is refused and counted,
// and the caller treats it like lost bytes (a gap for that one flow, nothing else).
//
// Where the blocks come from (the backing):
//  - kHeap: each block from the heap (operator new). For small budgets (tests, fuzzers) and
//    anything above 4 KiB.
//  - kSlabs (a worker's pool with a budget of at least kSlabMinLimit): blocks of 64 B … 4 KiB —
//    parser state, pending requests, short tails, nearly every block a flow holds — are carved from
//    2 MiB slabs on transparent huge pages (huge_memory.hpp), one class per slab, blocks of a slab
//    reused first. With 100k flows these blocks spread over hundreds of MiB touched at random; on
//    4 KiB heap pages their TLB misses cost ~15-20 % of the worker's packet rate (l7tap-bench,
//    100k flows: median 1.1 -> 1.3 Mpps over 9 paired runs). The budget is then charged by whole
//    slabs (what the process really holds): a slab counts from the moment it is mapped until it
//    is unmapped, which happens when make_room needs the bytes and the slab has no block in use.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace l7tap {

enum class PoolBacking : uint8_t { kHeap, kSlabs };

class BufferPool {
 public:
  static constexpr uint32_t kMinShift = 6;   // 64-byte blocks: one cache line
  static constexpr uint32_t kMaxShift = 31;  // 2 GiB
  static constexpr uint32_t kClasses = kMaxShift - kMinShift + 1;

  static constexpr uint32_t kSlabShift = 21;  // 2 MiB: one transparent huge page
  static constexpr uint64_t kSlabBytes = uint64_t{1} << kSlabShift;
  static constexpr uint32_t kSlabClasses = 7;  // 64 B … 4 KiB come from slabs
  // The smallest budget that gets slabs: room for 32 of them, so one slab per class and mix
  // shifts between classes are a small part of it.
  static constexpr uint64_t kSlabMinLimit = 32 * kSlabBytes;

  explicit BufferPool(uint64_t limit = UINT64_MAX, PoolBacking backing = PoolBacking::kHeap)
      : limit_(limit), slabs_(backing == PoolBacking::kSlabs) {}
  // The backing a worker's pool with this budget uses.
  static PoolBacking backing_for(uint64_t limit) {
    return limit >= kSlabMinLimit ? PoolBacking::kSlabs : PoolBacking::kHeap;
  }
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A block of at least `size` bytes (64-byte aligned); `capacity` gets its real size, which the
  // caller hands back to release(). Null when the budget cannot cover it (counted in refused()) or
  // size is 0 or above 2 GiB.
  void* acquire(std::size_t size, uint32_t& capacity);
  void release(void* block, uint32_t capacity);
  // The class size a request of `size` bytes gets (0 when too large).
  static uint32_t block_size(std::size_t size);

  void set_limit(uint64_t limit) { limit_ = limit; }
  uint64_t limit() const { return limit_; }
  uint64_t in_use() const { return in_use_; }        // bytes of blocks handed out
  uint64_t held() const { return held_; }            // bytes taken from the heap (in use + cached)
  uint64_t refused() const { return refused_; }      // requests refused for the budget
  uint64_t heap_allocations() const { return heap_allocs_; }  // heap blocks and slabs mapped
  bool slab_backed() const { return slabs_; }
  uint64_t slabs() const { return slab_count_; }  // slabs mapped now
  // Blocks of class c (size 64 << c) handed out and not released: where a worker's memory goes.
  uint64_t blocks_in_use(uint32_t c) const { return c < kClasses ? in_use_blocks_[c] : 0; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  // A slab's header, in its first block (so a block finds its slab by masking its address).
  struct Slab {
    Slab* prev = nullptr;  // in partial_[cls] exactly while has_room()
    Slab* next = nullptr;
    Slab* all_prev = nullptr;  // every slab, for make_room and the destructor
    Slab* all_next = nullptr;
    FreeBlock* free = nullptr;
    uint32_t used = 0;    // blocks handed out
    uint32_t carved = 1;  // blocks carved so far (the header's included)
    uint32_t cls = 0;
    bool has_room() const { return free != nullptr || carved < (kSlabBytes >> (cls + kMinShift)); }
  };
  static uint32_t class_of(std::size_t size);
  void* slab_acquire(uint32_t c, uint32_t bytes);
  void slab_release(void* block, uint32_t c);
  void link_partial(Slab* s);
  void unlink_partial(Slab* s);
  void unmap_slab(Slab* s);
  bool free_empty_slabs(uint64_t need);
  // Returns cached blocks to the heap (largest classes first, never `keep`) until `need` more
  // bytes fit under the limit. False when they cannot.
  bool make_room(uint64_t need, uint32_t keep);
  // Whether `need` more bytes fit under the limit (false whenever a lowered limit is exceeded).
  bool fits(uint64_t need) const { return held_ <= limit_ && need <= limit_ - held_; }

  std::array<FreeBlock*, kClasses> free_{};
  std::array<uint64_t, kClasses> in_use_blocks_{};
  uint64_t limit_;
  bool slabs_ = false;
  std::array<Slab*, kSlabClasses> partial_{};
  Slab* all_ = nullptr;
  uint64_t slab_count_ = 0;
  uint64_t in_use_ = 0;
  uint64_t held_ = 0;
  uint64_t refused_ = 0;
  uint64_t heap_allocs_ = 0;
};

}  // namespace l7tap

namespace l7tap {

// A block owned by one flow: its bytes and the capacity the pool gave it.
struct PoolBlock {
  uint8_t* data = nullptr;
  uint32_t capacity = 0;

  bool empty() const { return data == nullptr; }
  // Makes the block hold at least `size` bytes, keeping its first `keep` bytes. False (block
  // unchanged) when the pool refuses.
  bool reserve(BufferPool& pool, std::size_t size, std::size_t keep);
  void free(BufferPool& pool) {
    pool.release(data, capacity);
    data = nullptr;
    capacity = 0;
  }
};

}  // namespace l7tap
