// The series cap bounds the whole RED exposition whatever the traffic: 10^6 distinct server
// addresses (service_map.unmatched: name makes each a service), endpoints / topics, request types
// and clients, fed in memory through the real RedMetrics and scraped through its collector.
// Each test asserts
// - label sets per RED family <= metrics.max_series_per_metric (the overflow series included),
// - exposed RED samples <= cap x (7 counters + buckets + _sum + _count),
// - nothing is lost: the requests of all series add up to the records fed, the overflow series
//   holds exactly the records refused a series, as l7tap_metric_series_overflow_total says,
// - the interning tables stay within the bound the cap gives them.
// RedSeriesCap.WorstCaseExpositionBytes measures the bytes of a scrape whose every label is as long
// as a record allows (the README's worst case is this per-series figure times the cap).
#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "control/red_metrics.hpp"
#include "protocols/registry.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::size_t kRecords = 1'000'000;
constexpr std::size_t kRedFamilies = 8;

// A distinct IPv4 server for each i < 2^24 (10.x.y.z), as records store it.
std::array<uint8_t, 16> server_v4(std::size_t i) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
          static_cast<uint8_t>(i)};
}

FlowRecord base_record() {
  FlowRecord r = test::record_between("192.168.0.1", 40000, "10.0.0.1", 1883);
  r.protocol = protocol_id("mqtt");
  r.type = RecordType::kSession;
  r.has_rrt = true;
  r.rrt_us = 1500;
  r.l7.set(Field::kRequestType, "PUBLISH");
  r.l7.set(Field::kEndpoint, "sensors/temp");
  return r;
}

// What one scrape of the RED families holds.
struct RedScrape {
  std::size_t label_sets = 0;    // series of l7tap_requests_total
  std::size_t samples = 0;       // exposition lines of the 8 RED families
  std::size_t max_label_sets = 0;  // the largest RED family
  double requests = 0;           // sum over every series of l7tap_requests_total
  double histogram_count = 0;    // sum of l7tap_request_duration_seconds_count
  double overflow_requests = -1; // the overflow series' requests (-1: no overflow series)
  double overflow_counter = -1;  // l7tap_metric_series_overflow_total{metric="l7tap_requests_total"}
  double label_strings = -1;     // l7tap_red_label_strings
};

bool is_overflow_series(const ClientMetric& m) {
  int hits = 0;
  for (const auto& l : m.label)
    if ((l.name == "protocol" || l.name == "service" || l.name == "endpoint" || l.name == "request_type") &&
        l.value == RedMetrics::kOverflow)
      ++hits;
  return hits == 4;
}

RedScrape scrape(const RedMetrics& red) {
  RedScrape s;
  for (const MetricFamily& f : red.collectable()->Collect()) {
    if (f.name == "l7tap_metric_series_overflow_total") {
      for (const ClientMetric& m : f.metric)
        if (m.label.size() == 1 && m.label[0].value == "l7tap_requests_total") s.overflow_counter = m.counter.value;
      continue;
    }
    if (f.name == "l7tap_red_label_strings") {
      s.label_strings = f.metric.at(0).gauge.value;
      continue;
    }
    const bool red = f.name == "l7tap_request_duration_seconds" ||
                     (f.name.rfind("l7tap_", 0) == 0 && f.type == MetricType::Counter && f.name != "l7tap_records_total" &&
                      f.name.find("overflow") == std::string::npos && f.name.find("dropped") == std::string::npos);
    if (!red) continue;
    s.max_label_sets = std::max(s.max_label_sets, f.metric.size());
    for (const ClientMetric& m : f.metric) {
      s.samples += f.type == MetricType::Histogram ? m.histogram.bucket.size() + 2 : 1;
      if (f.type == MetricType::Histogram) s.histogram_count += static_cast<double>(m.histogram.sample_count);
      if (f.name != "l7tap_requests_total") continue;
      ++s.label_sets;
      s.requests += m.counter.value;
      if (is_overflow_series(m)) s.overflow_requests = m.counter.value;
    }
  }
  return s;
}

// The bound the cap gives: every family at most `cap` label sets; a histogram series is its
// buckets, +Inf, _sum and _count.
std::size_t sample_bound(const RedOptions& o) {
  return o.max_series_per_metric * (kRedFamilies - 1 + o.latency_buckets.size() + 1 + 2);
}

