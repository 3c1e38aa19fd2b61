// RED aggregation: the contract's label set (service map on the server, optional client labels,
// normalised endpoints), counts per label set, error classes by response_status, bytes, the latency
// histogram's buckets (also while scraped concurrently), unmatched servers named or dropped, the
// endpoint and series caps with exact overflow counts (and string tables bounded by them), the
// endpoint cache (one normalisation per distinct endpoint, bounded), and rule reloads that keep
// the counters (directly and through the control thread's SIGHUP path).
#include "control/red_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "control/control_thread.hpp"
#include "protocols/registry.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using LabelMap = std::map<std::string, std::string>;
using L = RedLabelValues;

using test::find_family;
using test::ip;
using test::rule;
using test::series_value;

const ProtocolId kMqttId = protocol_id("mqtt");
const ProtocolId kKafkaId = protocol_id("kafka");
const ProtocolId kNatsId = protocol_id("nats");

FlowRecord record(ProtocolId proto, const char* server, uint16_t port, const char* endpoint,
                  const char* request_type) {
  FlowRecord r = test::record_between("10.0.0.1", 40000, server, port);
  r.protocol = proto;
  r.l7.set(Field::kEndpoint, endpoint);
  r.l7.set(Field::kRequestType, request_type);
  return r;
}

class Scrape {
 public:
  explicit Scrape(const RedMetrics& red) : families_(red.collectable()->Collect()) {}

  // The one series of `name` whose labels are exactly `labels`; fails the test otherwise.
  const ClientMetric* find(const std::string& name, const LabelMap& labels) const {
    const ClientMetric* found = nullptr;
    for (const MetricFamily& f : families_) {
      if (f.name != name) continue;
      for (const ClientMetric& m : f.metric) {
        LabelMap have;
        for (const auto& l : m.label) have[l.name] = l.value;
        if (have == labels) {
          EXPECT_EQ(found, nullptr) << "duplicate series " << name;
          found = &m;
        }
      }
    }
    return found;
  }
  double counter(const std::string& name, const LabelMap& labels) const {
    const ClientMetric* m = find(name, labels);
    EXPECT_NE(m, nullptr) << name;
    return m ? m->counter.value : -1;
  }
  std::size_t series(const std::string& name) const {
    const MetricFamily* f = family(name);
    return f ? f->metric.size() : 0;
  }
  const MetricFamily* family(const std::string& name) const { return find_family(families_, name); }
  // Samples in the text exposition of the RED families (a histogram series is its buckets, _sum
  // and _count).
  std::size_t red_samples() const {
    std::vector<MetricFamily> red;
    for (const MetricFamily& f : families_)
      if (f.name != "l7tap_records_total" && f.name.find("overflow") == std::string::npos &&
          f.name.rfind("l7tap_red_", 0) != 0)
        red.push_back(f);
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, red);
    std::istringstream in(out.str());
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty() && line[0] != '#';
    return n;
  }

 private:
  std::vector<MetricFamily> families_;
};

// Labels of an unmatched server without client labels.
LabelMap labels(const std::string& protocol, const std::string& service, const std::string& endpoint,
                const std::string& request_type) {
  return {{"protocol", protocol}, {"service", service}, {"namespace", ""}, {"workload", ""}, {"env", ""},
          {"site", ""}, {"endpoint", endpoint}, {"request_type", request_type}};
}

const LabelMap kKafka = labels("kafka", "10.0.0.9:9092", "events-0", "Produce");

RedRules rules(std::vector<ServiceRule> service_rules, UnmatchedServers unmatched = UnmatchedServers::kName,
               std::vector<EndpointRule> endpoint_rules = {}, bool builtin = true) {
  Config c;
  c.service_rules = std::move(service_rules);
  c.unmatched = unmatched;
  c.endpoint_rules = std::move(endpoint_rules);
  c.normalize_endpoints = builtin;
  return RedRules::from_config(c);
}

// Checks the listed label values of `v`, one expectation per label.
void expect_values(const RedLabelValues& v,
                   std::initializer_list<std::pair<L::Index, std::string_view>> want) {
  for (const auto& [index, value] : want) EXPECT_EQ(v.values[index], value) << L::kNames[index];
}

// The RED families every label set has.
constexpr const char* kRedFamilies[] = {"l7tap_requests_total",      "l7tap_responses_total",
                                        "l7tap_client_errors_total", "l7tap_server_errors_total",
                                        "l7tap_timeouts_total",      "l7tap_request_bytes_total",
                                        "l7tap_response_bytes_total", "l7tap_request_duration_seconds"};

