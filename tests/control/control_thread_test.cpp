// The control plane end to end, in process: producer threads fill two record rings, the control
// thread writes the flow log and aggregates RED metrics, and /metrics is scraped over a real HTTP
// connection on 127.0.0.1. Also the self-metrics collector on its own.
#include "control/control_thread.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "control/self_metrics.hpp"
#include "protocols/core/counters.hpp"
#include "protocols/registry.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using test::find_family;
using test::series_value;
using test::TempDir;

// The body of GET /metrics; fails the test unless the status is 200.
std::string scrape_metrics(uint16_t port) {
  const test::HttpReply reply = test::http_get(port, "/metrics");
  EXPECT_EQ(reply.raw.rfind("HTTP/1.1 200", 0), 0u) << reply.raw.substr(0, 200);
  return reply.body;
}

// A few families of a worker's counter block, declared the way the dataplane declares its own:
// the control thread renders them without knowing what they are.
struct WorkerCounters {
  CounterBlock block;
  uint32_t packets, decoded, active, protocol_flows;
  WorkerCounters() {
    packets = block.declare("l7tap_worker_packets_total", "Frames handed to the worker.");
    decoded = block.declare("l7tap_decoded_packets_total", "Frames by L2-L4 decode outcome.", MetricKind::kCounter,
                            "status", {"ok", "malformed"});
    active = block.declare("l7tap_flows_active", "Flows in the worker's flow table.", MetricKind::kGauge);
    protocol_flows = block.declare("l7tap_protocol_flows_total", "Flows identified, by protocol.",
                                   MetricKind::kCounter, "protocol", {"mqtt", "kafka"}, {true, false});
    block.seal();
  }
};

// The dispatcher's block: no worker label.
struct DispatcherCounters {
  CounterBlock block;
  uint32_t ring_drops;
  DispatcherCounters() {
    ring_drops = block.declare("l7tap_dispatcher_ring_drops_total", "Frames dropped on a full worker ring.");
    block.seal();
  }
};

FlowRecord make_record(uint16_t worker, uint64_t i) {
  FlowRecord r = test::record_between("10.0.0.5", static_cast<uint16_t>(40000 + worker), "10.0.0.9", 9092);
  r.type = RecordType::kSession;
  r.protocol = protocol_id("kafka");
  r.worker = worker;
  r.has_rrt = true;
  r.rrt_us = 100 + i % 1000;
  r.start_time_us = 1700000000000000 + i;
  r.end_time_us = r.start_time_us + r.rrt_us;
  r.l7.set(Field::kRequestType, "Produce");
  r.l7.set(Field::kEndpoint, worker == 0 ? "t-0" : "t-1");
  r.l7.set_request_id(worker * 1'000'000ull + i);
  r.l7.response_status = (i % 10 == 0) ? ResponseStatus::kServerError : ResponseStatus::kOk;
  r.l7.set_request_length(100);
  return r;
}

std::string kafka_series(const char* family, const char* endpoint) {
  return std::string(family) + "{endpoint=\"" + endpoint +
         "\",env=\"\",namespace=\"\",protocol=\"kafka\",request_type=\"Produce\",service=\"10.0.0.9:9092\","
         "site=\"\",workload=\"\"}";
}

