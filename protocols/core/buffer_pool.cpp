#include "protocols/core/buffer_pool.hpp"

#include <bit>
#include <cstring>
#include <new>

#include "protocols/core/huge_memory.hpp"

namespace l7tap {

namespace {
constexpr std::align_val_t kAlign{64};

// Slab blocks are not heap blocks, so AddressSanitizer would not see a flow using a block after
// releasing it: poison free slab memory by hand (no-ops without ASan).
#if defined(__SANITIZE_ADDRESS__)
#define L7TAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define L7TAP_ASAN 1
#endif
#endif
#ifdef L7TAP_ASAN
extern "C" void __asan_poison_memory_region(void const volatile* addr, std::size_t size);
extern "C" void __asan_unpoison_memory_region(void const volatile* addr, std::size_t size);
void poison(const void* p, std::size_t n) { __asan_poison_memory_region(p, n); }
void unpoison(const void* p, std::size_t n) { __asan_unpoison_memory_region(p, n); }
#else
void poison(const void*, std::size_t) {}
void unpoison(const void*, std::size_t) {}
#endif
}  // namespace

BufferPool::~BufferPool() {
  // Slabs belong to the pool: they go even with blocks in use (the owner is gone by now).
  while (all_ != nullptr) {
    Slab* s = all_;
    all_ = s->all_next;
    unpoison(s, kSlabBytes);
    huge_unmap(s, kSlabBytes);
  }
  for (uint32_t c = 0; c < kClasses; ++c) {
    while (FreeBlock* b = free_[c]) {
      free_[c] = b->next;
      ::operator delete(b, kAlign);
    }
  }
}

uint32_t BufferPool::class_of(std::size_t size) {
  if (size <= (std::size_t{1} << kMinShift)) return 0;
  return static_cast<uint32_t>(std::bit_width(size - 1)) - kMinShift;
}

uint32_t BufferPool::block_size(std::size_t size) {
  if (size == 0 || size > (std::size_t{1} << kMaxShift)) return 0;
  return uint32_t{1} << (class_of(size) + kMinShift);
}

bool BufferPool::make_room(uint64_t need, uint32_t keep) {
  for (uint32_t c = kClasses; c-- > 0 && !fits(need);) {
    if (c == keep) continue;
    const uint64_t size = uint64_t{1} << (c + kMinShift);
    while (FreeBlock* b = free_[c]) {
      free_[c] = b->next;
      ::operator delete(b, kAlign);
      held_ -= size;
      if (fits(need)) break;
    }
  }
  if (slabs_) free_empty_slabs(need);
  return fits(need);
}

// --- slabs ---

void BufferPool::link_partial(Slab* s) {
  s->prev = nullptr;
  s->next = partial_[s->cls];
  if (s->next != nullptr) s->next->prev = s;
  partial_[s->cls] = s;
}

void BufferPool::unlink_partial(Slab* s) {
  (s->prev != nullptr ? s->prev->next : partial_[s->cls]) = s->next;
  if (s->next != nullptr) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
}

void BufferPool::unmap_slab(Slab* s) {  // s has no block in use, so it has room: it is listed
  unlink_partial(s);
  (s->all_prev != nullptr ? s->all_prev->all_next : all_) = s->all_next;
  if (s->all_next != nullptr) s->all_next->all_prev = s->all_prev;
  unpoison(s, kSlabBytes);  // the next mapping at this address starts clean
  huge_unmap(s, kSlabBytes);
  held_ -= kSlabBytes;
  --slab_count_;
}

bool BufferPool::free_empty_slabs(uint64_t need) {
  // Rare (the budget is spent): a walk over at most limit / 2 MiB slabs.
  for (Slab* s = all_; s != nullptr && !fits(need);) {
    Slab* next = s->all_next;
    if (s->used == 0) unmap_slab(s);
    s = next;
  }
  return fits(need);
}

void* BufferPool::slab_acquire(uint32_t c, uint32_t bytes) {
  Slab* s = partial_[c];
  if (s == nullptr) {
    if (!make_room(kSlabBytes, c)) return nullptr;
    void* m = huge_map(kSlabBytes);  // 2 MiB-aligned: a block's slab is its address masked
    if (m == nullptr) return nullptr;
    ++heap_allocs_;
    ++slab_count_;
    held_ += kSlabBytes;
    s = new (m) Slab();
    poison(static_cast<uint8_t*>(m) + bytes, kSlabBytes - bytes);  // all but the header block
    s->cls = c;
    s->all_next = all_;
    if (all_ != nullptr) all_->all_prev = s;
    all_ = s;
    link_partial(s);
  }
  void* p;
  if (FreeBlock* b = s->free) {  // reuse what this slab had before: warm lines, one page
    unpoison(b, bytes);
    s->free = b->next;
    p = b;
  } else {  // carve lazily: untouched blocks cost no memory traffic
    p = reinterpret_cast<uint8_t*>(s) + (std::size_t{s->carved} << (c + kMinShift));
    unpoison(p, bytes);
    ++s->carved;
  }
  ++s->used;
  if (!s->has_room()) unlink_partial(s);
  in_use_ += bytes;
  ++in_use_blocks_[c];
  return p;
}

void BufferPool::slab_release(void* block, uint32_t c) {
  auto* s = reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(block) & ~(uintptr_t{kSlabBytes} - 1));
  if (!s->has_room()) link_partial(s);  // it was full: it has room again
  auto* b = static_cast<FreeBlock*>(block);
  b->next = s->free;
  s->free = b;
  poison(b, std::size_t{1} << (c + kMinShift));
  --s->used;
  in_use_ -= uint64_t{1} << (c + kMinShift);
  --in_use_blocks_[c];
  if (s->used == 0 && held_ > limit_) unmap_slab(s);  // the limit was lowered: shrink instead of caching
}