RedOptions options(std::size_t max_series = 10000, std::size_t max_endpoints = 100, bool client_labels = false) {
  RedOptions o;
  o.latency_buckets = {0.01};
  o.max_series_per_metric = max_series;
  o.max_endpoints_per_service = max_endpoints;
  o.client_labels = client_labels;
  return o;
}

// ------------------------------------------------------------------------------------------------
// labels

TEST(RedLabels, UnmatchedServerIsIpColonPortWithBracketsForIpv6) {
  RedMetrics red({0.01});
  RedLabelValues v;
  ASSERT_TRUE(red.series_labels(record(kNatsId, "2001:db8::1", 50051, "", "POST"), v));
  expect_values(v, {{L::kProtocol, "nats"}, {L::kService, "[2001:db8::1]:50051"}, {L::kNamespace, ""},
                    {L::kEndpoint, ""}, {L::kRequestType, "POST"}});
  ASSERT_TRUE(red.series_labels(record(kKafkaId, "10.0.0.9", 9092, "events-0", "Produce"), v));  // reuses v
  expect_values(v, {{L::kService, "10.0.0.9:9092"}, {L::kEndpoint, "events-0"}});
}

TEST(RedLabels, ServiceMapRuleGivesServerLabels) {
  ServiceRule broker = rule("10.0.0.0/24", "broker", "iot", "mosquitto", "prod", "dc1");
  broker.ports = {{1883, 1883}};
  RedMetrics red(options(), rules({broker}));
  RedLabelValues v;
  ASSERT_TRUE(red.series_labels(record(kMqttId, "10.0.0.2", 1883, "devices/42/temp", "PUBLISH"), v));
  expect_values(v, {{L::kService, "broker"}, {L::kNamespace, "iot"}, {L::kWorkload, "mosquitto"}, {L::kEnv, "prod"},
                    {L::kSite, "dc1"}, {L::kEndpoint, "devices/{}/temp"}});  // endpoint: built-in normalisation
  ASSERT_TRUE(red.series_labels(record(kMqttId, "10.0.0.2", 8883, "", "CONNECT"), v));
  expect_values(v, {{L::kService, "10.0.0.2:8883"}, {L::kNamespace, ""}});  // port not in the rule
}

TEST(RedLabels, ValuesAreValidUtf8) {
  RedMetrics red({0.01});
  RedLabelValues v;
  ASSERT_TRUE(red.series_labels(record(kKafkaId, "10.0.0.9", 9092, "t\xff\xc3", "a\x01\xc3\xa9\n"), v));
  expect_values(v, {{L::kEndpoint, "t\xef\xbf\xbd\xef\xbf\xbd"},
                    {L::kRequestType, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd"}});
  // A conf rule that cuts a multi-byte character in half still yields valid UTF-8.
  RedMetrics cut(options(), rules({}, UnmatchedServers::kName, {{"\xc3", "x"}}));
  ASSERT_TRUE(cut.series_labels(record(kKafkaId, "10.0.0.9", 9092, "caf\xc3\xa9", "P"), v));
  EXPECT_EQ(v.values[L::kEndpoint], "cafx\xef\xbf\xbd");
}

TEST(RedLabels, ExactLabelNamesWithAndWithoutClientLabels) {
  RedMetrics off(options(), rules({rule("10.0.0.9/32", "kafka")}));
  off.observe(record(kKafkaId, "10.0.0.9", 9092, "t", "Produce"));
  Scrape s(off);
  const MetricFamily* f = s.family("l7tap_requests_total");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->metric.size(), 1u);
  std::vector<std::string> names;
  for (const auto& l : f->metric[0].label) names.push_back(l.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"endpoint", "env", "namespace", "protocol", "request_type", "service",
                                             "site", "workload"}));

  RedMetrics on(options(10000, 100, true), rules({rule("10.0.0.9/32", "kafka"), rule("10.0.1.0/24", "shop", "web")}));
  FlowRecord from_shop = record(kKafkaId, "10.0.0.9", 9092, "t", "Produce");
  from_shop.net.client_ip = ip("10.0.1.7");
  on.observe(from_shop);
  on.observe(record(kKafkaId, "10.0.0.9", 9092, "t", "Produce"));  // client 10.0.0.1: unmatched
  Scrape t(on);
  LabelMap want = labels("kafka", "kafka", "t", "Produce");
  want.insert({{"client_service", "shop"}, {"client_namespace", "web"}, {"client_workload", ""},
               {"client_env", ""}, {"client_site", ""}});
  EXPECT_EQ(t.counter("l7tap_requests_total", want), 1);
  want["client_service"] = "10.0.0.1";  // unmatched client: its address, no (ephemeral) port
  want["client_namespace"] = "";
  EXPECT_EQ(t.counter("l7tap_requests_total", want), 1);
}