TEST(ControlPlane, EveryRecordWrittenOnceAndAggregated) {
  TempDir dir("l7tap_control");
  Config c;
  c.flow_log_path = dir.path() + "/flow.log";
  c.flow_log_max_bytes = 0;
  c.metrics_listen = "127.0.0.1:0";
  c.latency_buckets = {0.0005, 0.001};

  RecordRing ring0(8 << 10), ring1(8 << 10);  // small rings (a few dozen records): producers outrun the consumer
  WorkerCounters w0, w1;
  w0.block[w0.packets].set(11);
  w1.block[w1.packets].set(77);
  w1.block[w1.decoded + 1].set(3);  // malformed
  w0.block[w0.protocol_flows + 1].set(2);  // kafka
  DispatcherCounters disp;
  disp.block[disp.ring_drops].set(9);
  ControlInputs in;
  in.rings = {&ring0, &ring1};
  in.workers = {&w0.block, &w1.block};
  in.globals = {&disp.block};
  in.port_stats = [] {
    PortStats p;
    p.name = "p0";
    p.rx_missed = 5;
    return std::vector<PortStats>{p};
  };

  constexpr uint64_t kPerWorker = 20000;
  ControlPlane cp(c, in);
  cp.start();
  ASSERT_NE(cp.metrics_port(), 0);
  // A scrape while records flow: the server answers with both collectables.
  std::string during = scrape_metrics(cp.metrics_port());
  EXPECT_NE(during.find("# HELP l7tap_worker_packets_total"), std::string::npos);

  auto produce = [](RecordRing& ring, uint16_t worker) {
    for (uint64_t i = 0; i < kPerWorker; ++i) {
      FlowRecord r = make_record(worker, i);
      while (!ring.push(r)) std::this_thread::yield();  // offline mode waits instead of dropping
    }
    while (ring.flush() != 0) std::this_thread::yield();  // publish the last staged records
  };
  std::thread p0(produce, std::ref(ring0), 0), p1(produce, std::ref(ring1), 1);
  // Scrapes concurrent with the drain thread's updates (run under TSan too). Counts only grow.
  std::thread scraper([&cp] {
    double last = 0;
    for (int i = 0; i < 20; ++i) {
      const double v = series_value(scrape_metrics(cp.metrics_port()),
                                    "l7tap_records_total{protocol=\"kafka\",type=\"session\"}");
      if (v >= 0) {
        EXPECT_GE(v, last);
        last = v;
      }
    }
  });
  p0.join();
  p1.join();
  scraper.join();
  cp.stop();
  cp.stop();  // idempotent
  EXPECT_EQ(cp.records_written(), 2 * kPerWorker);

  // The flow log: every request id exactly once, every line a complete object.
  std::ifstream log(c.flow_log_path);
  std::string line;
  std::set<uint64_t> ids;
  uint64_t lines = 0;
  while (std::getline(log, line)) {
    ++lines;
    ASSERT_EQ(line.front(), '{');
    ASSERT_EQ(line.back(), '}');
    const std::size_t at = line.find("\"request_id\":");
    ASSERT_NE(at, std::string::npos) << line;
    ids.insert(std::strtoull(line.c_str() + at + 13, nullptr, 10));
  }
  EXPECT_EQ(lines, 2 * kPerWorker);
  EXPECT_EQ(ids.size(), 2 * kPerWorker);
  EXPECT_EQ(ids.count(0), 1u);
  EXPECT_EQ(ids.count(kPerWorker - 1), 1u);
  EXPECT_EQ(ids.count(1'000'000), 1u);
  EXPECT_EQ(ids.count(1'000'000 + kPerWorker - 1), 1u);

  // After stop() the exposer still serves the final counts.
  const std::string m = scrape_metrics(cp.metrics_port());
  const double n = static_cast<double>(kPerWorker);
  EXPECT_EQ(series_value(m, "l7tap_records_total{protocol=\"kafka\",type=\"session\"}"), 2 * n);
  EXPECT_EQ(series_value(m, kafka_series("l7tap_requests_total", "t-0")), n);
  EXPECT_EQ(series_value(m, kafka_series("l7tap_responses_total", "t-1")), n);
  EXPECT_EQ(series_value(m, kafka_series("l7tap_server_errors_total", "t-1")), n / 10);
  EXPECT_EQ(series_value(m, kafka_series("l7tap_client_errors_total", "t-1")), 0);
  EXPECT_EQ(series_value(m, kafka_series("l7tap_request_bytes_total", "t-0")), 100 * n);
  EXPECT_EQ(series_value(m, kafka_series("l7tap_request_duration_seconds_count", "t-0")), n);
  // rrt_us = 100 + i % 1000: 401 of every 1000 are <= 500 µs, all are <= 1.1 ms, not all <= 1 ms.
  EXPECT_EQ(series_value(m, "l7tap_request_duration_seconds_bucket{endpoint=\"t-0\",env=\"\",namespace=\"\","
                            "protocol=\"kafka\",request_type=\"Produce\",service=\"10.0.0.9:9092\",site=\"\","
                            "workload=\"\",le=\"0.0005\"}"),
            401 * n / 1000);
  EXPECT_EQ(series_value(m, "l7tap_worker_packets_total{worker=\"0\"}"), 11);
  EXPECT_EQ(series_value(m, "l7tap_worker_packets_total{worker=\"1\"}"), 77);
  EXPECT_EQ(series_value(m, "l7tap_decoded_packets_total{worker=\"1\",status=\"malformed\"}"), 3);
  EXPECT_EQ(series_value(m, "l7tap_decoded_packets_total{worker=\"1\",status=\"ok\"}"), 0);
  EXPECT_EQ(series_value(m, "l7tap_protocol_flows_total{worker=\"0\",protocol=\"kafka\"}"), 2);
  EXPECT_EQ(series_value(m, "l7tap_protocol_flows_total{worker=\"1\",protocol=\"kafka\"}"), -1);  // optional, 0
  EXPECT_EQ(series_value(m, "l7tap_protocol_flows_total{worker=\"1\",protocol=\"mqtt\"}"), 0);    // always shown
  EXPECT_EQ(series_value(m, "l7tap_port_rx_missed_total{port=\"p0\"}"), 5);
  EXPECT_EQ(series_value(m, "l7tap_dispatcher_ring_drops_total"), 9);
  EXPECT_EQ(series_value(m, "l7tap_flow_log_lines_total"), 2 * n);
  EXPECT_EQ(series_value(m, "l7tap_flow_log_write_errors_total"), 0);
  EXPECT_EQ(series_value(m, "l7tap_flows_active{worker=\"0\"}"), 0);
  EXPECT_NE(m.find("# TYPE l7tap_flows_active gauge"), std::string::npos);
}