void* BufferPool::acquire(std::size_t size, uint32_t& capacity) {
  const uint32_t bytes = block_size(size);
  capacity = 0;
  if (bytes == 0) return nullptr;
  const uint32_t c = class_of(size);
  if (slabs_ && c < kSlabClasses) {
    void* p = slab_acquire(c, bytes);
    if (p == nullptr) {
      ++refused_;
      return nullptr;
    }
    capacity = bytes;
    return p;
  }
  if (FreeBlock* b = free_[c]) {  // the steady state: a block this worker used before
    free_[c] = b->next;
    in_use_ += bytes;
    ++in_use_blocks_[c];
    capacity = bytes;
    return b;
  }
  if (!fits(bytes)) {
    if (!make_room(bytes, c)) {
      ++refused_;
      return nullptr;
    }
  }
  void* p = ::operator new(bytes, kAlign, std::nothrow);
  if (p == nullptr) {
    ++refused_;
    return nullptr;
  }
  ++heap_allocs_;
  held_ += bytes;
  in_use_ += bytes;
  ++in_use_blocks_[c];
  capacity = bytes;
  return p;
}

void BufferPool::release(void* block, uint32_t capacity) {
  if (block == nullptr || capacity == 0) return;
  const uint32_t c = class_of(capacity);
  if (slabs_ && c < kSlabClasses) {
    slab_release(block, c);
    return;
  }
  in_use_ -= capacity;
  --in_use_blocks_[c];
  if (held_ > limit_) {  // the limit was lowered: shrink instead of caching
    ::operator delete(block, kAlign);
    held_ -= capacity;
    return;
  }
  auto* b = static_cast<FreeBlock*>(block);
  b->next = free_[c];
  free_[c] = b;
}

}  // namespace l7tap

namespace l7tap {

bool PoolBlock::reserve(BufferPool& pool, std::size_t size, std::size_t keep) {
  if (size <= capacity) return true;
  uint32_t cap = 0;
  auto* p = static_cast<uint8_t*>(pool.acquire(size, cap));
  if (p == nullptr) return false;
  if (keep != 0) std::memcpy(p, data, keep);
  pool.release(data, capacity);
  data = p;
  capacity = cap;
  return true;
}

}  // namespace l7tap
