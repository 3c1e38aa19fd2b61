// RED (rate, errors, duration) aggregation of flow records, one series per label set, served to
// prometheus-cpp by a RedCollector (red_collector.hpp: the tables, the locking, the exposition).
// Only the control thread calls observe() and set_rules(); scrapes run concurrently.
//
// Families (labels: see RedLabelValues):
//   l7tap_requests_total            records of type session or request
//   l7tap_responses_total           records carrying a response: type response, or a session with rrt
//   l7tap_client_errors_total, l7tap_server_errors_total, l7tap_timeouts_total  by response_status
//   l7tap_request_bytes_total, l7tap_response_bytes_total  request_length / response_length
//   l7tap_request_duration_seconds  histogram of rrt_us / 1e6 (records with rrt)
// plus l7tap_records_total{protocol,type} (every record seen, aggregated or not),
// l7tap_red_records_dropped_total{reason} (service_map.unmatched: drop),
// l7tap_metric_series_overflow_total{metric} and l7tap_endpoint_overflow_total{service} (caps),
// l7tap_red_series and l7tap_red_label_strings (gauges: how full the series and string tables are).
//
// Per record, the labels are resolved to small ids — protocol (already one), the server's label
// tuple (the service map's rule, or the interned "ip:port" of an unmatched server), the client's
// (only with metrics.client_labels), the normalised endpoint and the request type — and the
// tuple of ids is looked up in the SeriesTable. Raw endpoints, request types and unmatched
// addresses go through bounded LabelCaches, so the normaliser (Hyperscan), the UTF-8 sanitiser
// and address formatting run once per distinct input, not per record. Strings are interned only
// when a series needs them, so the string tables are bounded by the series caps like the series.
//
// Cardinality caps:
// - metrics.max_endpoints_per_service: once a service has that many distinct endpoints in its
//   series, a record with a new endpoint gets endpoint="__overflow__" (and counts in
//   l7tap_endpoint_overflow_total{service}).
// - metrics.max_series_per_metric (N): each RED family has at most N label sets, the overflow one
//   included, so the whole RED exposition is bounded by N whatever the traffic. Once N - 1 regular
//   label sets exist, a record of a new label set goes to the one overflow series — protocol,
//   service, endpoint and request_type "__overflow__", the other labels empty — and counts in
//   l7tap_metric_series_overflow_total{metric} for every RED family (they share label sets).
//   Records of existing label sets keep counting into them.
//
// The interning tables are bounded by the same cap: a string is interned only when a regular series
// is made (the overflow series uses strings interned at construction), so each table holds at most
// N - 1 strings of traffic (the tuple table 2 (N - 1): server and client side) plus the conf's
// service map labels and the fixed "" / "__overflow__". name_endpoints_ has one entry per regular
// series at most. The label caches are fixed-size (label_cache.hpp). Each label is bounded by the
// record field caps (protocols/core/record.hpp; the UTF-8 sanitiser can triple a field's bytes),
// so a label set weighs at most about 21 KB in the text exposition (RedSeriesCap.
// WorstCaseExpositionBytes). Not traffic-driven: each rule reload interns its rules' labels.
// With the cap at 0 nothing of this is bounded (the operator's choice).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "control/config.hpp"
#include "control/endpoint_normalizer.hpp"
#include "control/label_cache.hpp"
#include "control/red_collector.hpp"
#include "control/service_map.hpp"
#include "protocols/core/record.hpp"

namespace prometheus {
class Collectable;
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

struct RedOptions {
  std::vector<double> latency_buckets;        // upper bounds in seconds, ascending, non-empty
  std::size_t max_series_per_metric = 10000;  // 0 = no cap
  std::size_t max_endpoints_per_service = 100;  // 0 = no cap
  bool client_labels = false;
  // Raw endpoints remembered with their normalised label (not a conf key: sized for busy
  // deployments, about 3 MB; a miss only costs one normalisation).
  std::size_t endpoint_cache_entries = 16384;

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

  // Holds the lock scrapes take while it lives: the control thread makes one per drained batch
  // and counts the batch's records through it.
  class Batch {
   public:
    explicit Batch(RedMetrics& red) : red_(red), lock_(red.collector_->mutex()) {}
    void observe(const FlowRecord& rec) { red_.observe_locked(rec); }

