// Interned strings for the RED aggregation: each distinct string gets a small id (0, 1, 2 … in
// the order added) so series can be keyed by integers instead of label strings. Append-only: ids
// stay valid for the table's lifetime, so counts keyed by them survive rule reloads.
//
// The index is open addressing with linear probing over (hash, id) pairs, at most half full;
// lookups hash the bytes once and compare strings only on a hash match. Nothing allocates except
// add() (the string, and the index when it doubles).
//
// No cap of its own: append-only ids cannot be given back, so the owner bounds what it adds.
// RedMetrics adds a string only when it makes a series, so its tables are bounded by
// metrics.max_series_per_metric (see red_metrics.hpp) and their size is l7tap_red_label_strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace l7tap {

// A 64-bit hash of `n` bytes: 8 bytes per multiply, then a full avalanche (MurmurHash3's fmix64),
// so the low bits are usable as a table index.
inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline uint64_t hash_bytes(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x87c37b91114253d5ULL;
    h = (h << 31) | (h >> 33);
    p += 8;
    n -= 8;
  }
  if (n != 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x4cf5ad432745937fULL;
  }
  return mix64(h);
}

inline uint64_t hash_string(std::string_view s) { return hash_bytes(s.data(), s.size()); }

class StringTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  StringTable();

  // The id of `s`, or kNone.
  uint32_t find(std::string_view s) const { return find(s, hash_string(s)); }
  uint32_t find(std::string_view s, uint64_t hash) const;
  // The id of `s`, added when new.
  uint32_t add(std::string_view s);

  const std::string& operator[](uint32_t id) const { return strings_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(strings_.size()); }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t id;  // kNone: empty
  };
  void grow();

  std::vector<std::string> strings_;
  std::vector<Slot> slots_;
  std::size_t mask_;
};

}  // namespace l7tap
