#include "control/string_table.hpp"

namespace l7tap {

namespace {
constexpr std::size_t kInitialSlots = 64;
}  // namespace

StringTable::StringTable() : slots_(kInitialSlots, Slot{0, kNone}), mask_(kInitialSlots - 1) {}

uint32_t StringTable::find(std::string_view s, uint64_t hash) const {
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.id == kNone) return kNone;
    if (slot.hash == hash && strings_[slot.id] == s) return slot.id;
  }
}

uint32_t StringTable::add(std::string_view s) {
  const uint64_t hash = hash_string(s);
  if (const uint32_t id = find(s, hash); id != kNone) return id;
  if ((strings_.size() + 1) * 2 > slots_.size()) grow();
  const auto id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  std::size_t i = hash & mask_;
  while (slots_[i].id != kNone) i = (i + 1) & mask_;
  slots_[i] = {hash, id};
  return id;
}

void StringTable::grow() {
  std::vector<Slot> old(slots_.size() * 2, Slot{0, kNone});
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id == kNone) continue;
    std::size_t i = s.hash & mask_;
    while (slots_[i].id != kNone) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace l7tap
