#include "control/red_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>

#include "control/flow_log_writer.hpp"

namespace l7tap {

namespace {

using V = RedLabelValues;

constexpr const char* kFamilyNames[] = {
    "l7tap_requests_total",      "l7tap_responses_total",      "l7tap_client_errors_total",
    "l7tap_server_errors_total", "l7tap_timeouts_total",       "l7tap_request_bytes_total",
    "l7tap_response_bytes_total", "l7tap_request_duration_seconds"};

constexpr const char* kFamilyHelp[] = {
    "L7 requests seen (flow records of type session or request).",
    "L7 responses seen (paired sessions and unpaired responses).",
    "Records whose response_status is client_error.",
    "Records whose response_status is server_error.",
    "Records whose response_status is timeout (no response within sessions.request_timeout).",
    "Sum of request_length of the records, in bytes.",
    "Sum of response_length of the records, in bytes.",
    "Response time (last request byte to first response byte), in seconds."};

void set_rule_labels(const ServiceRule& r, std::string& service, std::string& ns, std::string& workload,
                     std::string& env, std::string& site) {
  service.assign(r.service);
  ns.assign(r.namespace_name);
  workload.assign(r.workload);
  env.assign(r.env);
  site.assign(r.site);
}

}  // namespace

std::size_t RedLabelHash::operator()(const RedLabelValues& v) const noexcept {
  std::size_t h = 0;
  for (const std::string& s : v.values)
    h ^= std::hash<std::string_view>{}(s) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

bool red_has_response(const FlowRecord& rec) {
  return rec.type == RecordType::kResponse || (rec.type == RecordType::kSession && rec.has_rrt);
}

RedOptions RedOptions::from_config(const Config& c) {
  RedOptions o;
  o.latency_buckets = c.latency_buckets.empty() ? default_latency_buckets() : c.latency_buckets;
  o.max_series_per_metric = c.max_series_per_metric;
  o.max_endpoints_per_service = c.max_endpoints_per_service;
  o.client_labels = c.client_labels;
  return o;
}

RedRules RedRules::from_config(const Config& c) {
  RedRules r;
  r.service_map = std::make_unique<ServiceMap>(c.service_rules, c.unmatched);
  r.normalizer = std::make_unique<EndpointNormalizer>(c.endpoint_rules, c.normalize_endpoints);
  return r;
}

namespace {
RedRules default_rules() {
  RedRules r;
  r.service_map = std::make_unique<ServiceMap>(std::vector<ServiceRule>{});
  r.normalizer = std::make_unique<EndpointNormalizer>(std::vector<EndpointRule>{}, true);
  return r;
}
RedOptions options_with(std::vector<double> buckets) {
  RedOptions o;
  o.latency_buckets = std::move(buckets);
  return o;
}
}  // namespace

RedMetrics::RedMetrics(std::vector<double> latency_buckets)
    : RedMetrics(options_with(std::move(latency_buckets)), default_rules()) {}

RedMetrics::RedMetrics(RedOptions options, RedRules rules)
    : opt_(std::move(options)), rules_(std::move(rules)), registry_(std::make_shared<prometheus::Registry>()) {
  if (opt_.latency_buckets.empty()) opt_.latency_buckets = default_latency_buckets();
  auto counter = [this](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  };
  for (std::size_t i = 0; i < counters_.size(); ++i) counters_[i] = counter(kFamilyNames[i], kFamilyHelp[i]);
  duration_ = &prometheus::BuildHistogram()
                   .Name(kFamilyNames[kRedFamilies - 1])
                   .Help(kFamilyHelp[kRedFamilies - 1])
                   .Register(*registry_);
  records_ = counter("l7tap_records_total",
                     "Flow records seen by the RED aggregation (aggregated or dropped), by protocol and type.");
  auto* overflow = counter("l7tap_metric_series_overflow_total",
                           "Records aggregated into a (protocol, service) overflow series (endpoint and "
                           "request_type \"__overflow__\") because the family reached "
                           "metrics.max_series_per_metric label sets.");
  for (std::size_t i = 0; i < kRedFamilies; ++i) series_overflow_[i] = &overflow->Add({{"metric", kFamilyNames[i]}});
  endpoint_overflow_ = counter("l7tap_endpoint_overflow_total",
                               "Records whose endpoint was replaced by \"__overflow__\" because their service "
                               "reached metrics.max_endpoints_per_service distinct endpoints.");
  dropped_unmatched_ = &counter("l7tap_red_records_dropped_total",
                                "Records not aggregated into RED metrics (still in the flow log): "
                                "reason unmatched_service = no service_map rule matched the server and "
                                "service_map.unmatched is drop.")
                            ->Add({{"reason", "unmatched_service"}});
  series_.reserve(1024);
}

RedMetrics::~RedMetrics() = default;

void RedMetrics::set_rules(RedRules rules) { rules_ = std::move(rules); }

void RedMetrics::set_server_labels(int rule, const FlowRecord& rec, RedLabelValues& out) {
  auto& v = out.values;
  if (rule == ServiceMap::kNoMatch) {
    format_address_port(rec.net.server_ip, rec.net.server_port, v[V::kService]);
    for (std::size_t i : {V::kNamespace, V::kWorkload, V::kEnv, V::kSite}) v[i].clear();
  } else {
    set_rule_labels(rules_.service_map->rule(rule), v[V::kService], v[V::kNamespace], v[V::kWorkload],
                    v[V::kEnv], v[V::kSite]);
  }
}

bool RedMetrics::series_labels(const FlowRecord& rec, RedLabelValues& out) {
  auto& v = out.values;
  ServiceMap& map = *rules_.service_map;
  ServiceKey key;
  key.ip = rec.net.server_ip;
  key.port = rec.net.server_port;
  key.has_vlan = rec.net.has_vlan;
  key.vlan = rec.net.vlan;
  key.has_tunnel_id = rec.net.has_tunnel_id;
  key.tunnel_id = rec.net.tunnel_id;
  const int server_rule = map.lookup(key);
  if (server_rule == ServiceMap::kNoMatch && map.unmatched() == UnmatchedServers::kDrop) return false;

  v[V::kProtocol].assign(protocol_name(rec.protocol));
  set_server_labels(server_rule, rec, out);

  if (opt_.client_labels) {
    key.ip = rec.net.client_ip;
    key.port = rec.net.client_port;  // only rules that list ports look at it
    const int client_rule = map.lookup(key);
    if (client_rule == ServiceMap::kNoMatch) {
      format_address(rec.net.client_ip, v[V::kClientService]);  // no port: client ports are ephemeral
      for (std::size_t i : {V::kClientNamespace, V::kClientWorkload, V::kClientEnv, V::kClientSite}) v[i].clear();
    } else {
      set_rule_labels(map.rule(client_rule), v[V::kClientService], v[V::kClientNamespace],
                      v[V::kClientWorkload], v[V::kClientEnv], v[V::kClientSite]);
    }
  } else {
    for (std::size_t i = V::kClientService; i <= V::kClientSite; ++i) v[i].clear();
  }

  raw_endpoint_.clear();
  append_utf8_sanitized(raw_endpoint_, rec.l7.endpoint);
  std::string& endpoint = v[V::kEndpoint];
  if (rules_.normalizer->rule_count() == 0) {
    // Built-in rule only (or nothing): it replaces whole segments, so UTF-8 stays valid.
    rules_.normalizer->normalize(raw_endpoint_, endpoint);
  } else {
    // A pattern may match part of a multi-byte character: sanitise the result again.
    std::string& tmp = v[V::kRequestType];  // free until set below
    rules_.normalizer->normalize(raw_endpoint_, tmp);
    endpoint.clear();
    append_utf8_sanitized(endpoint, tmp);
  }
  v[V::kRequestType].clear();
  append_utf8_sanitized(v[V::kRequestType], rec.l7.request_type);
  return true;
}

RedMetrics::Series RedMetrics::make_series(const RedLabelValues& values) {
  prometheus::Labels labels;
  for (std::size_t i = 0; i < V::kCount; ++i) {
    if (!opt_.client_labels && i >= V::kClientService && i <= V::kClientSite) continue;
    labels.emplace(std::string(V::kNames[i]), values.values[i]);
  }
  return Series{
      &counters_[0]->Add(labels), &counters_[1]->Add(labels), &counters_[2]->Add(labels),
      &counters_[3]->Add(labels), &counters_[4]->Add(labels), &counters_[5]->Add(labels),
      &counters_[6]->Add(labels), &duration_->Add(labels, opt_.latency_buckets),
  };
}

prometheus::Counter& RedMetrics::endpoint_overflow_counter(const std::string& service) {
  if (auto it = endpoint_overflow_by_service_.find(service); it != endpoint_overflow_by_service_.end())
    return *it->second;
  auto* c = &endpoint_overflow_->Add({{"service", service}});
  endpoint_overflow_by_service_.emplace(service, c);
  return *c;
}

RedMetrics::Series& RedMetrics::overflow_series() {
  for (prometheus::Counter* c : series_overflow_) c->Increment();
  auto& v = scratch_.values;
  v[V::kEndpoint].assign(kOverflow);
  v[V::kRequestType].assign(kOverflow);
  for (std::size_t i = V::kClientService; i <= V::kClientSite; ++i) v[i].clear();
  if (auto it = series_.find(scratch_); it != series_.end()) return it->second;
  if (opt_.max_series_per_metric != 0 && overflow_series_ >= opt_.max_series_per_metric) {
    // Too many services even for overflow series: one per protocol.
    v[V::kService].assign(kOverflow);
    for (std::size_t i : {V::kNamespace, V::kWorkload, V::kEnv, V::kSite}) v[i].clear();
    if (auto it = series_.find(scratch_); it != series_.end()) return it->second;
  }
  ++overflow_series_;
  Series s = make_series(scratch_);
  return series_.emplace(scratch_, s).first->second;
}

RedMetrics::Series* RedMetrics::series_for(const FlowRecord& rec) {
  if (!series_labels(rec, scratch_)) return nullptr;
  auto& v = scratch_.values;
  if (opt_.max_endpoints_per_service != 0) {
    const auto it = endpoints_.find(v[V::kService]);
    const bool known = it != endpoints_.end() && it->second.count(v[V::kEndpoint]) != 0;
    const std::size_t have = it == endpoints_.end() ? 0 : it->second.size();
    if (!known && have >= opt_.max_endpoints_per_service) {
      endpoint_overflow_counter(v[V::kService]).Increment();
      v[V::kEndpoint].assign(kOverflow);
    }
  }
  if (auto it = series_.find(scratch_); it != series_.end()) return &it->second;
  if (opt_.max_series_per_metric != 0 && regular_series_ >= opt_.max_series_per_metric) return &overflow_series();

  Series s = make_series(scratch_);
  ++regular_series_;
  if (opt_.max_endpoints_per_service != 0 && v[V::kEndpoint] != kOverflow)
    endpoints_[v[V::kService]].insert(v[V::kEndpoint]);
  return &series_.emplace(scratch_, s).first->second;
}

prometheus::Counter& RedMetrics::records_counter(ProtocolId p, RecordType t) {
  auto pi = static_cast<std::size_t>(p);
  if (pi >= records_by_type_.size()) pi = 0;
  auto ti = static_cast<std::size_t>(t);
  if (ti >= kTypeCount) ti = 0;
  prometheus::Counter*& c = records_by_type_[pi][ti];
  if (c == nullptr)
    c = &records_->Add({{"protocol", std::string(protocol_name(static_cast<ProtocolId>(pi)))},
                        {"type", std::string(record_type_name(static_cast<RecordType>(ti)))}});
  return *c;
}

void RedMetrics::observe(const FlowRecord& rec) {
  records_counter(rec.protocol, rec.type).Increment();
  Series* s = series_for(rec);
  if (s == nullptr) {
    dropped_unmatched_->Increment();
    return;
  }
  if (rec.type == RecordType::kSession || rec.type == RecordType::kRequest) s->requests->Increment();
  if (red_has_response(rec)) s->responses->Increment();
  switch (rec.l7.response_status) {
    case ResponseStatus::kClientError: s->client_errors->Increment(); break;
    case ResponseStatus::kServerError: s->server_errors->Increment(); break;
    case ResponseStatus::kTimeout: s->timeouts->Increment(); break;
    default: break;
  }
  if (rec.l7.has_request_length) s->request_bytes->Increment(rec.l7.request_length);
  if (rec.l7.has_response_length) s->response_bytes->Increment(rec.l7.response_length);
  if (rec.has_rrt) s->duration->Observe(static_cast<double>(rec.rrt_us) / 1e6);
}

}  // namespace l7tap
