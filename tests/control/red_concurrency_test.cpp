// RED aggregation while scrapes run: one thread counts records in batches (as the control thread
// does), creating series all along and reloading rules, while two threads scrape. Every scrape
// must see a state between two batches: all RED families with the same series, each series'
// counters and histogram from the same instant, totals that only grow. Meant to be run under
// ThreadSanitizer too (a build with -Db_sanitize=thread).
#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "control/red_metrics.hpp"
#include "protocols/registry.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

constexpr const char* kRedFamilies[] = {"l7tap_requests_total",      "l7tap_responses_total",
                                        "l7tap_client_errors_total", "l7tap_server_errors_total",
                                        "l7tap_timeouts_total",      "l7tap_request_bytes_total",
                                        "l7tap_response_bytes_total", "l7tap_request_duration_seconds"};

RedRules rules_named(const char* service) {
  Config c;
  c.service_rules = {test::rule("10.0.0.0/24", service)};
  c.endpoint_rules = {{"^tenant-[0-9]+\\.", "tenant."}};
  return RedRules::from_config(c);
}

// Every record is a paired session with 10 request bytes: in any consistent state, each series
// has requests == responses == histogram count and request bytes == 10 * requests.
FlowRecord session(uint64_t i) {
  FlowRecord r = test::record_between("10.0.1.5", 40000, i % 3 == 0 ? "10.0.0.9" : "10.0.2.9", 9092);
  r.protocol = protocol_id("kafka");
  r.has_rrt = true;
  r.rrt_us = i % 5000;
  r.l7.set(Field::kEndpoint, "topic-" + std::to_string(i % 3000));  // new series until i = 3000
  r.l7.set(Field::kRequestType, i % 2 == 0 ? "Produce" : "Fetch");
  r.l7.set_request_length(10);
  r.l7.response_status = i % 7 == 0 ? ResponseStatus::kServerError : ResponseStatus::kOk;
  return r;
}

struct SeriesState {
  double requests = -1, responses = -1, bytes = -1;
  uint64_t histogram_count = 0;
};

// Checks one scrape; returns the total of l7tap_requests_total.
double check_scrape(const std::vector<MetricFamily>& families) {
  std::map<std::string, const MetricFamily*> by_name;
  for (const MetricFamily& f : families) by_name[f.name] = &f;
  const auto requests = by_name.find("l7tap_requests_total");
  if (requests == by_name.end()) return 0;  // no record counted yet
  const std::size_t n = requests->second->metric.size();
  for (const char* name : kRedFamilies) {
    EXPECT_TRUE(by_name.count(name) != 0) << name;
    if (by_name.count(name) != 0) {
      EXPECT_EQ(by_name[name]->metric.size(), n) << name;
    }
  }
  std::map<std::vector<ClientMetric::Label>, SeriesState> series;
  for (const ClientMetric& m : by_name["l7tap_requests_total"]->metric) series[m.label].requests = m.counter.value;
  for (const ClientMetric& m : by_name["l7tap_responses_total"]->metric) series[m.label].responses = m.counter.value;
  for (const ClientMetric& m : by_name["l7tap_request_bytes_total"]->metric) series[m.label].bytes = m.counter.value;
  for (const ClientMetric& m : by_name["l7tap_request_duration_seconds"]->metric) {
    const auto& b = m.histogram.bucket;
    EXPECT_EQ(b.back().cumulative_count, m.histogram.sample_count);
    for (std::size_t i = 1; i < b.size(); ++i) EXPECT_LE(b[i - 1].cumulative_count, b[i].cumulative_count);
    series[m.label].histogram_count = m.histogram.sample_count;
  }
  EXPECT_EQ(series.size(), n);  // the same label sets in every family
  double total = 0;
  for (const auto& [labels, s] : series) {
    EXPECT_EQ(s.requests, s.responses);
    EXPECT_EQ(s.requests, static_cast<double>(s.histogram_count));
    EXPECT_EQ(s.bytes, 10 * s.requests);
    total += s.requests;
  }
  double records = 0;
  for (const ClientMetric& m : by_name["l7tap_records_total"]->metric) records += m.counter.value;
  EXPECT_EQ(records, total);  // counted under the same lock as the series
  return total;
}

TEST(RedConcurrency, ScrapesSeeConsistentStatesWhileRecordsFlow) {
  RedOptions o;
  o.latency_buckets = {0.001, 0.002, 0.004};
  RedMetrics red(o, rules_named("a"));
  constexpr uint64_t kBatch = 256;
  constexpr uint64_t kRecords = 240 * kBatch;
  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  auto scraper = [&] {
    double last = 0;
    while (!done.load()) {
      const double total = check_scrape(red.collectable()->Collect());
      EXPECT_GE(total, last);
      last = total;
      scrapes.fetch_add(1);
      if (::testing::Test::HasFailure()) return;
    }
  };
  std::thread s1(scraper), s2(scraper);
  for (uint64_t i = 0; i < kRecords;) {
    {
      RedMetrics::Batch batch(red);
      for (uint64_t end = i + kBatch; i < end; ++i) batch.observe(session(i));
    }
    if (i % (kBatch * 40) == 0) red.set_rules(rules_named(i % (kBatch * 80) == 0 ? "a" : "b"));  // SIGHUP
    // Let the scrapers in now and then (bounded, no timing assumption).
    if (i % (kBatch * 20) == 0)
      for (int spin = 0; spin < 100000 && scrapes.load() < static_cast<int>(i / (kBatch * 20)); ++spin)
        std::this_thread::yield();
  }
  done.store(true);
  s1.join();
  s2.join();
  EXPECT_GT(scrapes.load(), 2);
  EXPECT_EQ(check_scrape(red.collectable()->Collect()), static_cast<double>(kRecords));
}

}  // namespace
}  // namespace l7tap
