// BufferPool: size classes, the budget, and the slab backing (2 MiB slabs on transparent huge
// pages for blocks of 64 B … 4 KiB); huge_map.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "protocols/core/buffer_pool.hpp"
#include "protocols/core/huge_memory.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define L7TAP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define L7TAP_TEST_ASAN 1
#endif
#endif
#ifdef L7TAP_TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace l7tap {
namespace {

uintptr_t slab_of(const void* p) {
  return reinterpret_cast<uintptr_t>(p) & ~(uintptr_t{BufferPool::kSlabBytes} - 1);
}

TEST(BufferPool, BackingFollowsTheBudget) {
  EXPECT_EQ(BufferPool::backing_for(BufferPool::kSlabMinLimit - 1), PoolBacking::kHeap);
  EXPECT_EQ(BufferPool::backing_for(BufferPool::kSlabMinLimit), PoolBacking::kSlabs);
  EXPECT_EQ(BufferPool::backing_for(256ull << 20), PoolBacking::kSlabs);  // the default budget
}

TEST(BufferPool, HeapBackingChargesBlocks) {
  BufferPool pool(1000);
  uint32_t cap = 0;
  void* a = pool.acquire(100, cap);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(cap, 128u);
  EXPECT_EQ(pool.held(), 128u);
  EXPECT_EQ(pool.acquire(1000, cap), nullptr);  // 1024 > what is left
  EXPECT_EQ(pool.refused(), 1u);
  pool.release(a, 128);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.held(), 128u);  // cached for the next flow
}

TEST(BufferPool, SmallBlocksShareASlabAndAreReused) {
  BufferPool pool(BufferPool::kSlabMinLimit, PoolBacking::kSlabs);
  uint32_t cap = 0;
  void* a = pool.acquire(64, cap);
  void* b = pool.acquire(50, cap);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(slab_of(a), slab_of(b));
  EXPECT_NE(slab_of(a), reinterpret_cast<uintptr_t>(a));  // the slab's first block is its header
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  EXPECT_EQ(pool.slabs(), 1u);
  EXPECT_EQ(pool.held(), BufferPool::kSlabBytes);  // charged by the slab
  EXPECT_EQ(pool.in_use(), 128u);
  EXPECT_EQ(pool.blocks_in_use(0), 2u);
  // Another class gets a slab of its own; a block above 4 KiB comes from the heap.
  void* c = pool.acquire(4096, cap);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(slab_of(c), slab_of(a));
  EXPECT_EQ(pool.slabs(), 2u);
  void* d = pool.acquire(4097, cap);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(cap, 8192u);
  EXPECT_EQ(pool.held(), 2 * BufferPool::kSlabBytes + 8192);
  // A released block is the next one handed out in its class (warm, same page).
  pool.release(b, 64);
#ifdef L7TAP_TEST_ASAN  // a flow touching a block it released is caught, as with heap blocks
  EXPECT_TRUE(__asan_address_is_poisoned(b));
  EXPECT_TRUE(__asan_address_is_poisoned(static_cast<char*>(a) + 128));  // never handed out
#endif
  EXPECT_EQ(pool.acquire(64, cap), b);
#ifdef L7TAP_TEST_ASAN
  EXPECT_FALSE(__asan_address_is_poisoned(static_cast<char*>(b) + 63));
#endif
  // The blocks are usable memory, all of them.
  std::memset(a, 0xab, 64);
  std::memset(c, 0xcd, 4096);
  std::memset(d, 0xef, 8192);
  for (auto [p, n] : {std::pair{a, 64u}, std::pair{b, 64u}, std::pair{c, 4096u}, std::pair{d, 8192u}})
    pool.release(p, n);
  EXPECT_EQ(pool.in_use(), 0u);
  for (uint32_t k = 0; k < BufferPool::kClasses; ++k) EXPECT_EQ(pool.blocks_in_use(k), 0u) << k;
}

