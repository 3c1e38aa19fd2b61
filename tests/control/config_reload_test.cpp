// SIGHUP reload: which keys apply live and which need a restart, and the reload through the control
// thread — a file caught mid-rewrite keeps the whole previous conf (service map and unmatched: drop
// included), the cardinality caps change live, command-line overrides are not mistaken for
// changes, and every reload is counted in /metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "control/config.hpp"
#include "control/control_thread.hpp"
#include "control/record_ring.hpp"
#include "protocols/registry.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::series_value;

Config defaults() { return load_config_text("{}"); }

TEST(ReloadPlan, LiveKeysNeedNoRestart) {
  const Config running = defaults();
  Config fresh = running;
  EXPECT_TRUE(restart_only_changes(running, fresh).empty());
  fresh.service_rules = {test::rule("10.0.0.0/8", "a")};
  fresh.unmatched = UnmatchedServers::kDrop;
  fresh.endpoint_rules = {{"x", "y"}};
  fresh.normalize_endpoints = false;
  fresh.max_series_per_metric = 7;
  fresh.max_endpoints_per_service = 3;
  fresh.trace_id_headers = {"x-trace"};
  fresh.span_id_headers = {"x-span"};
  fresh.x_request_id_headers = {"x-req"};
  EXPECT_TRUE(restart_only_changes(running, fresh).empty());
  // with_live_keys takes exactly those.
  EXPECT_EQ(with_live_keys(running, fresh), fresh);
}

TEST(ReloadPlan, RestartOnlyKeysAreNamed) {
  const Config running = defaults();
  Config fresh = running;
  fresh.flow_capacity = 10;
  fresh.flow_idle_timeout_us = 5;
  fresh.metrics_listen = "127.0.0.1:1";
  fresh.service_rules = {test::rule("10.0.0.0/8", "a")};  // live: not listed
  fresh.trace_id_headers = {"x-trace"};                    // live: not listed
  EXPECT_THAT(restart_only_changes(running, fresh),
              ElementsAre("flows.capacity", "flows.idle_timeout", "metrics.listen"));
  const Config after = with_live_keys(running, fresh);
  EXPECT_EQ(after.flow_capacity, running.flow_capacity);  // not applied
  EXPECT_EQ(after.service_rules, fresh.service_rules);
}

// Every field of Config is either live or named: a change to any non-live field is reported.
TEST(ReloadPlan, EveryRestartOnlyFieldIsDetected) {
  const Config base = defaults();
  const std::vector<std::function<void(Config&)>> edits = {
      [](Config& c) { c.eal_args = {"-l", "3"}; },
      [](Config& c) { c.ports = {PortConfig{"p", "d", 1, 1024, true}}; },
      [](Config& c) { c.workers = 2; },
      [](Config& c) { c.dispatcher = "always"; },
      [](Config& c) { c.burst_size = 64; },
      [](Config& c) { c.dispatch_ring_size = 2048; },
      [](Config& c) { c.mbuf_pool_size = 1; },
      [](Config& c) { c.exit_when_idle_us = 1; },
      [](Config& c) { c.flow_capacity = 1; },
      [](Config& c) { c.flow_idle_timeout_us = 1; },
      [](Config& c) { c.no_payload_timeout_us = 1; },
      [](Config& c) { c.tcp_close_timeout_us = 1; },
      [](Config& c) { c.max_out_of_order_bytes = 1; },
      [](Config& c) { c.max_buffered_bytes = 1; },
      [](Config& c) { c.max_buffered_total = 1; },
      [](Config& c) { c.request_timeout_us = 1; },
      [](Config& c) { c.max_pending_per_flow = 1; },
      [](Config& c) { c.enabled_protocols = {"mqtt"}; },
      [](Config& c) { c.port_hints["mqtt"] = {1}; },
      [](Config& c) { c.record_ring_size = 1; },
      [](Config& c) { c.flow_log_path = "x"; },
      [](Config& c) { c.flow_log_max_bytes = 1; },
      [](Config& c) { c.flow_log_max_files = 1; },
      [](Config& c) { c.metrics_listen = ""; },
      [](Config& c) { c.latency_buckets = {1}; },
      [](Config& c) { c.client_labels = true; },
      [](Config& c) { c.metrics_max_connections = 7; },
      [](Config& c) { c.metrics_request_timeout_us = 7; },
      [](Config& c) { c.metrics_send_timeout_us = 7; },
      [](Config& c) { c.metrics_max_request_bytes = 700; },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    Config fresh = base;
    edits[i](fresh);
    const auto changes = restart_only_changes(base, fresh);
    ASSERT_EQ(changes.size(), 1u) << "edit " << i;
    EXPECT_EQ(changes[0].find("(a key not listed"), std::string::npos) << "edit " << i << ": " << changes[0];
  }
}