   private:
    RedMetrics& red_;
    std::lock_guard<std::mutex> lock_;
  };
  // One record in a batch of its own.
  void observe(const FlowRecord& rec);

  // Swaps in new rules. Existing series and their counts stay; later records are labelled with
  // the new rules (possibly into new series).
  void set_rules(RedRules rules);
  // Swaps in new cardinality caps (SIGHUP). Existing series stay: a lower cap sends only new label
  // sets to overflow, a higher one lets new label sets in again.
  void set_caps(std::size_t max_series_per_metric, std::size_t max_endpoints_per_service);
  const ServiceMap& service_map() const { return *rules_.service_map; }

  // The labels `rec` gets before the caps; false when the record is not aggregated
  // (unmatched server with service_map.unmatched: drop).
  bool series_labels(const FlowRecord& rec, RedLabelValues& out);

  // What the exposer serves.
  std::shared_ptr<prometheus::Collectable> collectable() const;
  // Label sets (series per RED family), overflow series included.
  std::size_t series_count() const { return collector_->tables().series.size(); }
  // The raw endpoint → normalised endpoint cache (bounded by endpoint_cache_entries).
  const LabelCache& endpoint_cache() const { return endpoint_cache_; }
  // The interned strings and series (read them on the thread that observes).
  const RedTables& tables() const { return collector_->tables(); }

 private:
  // One record's labels as ids. kNone: not interned, so no series has that label yet; the text
  // pointers (into cache entries, valid during one observe) say what to intern.
  struct Resolved {
    uint16_t protocol = 0;
    uint32_t server = kNone, client = kNone, endpoint = kNone, request_type = kNone;
    const std::string* server_text = nullptr;  // unmatched server "ip:port" (null: a rule matched)
    const std::string* client_text = nullptr;  // unmatched client "ip"
    const std::string* endpoint_text = nullptr;
    const std::string* request_type_text = nullptr;
  };
  static constexpr uint32_t kNone = StringTable::kNone;
  static constexpr uint32_t kDropped = kNone - 1;  // server cache entry: service_map.unmatched drop

  void observe_locked(const FlowRecord& rec);
  bool resolve(const FlowRecord& rec, Resolved& r);
  bool resolve_server(const ServiceKey& key, Resolved& r);
  uint32_t resolve_client(const FlowRecord& rec, ServiceKey key, const std::string*& text);
  // The label tuple id of an unmatched address entry (text alone), or kNone.
  uint32_t tuple_of_text(LabelCache::Entry& e);
  uint32_t series_for(Resolved& r);
  uint32_t overflow_series();  // the one overflow series (made on first use), counted
  uint32_t service_name(const Resolved& r) const;
  uint32_t intern_tuple(std::string_view service, std::string_view ns = {}, std::string_view workload = {},
                        std::string_view env = {}, std::string_view site = {});
  void intern_rules();  // under the lock
  void make_endpoint(std::string_view raw, std::string& text);

  RedOptions opt_;
  RedRules rules_;
  std::shared_ptr<RedCollector> collector_;
  RedTables& t_;  // collector_'s tables

  std::vector<uint32_t> rule_tuple_;  // service map rule → its label tuple id
  uint32_t empty_tuple_ = 0, overflow_tuple_ = 0, overflow_endpoint_ = 0, overflow_request_type_ = 0;
  LabelCache endpoint_cache_;
  LabelCache request_type_cache_;
  LabelCache server_cache_;  // server lookup key → rule tuple, drop, or "ip:port"
  LabelCache client_cache_;  // unmatched clients: ip → "ip"

  // The endpoint cap: distinct endpoints per service name among the series, and which.
  std::vector<uint32_t> endpoints_per_name_;
  std::unordered_set<uint64_t> name_endpoints_;  // name id << 32 | endpoint id
  std::size_t regular_series_ = 0;                // label sets created below the series cap
  uint32_t overflow_series_ = SeriesTable::kNone;  // its index once made
  std::string scratch_;  // an encoded label tuple
  std::string sanitized_, normalized_;  // make_endpoint's steps
};

}  // namespace l7tap
