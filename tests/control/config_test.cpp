// Conf loading: every key round-trips, every class of error names the right key path, the unit
// parsers accept what the docs promise and nothing else, and the shipped conf/l7tap.yaml loads.
#include "control/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "protocols/core/record.hpp"
#include "protocols/registry.hpp"

#ifndef L7TAP_SOURCE_DIR
#error "L7TAP_SOURCE_DIR must be defined (path of the source tree, for conf/l7tap.yaml)"
#endif

namespace l7tap {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The ConfigError that `f` throws; a test failure ("no error" + `context`) and nothing when it
// throws none. Other exceptions pass through (and fail the test).
template <typename F>
std::optional<ConfigError> thrown_config_error(F&& f, const std::string& context = "") {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no error" << context;
  return std::nullopt;
}

// `f` throws a ConfigError naming `path`.
template <typename F>
void expect_error_path(F&& f, const std::string& path, const std::string& context = "") {
  if (auto e = thrown_config_error(f, context)) {
    EXPECT_EQ(e->path(), path) << context;
  }
}

// Loads `yaml`, expects a ConfigError with exactly `path` and a reason containing `reason_part`;
// gives the error for further checks.
std::optional<ConfigError> expect_error(const std::string& yaml, const std::string& path,
                                        const std::string& reason_part) {
  auto e = thrown_config_error([&] { load_config_text(yaml); }, " for:\n" + yaml);
  if (e) {
    EXPECT_EQ(e->path(), path) << e->what();
    EXPECT_THAT(e->what(), HasSubstr(reason_part)) << "for:\n" << yaml;
  }
  return e;
}

// A service_map rule "{ cidr: 10.0.0.0/8, service: a, <more> }" must fail at
// "service_map.rules[0].<key>" with `reason_part`.
void expect_rule_error(const std::string& more, const std::string& key, const std::string& reason_part) {
  expect_error("service_map: { rules: [ { cidr: 10.0.0.0/8, service: a, " + more + " } ] }\n",
               "service_map.rules[0]." + key, reason_part);
}

// `parse(key, text)` rejects every one of `bad` with a ConfigError naming `key`.
template <typename Parse>
void expect_rejected(Parse parse, const std::string& key, std::initializer_list<const char*> bad) {
  for (const char* text : bad) expect_error_path([&] { parse(key, text); }, key, std::string(" for ") + text);
}

Config defaults() {
  Config c;
  c.latency_buckets = default_latency_buckets();
  return c;
}

// ------------------------------------------------------------------------------------------------
// defaults and round trips

TEST(ConfigLoad, EmptyMapGivesDefaults) {
  Config c = load_config_text("{}");
  EXPECT_EQ(c, defaults());
  EXPECT_EQ(c.workers, 1);
  EXPECT_EQ(c.flow_idle_timeout_us, 60'000'000u);
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(c.latency_buckets.front(), 0.0001);
  EXPECT_EQ(c.latency_buckets.back(), 10.0);
  EXPECT_NO_THROW(validate_config(c));
}

TEST(ConfigLoad, EmptySectionsKeepDefaults) {
  EXPECT_EQ(load_config_text("eal:\nworkers:\nflows:\nprotocols:\n  trace_headers:\nmetrics:\n"), defaults());
}

TEST(ConfigLoad, EveryKeyRoundTrips) {
  const std::string yaml = R"(
eal:
  args: ["-l", "2-5", "--in-memory", 7]
ports:
  - name: mirror0
    device: "net_pcap0,rx_pcap=/tmp/a.pcap"
    rx_queues: 4
    rx_descriptors: 2048
    promiscuous: false
  - name: mirror1
    device: "0000:3b:00.1"
workers:
  count: 3
  dispatcher: always
  burst_size: 64
  dispatch_ring_size: 1024
  mbuf_pool_size: 16383
  exit_when_idle: 1500ms
flows:
  capacity: 1000
  idle_timeout: 2m
  no_payload_timeout: 3s
  tcp_close_timeout: 250ms
  max_out_of_order_bytes: 1MiB
  max_buffered_bytes: 2KB
sessions:
  request_timeout: 1h
  max_pending_per_flow: 9
protocols:
  enabled: [kafka, mqtt]
  port_hints: { mqtt: [1884], nats: [4222, 4223], kafka: [] }
  max_message_size: { mqtt: 1MiB, kafka: 200MiB }
  trace_headers: { trace_id: [X-B3-TraceId], span_id: ["X-B3-SpanId"], x_request_id: [X-Request-ID, req-id] }
records:
  ring_size: 8MiB
flow_log:
  path: /var/log/l7tap/flows.json
  max_bytes: 1GiB
  max_files: 9
metrics:
  listen: "[::1]:0"
  latency_buckets: [0.001, 0.1, 1, 30]
  client_labels: true
  max_series_per_metric: 500
  max_endpoints_per_service: 0
  normalize_endpoints: false
  max_connections: 7
  request_timeout: 1500ms
  send_timeout: 1m
  max_request_bytes: 16KiB
  endpoint_rules:
    - { match: "/users/[0-9]+", replace: "/users/{id}" }
    - match: '\?.*'
      replace: ""
service_map:
  unmatched: drop
  rules:
    - cidr: 10.0.0.2/32
      ports: [1883, "8000-8010", 9000 - 9001]
      vlan: 100
      tunnel_id: 4242
      service: broker
      namespace: iot
      workload: mosquitto
      env: prod
      site: dc1
    - { cidr: "2001:db8::/32", service: v6 }
)";
  Config c = load_config_text(yaml);
  EXPECT_THAT(c.eal_args, ElementsAre("-l", "2-5", "--in-memory", "7"));
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].name, "mirror0");
  EXPECT_EQ(c.ports[0].device, "net_pcap0,rx_pcap=/tmp/a.pcap");
  EXPECT_EQ(c.ports[0].rx_queues, 4);
  EXPECT_EQ(c.ports[0].rx_descriptors, 2048);
  EXPECT_FALSE(c.ports[0].promiscuous);
  EXPECT_EQ(c.ports[1].name, "mirror1");
  EXPECT_EQ(c.ports[1].device, "0000:3b:00.1");
  EXPECT_EQ(c.ports[1].rx_queues, 1);  // defaults inside a list item
  EXPECT_EQ(c.ports[1].rx_descriptors, 1024);
  EXPECT_TRUE(c.ports[1].promiscuous);
  EXPECT_EQ(c.workers, 3);
  EXPECT_EQ(c.dispatcher, "always");
  EXPECT_EQ(c.burst_size, 64);
  EXPECT_EQ(c.dispatch_ring_size, 1024u);
  EXPECT_EQ(c.mbuf_pool_size, 16383u);
  EXPECT_EQ(c.exit_when_idle_us, 1'500'000u);
  EXPECT_EQ(c.flow_capacity, 1000u);
  EXPECT_EQ(c.flow_idle_timeout_us, 120'000'000u);
  EXPECT_EQ(c.no_payload_timeout_us, 3'000'000u);
  EXPECT_EQ(c.tcp_close_timeout_us, 250'000u);
  EXPECT_EQ(c.max_out_of_order_bytes, 1u << 20);
  EXPECT_EQ(c.max_buffered_bytes, 2000u);
  EXPECT_EQ(c.request_timeout_us, 3'600'000'000u);
  EXPECT_EQ(c.max_pending_per_flow, 9u);
  EXPECT_THAT(c.enabled_protocols, ElementsAre("kafka", "mqtt"));
  EXPECT_THAT(c.port_hints.at("mqtt"), ElementsAre(1884));
  EXPECT_THAT(c.port_hints.at("nats"), ElementsAre(4222, 4223));
  EXPECT_TRUE(c.port_hints.at("kafka").empty());
  // Only the protocols named: the others keep their descriptors' default ports.
  EXPECT_EQ(c.port_hints.size(), 3u);
  EXPECT_EQ(c.max_message_sizes.at("mqtt"), 1u << 20);
  EXPECT_EQ(c.max_message_sizes.at("kafka"), 200u << 20);
  EXPECT_EQ(c.max_message_sizes.size(), 2u);  // the others keep their descriptors' defaults
  // Header names are lower-cased on load.
  EXPECT_THAT(c.trace_id_headers, ElementsAre("x-b3-traceid"));
  EXPECT_THAT(c.span_id_headers, ElementsAre("x-b3-spanid"));
  EXPECT_THAT(c.x_request_id_headers, ElementsAre("x-request-id", "req-id"));
  EXPECT_EQ(c.record_ring_size, 8u << 20);
  EXPECT_EQ(c.flow_log_path, "/var/log/l7tap/flows.json");
  EXPECT_EQ(c.flow_log_max_bytes, 1ull << 30);
  EXPECT_EQ(c.flow_log_max_files, 9u);
  EXPECT_EQ(c.metrics_listen, "[::1]:0");
  EXPECT_THAT(c.latency_buckets, ElementsAre(0.001, 0.1, 1.0, 30.0));
  EXPECT_TRUE(c.client_labels);
  EXPECT_EQ(c.max_series_per_metric, 500u);
  EXPECT_EQ(c.max_endpoints_per_service, 0u);
  EXPECT_FALSE(c.normalize_endpoints);
  EXPECT_EQ(c.metrics_max_connections, 7u);
  EXPECT_EQ(c.metrics_request_timeout_us, 1'500'000u);
  EXPECT_EQ(c.metrics_send_timeout_us, 60'000'000u);
  EXPECT_EQ(c.metrics_max_request_bytes, 16u << 10);
  EXPECT_THAT(c.endpoint_rules,
              ElementsAre(EndpointRule{"/users/[0-9]+", "/users/{id}"}, EndpointRule{"\\?.*", ""}));
  EXPECT_EQ(c.unmatched, UnmatchedServers::kDrop);
  ASSERT_EQ(c.service_rules.size(), 2u);
  const ServiceRule& r = c.service_rules[0];
  EXPECT_EQ(r.cidr, "10.0.0.2/32");
  EXPECT_THAT(r.ports, ElementsAre(PortRange{1883, 1883}, PortRange{8000, 8010}, PortRange{9000, 9001}));
  EXPECT_TRUE(r.has_vlan);
  EXPECT_EQ(r.vlan, 100);
  EXPECT_TRUE(r.has_tunnel_id);
  EXPECT_EQ(r.tunnel_id, 4242u);
  EXPECT_EQ(r.service, "broker");
  EXPECT_EQ(r.namespace_name, "iot");
  EXPECT_EQ(r.workload, "mosquitto");
  EXPECT_EQ(r.env, "prod");
  EXPECT_EQ(r.site, "dc1");
  const ServiceRule& v6 = c.service_rules[1];
  EXPECT_EQ(v6.cidr, "2001:db8::/32");
  EXPECT_TRUE(v6.ports.empty());
  EXPECT_FALSE(v6.has_vlan);
  EXPECT_FALSE(v6.has_tunnel_id);
  EXPECT_EQ(v6.namespace_name, "");
}

TEST(ConfigLoad, MetricsAndServiceMapDefaults) {
  Config c = load_config_text("service_map:\nmetrics:\n");
  EXPECT_FALSE(c.client_labels);
  EXPECT_EQ(c.max_series_per_metric, 10000u);
  EXPECT_EQ(c.max_endpoints_per_service, 100u);
  EXPECT_TRUE(c.normalize_endpoints);
  EXPECT_EQ(c.metrics_max_connections, 128u);
  EXPECT_EQ(c.metrics_request_timeout_us, 5'000'000u);
  EXPECT_EQ(c.metrics_send_timeout_us, 30'000'000u);
  EXPECT_EQ(c.metrics_max_request_bytes, 8192u);
  EXPECT_TRUE(c.endpoint_rules.empty());
  EXPECT_TRUE(c.service_rules.empty());
  EXPECT_EQ(c.unmatched, UnmatchedServers::kName);
  EXPECT_EQ(load_config_text("service_map: { unmatched: Name, rules: [] }\n").unmatched, UnmatchedServers::kName);
}

TEST(ConfigLoad, OffValuesAndAlternateSpellings) {
  Config c = load_config_text(R"(
flow_log: { path: "", max_bytes: 0 }
metrics: { listen: "" }
workers: { exit_when_idle: 0, dispatcher: never }
flows: { max_out_of_order_bytes: 0, idle_timeout: 0.25 }
ports: [ { name: a, device: b, promiscuous: yes } ]
protocols: { enabled: [] }
)");
  EXPECT_EQ(c.flow_log_path, "");
  EXPECT_EQ(c.flow_log_max_bytes, 0u);
  EXPECT_EQ(c.metrics_listen, "");
  EXPECT_EQ(c.exit_when_idle_us, 0u);
  EXPECT_EQ(c.dispatcher, "never");
  EXPECT_EQ(c.max_out_of_order_bytes, 0u);
  EXPECT_EQ(c.flow_idle_timeout_us, 250'000u);  // bare number = seconds
  EXPECT_TRUE(c.ports.at(0).promiscuous);
  EXPECT_TRUE(c.enabled_protocols.empty());
}

TEST(ConfigLoad, ListenAddressForms) {
  for (const char* ok : {"0.0.0.0:9464", "localhost:9464", "127.0.0.1:0", "[::]:65535", "metrics-host.example:80"})
    EXPECT_EQ(load_config_text(std::string("metrics: { listen: \"") + ok + "\" }").metrics_listen, ok);
}

// ------------------------------------------------------------------------------------------------
// unknown keys

TEST(ConfigErrors, UnknownTopLevelKey) {
  expect_error("workers: { count: 2 }\nflow: {}\n", "flow", "unknown key (did you mean \"flows\"?)");
  if (auto e = expect_error("bogus_section: 1\n", "bogus_section", "unknown key")) {
    EXPECT_THAT(e->what(), ::testing::Not(HasSubstr("did you mean")));  // nothing close
  }
}

TEST(ConfigErrors, UnknownNestedKeySuggestsClosest) {
  expect_error("flows:\n  idle_timout: 5s\n", "flows.idle_timout", "unknown key (did you mean \"idle_timeout\"?)");
  expect_error("protocols:\n  trace_headers:\n    traceid: []\n", "protocols.trace_headers.traceid",
               "did you mean \"trace_id\"?");
  expect_error("metrics:\n  latency_bucket: [1]\n", "metrics.latency_bucket", "did you mean \"latency_buckets\"?");
}

TEST(ConfigErrors, UnknownKeyInListItem) {
  expect_error(R"(
ports:
  - name: a
    device: x
  - name: b
    devcie: y
)",
               "ports[1].devcie", "unknown key (did you mean \"device\"?)");
}

TEST(ConfigErrors, DuplicateKey) {
  expect_error("workers:\n  count: 2\n  count: 3\n", "workers.count", "duplicate key");
}

// ------------------------------------------------------------------------------------------------
// wrong types and ranges

TEST(ConfigErrors, WrongTypes) {
  expect_error("workers:\n  count: { a: 1 }\n", "workers.count", "got a map");
  expect_error("workers:\n  count: abc\n", "workers.count", "got \"abc\"");
  expect_error("workers:\n  count: 1.5\n", "workers.count", "expected an integer");
  expect_error("workers:\n  count:\n", "workers.count", "got nothing");
  expect_error("workers: 5\n", "workers", "expected a map, got \"5\"");
  expect_error("ports: { name: a }\n", "ports", "expected a list of ports, got a map");
  expect_error("ports: [ justastring ]\n", "ports[0]", "got \"justastring\"");
  expect_error("eal: { args: \"-l 0-1\" }\n", "eal.args", "expected a list of strings");
  expect_error("eal: { args: [ [a] ] }\n", "eal.args[0]", "expected a string, got a list");
  expect_error("ports: [ { name: a, device: b, promiscuous: maybe } ]\n", "ports[0].promiscuous",
               "expected true or false, got \"maybe\"");
  expect_error("flow_log: { path: }\n", "flow_log.path", "got nothing");
  expect_error("metrics: { latency_buckets: 0.5 }\n", "metrics.latency_buckets", "expected a list");
  expect_error("metrics: { latency_buckets: [0.1, fast] }\n", "metrics.latency_buckets[1]", "got \"fast\"");
  expect_error("protocols: { port_hints: { mqtt: 1883 } }\n", "protocols.port_hints.mqtt", "expected a list of ports");
  expect_error("- a\n- b\n", "", "expected a map of sections (eal, ports, workers, flows, ...) at the top level, got a list");
}

TEST(ConfigErrors, NegativeAndOutOfRange) {
  expect_error("flows: { capacity: -1 }\n", "flows.capacity", "got -1");
  expect_error("ports: [ { name: a, device: b, rx_descriptors: 70000 } ]\n", "ports[0].rx_descriptors",
               "expected an integer in 1..65535, got 70000");
  expect_error("records: { ring_size: 99999999999999999999999 }\n", "records.ring_size", "is too large");
  expect_error("flows: { max_buffered_bytes: 5GiB }\n", "flows.max_buffered_bytes", "at most 4294967295");
  expect_error("workers: { count: 0 }\n", "workers.count", "expected an integer in 1..64, got 0");
  expect_error("workers: { count: 65 }\n", "workers.count", "expected an integer in 1..64");
  expect_error("workers: { burst_size: 513 }\n", "workers.burst_size", "expected an integer in 1..512");
  expect_error("ports: [ { name: a, device: b, rx_queues: 65 } ]\n", "ports[0].rx_queues", "1..64");
  expect_error("flows: { capacity: 0 }\n", "flows.capacity", "expected an integer in 1..4294967294, got 0");
  expect_error("flow_log: { max_files: 0 }\n", "flow_log.max_files", "expected an integer in 1..4294967295, got 0");
  expect_error("protocols: { port_hints: { kafka: [0] } }\n", "protocols.port_hints.kafka[0]", "1..65535");
  expect_error("protocols: { port_hints: { kafka: [9092, 65536] } }\n", "protocols.port_hints.kafka[1]",
               "1..65535, got 65536");
}

TEST(ConfigErrors, BadDurationAndSize) {
  expect_error("flows: { idle_timeout: 5 parsecs }\n", "flows.idle_timeout", "bad duration \"5 parsecs\"");
  expect_error("sessions: { request_timeout: -3s }\n", "sessions.request_timeout", "bad duration");
  expect_error("flows: { max_out_of_order_bytes: 64 KiBs }\n", "flows.max_out_of_order_bytes", "bad size");
  expect_error("flow_log: { max_bytes: lots }\n", "flow_log.max_bytes", "bad size \"lots\"");
  expect_error("flows: { idle_timeout: [5s] }\n", "flows.idle_timeout", "got a list");
}

TEST(ConfigErrors, NonPowerOfTwoRings) {
  expect_error("workers: { dispatch_ring_size: 1000 }\n", "workers.dispatch_ring_size", "power of two");
}

// records.ring_size is bytes (records of any size share them), at least 64 KiB, any number.
TEST(ConfigLoad, RecordRingSizeIsBytes) {
  EXPECT_EQ(Config{}.record_ring_size, 4u << 20);
  EXPECT_EQ(load_config_text("records: { ring_size: 64KiB }\n").record_ring_size, kMinRecordRingBytes);
  EXPECT_EQ(load_config_text("records: { ring_size: 100000 }\n").record_ring_size, 100000u);
  if (auto e = expect_error("records: { ring_size: 4096 }\n", "records.ring_size", "must be at least 64KiB")) {
    EXPECT_THAT(e->what(), HasSubstr("records of up to " + std::to_string(FlowRecord::max_wire_size()) +
                                     " bytes), got 4096"));
  }
}

TEST(ConfigLoad, NoPayloadTimeout) {
  EXPECT_EQ(Config{}.no_payload_timeout_us, 10'000'000u);
  EXPECT_EQ(load_config_text("flows: { no_payload_timeout: 500ms }\n").no_payload_timeout_us, 500'000u);
  expect_error("flows: { no_payload_timeout: 0 }\n", "flows.no_payload_timeout", "greater than 0");
  expect_error("flows: { no_payload_timout: 1s }\n", "flows.no_payload_timout",
               "did you mean \"no_payload_timeout\"?");
}

TEST(ConfigErrors, UnknownProtocol) {
  expect_error("protocols: { enabled: [mqtt, kafak] }\n", "protocols.enabled[1]",
               "unknown protocol \"kafak\" (did you mean \"kafka\"?)");
  expect_error("protocols: { enabled: [mqtt, mqtt] }\n", "protocols.enabled[1]", "listed twice");
  expect_error("protocols: { port_hints: { http: [80] } }\n", "protocols.port_hints.http", "unknown protocol \"http\"");
  expect_error("protocols: { max_message_size: { http: 1MiB } }\n", "protocols.max_message_size.http",
               "unknown protocol \"http\"");
  // Names the old conf accepted without a parser behind them are unknown now, and the message
  // lists exactly the registered protocols.
  std::string known;
  for (std::string_view n : protocol_names()) known += (known.empty() ? "" : ", ") + std::string(n);
  EXPECT_EQ(known, "amqp, kafka, mqtt, nats, openwire, pulsar, rocketmq, zmtp");
  for (const char* name : {"grpc", "dubbo", "no-such-protocol"}) {
    const std::string yaml = std::string("protocols: { enabled: [") + name + "] }\n";
    if (auto e = expect_error(yaml, "protocols.enabled[0]", std::string("unknown protocol \"") + name + "\"")) {
      EXPECT_THAT(e->what(), HasSubstr("; known: " + known));
    }
  }
}

TEST(ConfigErrors, BadListenAddress) {
  const std::pair<const char*, const char*> bad_listen_and_reason[] = {
      {"9464", "host:port"}, {"127.0.0.1:99999", "bad port"}, {"127.0.0.1:http", "bad port"},
      {"300.1.1.1:9464", "bad IPv4 address"}, {"::1:9464", "in brackets"}, {"[::g]:9464", "bad IPv6 address"},
      {":9464", "host:port"}};
  for (const auto& [listen, reason] : bad_listen_and_reason)
    expect_error(std::string("metrics: { listen: \"") + listen + "\" }\n", "metrics.listen", reason);
}

TEST(ConfigErrors, BadBuckets) {
  expect_error("metrics: { latency_buckets: [0.1, 0.5, 0.5] }\n", "metrics.latency_buckets[2]", "strictly ascending");
  expect_error("metrics: { latency_buckets: [0.1, 0.05] }\n", "metrics.latency_buckets[1]", "strictly ascending");
  expect_error("metrics: { latency_buckets: [0, 1] }\n", "metrics.latency_buckets[0]", "positive");
  expect_error("metrics: { latency_buckets: [] }\n", "metrics.latency_buckets", "at least one");
}

TEST(ConfigErrors, PortsValidation) {
  expect_error("ports: [ { name: a, device: x }, { name: a, device: y } ]\n", "ports[1].name", "duplicate port name");
  expect_error("ports: [ { device: x } ]\n", "ports[0].name", "must not be empty");
  expect_error("ports: [ { name: a } ]\n", "ports[0].device", "must not be empty");
  expect_error("workers: { dispatcher: sometimes }\n", "workers.dispatcher", "auto, always, never");
}

TEST(ConfigErrors, ServiceMap) {
  expect_error("service_map: { rules: [ { cidr: 10.0.0.0/33, service: a } ] }\n", "service_map.rules[0].cidr",
               "bad prefix length \"33\"");
  expect_error("service_map: { rules: [ { cidr: 10.0.0.1/8, service: a } ] }\n", "service_map.rules[0].cidr",
               "host bits are set (the network is 10.0.0.0/8)");
  expect_error("service_map: { rules: [ { cidr: 10.0.0.0/8, service: a }, { cidr: banana, service: b } ] }\n",
               "service_map.rules[1].cidr", "bad IPv4 address \"banana\"");
  expect_error("service_map: { rules: [ { cidr: \"2001:db8::x/32\", service: a } ] }\n", "service_map.rules[0].cidr",
               "bad IPv6 address");
  expect_error("service_map: { rules: [ { service: a } ] }\n", "service_map.rules[0].cidr", "required");
  expect_error("service_map: { rules: [ { cidr: 10.0.0.0/8 } ] }\n", "service_map.rules[0].service", "required");
  expect_error("service_map: { rules: [ { cidr: 10.0.0.0/8, service: \"\" } ] }\n", "service_map.rules[0].service",
               "must not be empty");
  expect_rule_error("ports: [80, \"90-85\"]", "ports[1]", "range 90-85 ends before it starts");
  expect_rule_error("ports: [\"80-\"]", "ports[0]", "expected a port or a range");
  expect_rule_error("ports: [\"a-b\"]", "ports[0]", "expected a port or a range");
  expect_rule_error("ports: [70000]", "ports[0]", "1..65535, got 70000");
  expect_rule_error("ports: [\"1-70000\"]", "ports[0]", "1..65535, got 70000");
  expect_rule_error("ports: [0]", "ports[0]", "1..65535, got 0");
  expect_rule_error("ports: 80", "ports", "expected a list");
  expect_rule_error("vlan: 4096", "vlan", "0..4095");
  expect_rule_error("tunnel_id: -1", "tunnel_id", "out of range");
  expect_rule_error("namespce: x", "namespce", "unknown key (did you mean \"namespace\"?)");
  expect_error("service_map: { rules: [ 10.0.0.0/8 ] }\n", "service_map.rules[0]", "expected a map");
  expect_error("service_map: { unmatched: ignore }\n", "service_map.unmatched", "expected name or drop");
  expect_error("service_map: { rule: [] }\n", "service_map.rule", "did you mean \"rules\"?");
}

TEST(ConfigErrors, MetricsCardinalityAndEndpointRules) {
  expect_error("metrics: { endpoint_rules: [ { match: \"/users/[0-9+\", replace: x } ] }\n",
               "metrics.endpoint_rules[0].match", "Hyperscan cannot compile it");
  expect_error("metrics: { endpoint_rules: [ { match: a, replace: b }, { match: \"(x\", replace: y } ] }\n",
               "metrics.endpoint_rules[1].match", "Hyperscan cannot compile it");
  expect_error("metrics: { endpoint_rules: [ { match: \"[0-9]*\", replace: x } ] }\n",
               "metrics.endpoint_rules[0].match", "empty string");
  expect_error("metrics: { endpoint_rules: [ { match: a } ] }\n", "metrics.endpoint_rules[0].replace", "required");
  expect_error("metrics: { endpoint_rules: [ { replace: a } ] }\n", "metrics.endpoint_rules[0].match", "required");
  expect_error("metrics: { endpoint_rules: [ { match: \"\", replace: a } ] }\n", "metrics.endpoint_rules[0].match",
               "must not be empty");
  expect_error("metrics: { endpoint_rules: [ { match: a, replace: b, flags: i } ] }\n",
               "metrics.endpoint_rules[0].flags", "unknown key");
  expect_error("metrics: { endpoint_rules: { match: a } }\n", "metrics.endpoint_rules", "expected a list");
  expect_error("metrics: { max_series_per_metric: -5 }\n", "metrics.max_series_per_metric", "out of range");
  expect_error("metrics: { max_endpoints_per_service: lots }\n", "metrics.max_endpoints_per_service", "got \"lots\"");
  expect_error("metrics: { client_labels: sometimes }\n", "metrics.client_labels", "true or false");
  expect_error("metrics: { max_connections: 0 }\n", "metrics.max_connections", "expected an integer in 1..65536, got 0");
  expect_error("metrics: { max_connections: 65537 }\n", "metrics.max_connections", "expected an integer in 1..65536, got 65537");
  expect_error("metrics: { max_connections: many }\n", "metrics.max_connections", "got \"many\"");
  expect_error("metrics: { request_timeout: 0 }\n", "metrics.request_timeout", "must be greater than 0");
  expect_error("metrics: { request_timeout: soon }\n", "metrics.request_timeout", "soon");
  expect_error("metrics: { send_timeout: 0s }\n", "metrics.send_timeout", "must be greater than 0");
  expect_error("metrics: { max_request_bytes: 100 }\n", "metrics.max_request_bytes", "expected an integer in 256..1048576, got 100");
  expect_error("metrics: { max_request_bytes: 2MiB }\n", "metrics.max_request_bytes", "expected an integer in 256..1048576");
  expect_error("metrics: { max_conections: 5 }\n", "metrics.max_conections", "did you mean \"max_connections\"?");
  expect_error("metrics: { normalise_endpoints: true }\n", "metrics.normalise_endpoints",
               "did you mean \"normalize_endpoints\"?");
}

TEST(ConfigValidate, CodeBuiltServiceMapAndEndpointRules) {
  Config c = defaults();
  c.service_rules.push_back(ServiceRule{});
  c.service_rules[0].cidr = "10.0.0.0/8";
  c.service_rules[0].service = "a";
  EXPECT_NO_THROW(validate_config(c));
  c.service_rules[0].ports = {{10, 5}};
  expect_error_path([&] { validate_config(c); }, "service_map.rules[0].ports[0]");
  c = defaults();
  c.endpoint_rules = {{"ok", "x"}, {"(", "y"}};
  expect_error_path([&] { validate_config(c); }, "metrics.endpoint_rules[1].match");
}

TEST(ConfigErrors, YamlSyntaxErrorNamesLineAndColumn) {
  expect_error("workers:\n  count: [1, 2\nflows: {}\n", "", "YAML syntax error at line");
  const char* misindented = "flows:\n  capacity: 10\n   idle_timeout: 5s\n  : : :\n";
  if (auto e = thrown_config_error([&] { load_config_text(misindented); })) {
    EXPECT_THAT(e->what(), ::testing::MatchesRegex(".*YAML syntax error at line [0-9]+, column [0-9]+: .+"));
  }
}

TEST(ConfigFile, SyntaxErrorNamesFile) {
  const std::string path = ::testing::TempDir() + "l7tap_config_test_bad.yaml";
  {
    std::ofstream out(path);
    out << "# comment\nworkers:\n  count: 1\n  burst_size: [32\nflows: {}\n";
  }
  if (auto e = thrown_config_error([&] { load_config_file(path); })) {
    EXPECT_EQ(e->path(), "");  // the whole file, not a key
    EXPECT_EQ(e->source(), path);
    // The file is named once (main prints what() alone).
    EXPECT_EQ(std::string(e->what()).find(path), 0u);
    EXPECT_EQ(std::string(e->what()).find(path, 1), std::string::npos);
    // yaml-cpp notices the unclosed "[" where the next line starts (line 5, 1-based).
    EXPECT_THAT(e->what(), HasSubstr("YAML syntax error at line 5, column"));
  }
  std::remove(path.c_str());
}

TEST(ConfigFile, MissingFile) {
  if (auto e = thrown_config_error([] { load_config_file("/nonexistent/l7tap.yaml"); })) {
    EXPECT_EQ(e->path(), "");
    EXPECT_EQ(e->source(), "/nonexistent/l7tap.yaml");
    EXPECT_STREQ(e->what(), "/nonexistent/l7tap.yaml: cannot open the conf file: No such file or directory");
  }
}

// ------------------------------------------------------------------------------------------------
// validate_config on a Config built in code

TEST(ConfigErrors, MaxMessageSize) {
  expect_error("protocols: { max_message_size: { mqtt: 1023 } }\n", "protocols.max_message_size.mqtt",
               "must be at least 1024 bytes, got 1023");
  expect_error("protocols: { max_message_size: 16MiB }\n", "protocols.max_message_size",
               "a map of protocol name to a size");
  expect_error("protocols: { max_message_size: { nats: lots } }\n", "protocols.max_message_size.nats", "");
  expect_error("protocols: { max_message_size: { nats: 1MiB, nats: 2MiB } }\n", "protocols.max_message_size.nats",
               "");
  Config c = defaults();
  c.max_message_sizes["amqp"] = 10;
  expect_error_path([&] { validate_config(c); }, "protocols.max_message_size.amqp");
  c.max_message_sizes["amqp"] = 1024;
  EXPECT_NO_THROW(validate_config(c));
}

TEST(ConfigValidate, CodeBuiltConfig) {
  Config c = defaults();
  EXPECT_NO_THROW(validate_config(c));
  c.record_ring_size = kMinRecordRingBytes - 1;
  expect_error_path([&] { validate_config(c); }, "records.ring_size");
  c.record_ring_size = kMinRecordRingBytes;
  EXPECT_NO_THROW(validate_config(c));
  c.port_hints["gopher"] = {70};
  expect_error_path([&] { validate_config(c); }, "protocols.port_hints.gopher");
  c = defaults();
  c.trace_id_headers = {"X-Upper"};
  EXPECT_THROW(validate_config(c), ConfigError);
}

// ------------------------------------------------------------------------------------------------
// unit parsers

TEST(ParseDuration, Good) {
  EXPECT_EQ(parse_duration_us("k", "100us"), 100u);
  EXPECT_EQ(parse_duration_us("k", "250ms"), 250'000u);
  EXPECT_EQ(parse_duration_us("k", "30s"), 30'000'000u);
  EXPECT_EQ(parse_duration_us("k", "5m"), 300'000'000u);
  EXPECT_EQ(parse_duration_us("k", "1h"), 3'600'000'000u);
  EXPECT_EQ(parse_duration_us("k", "0"), 0u);
  EXPECT_EQ(parse_duration_us("k", "60"), 60'000'000u);
  EXPECT_EQ(parse_duration_us("k", "1.5"), 1'500'000u);
  EXPECT_EQ(parse_duration_us("k", "0.000001"), 1u);
  EXPECT_EQ(parse_duration_us("k", "1.25ms"), 1250u);
  EXPECT_EQ(parse_duration_us("k", " 2 s "), 2'000'000u);
  EXPECT_EQ(parse_duration_us("k", "10\xC2\xB5s"), 10u);  // µs
}

TEST(ParseDuration, Bad) {
  expect_rejected(parse_duration_us, "flows.idle_timeout",
                  {"", "abc", "s", "5x", "-1s", "1e3", "5 seconds", "1.5.2s", "0.5us", "0.0000001",
                   "99999999999999999999999h", "30S", "5mm"});
}

TEST(ParseSize, Good) {
  EXPECT_EQ(parse_size_bytes("k", "4096"), 4096u);
  EXPECT_EQ(parse_size_bytes("k", "0"), 0u);
  EXPECT_EQ(parse_size_bytes("k", "17B"), 17u);
  EXPECT_EQ(parse_size_bytes("k", "64KiB"), 65536u);
  EXPECT_EQ(parse_size_bytes("k", "100MiB"), 100ull << 20);
  EXPECT_EQ(parse_size_bytes("k", "1GiB"), 1ull << 30);
  EXPECT_EQ(parse_size_bytes("k", "2TiB"), 2ull << 40);
  EXPECT_EQ(parse_size_bytes("k", "1KB"), 1000u);
  EXPECT_EQ(parse_size_bytes("k", "3MB"), 3'000'000u);
  EXPECT_EQ(parse_size_bytes("k", "1GB"), 1'000'000'000u);
  EXPECT_EQ(parse_size_bytes("k", "1.5KiB"), 1536u);
  EXPECT_EQ(parse_size_bytes("k", "64 kib"), 65536u);
}

TEST(ParseSize, Bad) {
  expect_rejected(parse_size_bytes, "flow_log.max_bytes",
                  {"", "lots", "KiB", "-1", "64K", "1.5", "0.1KiB", "64 KiBs", "1e6", "20000000TiB"});
}

// ------------------------------------------------------------------------------------------------
// shipped conf

TEST(ShippedConf, LoadsAndEqualsDefaultsExceptDeliberateSettings) {
  Config c = load_config_file(std::string(L7TAP_SOURCE_DIR) + "/conf/l7tap.yaml");
  // Deliberately set in the shipped file: an EAL lcore list and an example port.
  EXPECT_THAT(c.eal_args, ElementsAre("-l", "0-1"));
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].name, "mirror0");
  EXPECT_THAT(c.ports[0].device, HasSubstr("net_pcap0,rx_pcap="));
  EXPECT_EQ(c.ports[0].rx_queues, PortConfig{}.rx_queues);
  EXPECT_EQ(c.ports[0].rx_descriptors, PortConfig{}.rx_descriptors);
  EXPECT_EQ(c.ports[0].promiscuous, PortConfig{}.promiscuous);
  // Everything else is exactly the built-in defaults.
  Config rest = c;
  rest.eal_args.clear();
  rest.ports.clear();
  EXPECT_EQ(rest, defaults());
  EXPECT_TRUE(rest.port_hints.empty());  // no overrides: every protocol keeps its default ports
  EXPECT_EQ(rest.latency_buckets, default_latency_buckets());
}

TEST(KnownProtocols, AreTheRegisteredOnes) {
  const auto& names = known_protocol_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  ASSERT_EQ(names.size(), protocol_count());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(names[i], protocol_names()[i]);
    EXPECT_NE(find_protocol(names[i]), nullptr) << names[i];
  }
}

// The conf's port_hints holds overrides only; the defaults are the descriptors' own.
TEST(KnownProtocols, PortHintsOverrideOnlyTheProtocolsNamed) {
  EXPECT_TRUE(Config{}.port_hints.empty());
  for (std::string_view name : protocol_names())
    EXPECT_FALSE(find_protocol(name)->default_ports.empty()) << name;
  const Config c = load_config_text("protocols: { port_hints: { kafka: [19092] } }\n");
  ASSERT_EQ(c.port_hints.size(), 1u);
  EXPECT_THAT(c.port_hints.at("kafka"), ElementsAre(19092));
  expect_error("protocols: { port_hints: { kafka: [1], kafka: [2] } }\n", "protocols.port_hints.kafka", "duplicate key");
}

}  // namespace
}  // namespace l7tap

namespace l7tap {
namespace {

TEST(ConfigErrors, BufferBudgetMustHoldOneFlow) {
  expect_error("flows: { max_buffered_total: 64KiB }\n", "flows.max_buffered_total",
               "must hold at least one flow's buffers");
  EXPECT_EQ(load_config_text("flows: { max_buffered_total: 1GiB }\n").max_buffered_total, 1ull << 30);
  EXPECT_EQ(load_config_text("{}").max_buffered_total, 256ull << 20);
}

}  // namespace
}  // namespace l7tap