TEST(ControlPlane, WithoutListenerOrFlowLog) {
  Config c;
  c.flow_log_path = "";
  c.metrics_listen = "";
  RecordRing ring(64 << 10);
  WorkerCounters w;
  ControlInputs in;
  in.rings = {&ring};
  in.workers = {&w.block};
  ControlPlane cp(c, in);
  cp.start();
  EXPECT_EQ(cp.metrics_port(), 0);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(ring.push(make_record(0, i)));
  EXPECT_EQ(ring.flush(), 0u);
  cp.stop();
  EXPECT_EQ(cp.records_written(), 10u);
}

TEST(ControlPlane, PortTakenIsAClearError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));

  Config c;
  c.flow_log_path = "";
  c.metrics_listen = listen;
  ControlPlane cp(c, ControlInputs{});
  try {
    cp.start();
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "metrics.listen " + listen + ": cannot bind: Address already in use");
  }
  ::close(fd);
}

// (No test for an unresolvable host name: it would depend on the machine's DNS.)
TEST(ControlPlane, BadPortIsAClearError) {
  Config c;
  c.flow_log_path = "";
  c.metrics_listen = "127.0.0.1:99999";
  ControlPlane cp(c, ControlInputs{});
  try {
    cp.start();
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "metrics.listen 127.0.0.1:99999: '99999' is not a port number");
  }
}

TEST(ControlPlane, FlowLogOpenErrorIsAClearError) {
  Config c;
  c.flow_log_path = "/nonexistent-dir/flow.log";
  c.metrics_listen = "";
  ControlPlane cp(c, ControlInputs{});
  EXPECT_THROW(cp.start(), std::runtime_error);
}

// ---- self metrics on their own ----------------------------------------------------------------

std::map<std::string, double> series_of(const prometheus::MetricFamily& f) {
  std::map<std::string, double> out;
  for (const auto& m : f.metric) {
    std::string key;
    for (const auto& l : m.label) key += l.name + "=" + l.value + ",";
    out[key] = f.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
  }
  return out;
}

