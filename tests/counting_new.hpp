// Replaces every global operator new/delete of the executable that includes this header (include
// it from exactly one source file of that executable) so that a test can count allocations:
//
//   const uint64_t before = test_alloc::count();
//   ... the code that must not allocate ...
//   EXPECT_EQ(test_alloc::count(), before);
//
// test_alloc::arm(true) makes the next allocation stop the process (__builtin_trap), so that a
// debugger shows where it came from.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace test_alloc {
inline std::atomic<uint64_t> g_count{0};
inline std::atomic<bool> g_armed{false};
inline uint64_t count() { return g_count.load(std::memory_order_relaxed); }
inline void arm(bool on) { g_armed.store(on, std::memory_order_relaxed); }

inline void* counted(std::size_t n, std::size_t align) noexcept {
  g_count.fetch_add(1, std::memory_order_relaxed);
  if (g_armed.load(std::memory_order_relaxed)) __builtin_trap();
  if (n == 0) n = 1;
  return align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align)
                                           : std::malloc(n);
}
inline void* counted_or_throw(std::size_t n, std::size_t align) {
  if (void* p = counted(n, align)) return p;
  throw std::bad_alloc();
}
}  // namespace test_alloc

void* operator new(std::size_t n) { return test_alloc::counted_or_throw(n, 0); }
void* operator new[](std::size_t n) { return test_alloc::counted_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return test_alloc::counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return test_alloc::counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return test_alloc::counted(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return test_alloc::counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return test_alloc::counted(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return test_alloc::counted(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
