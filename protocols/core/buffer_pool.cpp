#include "protocols/core/buffer_pool.hpp"

#include <bit>
#include <cstring>
#include <new>

namespace l7tap {

namespace {
constexpr std::align_val_t kAlign{64};
}

BufferPool::~BufferPool() {
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
  for (uint32_t c = kClasses; c-- > 0 && need > limit_ - held_;) {
    if (c == keep) continue;
    const uint64_t size = uint64_t{1} << (c + kMinShift);
    while (FreeBlock* b = free_[c]) {
      free_[c] = b->next;
      ::operator delete(b, kAlign);
      held_ -= size;
      if (need <= limit_ - held_) break;
    }
  }
  return need <= limit_ - held_;
}

void* BufferPool::acquire(std::size_t size, uint32_t& capacity) {
  const uint32_t bytes = block_size(size);
  capacity = 0;
  if (bytes == 0) return nullptr;
  const uint32_t c = class_of(size);
  if (FreeBlock* b = free_[c]) {  // the steady state: a block this worker used before
    free_[c] = b->next;
    in_use_ += bytes;
    ++in_use_blocks_[c];
    capacity = bytes;
    return b;
  }
  if (held_ > limit_ || bytes > limit_ - held_) {
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
