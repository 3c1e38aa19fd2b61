// RED aggregation against a reference model on randomized record streams: the model keeps the
// contract the plain way (label strings in std::maps, the caps as README "Cardinality control"
// states them, the labels as "Service map" and "RED metrics" state them), and the scraped text
// exposition must hold exactly its series with exactly its counts — across conf variants (caps
// small, large and off; client labels; unmatched servers named or dropped; endpoint rules), rule
// reloads mid-stream and endpoint caches small enough to evict all the time.
#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "control/flow_log_json.hpp"
#include "control/red_metrics.hpp"
#include "protocols/registry.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using Labels = std::map<std::string, std::string>;
constexpr const char* kOverflow = "__overflow__";

struct ModelSeries {
  uint64_t requests = 0, responses = 0, client_errors = 0, server_errors = 0, timeouts = 0;
  uint64_t request_bytes = 0, response_bytes = 0;
  std::vector<uint64_t> buckets;  // per bucket, +Inf last
  double sum = 0;
};

class ReferenceRed {
 public:
  explicit ReferenceRed(const Config& c) : opt_(RedOptions::from_config(c)) { set_rules(c); }

  void set_rules(const Config& c) {
    map_ = std::make_unique<ServiceMap>(c.service_rules, c.unmatched);
    norm_ = std::make_unique<EndpointNormalizer>(c.endpoint_rules, c.normalize_endpoints);
  }

  void observe(const FlowRecord& rec) {
    ++records[{std::string(protocol_name(rec.protocol)), std::string(record_type_name(rec.type))}];
    Labels l;
    if (!labels(rec, l)) {
      ++dropped;
      return;
    }
    if (opt_.max_endpoints_per_service != 0) {
      const std::set<std::string>& eps = endpoints_[l["service"]];
      if (eps.count(l["endpoint"]) == 0 && eps.size() >= opt_.max_endpoints_per_service) {
        ++endpoint_overflow[l["service"]];
        l["endpoint"] = kOverflow;
      }
    }
    if (series.count(l) == 0) {
      if (opt_.max_series_per_metric != 0 && regular_ + 1 >= opt_.max_series_per_metric) {
        count(overflow(l), rec);
        return;
      }
      ++regular_;
      if (opt_.max_endpoints_per_service != 0 && l["endpoint"] != kOverflow) endpoints_[l["service"]].insert(l["endpoint"]);
    }
    count(l, rec);
  }

  std::map<Labels, ModelSeries> series;
  std::map<std::pair<std::string, std::string>, uint64_t> records;
  std::map<std::string, uint64_t> endpoint_overflow;
  uint64_t series_overflow = 0, dropped = 0;

 private:
  void side(const ServiceKey& key, bool server, const std::string& prefix, Labels& l, int rule) {
    if (rule != ServiceMap::kNoMatch) {
      const ServiceRule& r = map_->rule(rule);
      l[prefix + "service"] = r.service;
      l[prefix + "namespace"] = r.namespace_name;
      l[prefix + "workload"] = r.workload;
      l[prefix + "env"] = r.env;
      l[prefix + "site"] = r.site;
      return;
    }
    std::string name;
    if (server)
      format_address_port(key.ip, key.port, name);
    else
      format_address(key.ip, name);
    l[prefix + "service"] = name;
    for (const char* k : {"namespace", "workload", "env", "site"}) l[prefix + k] = "";
  }