TEST(ReloadPlan, OverridesApplyLikeAtStart) {
  ConfigOverrides ov;
  ov.metrics_listen = "";
  ov.workers = 4;
  Config c = defaults();
  ov.apply(c);
  EXPECT_EQ(c.metrics_listen, "");
  EXPECT_EQ(c.workers, 4);
  EXPECT_EQ(c.flow_log_path, "-");
  EXPECT_EQ(ov.option_for("metrics.listen"), "--metrics-listen");
  EXPECT_EQ(ov.option_for("flow_log.path"), "");
}

// ------------------------------------------------------------------------------------------------
// through the control thread

template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 10000; ++i) {  // a bound, not a timing assumption: a reload takes < 1 ms
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

const ProtocolId kKafka = protocol_id("kafka");

FlowRecord kafka(const char* server, const std::string& topic) {
  FlowRecord r = test::record_between("10.1.0.1", 40000, server, 9092);
  r.protocol = kKafka;
  r.l7.set(Field::kEndpoint, topic);
  r.l7.set(Field::kRequestType, "Produce");
  return r;
}

class ReloadThroughControlThread : public ::testing::Test {
 protected:
  void write_conf(const std::string& text) {
    std::ofstream out(conf_, std::ios::trunc);
    out << text;
  }
  void start(const std::string& text, ConfigOverrides ov = {}) {
    write_conf(text);
    Config c = load_config_file(conf_);
    ov.apply(c);
    ControlInputs in;
    in.rings = {&ring_};
    in.config_path = conf_;
    in.reload_requested = &reload_;
    in.overrides = ov;
    cp_ = std::make_unique<ControlPlane>(c, in);
    cp_->start();
  }
  // Sends SIGHUP's flag and waits until the control thread has handled it; returns its stderr.
  std::string reload() {
    const uint64_t before = cp_->reloads_done() + cp_->reloads_failed();
    ::testing::internal::CaptureStderr();
    reload_.store(true);
    const bool done = eventually([&] { return cp_->reloads_done() + cp_->reloads_failed() == before + 1; });
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(done);
    return err;
  }
  void push(const FlowRecord& r, int n = 1) {
    const uint64_t want = cp_->records_written() + static_cast<uint64_t>(n);
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ring_.push(r));
    ASSERT_EQ(ring_.flush(), 0u);
    ASSERT_TRUE(eventually([&] { return cp_->records_written() == want; }));
  }
  std::string scrape() { return test::http_get(cp_->metrics_port(), "/metrics").body; }

  test::TempDir dir_{"l7tap_reload"};
  std::string conf_ = dir_.path() + "/l7tap.yaml";
  RecordRing ring_{64 << 10};
  std::atomic<bool> reload_{false};
  std::unique_ptr<ControlPlane> cp_;
};

// A conf with the metrics listener on any free port, no flow log, and one service rule; `metrics`
// adds keys to the metrics section, `more` whole sections.
std::string conf_text(const std::string& metrics = "", const std::string& more = "",
                      const std::string& flow_log = "\"\"") {
  return "flow_log: { path: " + flow_log + " }\n"
         "metrics: { listen: \"127.0.0.1:0\"" + metrics + " }\n" + more +
         "service_map:\n"
         "  unmatched: drop\n"
         "  rules:\n"
         "    - { cidr: 10.0.0.0/24, service: kafka-a }\n";
}
const std::string kBase = conf_text();

std::string requests(const std::string& service, const std::string& topic) {
  return "l7tap_requests_total{endpoint=\"" + topic + "\",env=\"\",namespace=\"\",protocol=\"kafka\","
         "request_type=\"Produce\",service=\"" + service + "\",site=\"\",workload=\"\"}";
}