TEST(SelfMetrics, RendersCounterBlocksWithWorkerLabels) {
  WorkerCounters w0, w1;
  w0.block[w0.protocol_flows + 1].set(4);  // kafka: optional, non-zero
  w1.block[w1.active].set(12);
  DispatcherCounters disp;
  SelfMetricsSources src;
  src.workers = {&w0.block, &w1.block};
  src.globals = {&disp.block};
  SelfMetrics sm(std::move(src));
  const auto fs = sm.Collect();

  const auto* flows = find_family(fs, "l7tap_protocol_flows_total");
  ASSERT_NE(flows, nullptr);
  EXPECT_EQ(series_of(*flows), (std::map<std::string, double>{
                                   {"worker=0,protocol=kafka,", 4},
                                   {"worker=0,protocol=mqtt,", 0},
                                   {"worker=1,protocol=mqtt,", 0},
                               }));
  const auto* decoded = find_family(fs, "l7tap_decoded_packets_total");
  ASSERT_NE(decoded, nullptr);
  EXPECT_EQ(decoded->metric.size(), 4u);  // ok + malformed per worker, zeros included
  const auto* active = find_family(fs, "l7tap_flows_active");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->type, prometheus::MetricType::Gauge);
  EXPECT_EQ(series_of(*active)["worker=1,"], 12);
  const auto* drops = find_family(fs, "l7tap_dispatcher_ring_drops_total");
  ASSERT_NE(drops, nullptr);
  EXPECT_EQ(series_of(*drops), (std::map<std::string, double>{{"", 0}}));  // no worker label
  // No ports or flow log given: none of their families.
  EXPECT_EQ(find_family(fs, "l7tap_port_rx_packets_total"), nullptr);
  EXPECT_EQ(find_family(fs, "l7tap_flow_log_lines_total"), nullptr);
  for (const auto& f : fs) {
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_EQ(f.name.rfind("l7tap_", 0), 0u) << f.name;
  }
}

TEST(SelfMetrics, FamilyWithOnlyOptionalZeroSeriesIsLeftOut) {
  CounterBlock b;
  const uint32_t errors = b.declare("l7tap_parse_errors_total", "Streams a parser gave up on.", MetricKind::kCounter,
                                    "protocol", {"mqtt", "kafka"}, {false, false});
  b.seal();
  SelfMetricsSources src;
  src.workers = {&b};
  SelfMetrics sm(src);
  EXPECT_EQ(find_family(sm.Collect(), "l7tap_parse_errors_total"), nullptr);
  b[errors + 1].set(1);
  const auto fs = sm.Collect();
  const auto* f = find_family(fs, "l7tap_parse_errors_total");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(series_of(*f), (std::map<std::string, double>{{"worker=0,protocol=kafka,", 1}}));
}

TEST(SelfMetrics, PortsAndFlowLog) {
  FlowLogCounters log;
  log.lines.add(5);
  log.write_errors.add(1);
  SelfMetricsSources src;
  src.flow_log = &log;
  src.port_stats = [] {
    PortStats p;
    p.name = "mirror0";
    p.rx_packets = 100;
    p.rx_nombuf = 2;
    return std::vector<PortStats>{p};
  };
  SelfMetrics sm(std::move(src));
  const auto fs = sm.Collect();
  const auto* rx = find_family(fs, "l7tap_port_rx_packets_total");
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(series_of(*rx), (std::map<std::string, double>{{"port=mirror0,", 100}}));
  const auto* nombuf = find_family(fs, "l7tap_port_rx_nombuf_total");
  ASSERT_NE(nombuf, nullptr);
  EXPECT_EQ(series_of(*nombuf)["port=mirror0,"], 2);
  const auto* lines = find_family(fs, "l7tap_flow_log_lines_total");
  ASSERT_NE(lines, nullptr);
  EXPECT_EQ(series_of(*lines)[""], 5);
  const auto* errors = find_family(fs, "l7tap_flow_log_write_errors_total");
  ASSERT_NE(errors, nullptr);
  EXPECT_EQ(series_of(*errors)[""], 1);
}

}  // namespace
}  // namespace l7tap
