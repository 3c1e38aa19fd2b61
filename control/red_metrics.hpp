// RED (rate, errors, duration) aggregation of flow records into prometheus-cpp metrics, one series
// per label set. Only the control thread calls observe(); scrapes read the metric objects
// concurrently (prometheus-cpp counters and histograms are internally synchronised).
//
// Families (labels protocol, server, endpoint, request_type):
//   l7tap_requests_total            records of type session or request
//   l7tap_responses_total           records carrying a response: type response, or a session with rrt
//   l7tap_client_errors_total, l7tap_server_errors_total, l7tap_timeouts_total  by response_status
//   l7tap_request_bytes_total, l7tap_response_bytes_total  request_length / response_length
//   l7tap_request_duration_seconds  histogram of rrt_us / 1e6 (records with rrt)
// plus l7tap_records_total{protocol,type} and l7tap_red_series_overflow_total.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocols/core/record.hpp"

namespace prometheus {
class Registry;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace l7tap {

// The label values of one RED series. The label set is defined here and computed in one function
// (red_series_labels) so it can grow later (service map: service/namespace/workload/env/site;
// client-side labels) without touching the aggregation.
struct RedLabelValues {
  static constexpr std::array<std::string_view, 4> kNames = {"protocol", "server", "endpoint",
                                                             "request_type"};
  std::array<std::string, kNames.size()> values;

  bool operator==(const RedLabelValues&) const = default;
};

struct RedLabelHash {
  std::size_t operator()(const RedLabelValues& v) const noexcept;
};

// Fills `out` with the label values of the series `rec` belongs to, reusing out's strings.
// server is "ip:port" ("[v6addr]:port" for IPv6).
void red_series_labels(const FlowRecord& rec, RedLabelValues& out);

// Whether a record counts as a response (l7tap_responses_total). A paired session always has an
// rrt; a one-way message logged as a session has none.
bool red_has_response(const FlowRecord& rec);

class RedMetrics {
 public:
  // Past this many label sets, records of new label sets are aggregated into one series per
  // protocol whose other labels read "_overflow" (and counted), so memory stays bounded.
  static constexpr std::size_t kDefaultMaxSeries = 20000;
  static constexpr std::string_view kOverflowLabel = "_overflow";

  // latency_buckets: upper bounds in seconds, ascending (non-empty).
  explicit RedMetrics(std::vector<double> latency_buckets,
                      std::size_t max_series = kDefaultMaxSeries);
  ~RedMetrics();
  RedMetrics(const RedMetrics&) = delete;
  RedMetrics& operator=(const RedMetrics&) = delete;

  void observe(const FlowRecord& rec);

  // What the exposer serves.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  std::size_t series_count() const { return series_.size(); }

 private:
  struct Series {
    prometheus::Counter* requests;
    prometheus::Counter* responses;
    prometheus::Counter* client_errors;
    prometheus::Counter* server_errors;
    prometheus::Counter* timeouts;
    prometheus::Counter* request_bytes;
    prometheus::Counter* response_bytes;
    prometheus::Histogram* duration;
  };

  Series& series_for(const FlowRecord& rec);
  Series make_series(const RedLabelValues& labels);
  prometheus::Counter& records_counter(ProtocolId p, RecordType t);

  std::vector<double> buckets_;
  std::size_t max_series_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* responses_;
  prometheus::Family<prometheus::Counter>* client_errors_;
  prometheus::Family<prometheus::Counter>* server_errors_;
  prometheus::Family<prometheus::Counter>* timeouts_;
  prometheus::Family<prometheus::Counter>* request_bytes_;
  prometheus::Family<prometheus::Counter>* response_bytes_;
  prometheus::Family<prometheus::Histogram>* duration_;
  prometheus::Family<prometheus::Counter>* records_;
  prometheus::Counter* overflow_;

  std::unordered_map<RedLabelValues, Series, RedLabelHash> series_;
  RedLabelValues scratch_;  // the lookup key, reused so the hot path does not allocate
  static constexpr std::size_t kTypeCount = 3;
  std::array<std::array<prometheus::Counter*, kTypeCount>, static_cast<std::size_t>(ProtocolId::kCount)>
      records_by_type_{};
};

}  // namespace l7tap