  bool labels(const FlowRecord& rec, Labels& l) {
    ServiceKey key;
    key.ip = rec.net.server_ip;
    key.port = rec.net.server_port;
    key.has_vlan = rec.net.has_vlan;
    key.vlan = rec.net.vlan;
    key.has_tunnel_id = rec.net.has_tunnel_id;
    key.tunnel_id = rec.net.tunnel_id;
    const int server_rule = map_->lookup(key);
    if (server_rule == ServiceMap::kNoMatch && map_->unmatched() == UnmatchedServers::kDrop) return false;
    l["protocol"] = protocol_name(rec.protocol);
    side(key, true, "", l, server_rule);
    if (opt_.client_labels) {
      key.ip = rec.net.client_ip;
      key.port = rec.net.client_port;
      side(key, false, "client_", l, map_->lookup(key));
    }
    std::string raw, normalised, endpoint, request_type;
    append_utf8_sanitized(raw, rec.l7.get(Field::kEndpoint));
    norm_->normalize(raw, normalised);
    append_utf8_sanitized(endpoint, normalised);  // a no-op unless a conf rule cut a character
    l["endpoint"] = endpoint;
    append_utf8_sanitized(request_type, rec.l7.get(Field::kRequestType));
    l["request_type"] = request_type;
    return true;
  }

  // The one overflow series: protocol, service, endpoint and request_type "__overflow__", every
  // other label empty.
  Labels overflow(Labels l) {
    ++series_overflow;
    for (auto& [name, value] : l) value.clear();
    l["protocol"] = l["service"] = l["endpoint"] = l["request_type"] = kOverflow;
    return l;
  }

  void count(const Labels& l, const FlowRecord& rec) {
    ModelSeries& s = series[l];
    if (s.buckets.empty()) s.buckets.assign(opt_.latency_buckets.size() + 1, 0);
    if (rec.type != RecordType::kResponse) ++s.requests;
    if (rec.type == RecordType::kResponse || (rec.type == RecordType::kSession && rec.has_rrt)) ++s.responses;
    s.client_errors += rec.l7.response_status == ResponseStatus::kClientError;
    s.server_errors += rec.l7.response_status == ResponseStatus::kServerError;
    s.timeouts += rec.l7.response_status == ResponseStatus::kTimeout;
    if (rec.l7.has_request_length) s.request_bytes += rec.l7.request_length;
    if (rec.l7.has_response_length) s.response_bytes += rec.l7.response_length;
    if (rec.has_rrt) {
      const double v = static_cast<double>(rec.rrt_us) / 1e6;
      std::size_t b = 0;
      while (b < opt_.latency_buckets.size() && opt_.latency_buckets[b] < v) ++b;
      ++s.buckets[b];
      s.sum += v;
    }
  }

  RedOptions opt_;
  std::unique_ptr<ServiceMap> map_;
  std::unique_ptr<EndpointNormalizer> norm_;
  std::map<std::string, std::set<std::string>> endpoints_;
  std::size_t regular_ = 0;
};

// ---- the random conf and records ----------------------------------------------------------------

Config random_conf(std::mt19937& rng, unsigned variant) {
  Config c;
  c.client_labels = (variant & 1) != 0;
  c.unmatched = (variant & 2) != 0 ? UnmatchedServers::kDrop : UnmatchedServers::kName;
  switch ((variant >> 2) % 3) {
    case 0: c.max_series_per_metric = 15, c.max_endpoints_per_service = 3; break;
    case 1: c.max_series_per_metric = 0, c.max_endpoints_per_service = 0; break;
    default: c.max_series_per_metric = 60, c.max_endpoints_per_service = 5; break;
  }
  if ((variant & 32) != 0) c.endpoint_rules = {{"x[0-9]+", "X"}, {"\xc3", "y"}};  // the second cuts 'é' in half
  c.latency_buckets = {0.0001, 0.001, 0.01, 0.1};
  const int rules = 3 + static_cast<int>(rng() % 6);
  for (int i = 0; i < rules; ++i) {
    ServiceRule r = test::rule(("10.0." + std::to_string(i) + ".0/24").c_str(), "");
    r.service = rng() % 3 == 0 ? "shared" : "svc" + std::to_string(rng() % 5);  // names shared by rules
    r.namespace_name = "ns" + std::to_string(rng() % 2);
    if (rng() % 3 == 0) r.ports = {{1883, 1883}};
    if (rng() % 4 == 0) r.env = "prod";
    c.service_rules.push_back(r);
  }
  c.service_rules.push_back(test::rule("2001:db8::/32", "v6svc"));
  // A rule named like an unmatched server, with another label: a different series, same name.
  c.service_rules.push_back(test::rule("10.9.0.1/32", "10.9.0.2:1883", "", "", "", "x"));
  return c;
}

