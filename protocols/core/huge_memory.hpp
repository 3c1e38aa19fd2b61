// Big, long-lived arrays of a worker (the flow table, the buffer pool's slabs) on transparent huge
// pages. Machines of this kind have no hugetlbfs pages for DPDK, but the kernel's transparent huge
// pages are on in "madvise" mode: a 2 MiB-aligned anonymous mapping marked MADV_HUGEPAGE is backed
// by 2 MiB pages when it is first touched. With 100k flows the per-flow state spans hundreds of
// MiB; on 4 KiB pages nearly every packet's entry, parser state and pending request misses the
// TLB as well as the cache, and the burst prefetches wait for page walks. Where the kernel says
// no (THP "never", or not Linux), the memory is the same, on ordinary pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace l7tap {

// Counts what was asked of and granted by the kernel (the process's own figures; read by tests
// and the start-up log).
struct HugeMemoryStats {
  uint64_t mapped_bytes = 0;     // mapped by huge_map and not yet unmapped
  uint64_t advise_refusals = 0;  // mappings the kernel refused MADV_HUGEPAGE for (THP "never")
};
HugeMemoryStats huge_memory_stats();

// `bytes` rounded up to 2 MiB, 2 MiB-aligned, zero-filled, advised for huge pages. Null when the
// mapping fails (out of memory or address space).
void* huge_map(std::size_t bytes);
void huge_unmap(void* p, std::size_t bytes);

// An array of `n` default-constructed T in a huge_map region (std::unique_ptr<T[]>'s role for the
// flow table's arrays). Throws std::bad_alloc when the mapping fails, like new[] (the start-up
// memory check names the key before that can happen).
template <class T>
class HugeArray {
 public:
  HugeArray() = default;
  explicit HugeArray(std::size_t n) : n_(n) {
    if (n == 0) return;
    void* p = huge_map(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    p_ = static_cast<T*>(p);
    for (std::size_t i = 0; i < n; ++i) new (p_ + i) T();
  }
  ~HugeArray() { reset(); }
  HugeArray(HugeArray&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  HugeArray& operator=(HugeArray&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }
  T* get() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  void reset() {
    if (p_ == nullptr) return;
    for (std::size_t i = 0; i < n_; ++i) p_[i].~T();
    huge_unmap(p_, n_ * sizeof(T));
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace l7tap