TEST(RedLabels, ClientRuleWithPortsLooksAtTheClientPort) {
  ServiceRule gw = rule("10.0.1.0/24", "gateway");
  gw.ports = {{40000, 40999}};
  RedMetrics red(options(10000, 100, true), rules({gw}));
  RedLabelValues v;
  FlowRecord r = record(kKafkaId, "10.0.0.9", 9092, "t", "Produce");
  r.net.client_ip = ip("10.0.1.7");
  ASSERT_TRUE(red.series_labels(r, v));
  EXPECT_EQ(v.values[L::kClientService], "gateway");
  r.net.client_port = 50000;
  ASSERT_TRUE(red.series_labels(r, v));
  EXPECT_EQ(v.values[L::kClientService], "10.0.1.7");
}

// ------------------------------------------------------------------------------------------------
// counting

TEST(RedMetrics, CountsRequestsResponsesAndErrorClasses) {
  RedMetrics red({0.001, 0.01, 0.1, 1.0});
  FlowRecord base = record(kKafkaId, "10.0.0.9", 9092, "events-0", "Produce");

  FlowRecord ok = base;  // paired session
  ok.has_rrt = true;
  ok.rrt_us = 500;
  ok.l7.response_status = ResponseStatus::kOk;
  ok.l7.set_request_length(300);
  ok.l7.set_response_length(60);
  red.observe(ok);

  FlowRecord client_err = ok;
  client_err.rrt_us = 5000;
  client_err.l7.response_status = ResponseStatus::kClientError;
  red.observe(client_err);

  FlowRecord server_err = ok;
  server_err.rrt_us = 2'000'000;  // beyond the last bucket
  server_err.l7.response_status = ResponseStatus::kServerError;
  red.observe(server_err);

  FlowRecord timed_out = base;  // request whose response never came
  timed_out.type = RecordType::kRequest;
  timed_out.l7.response_status = ResponseStatus::kTimeout;
  timed_out.l7.set_request_length(100);
  red.observe(timed_out);

  FlowRecord orphan = base;  // response whose request was not seen
  orphan.type = RecordType::kResponse;
  orphan.l7.response_status = ResponseStatus::kUnknown;
  orphan.l7.set_response_length(7);
  red.observe(orphan);

  FlowRecord one_way = base;  // one-way message logged as a session: no response
  one_way.l7.response_status = ResponseStatus::kOk;
  red.observe(one_way);

  Scrape s(red);
  EXPECT_EQ(s.counter("l7tap_requests_total", kKafka), 5);  // 4 sessions + 1 request
  EXPECT_EQ(s.counter("l7tap_responses_total", kKafka), 4);  // 3 paired + 1 orphan
  EXPECT_EQ(s.counter("l7tap_client_errors_total", kKafka), 1);
  EXPECT_EQ(s.counter("l7tap_server_errors_total", kKafka), 1);
  EXPECT_EQ(s.counter("l7tap_timeouts_total", kKafka), 1);
  EXPECT_EQ(s.counter("l7tap_request_bytes_total", kKafka), 1000);
  EXPECT_EQ(s.counter("l7tap_response_bytes_total", kKafka), 187);

  const ClientMetric* h = s.find("l7tap_request_duration_seconds", kKafka);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->histogram.sample_count, 3u);
  EXPECT_DOUBLE_EQ(h->histogram.sample_sum, 0.0005 + 0.005 + 2.0);
  ASSERT_EQ(h->histogram.bucket.size(), 5u);  // 4 bounds + Inf
  const uint64_t want[] = {1, 2, 2, 2, 3};    // cumulative
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(h->histogram.bucket[i].cumulative_count, want[i]) << i;
  EXPECT_DOUBLE_EQ(h->histogram.bucket[0].upper_bound, 0.001);

  EXPECT_EQ(s.counter("l7tap_records_total", {{"protocol", "kafka"}, {"type", "session"}}), 4);
  EXPECT_EQ(s.counter("l7tap_records_total", {{"protocol", "kafka"}, {"type", "request"}}), 1);
  EXPECT_EQ(s.counter("l7tap_records_total", {{"protocol", "kafka"}, {"type", "response"}}), 1);
  EXPECT_EQ(red.series_count(), 1u);
}

