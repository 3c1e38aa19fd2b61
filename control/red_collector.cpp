#include "control/red_collector.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <cstring>
#include <limits>

#include "control/metric_family.hpp"
#include "protocols/registry.hpp"

namespace l7tap {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::size_t kRedFamilies = 8;  // 7 counters, then the histogram

constexpr const char* kFamilyNames[kRedFamilies] = {
    "l7tap_requests_total",      "l7tap_responses_total",      "l7tap_client_errors_total",
    "l7tap_server_errors_total", "l7tap_timeouts_total",       "l7tap_request_bytes_total",
    "l7tap_response_bytes_total", "l7tap_request_duration_seconds"};

constexpr const char* kFamilyHelp[kRedFamilies] = {
    "L7 requests seen (flow records of type session or request).",
    "L7 responses seen (paired sessions and unpaired responses).",
    "Records whose response_status is client_error.",
    "Records whose response_status is server_error.",
    "Records whose response_status is timeout (no response within sessions.request_timeout).",
    "Sum of request_length of the records, in bytes.",
    "Sum of response_length of the records, in bytes.",
    "Response time (last request byte to first response byte), in seconds."};

// The counters of a series in family order.
constexpr uint64_t SeriesCounts::*kCounterFields[kRedFamilies - 1] = {
    &SeriesCounts::requests,      &SeriesCounts::responses,     &SeriesCounts::client_errors,
    &SeriesCounts::server_errors, &SeriesCounts::timeouts,      &SeriesCounts::request_bytes,
    &SeriesCounts::response_bytes};

enum Tuple : std::size_t { kService, kNamespace, kWorkload, kEnv, kSite };


// A series' labels in the order prometheus-cpp's label maps had them (sorted by name), which is
// the order they are written in the exposition.
std::vector<ClientMetric::Label> series_labels(std::string_view protocol, const LabelTuple& server,
                                               const LabelTuple* client, const std::string& endpoint,
                                               const std::string& request_type) {
  std::vector<ClientMetric::Label> l;
  l.reserve(13);
  if (client != nullptr) {
    const LabelTuple& c = *client;
    l.push_back({"client_env", c[kEnv]});
    l.push_back({"client_namespace", c[kNamespace]});
    l.push_back({"client_service", c[kService]});
    l.push_back({"client_site", c[kSite]});
    l.push_back({"client_workload", c[kWorkload]});
  }
  l.push_back({"endpoint", endpoint});
  l.push_back({"env", server[kEnv]});
  l.push_back({"namespace", server[kNamespace]});
  l.push_back({"protocol", std::string(protocol)});
  l.push_back({"request_type", request_type});
  l.push_back({"service", server[kService]});
  l.push_back({"site", server[kSite]});
  l.push_back({"workload", server[kWorkload]});
  return l;
}

std::string_view series_protocol(uint16_t protocol) {
  return protocol == kOverflowProtocol ? std::string_view("__overflow__") : protocol_name(protocol);
}

template <typename T, typename F>
void copy_new(std::vector<T>& mirror, const StringTable& table, F convert) {
  for (uint32_t id = static_cast<uint32_t>(mirror.size()); id < table.size(); ++id)
    mirror.push_back(convert(table[id]));
}

}  // namespace