TEST(BufferPool, SlabBudgetRefusesAndEmptySlabsMakeRoomForOtherClasses) {
  constexpr uint64_t kSlabs = 3;
  BufferPool pool(kSlabs * BufferPool::kSlabBytes, PoolBacking::kSlabs);
  const uint32_t per_slab = static_cast<uint32_t>(BufferPool::kSlabBytes / 64) - 1;  // less the header
  std::vector<void*> blocks;
  uint32_t cap = 0;
  for (;;) {
    void* p = pool.acquire(64, cap);
    if (p == nullptr) break;
    blocks.push_back(p);
    ASSERT_LE(blocks.size(), kSlabs * per_slab);
  }
  EXPECT_EQ(blocks.size(), kSlabs * per_slab);  // every block of every slab, no more
  EXPECT_EQ(pool.refused(), 1u);
  EXPECT_EQ(pool.held(), pool.limit());
  EXPECT_EQ(pool.acquire(1024, cap), nullptr);  // no room for a slab of another class
  EXPECT_EQ(pool.refused(), 2u);
  // One slab's blocks back: that slab is empty (still held, cached for its class) ...
  std::vector<void*> first_slab;
  for (void* p : blocks)
    if (slab_of(p) == slab_of(blocks.front())) first_slab.push_back(p);
  ASSERT_EQ(first_slab.size(), per_slab);
  for (void* p : first_slab) pool.release(p, 64);
  EXPECT_EQ(pool.held(), pool.limit());
  EXPECT_EQ(pool.slabs(), kSlabs);
  // ... until another class needs the room: the empty slab goes, the new class's slab comes.
  void* big = pool.acquire(1024, cap);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(pool.slabs(), kSlabs);
  EXPECT_EQ(pool.held(), pool.limit());
  EXPECT_NE(slab_of(big), slab_of(blocks[per_slab]));  // not one of the two slabs in use
  // Slabs with a block in use are never unmapped: 64-byte blocks are now refused.
  EXPECT_EQ(pool.acquire(64, cap), nullptr);
  pool.release(big, 1024);
  for (void* p : blocks)
    if (slab_of(p) != slab_of(blocks.front())) pool.release(p, 64);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(BufferPool, LoweredLimitUnmapsSlabsAsTheyEmpty) {
  BufferPool pool(BufferPool::kSlabMinLimit, PoolBacking::kSlabs);
  uint32_t cap = 0;
  void* a = pool.acquire(200, cap);
  void* b = pool.acquire(200, cap);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  pool.set_limit(0);
  pool.release(a, cap);
  EXPECT_EQ(pool.held(), BufferPool::kSlabBytes);  // b still lives there
  pool.release(b, cap);
  EXPECT_EQ(pool.held(), 0u);
  EXPECT_EQ(pool.slabs(), 0u);
}

TEST(BufferPool, PoolBlockGrowsAcrossTheSlabAndHeapClasses) {
  BufferPool pool(BufferPool::kSlabMinLimit, PoolBacking::kSlabs);
  PoolBlock blk;
  ASSERT_TRUE(blk.reserve(pool, 100, 0));
  std::memset(blk.data, 7, 100);
  ASSERT_TRUE(blk.reserve(pool, 10000, 100));  // from a slab block to a heap block
  for (int i = 0; i < 100; ++i) ASSERT_EQ(blk.data[i], 7) << i;
  EXPECT_EQ(blk.capacity, 16384u);
  blk.free(pool);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(HugeMemory, MapsAlignedZeroedAndCounts) {
  const uint64_t before = huge_memory_stats().mapped_bytes;
  auto* p = static_cast<uint8_t*>(huge_map(100000));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (2u << 20), 0u);
  EXPECT_EQ(huge_memory_stats().mapped_bytes, before + (2u << 20));  // rounded up to 2 MiB
  for (std::size_t i = 0; i < (2u << 20); i += 4096) ASSERT_EQ(p[i], 0) << i;
  p[(2u << 20) - 1] = 1;  // the whole rounded size is usable
  huge_unmap(p, 100000);
  EXPECT_EQ(huge_memory_stats().mapped_bytes, before);
  EXPECT_EQ(huge_map(0), nullptr);
}

}  // namespace
}  // namespace l7tap