FlowRecord random_record(std::mt19937& rng) {
  static const char* kEndpoints[] = {"",    "a",    "b/12/c", "b/13/c", "x1y", "x22y", "caf\xc3\xa9", "t\xff",
                                     "__overflow__", "e1", "e2", "e3", "e4", "e5", "e6", "d/0123456789abcdef0/z",
                                     "q\"uote\\"};
  static const char* kTypes[] = {"", "PUBLISH", "Produce", "a\x01", "__overflow__", "Fetch"};
  const unsigned where = rng() % 24;
  const std::string server = where < 3   ? "2001:db8::" + std::to_string(rng() % 4)
                             : where < 7 ? "10.9.0." + std::to_string(1 + rng() % 2)
                                         : "10.0." + std::to_string(rng() % 12) + "." + std::to_string(rng() % 4);
  static constexpr uint16_t kPorts[] = {1883, 9092, 5672};
  FlowRecord r = test::record_between(("10.0." + std::to_string(rng() % 12) + "." + std::to_string(100 + rng() % 3)).c_str(),
                                      static_cast<uint16_t>(40000 + rng() % 3), server.c_str(), kPorts[rng() % 3]);
  r.protocol = static_cast<ProtocolId>(rng() % 10 == 0 ? 0 : 1 + rng() % protocol_count());
  r.type = static_cast<RecordType>(rng() % 3);
  std::string endpoint = kEndpoints[rng() % std::size(kEndpoints)];
  if (rng() % 4 == 0) endpoint += std::to_string(rng() % 20);
  r.l7.set(Field::kEndpoint, endpoint);
  r.l7.set(Field::kRequestType, kTypes[rng() % std::size(kTypes)]);
  r.l7.response_status = static_cast<ResponseStatus>(rng() % 6);
  if (rng() % 2 != 0) {
    r.has_rrt = true;
    r.rrt_us = rng() % 200000;
  }
  if (rng() % 2 != 0) r.l7.set_request_length(rng() % 1000);
  if (rng() % 2 != 0) r.l7.set_response_length(rng() % 1000);
  return r;
}

// ---- the exposition -----------------------------------------------------------------------------

// {name="value",…} as the text format writes a label set (names sorted, values escaped).
std::string render(const Labels& l, const std::string& extra = "") {
  std::string out = "{";
  for (const auto& [name, value] : l) {
    if (out.size() > 1) out += ',';
    out += name + "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  if (!extra.empty()) out += (out.size() > 1 ? "," : "") + extra;
  return out + "}";
}

// Every sample line of a scrape: "name{labels}" → value text.
std::map<std::string, std::string> samples(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families);
  std::map<std::string, std::string> out;
  std::istringstream in(text.str());
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    EXPECT_TRUE(out.emplace(line.substr(0, space), line.substr(space + 1)).second) << "duplicate " << line;
  }
  return out;
}

void expect_count(std::map<std::string, std::string>& have, const std::string& series, uint64_t want) {
  const auto it = have.find(series);
  if (it == have.end()) {
    ADD_FAILURE() << "missing " << series;
    return;
  }
  EXPECT_EQ(std::stod(it->second), static_cast<double>(want)) << series;
  have.erase(it);
}