TEST(RedMetrics, DefaultBucketsFrom100usTo10s) {
  RedOptions o = RedOptions::from_config(Config{});
  EXPECT_EQ(o.latency_buckets, default_latency_buckets());
  RedMetrics d(o, rules({}));
  FlowRecord r = record(kKafkaId, "10.0.0.9", 9092, "e", "Fetch");
  r.has_rrt = true;
  r.rrt_us = 150;
  d.observe(r);
  Scrape s(d);
  const ClientMetric* h = s.find("l7tap_request_duration_seconds", labels("kafka", "10.0.0.9:9092", "e", "Fetch"));
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->histogram.bucket.size(), 17u);
  EXPECT_DOUBLE_EQ(h->histogram.bucket.front().upper_bound, 0.0001);
  EXPECT_DOUBLE_EQ(h->histogram.bucket[15].upper_bound, 10);
  EXPECT_EQ(h->histogram.bucket[0].cumulative_count, 0u);
  EXPECT_EQ(h->histogram.bucket[1].cumulative_count, 1u);
}

TEST(RedMetrics, SeparateSeriesPerLabelSet) {
  RedMetrics red({0.01});
  for (int i = 0; i < 3; ++i) red.observe(record(kKafkaId, "10.0.0.9", 9092, "events-0", "Produce"));
  red.observe(record(kKafkaId, "10.0.0.9", 9092, "events-1", "Produce"));
  red.observe(record(kKafkaId, "10.0.0.9", 9092, "events-0", "Fetch"));
  red.observe(record(kKafkaId, "10.0.0.10", 9092, "events-0", "Produce"));
  red.observe(record(kKafkaId, "10.0.0.9", 9093, "events-0", "Produce"));
  red.observe(record(kMqttId, "10.0.0.9", 9092, "events-0", "Produce"));
  red.observe(record(kNatsId, "::1", 50051, "", ""));

  Scrape s(red);
  EXPECT_EQ(red.series_count(), 7u);
  EXPECT_EQ(s.series("l7tap_requests_total"), 7u);
  EXPECT_EQ(s.counter("l7tap_requests_total", kKafka), 3);
  LabelMap other = kKafka;
  other["endpoint"] = "events-1";
  EXPECT_EQ(s.counter("l7tap_requests_total", other), 1);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("nats", "[::1]:50051", "", "")), 1);
  // Every family of a label set exists from its first record on (zero until used).
  EXPECT_EQ(s.counter("l7tap_server_errors_total", other), 0);
  const ClientMetric* h = s.find("l7tap_request_duration_seconds", other);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->histogram.sample_count, 0u);
}

TEST(RedMetrics, NormalisedEndpointsShareASeries) {
  RedMetrics red(options(), rules({}, UnmatchedServers::kName, {{"^orders\\.[a-z]+$", "orders.{region}"}}));
  for (const char* e : {"devices/1/temp", "devices/22/temp", "devices/333/temp", "orders.eu", "orders.us"})
    red.observe(record(kMqttId, "10.0.0.2", 1883, e, "PUBLISH"));
  Scrape s(red);
  EXPECT_EQ(red.series_count(), 2u);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "10.0.0.2:1883", "devices/{}/temp", "PUBLISH")), 3);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "10.0.0.2:1883", "orders.{region}", "PUBLISH")), 2);
}

TEST(RedMetrics, UnmatchedServersDropped) {
  RedMetrics red(options(), rules({rule("10.0.0.2/32", "broker")}, UnmatchedServers::kDrop));
  for (const char* server : {"10.0.0.2", "10.0.0.3", "10.0.0.4"})
    red.observe(record(kMqttId, server, 1883, "a", "PUBLISH"));
  Scrape s(red);
  EXPECT_EQ(red.series_count(), 1u);
  EXPECT_EQ(s.series("l7tap_requests_total"), 1u);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "broker", "a", "PUBLISH")), 1);
  EXPECT_EQ(s.counter("l7tap_red_records_dropped_total", {{"reason", "unmatched_service"}}), 2);
  EXPECT_EQ(s.counter("l7tap_records_total", {{"protocol", "mqtt"}, {"type", "session"}}), 3);
  RedLabelValues v;
  EXPECT_FALSE(red.series_labels(record(kMqttId, "10.0.0.3", 1883, "a", "P"), v));
}

// ------------------------------------------------------------------------------------------------
// caps

