// RED (rate, errors, duration) aggregation of flow records into prometheus-cpp metrics, one series
// per label set. Only the control thread calls observe() and set_rules(); scrapes read the metric
// objects concurrently (prometheus-cpp families, counters and histograms are internally
// synchronised, and a histogram's buckets, sum and count are read under one lock).
//
// Families (labels: see RedLabelValues):
//   l7tap_requests_total            records of type session or request
//   l7tap_responses_total           records carrying a response: type response, or a session with rrt
//   l7tap_client_errors_total, l7tap_server_errors_total, l7tap_timeouts_total  by response_status
//   l7tap_request_bytes_total, l7tap_response_bytes_total  request_length / response_length
//   l7tap_request_duration_seconds  histogram of rrt_us / 1e6 (records with rrt)
// plus l7tap_records_total{protocol,type} (every record seen, aggregated or not),
// l7tap_red_records_dropped_total{reason} (service_map.unmatched: drop),
// l7tap_metric_series_overflow_total{metric} and l7tap_endpoint_overflow_total{service} (caps).
//
// Cardinality caps:
// - metrics.max_endpoints_per_service: once a service has that many distinct endpoints in its
//   series, a record with a new endpoint gets endpoint="__overflow__" (and counts in
//   l7tap_endpoint_overflow_total{service}).
// - metrics.max_series_per_metric: once that many label sets exist, a record of a new label set
//   goes to its (protocol, service) overflow series: endpoint and request_type "__overflow__",
//   client_* labels empty; it counts in l7tap_metric_series_overflow_total{metric} for every RED
//   family (they share label sets). Overflow series are themselves capped at the same number; past
//   that, service="__overflow__" too (one series per protocol), so memory stays bounded even when
//   unmatched servers are named by address.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "control/config.hpp"
#include "control/endpoint_normalizer.hpp"
#include "control/service_map.hpp"
#include "protocols/core/record.hpp"

namespace prometheus {
class Registry;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace l7tap {

// The label values of one RED series, in the contract's order. The client_* labels exist only when
// metrics.client_labels is on (their values are then empty strings otherwise).
struct RedLabelValues {
  enum Index : std::size_t {
    kProtocol, kService, kNamespace, kWorkload, kEnv, kSite,
    kClientService, kClientNamespace, kClientWorkload, kClientEnv, kClientSite,
    kEndpoint, kRequestType, kCount
  };
  static constexpr std::array<std::string_view, kCount> kNames = {
      "protocol",         "service",         "namespace",         "workload",   "env",
      "site",             "client_service",  "client_namespace",  "client_workload",
      "client_env",       "client_site",     "endpoint",          "request_type"};
  std::array<std::string, kCount> values;

  bool operator==(const RedLabelValues&) const = default;
};

struct RedLabelHash {
  std::size_t operator()(const RedLabelValues& v) const noexcept;
};

// Whether a record counts as a response (l7tap_responses_total). A paired session always has an
// rrt; a one-way message logged as a session has none.
bool red_has_response(const FlowRecord& rec);

struct RedOptions {
  std::vector<double> latency_buckets;        // upper bounds in seconds, ascending, non-empty
  std::size_t max_series_per_metric = 10000;  // 0 = no cap
  std::size_t max_endpoints_per_service = 100;  // 0 = no cap
  bool client_labels = false;

  static RedOptions from_config(const Config& c);
};

// The parts of the conf that SIGHUP reloads: the service map and the endpoint rules.
struct RedRules {
  std::unique_ptr<ServiceMap> service_map;
  std::unique_ptr<EndpointNormalizer> normalizer;

  // Compiles the conf's rules; throws ConfigError naming the key for a bad rule.
  static RedRules from_config(const Config& c);
};

class RedMetrics {
 public:
  static constexpr std::string_view kOverflow = "__overflow__";

  RedMetrics(RedOptions options, RedRules rules);
  // Defaults (caps 10000 / 100, no client labels), an empty service map and the built-in endpoint
  // normalisation: for tests.
  explicit RedMetrics(std::vector<double> latency_buckets);
  ~RedMetrics();
  RedMetrics(const RedMetrics&) = delete;
  RedMetrics& operator=(const RedMetrics&) = delete;

  void observe(const FlowRecord& rec);

  // Swaps in new rules. Existing series and their counts stay; later records are labelled with
  // the new rules (possibly into new series).
  void set_rules(RedRules rules);
  const ServiceMap& service_map() const { return *rules_.service_map; }

  // The labels `rec` gets before the caps; false when the record is not aggregated
  // (unmatched server with service_map.unmatched: drop).
  bool series_labels(const FlowRecord& rec, RedLabelValues& out);

  // What the exposer serves.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // Label sets (series per RED family), overflow series included.
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
  static constexpr std::size_t kRedFamilies = 8;

  Series* series_for(const FlowRecord& rec);
  Series make_series(const RedLabelValues& labels);
  Series& overflow_series();  // for scratch_ (already labelled), after the series cap
  prometheus::Counter& records_counter(ProtocolId p, RecordType t);
  prometheus::Counter& endpoint_overflow_counter(const std::string& service);
  void set_server_labels(int rule, const FlowRecord& rec, RedLabelValues& out);

  RedOptions opt_;
  RedRules rules_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Family<prometheus::Counter>*, kRedFamilies - 1> counters_{};
  prometheus::Family<prometheus::Histogram>* duration_;
  prometheus::Family<prometheus::Counter>* records_;
  prometheus::Family<prometheus::Counter>* endpoint_overflow_;
  std::array<prometheus::Counter*, kRedFamilies> series_overflow_{};
  prometheus::Counter* dropped_unmatched_;

  std::unordered_map<RedLabelValues, Series, RedLabelHash> series_;
  std::size_t regular_series_ = 0;   // label sets created below the series cap
  std::size_t overflow_series_ = 0;  // (protocol, service) overflow series
  // Distinct endpoints per service among the series created (bounded by the series cap).
  std::unordered_map<std::string, std::unordered_set<std::string>> endpoints_;
  std::unordered_map<std::string, prometheus::Counter*> endpoint_overflow_by_service_;
  RedLabelValues scratch_;  // the lookup key, reused so the hot path does not allocate
  std::string raw_endpoint_;
  static constexpr std::size_t kTypeCount = 3;
  std::array<std::array<prometheus::Counter*, kTypeCount>, static_cast<std::size_t>(ProtocolId::kCount)>
      records_by_type_{};
};

}  // namespace l7tap
