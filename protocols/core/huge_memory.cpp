#include "protocols/core/huge_memory.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>

namespace l7tap {

namespace {
constexpr std::size_t kHuge = std::size_t{2} << 20;
// Workers map at start and on growth of their pools; relaxed counters are enough for figures.
std::atomic<uint64_t> g_mapped{0};

std::size_t round_up(std::size_t bytes) { return (bytes + kHuge - 1) & ~(kHuge - 1); }
}  // namespace

HugeMemoryStats huge_memory_stats() {
  return {g_mapped.load(std::memory_order_relaxed)};
}

void* huge_map(std::size_t bytes) {
  if (bytes == 0 || bytes > SIZE_MAX - 2 * kHuge) return nullptr;
  const std::size_t size = round_up(bytes);
  // Over-map by 2 MiB and trim to an aligned start: mmap only promises 4 KiB alignment, and a
  // huge page needs its whole aligned 2 MiB inside the mapping.
  void* raw = mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + size + kHuge;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  void* p = reinterpret_cast<void*>(aligned);
  g_mapped.fetch_add(size, std::memory_order_relaxed);
  // A refusal (a kernel built without THP) leaves ordinary pages: the same memory, only slower.
  madvise(p, size, MADV_HUGEPAGE);
  return p;
}

void huge_unmap(void* p, std::size_t bytes) {
  if (p == nullptr || bytes == 0) return;
  const std::size_t size = round_up(bytes);
  munmap(p, size);
  g_mapped.fetch_sub(size, std::memory_order_relaxed);
}

}  // namespace l7tap