void encode_label_tuple(std::string& out, std::string_view service, std::string_view ns, std::string_view workload,
                        std::string_view env, std::string_view site) {
  out.clear();
  for (std::string_view v : {service, ns, workload, env, site}) {
    const auto n = static_cast<uint32_t>(v.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(v);
  }
}

LabelTuple decode_label_tuple(std::string_view encoded) {
  LabelTuple t;
  for (std::string& v : t) {
    uint32_t n = 0;
    std::memcpy(&n, encoded.data(), sizeof n);
    v.assign(encoded.substr(sizeof n, n));
    encoded.remove_prefix(sizeof n + n);
  }
  return t;
}

RedCollector::RedCollector(std::vector<double> latency_bounds, bool client_labels)
    : t_(std::move(latency_bounds)), client_labels_(client_labels) {
  t_.records.assign((protocol_count() + 1) * RedTables::kRecordTypes, 0);
}

void RedCollector::copy_tables() const {
  copy_new(m_.tuples, t_.tuples, [](const std::string& s) { return decode_label_tuple(s); });
  copy_new(m_.names, t_.names, [](const std::string& s) { return s; });
  copy_new(m_.endpoints, t_.endpoints, [](const std::string& s) { return s; });
  copy_new(m_.request_types, t_.request_types, [](const std::string& s) { return s; });
  const SeriesTable& s = t_.series;
  m_.keys.assign(s.keys().begin(), s.keys().end());
  m_.counts.assign(s.counts().begin(), s.counts().end());
  m_.buckets.assign(s.buckets().begin(), s.buckets().end());
  m_.records = t_.records;
  m_.endpoint_overflow = t_.endpoint_overflow;
  m_.series_overflow = t_.series_overflow;
  m_.dropped_unmatched = t_.dropped_unmatched;
}

std::vector<MetricFamily> RedCollector::Collect() const {
  std::lock_guard<std::mutex> scrape(scrape_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    copy_tables();
  }
  std::vector<MetricFamily> out;
  out.reserve(kRedFamilies + 4);
  add_red_families(out);
  add_other_families(out);
  return out;
}

void RedCollector::add_red_families(std::vector<MetricFamily>& out) const {
  const std::size_t n = m_.keys.size();
  if (n == 0) return;  // prometheus-cpp leaves families without series out, and so do we
  const std::vector<double>& bounds = t_.series.bounds();  // fixed at construction
  const std::size_t nb = bounds.size() + 1;
  const std::size_t first = out.size();
  for (std::size_t f = 0; f < kRedFamilies; ++f) {
    out.push_back(make_family(kFamilyNames[f], kFamilyHelp[f], f + 1 < kRedFamilies ? MetricType::Counter
                                                                                 : MetricType::Histogram));
    out.back().metric.reserve(n);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const SeriesKey& k = m_.keys[i];
    std::vector<ClientMetric::Label> labels =
        series_labels(series_protocol(k.protocol), m_.tuples[k.server], client_labels_ ? &m_.tuples[k.client] : nullptr,
                      m_.endpoints[k.endpoint], m_.request_types[k.request_type]);
    const SeriesCounts& c = m_.counts[i];
    for (std::size_t f = 0; f + 1 < kRedFamilies; ++f)
      add_sample(out[first + f], labels, c.*kCounterFields[f]);

    ClientMetric h;
    h.label = std::move(labels);
    h.histogram.bucket.resize(nb);
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < nb; ++b) {
      cumulative += m_.buckets[i * nb + b];
      h.histogram.bucket[b].cumulative_count = cumulative;
      h.histogram.bucket[b].upper_bound = b < bounds.size() ? bounds[b] : std::numeric_limits<double>::infinity();
    }
    h.histogram.sample_count = cumulative;
    h.histogram.sample_sum = c.duration_sum;
    out[first + kRedFamilies - 1].metric.push_back(std::move(h));
  }
}

void RedCollector::add_other_families(std::vector<MetricFamily>& out) const {
  MetricFamily records = make_family("l7tap_records_total",
                                "Flow records seen by the RED aggregation (aggregated or dropped), by protocol and type.",
                                MetricType::Counter);
  for (std::size_t i = 0; i < m_.records.size(); ++i) {
    if (m_.records[i] == 0) continue;
    const auto protocol = static_cast<ProtocolId>(i / RedTables::kRecordTypes);
    const auto type = static_cast<RecordType>(i % RedTables::kRecordTypes);
    add_sample(records,
        {{"protocol", std::string(protocol_name(protocol))}, {"type", std::string(record_type_name(type))}},
        m_.records[i]);
  }
  if (!records.metric.empty()) out.push_back(std::move(records));

  MetricFamily overflow = make_family("l7tap_metric_series_overflow_total",
                                 "Records aggregated into the overflow series (protocol, service, endpoint and "
                                 "request_type \"__overflow__\") because the family had "
                                 "metrics.max_series_per_metric label sets, the overflow one included.",
                                 MetricType::Counter);
  for (const char* name : kFamilyNames) add_sample(overflow, {{"metric", name}}, m_.series_overflow);
  out.push_back(std::move(overflow));

  MetricFamily endpoints = make_family("l7tap_endpoint_overflow_total",
                                  "Records whose endpoint was replaced by \"__overflow__\" because their service "
                                  "reached metrics.max_endpoints_per_service distinct endpoints.",
                                  MetricType::Counter);
  for (std::size_t name = 0; name < m_.endpoint_overflow.size(); ++name)
    if (m_.endpoint_overflow[name] != 0)
      add_sample(endpoints, {{"service", m_.names[name]}}, m_.endpoint_overflow[name]);
  if (!endpoints.metric.empty()) out.push_back(std::move(endpoints));

  // How close the tables are to their caps (both bounded by metrics.max_series_per_metric).
  MetricFamily series = make_family("l7tap_red_series",
                                    "Label sets of each RED family, the overflow series included (at most "
                                    "metrics.max_series_per_metric).",
                                    MetricType::Gauge);
  add_sample(series, {}, m_.keys.size());
  out.push_back(std::move(series));
  MetricFamily strings = make_family("l7tap_red_label_strings",
                                     "Label strings interned by the RED aggregation (label tuples, service names, "
                                     "endpoints, request types); interned only for new series, so bounded by "
                                     "metrics.max_series_per_metric.",
                                     MetricType::Gauge);
  add_sample(strings, {},
             m_.tuples.size() + m_.names.size() + m_.endpoints.size() + m_.request_types.size());
  out.push_back(std::move(strings));

  MetricFamily dropped = make_family("l7tap_red_records_dropped_total",
                                "Records not aggregated into RED metrics (still in the flow log): "
                                "reason unmatched_service = no service_map rule matched the server and "
                                "service_map.unmatched is drop.",
                                MetricType::Counter);
  add_sample(dropped, {{"reason", "unmatched_service"}}, m_.dropped_unmatched);
  out.push_back(std::move(dropped));
}

}  // namespace l7tap
