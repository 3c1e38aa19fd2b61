// RED aggregation: counts per label set, error classes by response_status, bytes, and the
// latency histogram's buckets for known rrt values.
#include "control/red_metrics.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstring>
#include <map>
#include <string>

namespace l7tap {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using LabelMap = std::map<std::string, std::string>;

std::array<uint8_t, 16> ip(const char* text) {
  std::array<uint8_t, 16> a{};
  in_addr v4;
  if (inet_pton(AF_INET, text, &v4) == 1) {
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, a.data()), 1) << text;
  }
  return a;
}

FlowRecord record(ProtocolId proto, const char* server, uint16_t port, const char* endpoint,
                  const char* request_type) {
  FlowRecord r;
  r.protocol = proto;
  r.net.server_ip = ip(server);
  r.net.server_port = port;
  r.net.client_ip = ip("10.0.0.1");
  r.net.client_port = 40000;
  r.l7.endpoint = endpoint;
  r.l7.request_type = request_type;
  return r;
}

class Scrape {
 public:
  explicit Scrape(const RedMetrics& red) : families_(red.registry()->Collect()) {}

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
    for (const MetricFamily& f : families_)
      if (f.name == name) return f.metric.size();
    return 0;
  }
  const MetricFamily* family(const std::string& name) const {
    for (const MetricFamily& f : families_)
      if (f.name == name) return &f;
    return nullptr;
  }

 private:
  std::vector<MetricFamily> families_;
};

const LabelMap kKafka = {{"protocol", "kafka"},
                         {"server", "10.0.0.9:9092"},
                         {"endpoint", "events-0"},
                         {"request_type", "Produce"}};

TEST(RedLabels, ServerIsIpColonPortWithBracketsForIpv6) {
  RedLabelValues v;
  FlowRecord r = record(ProtocolId::kGrpc, "2001:db8::1", 50051, "", "POST");
  red_series_labels(r, v);
  EXPECT_EQ(v.values[0], "grpc");
  EXPECT_EQ(v.values[1], "[2001:db8::1]:50051");
  EXPECT_EQ(v.values[2], "");
  EXPECT_EQ(v.values[3], "POST");
  r = record(ProtocolId::kKafka, "10.0.0.9", 9092, "events-0", "Produce");
  red_series_labels(r, v);  // reuses v
  EXPECT_EQ(v.values[1], "10.0.0.9:9092");
  EXPECT_EQ(v.values[2], "events-0");
}

TEST(RedLabels, ValuesAreValidUtf8) {
  RedLabelValues v;
  FlowRecord r = record(ProtocolId::kKafka, "10.0.0.9", 9092, "t\xff\xc3", "a\x01\xc3\xa9\n");
  red_series_labels(r, v);
  EXPECT_EQ(v.values[2], "t\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(v.values[3], "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd");
}

TEST(RedMetrics, CountsRequestsResponsesAndErrorClasses) {
  RedMetrics red({0.001, 0.01, 0.1, 1.0});
  FlowRecord base = record(ProtocolId::kKafka, "10.0.0.9", 9092, "events-0", "Produce");

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

TEST(RedMetrics, SeparateSeriesPerLabelSet) {
  RedMetrics red({0.01});
  for (int i = 0; i < 3; ++i) red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "events-0", "Produce"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "events-1", "Produce"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "events-0", "Fetch"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.10", 9092, "events-0", "Produce"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9093, "events-0", "Produce"));
  red.observe(record(ProtocolId::kMqtt, "10.0.0.9", 9092, "events-0", "Produce"));
  red.observe(record(ProtocolId::kGrpc, "::1", 50051, "", ""));

  Scrape s(red);
  EXPECT_EQ(red.series_count(), 7u);
  EXPECT_EQ(s.series("l7tap_requests_total"), 7u);
  EXPECT_EQ(s.counter("l7tap_requests_total", kKafka), 3);
  LabelMap other = kKafka;
  other["endpoint"] = "events-1";
  EXPECT_EQ(s.counter("l7tap_requests_total", other), 1);
  EXPECT_EQ(s.counter("l7tap_requests_total", {{"protocol", "grpc"},
                                               {"server", "[::1]:50051"},
                                               {"endpoint", ""},
                                               {"request_type", ""}}),
            1);
  // Every family of a label set exists from its first record on (zero until used).
  EXPECT_EQ(s.counter("l7tap_server_errors_total", other), 0);
  const ClientMetric* h = s.find("l7tap_request_duration_seconds", other);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->histogram.sample_count, 0u);
}

TEST(RedMetrics, LabelSetLimitAggregatesIntoOverflowSeries) {
  RedMetrics red({0.01}, 2);
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "a", "Produce"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "b", "Produce"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "c", "Produce"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "d", "Produce"));
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "a", "Produce"));  // existing: kept
  Scrape s(red);
  EXPECT_EQ(red.series_count(), 3u);
  EXPECT_EQ(s.counter("l7tap_requests_total", {{"protocol", "kafka"},
                                               {"server", "_overflow"},
                                               {"endpoint", "_overflow"},
                                               {"request_type", "_overflow"}}),
            2);
  EXPECT_EQ(s.counter("l7tap_requests_total", {{"protocol", "kafka"},
                                               {"server", "10.0.0.9:9092"},
                                               {"endpoint", "a"},
                                               {"request_type", "Produce"}}),
            2);
  EXPECT_EQ(s.counter("l7tap_red_series_overflow_total", {}), 2);
}

TEST(RedMetrics, EveryFamilyHasHelpText) {
  RedMetrics red({0.01});
  red.observe(record(ProtocolId::kKafka, "10.0.0.9", 9092, "a", "Produce"));
  Scrape s(red);
  for (const char* name : {"l7tap_requests_total", "l7tap_responses_total", "l7tap_client_errors_total",
                           "l7tap_server_errors_total", "l7tap_timeouts_total",
                           "l7tap_request_bytes_total", "l7tap_response_bytes_total",
                           "l7tap_request_duration_seconds", "l7tap_records_total",
                           "l7tap_red_series_overflow_total"}) {
    const MetricFamily* f = s.family(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_FALSE(f->help.empty()) << name;
  }
}

}  // namespace
}  // namespace l7tap