TEST(RedCaps, EndpointCapPerService) {
  RedMetrics red(options(10000, 3), rules({rule("10.0.0.2/32", "a"), rule("10.0.0.3/32", "b")}));
  const char* eps[] = {"e1", "e2", "e3", "e4", "e5", "e1", "e4"};
  for (const char* e : eps) red.observe(record(kMqttId, "10.0.0.2", 1883, e, "PUBLISH"));
  red.observe(record(kMqttId, "10.0.0.2", 1883, "e5", "SUBSCRIBE"));  // another type, same endpoint
  red.observe(record(kMqttId, "10.0.0.2", 1883, "e2", "SUBSCRIBE"));  // known endpoint, new type
  for (const char* e : {"e1", "e2", "e3"}) red.observe(record(kMqttId, "10.0.0.3", 1883, e, "PUBLISH"));
  red.observe(record(kKafkaId, "10.0.0.2", 9092, "e9", "Produce"));  // same service, other protocol

  Scrape s(red);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "a", "e1", "PUBLISH")), 2);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "a", "e2", "PUBLISH")), 1);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "a", "e3", "PUBLISH")), 1);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "a", "e2", "SUBSCRIBE")), 1);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "a", "__overflow__", "PUBLISH")), 3);  // e4 e5 e4
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "a", "__overflow__", "SUBSCRIBE")), 1);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("kafka", "a", "__overflow__", "Produce")), 1);
  EXPECT_EQ(s.find("l7tap_requests_total", labels("mqtt", "a", "e4", "PUBLISH")), nullptr);
  for (const char* e : {"e1", "e2", "e3"})
    EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "b", e, "PUBLISH")), 1);  // b has its own budget
  EXPECT_EQ(s.counter("l7tap_endpoint_overflow_total", {{"service", "a"}}), 5);
  EXPECT_EQ(s.find("l7tap_endpoint_overflow_total", {{"service", "b"}}), nullptr);
  EXPECT_EQ(s.series("l7tap_requests_total"), 10u);
}

// The overflow series: protocol, service, endpoint and request_type "__overflow__".
const LabelMap kOverflowSeries = labels("__overflow__", "__overflow__", "__overflow__", "__overflow__");

TEST(RedCaps, SeriesCapSendsNewLabelSetsToTheOverflowSeries) {
  // Cap 5: 4 regular label sets and the overflow one.
  RedMetrics red(options(5, 0), rules({rule("10.0.0.2/32", "a", "ns-a"), rule("10.0.0.3/32", "b")}));
  for (const char* e : {"e1", "e2", "e3"}) red.observe(record(kMqttId, "10.0.0.2", 1883, e, "PUBLISH"));
  red.observe(record(kMqttId, "10.0.0.3", 1883, "x1", "PUBLISH"));  // 4th label set: still regular
  // Past the cap:
  red.observe(record(kMqttId, "10.0.0.2", 1883, "e4", "PUBLISH"));
  red.observe(record(kMqttId, "10.0.0.2", 1883, "e5", "SUBSCRIBE"));
  red.observe(record(kMqttId, "10.0.0.3", 1883, "x2", "PUBLISH"));
  red.observe(record(kKafkaId, "10.0.0.3", 9092, "x1", "Produce"));
  FlowRecord err = record(kMqttId, "10.0.0.2", 1883, "e6", "PUBLISH");
  err.l7.response_status = ResponseStatus::kClientError;
  red.observe(err);
  red.observe(record(kMqttId, "10.0.0.2", 1883, "e1", "PUBLISH"));  // existing: kept

  Scrape s(red);
  EXPECT_EQ(s.counter("l7tap_requests_total", kOverflowSeries), 5);
  EXPECT_EQ(s.counter("l7tap_client_errors_total", kOverflowSeries), 1);
  LabelMap a_e1 = labels("mqtt", "a", "e1", "PUBLISH");
  a_e1["namespace"] = "ns-a";
  EXPECT_EQ(s.counter("l7tap_requests_total", a_e1), 2);
  EXPECT_EQ(red.series_count(), 5u);  // 4 regular + the overflow series
  for (const char* m : kRedFamilies) {
    EXPECT_EQ(s.series(m), 5u) << m;
    EXPECT_EQ(s.counter("l7tap_metric_series_overflow_total", {{"metric", m}}), 5) << m;
  }
  EXPECT_EQ(s.family("l7tap_red_series")->metric.at(0).gauge.value, 5);
}

TEST(RedCaps, OneOverflowSeriesWhateverTheServers) {
  // Unmatched servers named by address, cap 2: a scan of many servers cannot grow memory.
  RedMetrics red(options(2, 0), rules({}));
  for (int i = 0; i < 10; ++i) {
    const std::string addr = "10.0.1." + std::to_string(i + 1);
    red.observe(record(i % 2 ? kMqttId : kKafkaId, addr.c_str(), 1883, "t", "CONNECT"));
  }
  Scrape s(red);
  EXPECT_EQ(red.series_count(), 2u);  // 1 regular + the overflow series
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("kafka", "10.0.1.1:1883", "t", "CONNECT")), 1);
  EXPECT_EQ(s.counter("l7tap_requests_total", kOverflowSeries), 9);
  EXPECT_EQ(s.counter("l7tap_metric_series_overflow_total", {{"metric", "l7tap_requests_total"}}), 9);
}