// The scrape holds exactly the model's series and counts; every sample is accounted for.
void expect_same(const RedMetrics& red, const ReferenceRed& model) {
  const std::vector<prometheus::MetricFamily> families = red.collectable()->Collect();
  std::map<std::string, std::string> have = samples(families);
  for (const auto& [labels, s] : model.series) {
    const std::string l = render(labels);
    expect_count(have, "l7tap_requests_total" + l, s.requests);
    expect_count(have, "l7tap_responses_total" + l, s.responses);
    expect_count(have, "l7tap_client_errors_total" + l, s.client_errors);
    expect_count(have, "l7tap_server_errors_total" + l, s.server_errors);
    expect_count(have, "l7tap_timeouts_total" + l, s.timeouts);
    expect_count(have, "l7tap_request_bytes_total" + l, s.request_bytes);
    expect_count(have, "l7tap_response_bytes_total" + l, s.response_bytes);
    static constexpr const char* kLe[] = {"0.0001", "0.001", "0.01", "0.1", "+Inf"};  // random_conf's buckets
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < s.buckets.size(); ++b) {
      cumulative += s.buckets[b];
      const std::string le = kLe[b];
      expect_count(have, "l7tap_request_duration_seconds_bucket" + render(labels, "le=\"" + le + "\""), cumulative);
    }
    expect_count(have, "l7tap_request_duration_seconds_count" + l, cumulative);
    const auto sum = have.find("l7tap_request_duration_seconds_sum" + l);
    ASSERT_NE(sum, have.end()) << l;
    EXPECT_NEAR(std::stod(sum->second), s.sum, 1e-9 * (1 + s.sum)) << l;  // the text keeps 16 digits
    have.erase(sum);
  }
  for (const auto& [key, n] : model.records)
    expect_count(have, "l7tap_records_total" + render({{"protocol", key.first}, {"type", key.second}}), n);
  for (const auto& [service, n] : model.endpoint_overflow)
    expect_count(have, "l7tap_endpoint_overflow_total" + render({{"service", service}}), n);
  for (const char* family : {"l7tap_requests_total", "l7tap_responses_total", "l7tap_client_errors_total",
                             "l7tap_server_errors_total", "l7tap_timeouts_total", "l7tap_request_bytes_total",
                             "l7tap_response_bytes_total", "l7tap_request_duration_seconds"})
    expect_count(have, "l7tap_metric_series_overflow_total" + render({{"metric", family}}), model.series_overflow);
  expect_count(have, "l7tap_red_records_dropped_total{reason=\"unmatched_service\"}", model.dropped);
  expect_count(have, "l7tap_red_series", model.series.size());
  // The interned strings depend on the tables, not on the model: present, and no fewer than the
  // distinct label values of the series need.
  const auto strings = have.find("l7tap_red_label_strings");
  ASSERT_NE(strings, have.end());
  std::set<std::string> values;
  for (const auto& [labels, s] : model.series)
    for (const char* name : {"endpoint", "request_type"}) values.insert(std::string(name) + "=" + labels.at(name));
  EXPECT_GE(std::stoull(strings->second), values.size());
  have.erase(strings);
  for (const auto& [series, value] : have) ADD_FAILURE() << "unexpected " << series << " " << value;
  EXPECT_EQ(red.series_count(), model.series.size());
}

TEST(RedEquivalence, RandomStreamsMatchTheReferenceModel) {
  for (unsigned round = 0; round < 64; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::mt19937 rng(round);
    const unsigned variant = round;  // every combination of the conf switches once
    const Config c = random_conf(rng, variant);
    ReferenceRed model(c);
    RedOptions o = RedOptions::from_config(c);
    o.endpoint_cache_entries = 8u << (rng() % 4);  // 8..64 entries: misses and evictions all along
    RedMetrics red(o, RedRules::from_config(c));
    const int n = 500 + static_cast<int>(rng() % 2500);
    for (int i = 0; i < n; ++i) {
      if (i == n / 2 && rng() % 2 != 0) {  // SIGHUP: new service map and endpoint rules
        const Config fresh = random_conf(rng, variant);
        model.set_rules(fresh);
        red.set_rules(RedRules::from_config(fresh));
      }
      const FlowRecord r = random_record(rng);
      model.observe(r);
      red.observe(r);
    }
    expect_same(red, model);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace l7tap
