// The RED state and its exposition: the interned label strings, the series with their counts and
// the side counters (RedTables), shared between the control thread, which counts records into
// them, and the /metrics scrapes (the listener's thread, control/metrics_server.hpp), which read
// them through prometheus-cpp's Collectable interface. Label strings are made here, at scrape
// time, never per record.
//
// Synchronisation: one mutex. The control thread holds it for a whole drained batch of records
// (RedMetrics::Batch), so taking it costs nothing per record, and a scrape that takes it sees the
// state between two batches: every series, histogram buckets, sum and count of one instant. A
// scrape holds it only to copy the numbers and the strings added since the previous scrape into
// its own mirror (a memcpy of ~200 bytes per series), then builds the MetricFamily list without
// it, so the control thread waits at most that copy. Per-series atomics were the alternative:
// no waiting at all, but a histogram's buckets, sum and count could then disagree in a scrape.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "control/series_table.hpp"
#include "control/string_table.hpp"

namespace l7tap {

// The five labels one side of a series has: service, namespace, workload, env, site.
using LabelTuple = std::array<std::string, 5>;
// A tuple as one string (each value behind its 4-byte length, so no value can fake a boundary):
// the key the label tuple table interns.
void encode_label_tuple(std::string& out, std::string_view service, std::string_view ns, std::string_view workload,
                        std::string_view env, std::string_view site);
LabelTuple decode_label_tuple(std::string_view encoded);

// Changed only by the control thread with RedCollector::mutex() held.
struct RedTables {
  explicit RedTables(std::vector<double> latency_bounds) : series(std::move(latency_bounds)) {}

  StringTable tuples;         // encoded label tuples (server and client side)
  StringTable names;          // service names (the endpoint cap counts per service name)
  StringTable endpoints;      // normalised endpoints
  StringTable request_types;
  std::vector<uint32_t> tuple_name;  // tuple id → name id of its service
  SeriesTable series;
  std::vector<uint64_t> records;            // l7tap_records_total, [protocol * kRecordTypes + type]
  std::vector<uint64_t> endpoint_overflow;  // l7tap_endpoint_overflow_total, by name id
  uint64_t series_overflow = 0;             // l7tap_metric_series_overflow_total (equal in every family)
  uint64_t dropped_unmatched = 0;           // l7tap_red_records_dropped_total{reason="unmatched_service"}

  static constexpr std::size_t kRecordTypes = 3;
};

class RedCollector : public prometheus::Collectable {
 public:
  RedCollector(std::vector<double> latency_bounds, bool client_labels);

  // The writer's side: hold mutex() while changing tables().
  std::mutex& mutex() { return mu_; }
  RedTables& tables() { return t_; }
  const RedTables& tables() const { return t_; }

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  // What a scrape copied out of the tables (guarded by scrape_mu_; kept between scrapes so only
  // new strings are copied and the vectors keep their capacity).
  struct Mirror {
    std::vector<LabelTuple> tuples;
    std::vector<std::string> names, endpoints, request_types;
    std::vector<SeriesKey> keys;
    std::vector<SeriesCounts> counts;
    std::vector<uint64_t> buckets;
    std::vector<uint64_t> records, endpoint_overflow;
    uint64_t series_overflow = 0, dropped_unmatched = 0;
  };
  void copy_tables() const;  // under mu_
  void add_red_families(std::vector<prometheus::MetricFamily>& out) const;
  void add_other_families(std::vector<prometheus::MetricFamily>& out) const;

  RedTables t_;
  const bool client_labels_;
  mutable std::mutex mu_;
  mutable std::mutex scrape_mu_;  // Collect() may be called from several threads (tests do): one at a time
  mutable Mirror m_;
};

}  // namespace l7tap