TEST(RedCaps, CapsOff) {
  RedMetrics red(options(0, 0), rules({}));
  for (int i = 0; i < 500; ++i) {
    const std::string e = "topic-" + std::to_string(i);
    red.observe(record(kKafkaId, "10.0.0.9", 9092, e.c_str(), "Produce"));
  }
  Scrape s(red);
  EXPECT_EQ(red.series_count(), 500u);
  EXPECT_EQ(s.counter("l7tap_metric_series_overflow_total", {{"metric", "l7tap_requests_total"}}), 0);
  EXPECT_EQ(s.series("l7tap_endpoint_overflow_total"), 0u);
}

// The numbers for the closing note: one busy service with 1,000 distinct endpoints and 3 request
// types, with the default caps and with the caps off, and with ids that the built-in rule folds.
TEST(RedCaps, SeriesOfOneBusyServiceWith1000Endpoints) {
  auto feed = [](RedMetrics& red, const char* pattern) {
    for (int e = 0; e < 1000; ++e)
      for (const char* type : {"Produce", "Fetch", "ListOffsets"}) {
        char endpoint[64];
        std::snprintf(endpoint, sizeof endpoint, pattern, e);
        FlowRecord r = record(kKafkaId, "10.0.0.9", 9092, endpoint, type);
        r.has_rrt = true;
        r.rrt_us = 1000;
        red.observe(r);
      }
  };
  RedOptions defaults = RedOptions::from_config(Config{});
  RedOptions off = defaults;
  off.max_series_per_metric = 0;
  off.max_endpoints_per_service = 0;
  RedMetrics capped(defaults, rules({rule("10.0.0.9/32", "orders")})), uncapped(off, rules({rule("10.0.0.9/32", "orders")}));
  RedMetrics folded(defaults, rules({rule("10.0.0.9/32", "orders")}));
  feed(capped, "tenant-%d.events");
  feed(uncapped, "tenant-%d.events");
  feed(folded, "/tenants/%d/events");
  const Scrape sc(capped), su(uncapped), sf(folded);
  // 16 buckets + Inf + _sum + _count + 7 counters = 26 samples per label set.
  EXPECT_EQ(capped.series_count(), 303u);  // 100 endpoints x 3 types + __overflow__ x 3 types
  EXPECT_EQ(sc.red_samples(), 303u * 26);
  EXPECT_EQ(uncapped.series_count(), 3000u);
  EXPECT_EQ(su.red_samples(), 3000u * 26);
  EXPECT_EQ(folded.series_count(), 3u);
  EXPECT_EQ(sf.red_samples(), 3u * 26);
  EXPECT_EQ(sc.counter("l7tap_endpoint_overflow_total", {{"service", "orders"}}), 2700);
  std::printf("[ measure  ] 1000 endpoints x 3 request types, one service: caps off %zu label sets (%zu samples), "
              "default caps %zu label sets (%zu samples), numeric ids folded %zu label sets (%zu samples)\n",
              uncapped.series_count(), su.red_samples(), capped.series_count(), sc.red_samples(),
              folded.series_count(), sf.red_samples());
}

// Growth up to the series cap: every label set below it is a series of its own and is found again
// (its counts add up); past it, the overflow series, which counts in the cap.
TEST(RedCaps, TenThousandSeriesThenOverflow) {
  RedMetrics red(options(10000, 0), rules({}));
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < 12000; ++i)
      red.observe(record(kKafkaId, "10.0.0.9", 9092, ("topic-" + std::to_string(i)).c_str(), "Produce"));
  Scrape s(red);
  EXPECT_EQ(red.series_count(), 10000u);  // 9,999 regular + the overflow series
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("kafka", "10.0.0.9:9092", "topic-0", "Produce")), 2);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("kafka", "10.0.0.9:9092", "topic-9998", "Produce")), 2);
  EXPECT_EQ(s.find("l7tap_requests_total", labels("kafka", "10.0.0.9:9092", "topic-9999", "Produce")), nullptr);
  EXPECT_EQ(s.counter("l7tap_requests_total", kOverflowSeries), 2 * 2001);
  EXPECT_EQ(s.counter("l7tap_metric_series_overflow_total", {{"metric", "l7tap_requests_total"}}), 2 * 2001);
}

// Strings are interned only for series, so a flood of distinct servers, endpoints and request
// types leaves the tables as bounded as the series.
TEST(RedCaps, InternedStringsStayBoundedByTheCaps) {
  RedMetrics red(options(50, 10), rules({}));
  for (int i = 0; i < 20000; ++i) {
    const std::string server = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    red.observe(record(kMqttId, server.c_str(), 1883, ("e" + std::to_string(i)).c_str(),
                       ("T" + std::to_string(i)).c_str()));
  }
  const RedTables& t = red.tables();
  EXPECT_EQ(red.series_count(), 50u);  // 49 regular + the overflow series
  EXPECT_EQ(t.tuples.size(), 2u + 49u);  // the empty and overflow tuples + one per regular series
  EXPECT_EQ(t.names.size(), 2u + 49u);
  EXPECT_EQ(t.endpoints.size(), 1u + 49u);  // "__overflow__" + the regular series'
  EXPECT_EQ(t.request_types.size(), 1u + 49u);
}

