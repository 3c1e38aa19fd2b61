// A bounded cache from raw record input (an endpoint, a request type, a server address, …) to the
// label the RED aggregation made of it: the label text and its interned id. It is what keeps the
// endpoint normaliser (Hyperscan) and the UTF-8 sanitiser from running for every record: only a
// miss computes the label.
//
// Set-associative: kWays entries per set, the set chosen by the key's hash; a miss on a full set
// replaces its least recently used entry. Keys live inside the entries (at most kMaxKey bytes;
// longer keys are never cached), so a lookup touches one set and nothing else. Memory is fixed at
// construction; an entry's text keeps its capacity when the entry is reused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace l7tap {

class LabelCache {
 public:
  static constexpr std::size_t kMaxKey = 128;
  static constexpr std::size_t kWays = 4;
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Entry {
    uint64_t hash = 0;
    uint32_t id = kNone;   // interned id of `text`, or kNone while it is not interned
    uint32_t checked = 0;  // size of the string table when `id` was last looked up
    uint32_t last_use = 0;
    uint8_t len = 0;
    bool used = false;
    char key[kMaxKey];
    std::string text;
  };

  // `capacity`: entries, rounded up to a power of two (at least kWays).
  explicit LabelCache(std::size_t capacity);

  // The entry for `key` (hash = hash_bytes(key)), or nullptr. Counts a hit or a miss.
  Entry* find(std::string_view key, uint64_t hash);
  // An entry for `key` after find() missed: a free way of its set, or its least recently used
  // entry (an eviction). Key and hash are set, id is kNone; the text is the caller's to fill. A key
  // longer than kMaxKey gets a scratch entry that later lookups do not find.
  Entry& insert(std::string_view key, uint64_t hash);
  // Forgets every entry (kept: the counters).
  void clear();

  std::size_t capacity() const { return mask_ + 1; }
  std::size_t size() const { return size_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t evictions() const { return evictions_; }

 private:
  std::unique_ptr<Entry[]> entries_;
  std::size_t mask_;  // capacity - 1; a set starts at a multiple of kWays
  Entry scratch_;
  uint32_t clock_ = 0;
  std::size_t size_ = 0;
  uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace l7tap
