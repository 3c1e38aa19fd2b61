// The RED series: one per label set, keyed by small integer ids (protocol, server and client label
// tuples, endpoint, request type — see red_metrics.hpp), each with plain counters and histogram
// buckets. Counting a record into an existing series is a hash, a probe and a few adds: no string,
// no allocation.
//
// Layout: series live in creation order in dense arrays — keys (for the scrape), counts (one cache
// line per series: what every record touches) and buckets (bucket_count() per series). The index
// is open addressing with linear probing over (key, series index) slots, at most half full; it
// doubles when needed (series creation only). Series are never removed.
//
// Not synchronised: the owner (RedCollector) serialises the writer and the scrapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocols/core/record.hpp"

namespace l7tap {

// SeriesKey::protocol of the one overflow series (metrics.max_series_per_metric): no registered
// protocol has this id, so no other series can share its key; it is exposed as protocol="__overflow__".
inline constexpr uint16_t kOverflowProtocol = UINT16_MAX;

struct SeriesKey {
  uint32_t server = 0;  // label tuple id (service, namespace, workload, env, site)
  uint32_t client = 0;  // label tuple id of the client side (the empty tuple without client labels)
  uint32_t endpoint = 0;
  uint32_t request_type = 0;
  uint16_t protocol = 0;
  uint16_t unused = 0;  // keeps the padding defined: keys are compared field by field
  bool operator==(const SeriesKey&) const = default;
};

// The counters of one series, in the order of the RED families; fills one cache line.
struct alignas(64) SeriesCounts {
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t client_errors = 0;
  uint64_t server_errors = 0;
  uint64_t timeouts = 0;
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
  double duration_sum = 0;  // seconds
};

// Whether a record counts as a response (l7tap_responses_total). A paired session always has an
// rrt; a one-way message logged as a session has none.
inline bool red_has_response(const FlowRecord& rec) {
  return rec.type == RecordType::kResponse || (rec.type == RecordType::kSession && rec.has_rrt);
}

class SeriesTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // `bounds`: histogram upper bounds in seconds, ascending; a +Inf bucket is added.
  explicit SeriesTable(std::vector<double> bounds);

  // Index of the series with `key`, or kNone.
  uint32_t find(const SeriesKey& key) const;
  // Adds a series for `key` (which must not be present) with zero counts; returns its index.
  uint32_t add(const SeriesKey& key);
  // Counts `rec` into series `i` (the RED semantics: see red_metrics.hpp).
  void count(uint32_t i, const FlowRecord& rec);

  uint32_t size() const { return static_cast<uint32_t>(keys_.size()); }
  const std::vector<double>& bounds() const { return bounds_; }
  std::size_t bucket_count() const { return bounds_.size() + 1; }
  // Dense arrays, series i at [i] (buckets at [i * bucket_count(), (i + 1) * bucket_count())):
  // per-bucket counts, not cumulative.
  const std::vector<SeriesKey>& keys() const { return keys_; }
  const std::vector<SeriesCounts>& counts() const { return counts_; }
  const std::vector<uint64_t>& buckets() const { return buckets_; }

 private:
  struct Slot {
    SeriesKey key;
    uint32_t index;  // kNone: empty
  };
  static uint64_t hash(const SeriesKey& k);
  void grow();

  std::vector<double> bounds_;
  std::vector<SeriesKey> keys_;
  std::vector<SeriesCounts> counts_;
  std::vector<uint64_t> buckets_;
  std::vector<Slot> slots_;
  std::size_t mask_;
};

}  // namespace l7tap