// ------------------------------------------------------------------------------------------------
// the label caches

TEST(RedCache, NormaliserRunsOncePerDistinctEndpoint) {
  RedMetrics red(options(), rules({}, UnmatchedServers::kName, {{"^orders\\.[a-z]+$", "orders.{region}"}}));
  for (int i = 0; i < 1000; ++i)
    red.observe(record(kMqttId, "10.0.0.2", 1883, i % 2 != 0 ? "orders.eu" : "devices/7/temp", "PUBLISH"));
  EXPECT_EQ(red.endpoint_cache().misses(), 2u);  // a miss is the only place the normaliser runs
  EXPECT_EQ(red.endpoint_cache().hits(), 998u);
  Scrape s(red);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "10.0.0.2:1883", "orders.{region}", "PUBLISH")), 500);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "10.0.0.2:1883", "devices/{}/temp", "PUBLISH")), 500);
}

TEST(RedCache, EndpointCacheIsBoundedAndResultsStayRight) {
  RedOptions o = options(0, 0);
  o.endpoint_cache_entries = 64;
  RedMetrics red(o, rules({}));
  for (int pass = 0; pass < 3; ++pass)
    for (int e = 0; e < 5000; ++e)
      red.observe(record(kKafkaId, "10.0.0.9", 9092, ("tenants/" + std::to_string(e) + "/events").c_str(), "Produce"));
  const LabelCache& c = red.endpoint_cache();
  EXPECT_EQ(c.capacity(), 64u);
  EXPECT_EQ(c.size(), 64u);
  EXPECT_EQ(c.misses(), 15000u);  // 5000 distinct endpoints in turn through 64 entries: nothing stays
  EXPECT_EQ(c.evictions(), 15000u - 64u);
  Scrape s(red);
  EXPECT_EQ(red.series_count(), 1u);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("kafka", "10.0.0.9:9092", "tenants/{}/events", "Produce")), 15000);
}

// ------------------------------------------------------------------------------------------------
// reload and concurrency

TEST(RedReload, NewRulesKeepExistingCounters) {
  RedMetrics red(options(), rules({rule("10.0.0.2/32", "old-name")}));
  for (int i = 0; i < 4; ++i) red.observe(record(kMqttId, "10.0.0.2", 1883, "t", "PUBLISH"));
  red.set_rules(rules({rule("10.0.0.0/24", "new-name", "ns")}, UnmatchedServers::kName, {{"^t$", "topic"}}));
  EXPECT_EQ(red.service_map().size(), 1u);
  for (int i = 0; i < 2; ++i) red.observe(record(kMqttId, "10.0.0.2", 1883, "t", "PUBLISH"));
  red.set_rules(rules({rule("10.0.0.2/32", "old-name")}));
  red.observe(record(kMqttId, "10.0.0.2", 1883, "t", "PUBLISH"));
  Scrape s(red);
  EXPECT_EQ(s.counter("l7tap_requests_total", labels("mqtt", "old-name", "t", "PUBLISH")), 5);
  LabelMap renamed = labels("mqtt", "new-name", "topic", "PUBLISH");
  renamed["namespace"] = "ns";
  EXPECT_EQ(s.counter("l7tap_requests_total", renamed), 2);
}

TEST(RedMetrics, HistogramConsistentUnderConcurrentScrapes) {
  RedMetrics red({0.001, 0.01});
  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::thread scraper([&] {
    uint64_t last = 0;
    while (!done.load()) {
      for (const MetricFamily& f : red.collectable()->Collect()) {
        if (f.name != "l7tap_request_duration_seconds") continue;
        for (const ClientMetric& m : f.metric) {
          // Buckets, sum and count come from one snapshot: +Inf bucket == count.
          ASSERT_EQ(m.histogram.bucket.back().cumulative_count, m.histogram.sample_count);
          ASSERT_LE(m.histogram.bucket.front().cumulative_count, m.histogram.bucket[1].cumulative_count);
          ASSERT_GE(m.histogram.sample_count, last);
          last = m.histogram.sample_count;
        }
      }
      scrapes.fetch_add(1);
    }
  });
  for (int i = 0; i < 20000; ++i) {
    FlowRecord r = record(kKafkaId, "10.0.0.9", 9092, "e", "Produce");
    r.has_rrt = true;
    r.rrt_us = static_cast<uint64_t>(i % 3) * 4000;  // 0, 4 ms, 8 ms
    red.observe(r);
    // Let the scraper run a few times while records flow (bounded, no timing assumption).
    if (i % 5000 == 0)
      for (int spin = 0; spin < 100000 && scrapes.load() < i / 5000 + 1; ++spin) std::this_thread::yield();
  }
  done.store(true);
  scraper.join();
  Scrape s(red);
  const ClientMetric* h = s.find("l7tap_request_duration_seconds", labels("kafka", "10.0.0.9:9092", "e", "Produce"));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->histogram.sample_count, 20000u);
  EXPECT_EQ(h->histogram.bucket[0].cumulative_count, 6667u);
  EXPECT_EQ(h->histogram.bucket[1].cumulative_count, 20000u);
}

