#include "control/label_cache.hpp"

#include <cstring>

namespace l7tap {

LabelCache::LabelCache(std::size_t capacity) {
  std::size_t n = kWays;
  while (n < capacity) n <<= 1;
  entries_ = std::make_unique<Entry[]>(n);
  mask_ = n - 1;
}

LabelCache::Entry* LabelCache::find(std::string_view key, uint64_t hash) {
  Entry* set = &entries_[hash & mask_ & ~(kWays - 1)];
  for (std::size_t w = 0; w < kWays; ++w) {
    Entry& e = set[w];
    if (e.used && e.hash == hash && e.len == key.size() && std::memcmp(e.key, key.data(), key.size()) == 0) {
      e.last_use = ++clock_;
      ++hits_;
      return &e;
    }
  }
  ++misses_;
  return nullptr;
}

LabelCache::Entry& LabelCache::insert(std::string_view key, uint64_t hash) {
  Entry* e = &scratch_;
  if (key.size() <= kMaxKey) {
    Entry* set = &entries_[hash & mask_ & ~(kWays - 1)];
    e = nullptr;
    // Ages are differences from the clock, so its wrap-around does not matter.
    uint32_t oldest = 0;
    for (std::size_t w = 0; w < kWays && (e == nullptr || e->used); ++w) {
      Entry& c = set[w];
      if (!c.used || e == nullptr || clock_ - c.last_use > oldest) {
        e = &c;
        oldest = clock_ - c.last_use;
      }
    }
    if (e->used)
      ++evictions_;
    else
      ++size_;
    e->used = true;
    e->len = static_cast<uint8_t>(key.size());
    std::memcpy(e->key, key.data(), key.size());
  }
  e->hash = hash;
  e->id = kNone;
  e->checked = 0;
  e->last_use = ++clock_;
  return *e;
}

void LabelCache::clear() {
  for (std::size_t i = 0; i <= mask_; ++i) entries_[i].used = false;
  size_ = 0;
}

}  // namespace l7tap