// The defect: a SIGHUP that read a truncated file loaded "every default", wiping the service map
// and turning unmatched: drop into name. Now the reload fails and nothing changes.
TEST_F(ReloadThroughControlThread, FileMidRewriteKeepsServiceMapAndUnmatchedDrop) {
  start(kBase);
  push(kafka("10.0.0.9", "t"), 2);
  push(kafka("192.168.1.1", "t"));  // unmatched: dropped from RED
  EXPECT_EQ(series_value(scrape(), "l7tap_config_last_reload_successful"), 1);

  for (const char* partial : {"", "# l7tap conf, being written\n"}) {
    write_conf(partial);
    const std::string err = reload();
    EXPECT_THAT(err, HasSubstr("reload failed, keeping the previous conf: " + conf_ + ": ")) << err;
    EXPECT_THAT(err, HasSubstr("empty")) << err;
  }
  EXPECT_EQ(cp_->reloads_failed(), 2u);
  EXPECT_EQ(cp_->reloads_done(), 0u);

  push(kafka("10.0.0.9", "t"));
  push(kafka("192.168.1.1", "t"));  // still dropped, not named "192.168.1.1:9092"
  const std::string m = scrape();
  EXPECT_EQ(series_value(m, requests("kafka-a", "t")), 3);
  EXPECT_EQ(m.find("192.168.1.1"), std::string::npos);
  EXPECT_EQ(series_value(m, "l7tap_red_records_dropped_total{reason=\"unmatched_service\"}"), 2);
  EXPECT_EQ(series_value(m, "l7tap_config_reloads_total{result=\"failed\"}"), 2);
  EXPECT_EQ(series_value(m, "l7tap_config_reloads_total{result=\"ok\"}"), 0);
  EXPECT_EQ(series_value(m, "l7tap_config_last_reload_successful"), 0);

  // The complete file then reloads.
  write_conf(kBase + "    - { cidr: 192.168.1.0/24, service: kafka-b }\n");
  EXPECT_THAT(reload(), HasSubstr("applied service_map (2 rules, unmatched: drop)"));
  push(kafka("192.168.1.1", "t"));
  const std::string m2 = scrape();
  EXPECT_EQ(series_value(m2, requests("kafka-b", "t")), 1);
  EXPECT_EQ(series_value(m2, "l7tap_config_reloads_total{result=\"ok\"}"), 1);
  EXPECT_EQ(series_value(m2, "l7tap_config_last_reload_successful"), 1);
}

// The caps were read once at start; now a reload changes them (series already there stay).
TEST_F(ReloadThroughControlThread, CardinalityCapsChangeLive) {
  start(conf_text(", max_endpoints_per_service: 1"));
  push(kafka("10.0.0.9", "t1"));
  push(kafka("10.0.0.9", "t2"));  // over the cap of 1
  std::string m = scrape();
  EXPECT_EQ(series_value(m, requests("kafka-a", "t1")), 1);
  EXPECT_EQ(series_value(m, requests("kafka-a", "t2")), -1);
  EXPECT_EQ(series_value(m, requests("kafka-a", "__overflow__")), 1);

  write_conf(conf_text(", max_endpoints_per_service: 10"));
  const std::string err = reload();
  EXPECT_THAT(err, HasSubstr("metrics.max_endpoints_per_service (10)"));
  EXPECT_THAT(err, HasSubstr("; no other key changed"));
  push(kafka("10.0.0.9", "t3"));
  m = scrape();
  EXPECT_EQ(series_value(m, requests("kafka-a", "t3")), 1);  // under the new cap: its own series
  EXPECT_EQ(series_value(m, requests("kafka-a", "__overflow__")), 1);
}

// Keys read once at start are named in the reload message; the running values stay.
TEST_F(ReloadThroughControlThread, RestartOnlyChangesAreNamedNotApplied) {
  start(kBase);
  write_conf(conf_text("", "flows: { capacity: 10, idle_timeout: 5s }\n"
                           "protocols: { trace_headers: { trace_id: [x-my-trace] } }\n"));
  const std::string err = reload();
  EXPECT_THAT(err, HasSubstr("protocols.trace_headers (1 names)"));  // live
  EXPECT_THAT(err, HasSubstr("not applied, these need a restart: flows.capacity, flows.idle_timeout\n"));
  EXPECT_EQ(cp_->reloads_done(), 1u);
  // A second reload of the same file still names them: the running conf did not take them.
  EXPECT_THAT(reload(), HasSubstr("need a restart: flows.capacity, flows.idle_timeout\n"));
}

// -o / -m given at start are applied to the reloaded file too, so they are not reported as changes.
TEST_F(ReloadThroughControlThread, CommandLineOverridesAreNotChanges) {
  ConfigOverrides ov;
  ov.flow_log_path = "";               // the file says "-" (stdout)
  ov.metrics_listen = "127.0.0.1:0";
  start(conf_text("", "", "\"-\""), ov);
  EXPECT_THAT(reload(), HasSubstr("; no other key changed"));
}

// A conf that loads but fails validation (or compiling its rules) also keeps everything.
TEST_F(ReloadThroughControlThread, InvalidConfKeepsPreviousAndSaysWhy) {
  start(kBase);
  write_conf(conf_text(", max_series_per_metric: lots"));
  EXPECT_THAT(reload(), HasSubstr(conf_ + ": metrics.max_series_per_metric: expected an integer in 0..4294967295, "
                                          "got \"lots\""));
  EXPECT_EQ(cp_->reloads_failed(), 1u);
  push(kafka("10.0.0.9", "t"));
  EXPECT_EQ(series_value(scrape(), requests("kafka-a", "t")), 1);
}

}  // namespace
}  // namespace l7tap