TEST(RedMetrics, EveryFamilyHasHelpText) {
  RedMetrics red(options(2, 1), rules({}));
  red.observe(record(kKafkaId, "10.0.0.9", 9092, "a", "Produce"));
  red.observe(record(kKafkaId, "10.0.0.9", 9092, "b", "Produce"));  // both caps hit
  Scrape s(red);
  std::vector<std::string> names(std::begin(kRedFamilies), std::end(kRedFamilies));
  names.insert(names.end(), {"l7tap_records_total", "l7tap_metric_series_overflow_total",
                             "l7tap_endpoint_overflow_total", "l7tap_red_records_dropped_total",
                             "l7tap_red_series", "l7tap_red_label_strings"});
  for (const std::string& name : names) {
    const MetricFamily* f = s.family(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_FALSE(f->help.empty()) << name;
  }
}

// ------------------------------------------------------------------------------------------------
// SIGHUP reload through the control thread: the conf file is re-read on the drain thread, counts
// survive, a bad file keeps the previous rules.

// Polls `done` for up to 10 s (a bound, not a timing assumption: it normally takes < 1 ms).
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 10000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST(RedReload, SighupFlagReloadsServiceMapThroughTheControlThread) {
  const test::TempDir dir("l7tap_reload");
  const std::string conf = dir.path() + "/l7tap.yaml";
  auto write_conf = [&](const std::string& service_rules) {
    std::ofstream out(conf, std::ios::trunc);
    out << "flow_log: { path: \"\" }\nmetrics: { listen: \"127.0.0.1:0\" }\nservice_map:\n  rules:\n"
        << service_rules;
  };
  write_conf("    - { cidr: 10.0.0.9/32, service: kafka-a }\n");
  const Config c = load_config_file(conf);

  RecordRing ring(64 << 10);
  std::atomic<bool> reload{false};
  ControlInputs in;
  in.rings = {&ring};
  in.config_path = conf;
  in.reload_requested = &reload;
  ControlPlane cp(c, in);
  cp.start();
  auto push = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ring.push(record(kKafkaId, "10.0.0.9", 9092, "t", "Produce")));
    ASSERT_EQ(ring.flush(), 0u);  // a worker publishes after each burst
  };

  push(5);
  ASSERT_TRUE(eventually([&] { return cp.records_written() == 5; }));
  write_conf("    - { cidr: 10.0.0.0/24, service: kafka-b, env: prod }\n");
  reload.store(true);
  ASSERT_TRUE(eventually([&] { return cp.reloads_done() == 1; }));
  EXPECT_FALSE(reload.load());  // the drain thread took the request
  push(3);
  ASSERT_TRUE(eventually([&] { return cp.records_written() == 8; }));
  write_conf("    - { cidr: 10.0.0.1/24, service: broken }\n");  // host bits set
  reload.store(true);
  ASSERT_TRUE(eventually([&] { return cp.reloads_failed() == 1; }));
  push(2);
  cp.stop();
  EXPECT_EQ(cp.records_written(), 10u);
  EXPECT_EQ(cp.reloads_done(), 1u);

  const std::string m = test::http_get(cp.metrics_port(), "/metrics").body;
  EXPECT_EQ(series_value(m, "l7tap_requests_total{endpoint=\"t\",env=\"\",namespace=\"\",protocol=\"kafka\","
                            "request_type=\"Produce\",service=\"kafka-a\",site=\"\",workload=\"\"}"),
            5);
  EXPECT_EQ(series_value(m, "l7tap_requests_total{endpoint=\"t\",env=\"prod\",namespace=\"\",protocol=\"kafka\","
                            "request_type=\"Produce\",service=\"kafka-b\",site=\"\",workload=\"\"}"),
            5);  // 3 after the reload + 2 after the failed one (old rules kept)
}

}  // namespace
}  // namespace l7tap