// The interning tables: at most cap - 1 regular series each intern one string per table (two label
// tuples: server and client), plus "" and "__overflow__" and the conf's rules (none here).
void expect_tables_bounded(const RedMetrics& red, std::size_t cap) {
  const RedTables& t = red.tables();
  EXPECT_LE(t.tuples.size(), 2 + 2 * (cap - 1));
  EXPECT_LE(t.names.size(), 2 + 2 * (cap - 1));
  EXPECT_LE(t.endpoints.size(), 1 + (cap - 1));
  EXPECT_LE(t.request_types.size(), 1 + (cap - 1));
  EXPECT_LE(red.endpoint_cache().size(), red.endpoint_cache().capacity());
}

// Every record fed is counted once, and what the regular series could not take is in the
// overflow series and in the overflow counter.
void expect_all_counted(const RedScrape& s, std::size_t fed, std::size_t cap) {
  EXPECT_LE(s.max_label_sets, cap);
  EXPECT_EQ(s.requests, static_cast<double>(fed));
  EXPECT_EQ(s.histogram_count, static_cast<double>(fed));
  const double regular_requests = s.requests - s.overflow_requests;
  EXPECT_EQ(s.overflow_requests, s.overflow_counter);
  EXPECT_EQ(s.overflow_requests + regular_requests, static_cast<double>(fed));
}

// The defect as filed, at 10^6: default conf (unmatched: name, cap 10,000), one record per server.
TEST(RedSeriesCap, MillionServerAddressesStayWithinTheCap) {
  const Config c;  // the defaults
  const RedOptions o = RedOptions::from_config(c);
  ASSERT_EQ(o.max_series_per_metric, 10000u);
  RedMetrics red(o, RedRules::from_config(c));
  FlowRecord r = base_record();
  {
    RedMetrics::Batch batch(red);
    for (std::size_t i = 0; i < kRecords; ++i) {
      r.net.server_ip = server_v4(i);
      batch.observe(r);
    }
  }
  const RedScrape s = scrape(red);
  EXPECT_EQ(red.series_count(), 10000u);
  EXPECT_EQ(s.label_sets, 10000u);
  EXPECT_LE(s.samples, sample_bound(o));
  EXPECT_EQ(s.samples, 10000u * 26);  // 7 counters + 16 buckets + Inf + _sum + _count
  expect_all_counted(s, kRecords, 10000);
  EXPECT_EQ(s.overflow_requests, static_cast<double>(kRecords - 9999));
  expect_tables_bounded(red, 10000);
  EXPECT_LE(s.label_strings, 4 + 2 * 9999.0 + 2 * 9999.0);
  std::printf("[ measure  ] 10^6 server addresses, default caps: %zu label sets, %zu RED samples, overflow %.0f\n",
              s.label_sets, s.samples, s.overflow_requests);
}

// 10^6 distinct topics spread over 2,000 services (the endpoint cap, 100 each, would allow 200,000
// label sets): the series cap holds.
TEST(RedSeriesCap, MillionTopicsStayWithinTheCap) {
  Config c;
  c.max_series_per_metric = 5000;
  const RedOptions o = RedOptions::from_config(c);
  RedMetrics red(o, RedRules::from_config(c));
  FlowRecord r = base_record();
  for (std::size_t i = 0; i < kRecords; ++i) {
    r.net.server_ip = server_v4(i % 2000);
    r.l7.set(Field::kEndpoint, "plant-a/line-" + std::to_string(i) + "x/temp");  // not folded: has a letter
    red.observe(r);
  }
  const RedScrape s = scrape(red);
  EXPECT_EQ(s.label_sets, 5000u);
  EXPECT_LE(s.samples, sample_bound(o));
  expect_all_counted(s, kRecords, 5000);
  expect_tables_bounded(red, 5000);
  // Every service got its first endpoints before the cap: 4,999 regular series (2,000 services x 2
  // endpoints, then 999 of the third round), the rest went to the overflow series.
  EXPECT_EQ(s.overflow_requests, static_cast<double>(kRecords - 4999));
}

