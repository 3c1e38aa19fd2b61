#include "control/series_table.hpp"

#include <algorithm>

#include "control/string_table.hpp"

namespace l7tap {

namespace {
constexpr std::size_t kInitialSlots = 1024;
}  // namespace

SeriesTable::SeriesTable(std::vector<double> bounds)
    : bounds_(std::move(bounds)), slots_(kInitialSlots, Slot{{}, kNone}), mask_(kInitialSlots - 1) {
  keys_.reserve(kInitialSlots / 2);
  counts_.reserve(kInitialSlots / 2);
  buckets_.reserve(kInitialSlots / 2 * bucket_count());
}

uint64_t SeriesTable::hash(const SeriesKey& k) {
  const uint64_t a = (static_cast<uint64_t>(k.server) << 32) | k.client;
  const uint64_t b = (static_cast<uint64_t>(k.endpoint) << 32) | k.request_type;
  return mix64(a * 0x9e3779b97f4a7c15ULL + b * 0xbf58476d1ce4e5b9ULL + k.protocol);
}

uint32_t SeriesTable::find(const SeriesKey& key) const {
  for (std::size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.index == kNone) return kNone;
    if (s.key == key) return s.index;
  }
}

uint32_t SeriesTable::add(const SeriesKey& key) {
  if ((keys_.size() + 1) * 2 > slots_.size()) grow();
  const auto index = static_cast<uint32_t>(keys_.size());
  keys_.push_back(key);
  counts_.emplace_back();
  buckets_.resize(buckets_.size() + bucket_count(), 0);
  std::size_t i = hash(key) & mask_;
  while (slots_[i].index != kNone) i = (i + 1) & mask_;
  slots_[i] = {key, index};
  return index;
}

void SeriesTable::grow() {
  std::vector<Slot> old(slots_.size() * 2, Slot{{}, kNone});
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.index == kNone) continue;
    std::size_t i = hash(s.key) & mask_;
    while (slots_[i].index != kNone) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void SeriesTable::count(uint32_t i, const FlowRecord& rec) {
  SeriesCounts& c = counts_[i];
  const L7Fields& l7 = rec.l7;
  if (rec.type == RecordType::kSession || rec.type == RecordType::kRequest) ++c.requests;
  if (red_has_response(rec)) ++c.responses;
  switch (l7.response_status) {
    case ResponseStatus::kClientError: ++c.client_errors; break;
    case ResponseStatus::kServerError: ++c.server_errors; break;
    case ResponseStatus::kTimeout: ++c.timeouts; break;
    default: break;
  }
  if (l7.has_request_length) c.request_bytes += l7.request_length;
  if (l7.has_response_length) c.response_bytes += l7.response_length;
  if (rec.has_rrt) {
    // The same arithmetic as prometheus-cpp's Histogram::Observe (first bound >= value, the sum
    // as a double), so the exposition is what it was when prometheus-cpp kept these series.
    const double seconds = static_cast<double>(rec.rrt_us) / 1e6;
    const auto b = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
    ++buckets_[i * bucket_count() + b];
    c.duration_sum += seconds;
  }
}

}  // namespace l7tap