// 10^6 distinct request types (a protocol's free-form method names) and clients with client labels
// on: each would be a label set of its own.
TEST(RedSeriesCap, MillionRequestTypesAndClientsStayWithinTheCap) {
  Config c;
  c.client_labels = true;
  c.max_series_per_metric = 2000;
  c.latency_buckets = {0.001, 0.01};
  const RedOptions o = RedOptions::from_config(c);
  RedMetrics red(o, RedRules::from_config(c));
  FlowRecord r = base_record();
  for (std::size_t i = 0; i < kRecords; ++i) {
    r.net.client_ip = server_v4(i);
    r.net.client_ip[12] = 172;
    r.l7.set(Field::kRequestType, "Method" + std::to_string(i % 300000) + "x");
    red.observe(r);
  }
  const RedScrape s = scrape(red);
  EXPECT_EQ(s.label_sets, 2000u);
  EXPECT_LE(s.samples, sample_bound(o));
  EXPECT_EQ(s.samples, 2000u * (7 + 3 + 2));
  expect_all_counted(s, kRecords, 2000);
  expect_tables_bounded(red, 2000);
}

// A cap of 1: everything goes to the one overflow series.
TEST(RedSeriesCap, CapOfOneIsTheOverflowSeriesAlone) {
  Config c;
  c.max_series_per_metric = 1;
  RedMetrics red(RedOptions::from_config(c), RedRules::from_config(c));
  FlowRecord r = base_record();
  for (std::size_t i = 0; i < 100; ++i) {
    r.net.server_ip = server_v4(i);
    red.observe(r);
  }
  const RedScrape s = scrape(red);
  EXPECT_EQ(s.label_sets, 1u);
  EXPECT_EQ(s.overflow_requests, 100);
  EXPECT_EQ(s.overflow_counter, 100);
}

// Every label as long as a record allows: IPv6 server and client addresses, a 128-byte endpoint
// and a 48-byte request type of control bytes (each sanitised to U+FFFD, 3 bytes), client labels
// on. The bytes per label set are what the README multiplies by the cap for the worst case.
TEST(RedSeriesCap, WorstCaseExpositionBytes) {
  constexpr std::size_t kCap = 1000;
  Config c;
  c.client_labels = true;
  c.max_series_per_metric = kCap;
  c.max_endpoints_per_service = 0;
  const RedOptions o = RedOptions::from_config(c);
  RedMetrics red(o, RedRules::from_config(c));
  FlowRecord r = base_record();
  r.net.server_ip = test::ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0");
  r.net.server_port = 65535;
  r.net.client_ip = test::ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  std::string endpoint(FieldCaps::cap(Field::kEndpoint), '\x01');
  const std::string request_type(FieldCaps::cap(Field::kRequestType), '\x01');
  r.l7.set(Field::kRequestType, request_type);
  for (std::size_t i = 0; i < 3 * kCap; ++i) {
    std::snprintf(endpoint.data(), endpoint.size(), "%zu", i);  // distinct, the rest stays \x01
    endpoint.back() = '\x01';
    r.l7.set(Field::kEndpoint, endpoint);
    r.l7.set_request_length(4'000'000'000u);
    r.l7.set_response_length(4'000'000'000u);
    red.observe(r);
  }
  std::vector<MetricFamily> families;
  for (MetricFamily& f : red.collectable()->Collect())
    if (f.name != "l7tap_records_total" && f.name.find("overflow") == std::string::npos &&
        f.name.rfind("l7tap_red_", 0) != 0)
      families.push_back(std::move(f));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  const std::size_t bytes = out.str().size();
  const RedScrape s = scrape(red);
  EXPECT_EQ(s.label_sets, kCap);
  EXPECT_LE(s.samples, sample_bound(o));
  // A line: family name (<= 44 with _bucket), 13 label names with quotes, = and commas (<= 200),
  // the values (endpoint <= 3 x 128, request type <= 3 x 48, "[v6]:port" <= 47, client "v6" <= 39,
  // protocol <= 12, le <= 10) and the value (<= 24): at most 904 bytes.
  constexpr std::size_t kMaxLine = 44 + 200 + 3 * 128 + 3 * 48 + 47 + 39 + 12 + 10 + 24;
  EXPECT_LE(bytes, s.samples * kMaxLine + kRedFamilies * 300);  // + HELP and TYPE lines
  std::printf("[ measure  ] worst-case labels: %zu label sets, %zu samples, %zu bytes = %zu bytes per label set\n",
              s.label_sets, s.samples, bytes, bytes / s.label_sets);
}

}  // namespace
}  // namespace l7tap
