// The control path on one core: records go through a RecordRing (push → pop, as a worker and the
// control thread do), then RED aggregation and the JSON flow log written to /dev/null — the work
// of the control thread per record. Variants leave parts out so the cost of each shows:
//
//   BM_Ring       push → pop only
//   BM_RingRed    + RED aggregation
//   BM_RingJson   + JSON flow log
//   BM_Full       + both (what the control thread does)
//   BM_FullClientLabels  the same with metrics.client_labels on
//   BM_Scrape     one /metrics Collect() of the RED families with 10,000 series (on a scrape
//                 thread; the control thread waits only for its copy of the numbers)
//   BM_ScrapeAtCap/<case>  what a scrape weighs once traffic has filled the series cap (default
//                 conf: unmatched servers named "ip:port", metrics.max_series_per_metric 10000):
//                 Collect() and the text exposition, as the exposer serves it. Counters:
//                 label_sets, samples and bytes of the exposition, rss_peak_MB (the process's
//                 peak, feeding included). Run one case per process so the peak is that case's:
//                   --benchmark_filter='BM_ScrapeAtCap/0$'
//                 0: 20,001 one-record flows to distinct server IPs (issue 8's report)
//                 1: 10^6 distinct server IPs
//                 2: 10^6 records whose every label is as long as a record allows (IPv6 server
//                    and client, 128-byte endpoint and 48-byte request type of bytes that become
//                    U+FFFD), client labels on: the worst case per label set
//
// Built by tools/benchmark/meson.build:
//
//   ninja -C build-ctl tools/benchmark/control_bench
//   build-ctl/tools/benchmark/control_bench --benchmark_repetitions=3
//
// The flow log is written to /dev/null (see null_sink()). items_per_second is records per second.
// Records come from a fixed pool with a realistic mix:
// MQTT/Kafka/AMQP/NATS-like records to 50 services (40 named by the service map, 10 unmatched and
// named "ip:port"), about 4,000 distinct endpoints that carry numeric ids the built-in normaliser
// folds, a conf endpoint rule (Hyperscan), errors, unanswered requests, trace ids and attributes.
#include <benchmark/benchmark.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "control/flow_log_writer.hpp"
#include "control/record_ring.hpp"
#include "control/red_metrics.hpp"
#include "protocols/registry.hpp"

namespace {

using namespace l7tap;

constexpr std::size_t kServices = 50;
constexpr std::size_t kNamedServices = 40;
constexpr std::size_t kPoolSize = 1 << 14;
constexpr std::size_t kBatch = 256;  // records per ring drain, as the control thread does

std::array<uint8_t, 16> v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

std::string hex(std::mt19937_64& rng, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(n, '0');
  for (char& c : s) c = kDigits[rng() & 15];
  return s;
}

Config bench_config(bool client_labels) {
  Config c;
  c.client_labels = client_labels;
  for (std::size_t s = 0; s < kNamedServices; ++s) {
    ServiceRule r;
    r.cidr = "10.1." + std::to_string(s) + ".10/32";
    r.service = "svc-" + std::to_string(s);
    r.namespace_name = "ns-" + std::to_string(s % 5);
    r.workload = "wl-" + std::to_string(s);
    r.env = "prod";
    r.site = "fra1";
    c.service_rules.push_back(r);
  }
  ServiceRule clients;  // half of the clients belong to a known service (client labels)
  clients.cidr = "10.2.0.0/24";
  clients.service = "frontend";
  c.service_rules.push_back(clients);
  c.endpoint_rules = {{"\\.v[0-9]+$", ".v{}"}};  // versioned NATS subjects
  return c;
}

// One record of the mix; `i` picks the service, the rest comes from `rng`.
FlowRecord make_record(std::size_t i, std::mt19937_64& rng) {
  static const ProtocolId kProto[4] = {protocol_id("mqtt"), protocol_id("kafka"), protocol_id("amqp"),
                                      protocol_id("nats")};
  static constexpr uint16_t kPort[4] = {1883, 9092, 5672, 4222};
  static constexpr const char* kTypes[4][3] = {{"PUBLISH", "SUBSCRIBE", "PINGREQ"},
                                               {"Produce", "Fetch", "Metadata"},
                                               {"Basic.Publish", "Basic.Deliver", "Queue.Declare"},
                                               {"PUB", "MSG", "PING"}};
  const std::size_t svc = i % kServices;
  const std::size_t p = svc % 4;
  FlowRecord r;
  r.protocol = kProto[p];
  r.worker = 0;
  const auto client = static_cast<uint8_t>(rng() % 250);
  r.net.client_ip = v4(10, 2, static_cast<uint8_t>(client & 1), client);
  r.net.client_port = static_cast<uint16_t>(32768 + rng() % 28000);
  r.net.server_ip = v4(10, 1, static_cast<uint8_t>(svc), 10);
  r.net.server_port = kPort[p];
  r.start_time_us = 1'700'000'000'000'000ull + i * 37;

  const unsigned roll = static_cast<unsigned>(rng() % 100);
  const std::size_t type = roll < 75 ? 0 : roll < 95 ? 1 : 2;
  L7Fields& l7 = r.l7;
  l7.set(Field::kRequestType, kTypes[p][type]);
  const unsigned id = static_cast<unsigned>(rng() % 150);  // folded by the normaliser
  switch (p) {
    case 0:
      l7.set(Field::kVersion, "5.0");
      l7.set(Field::kRequestDomain, "sensor-" + std::to_string(client));
      if (type != 2) {
        const std::string topic = "site/" + std::to_string(id) + "/sensor/temp";
        l7.set(Field::kRequestResource, topic);
        l7.set(Field::kEndpoint, topic);
      }
      l7.set_request_id(rng() % 65535 + 1);
      break;
    case 1: {
      const std::string topic = "orders-" + std::to_string(svc);
      const std::string partition = topic + "-" + std::to_string(rng() % 12);
      l7.set(Field::kVersion, "9");
      l7.set(Field::kRequestDomain, topic);
      l7.set(Field::kEndpoint, partition);
      l7.set(Field::kRequestResource, partition + ":" + std::to_string(rng() % 1'000'000));
      l7.set_request_id(rng() % 1'000'000);
      if (rng() % 4 == 0) l7.set_attribute("group_id", "billing-consumers");
      break;
    }
    case 2: {
      const std::string key = "billing.invoice/" + std::to_string(id);
      l7.set(Field::kVersion, "v0.9.1");
      l7.set(Field::kRequestDomain, "/");
      l7.set(Field::kRequestResource, key);
      l7.set(Field::kEndpoint, key);
      break;
    }
    default:
      l7.set(Field::kVersion, "2.10.7");
      l7.set(Field::kRequestDomain, "nats-1");
      l7.set(Field::kRequestResource, "telemetry.room" + std::to_string(id) + ".v" + std::to_string(rng() % 3));
      l7.set(Field::kEndpoint, "telemetry.v" + std::to_string(rng() % 3));
      break;
  }
  if (rng() % 10 < 3) {
    l7.set(Field::kTraceId, hex(rng, 32));
    l7.set(Field::kSpanId, hex(rng, 16));
  }
  if (rng() % 8 == 0) l7.set_attribute("tenant", "t-" + std::to_string(rng() % 20));
  l7.set_request_length(static_cast<uint32_t>(40 + rng() % 2000));

  const unsigned outcome = static_cast<unsigned>(rng() % 100);
  if (outcome < 4) {  // unanswered: timeout
    r.type = RecordType::kRequest;
    l7.response_status = ResponseStatus::kTimeout;
  } else if (outcome < 12 && p != 1) {  // one-way message, no response
    r.type = RecordType::kSession;
  } else {
    r.type = RecordType::kSession;
    r.has_rrt = true;
    r.rrt_us = 50 + rng() % 20000;
    l7.set_response_length(static_cast<uint32_t>(2 + rng() % 500));
    if (outcome < 16) {
      l7.response_status = ResponseStatus::kClientError;
      l7.set_response_code(p == 1 ? 3 : 135);
      l7.set(Field::kResponseException, p == 1 ? "This server does not host this topic-partition." : "Not authorized");
    } else if (outcome < 18) {
      l7.response_status = ResponseStatus::kServerError;
      l7.set_response_code(p == 1 ? 7 : 128);
      l7.set(Field::kResponseException, p == 1 ? "The request timed out." : "Unspecified error");
    } else {
      l7.response_status = ResponseStatus::kOk;
      l7.set_response_code(0);
    }
  }
  r.end_time_us = r.start_time_us + r.rrt_us;
  return r;
}

const std::vector<FlowRecord>& pool() {
  static const std::vector<FlowRecord> records = [] {
    std::mt19937_64 rng(42);
    std::vector<FlowRecord> v;
    v.reserve(kPoolSize);
    for (std::size_t i = 0; i < kPoolSize; ++i) v.push_back(make_record(i, rng));
    return v;
  }();
  return records;
}

// What one pass of the control thread does with one ring (control_thread.cpp: drain_pass); which
// parts run depends on `red` and `log` (null = left out).
struct Pipeline {
  RecordRing ring{Config{}.record_ring_size};
  FlowRecord record;
  RedMetrics* red = nullptr;
  FlowLogWriter* log = nullptr;

  void run(benchmark::State& state) {
    const std::vector<FlowRecord>& records = pool();
    std::size_t next = 0;
    uint64_t done = 0;
    for (auto _ : state) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        if (!ring.push(records[next])) state.SkipWithError("ring full");
        next = (next + 1) & (kPoolSize - 1);
      }
      if (ring.flush() != 0) state.SkipWithError("ring full");  // as a worker does after a burst
      if (red != nullptr) {
        RedMetrics::Batch batch(*red);
        drain([&](const FlowRecord& r) { batch.observe(r); }, done);
      } else {
        drain([](const FlowRecord&) {}, done);
      }
      if (log != nullptr) log->flush();
    }
    state.SetItemsProcessed(static_cast<int64_t>(done));
  }

  template <typename Observe>
  void drain(Observe observe, uint64_t& done) {
    while (ring.pop(record)) {
      if (log != nullptr) log->append(record);
      observe(record);
      ++done;
    }
  }
};

// Where the flow log goes: /dev/null, or /dev/zero (which discards writes just the same) when
// /dev/null is not the character device — some containers have a regular file there, and writing
// to it would measure a growing tmpfs file instead of the formatting.
const char* null_sink() {
  struct stat st;
  if (::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode)) return "/dev/null";
  static bool warned = false;
  if (!warned) std::fprintf(stderr, "control_bench: /dev/null is not a device here, writing to /dev/zero\n");
  warned = true;
  return "/dev/zero";
}

std::unique_ptr<RedMetrics> make_red(bool client_labels) {
  const Config c = bench_config(client_labels);
  return std::make_unique<RedMetrics>(RedOptions::from_config(c), RedRules::from_config(c));
}

void BM_Ring(benchmark::State& state) {
  Pipeline p;
  p.run(state);
}

void BM_RingRed(benchmark::State& state) {
  auto red = make_red(false);
  Pipeline p;
  p.red = red.get();
  p.run(state);
}

void BM_RingJson(benchmark::State& state) {
  FlowLogWriter log(null_sink(), 0, 0);
  Pipeline p;
  p.log = &log;
  p.run(state);
}

void run_full(benchmark::State& state, bool client_labels) {
  auto red = make_red(client_labels);
  FlowLogWriter log(null_sink(), 0, 0);
  Pipeline p;
  p.red = red.get();
  p.log = &log;
  p.run(state);
  state.counters["series"] = static_cast<double>(red->series_count());
}

void BM_Full(benchmark::State& state) { run_full(state, false); }
void BM_FullClientLabels(benchmark::State& state) { run_full(state, true); }

void BM_Scrape(benchmark::State& state) {
  RedOptions o = RedOptions::from_config(Config{});  // caps 10000 series, 100 endpoints per service
  RedMetrics red(o, RedRules::from_config(Config{}));
  FlowRecord r;
  r.protocol = protocol_id("kafka");
  r.has_rrt = true;
  r.rrt_us = 1500;
  r.l7.set(Field::kRequestType, "Produce");
  for (uint8_t service = 0; service < 100; ++service) {
    r.net.server_ip = v4(10, 3, 0, service);
    r.net.server_port = 9092;
    for (int e = 0; e < 100; ++e) {
      r.l7.set(Field::kEndpoint, "topic-" + std::to_string(e));
      red.observe(r);
    }
  }
  if (red.series_count() != 10000) state.SkipWithError("expected 10000 series");
  for (auto _ : state) benchmark::DoNotOptimize(red.collectable()->Collect());
  state.counters["series"] = static_cast<double>(red.series_count());
}

void BM_ScrapeAtCap(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  Config c;  // the defaults: unmatched servers named, caps 10000 series / 100 endpoints
  c.client_labels = which == 2;
  RedMetrics red(RedOptions::from_config(c), RedRules::from_config(c));
  FlowRecord r;
  r.protocol = protocol_id("mqtt");
  r.type = RecordType::kSession;
  r.net.client_ip = v4(192, 168, 0, 1);
  r.net.server_port = 1883;
  r.l7.set(Field::kRequestType, "PUBLISH");
  r.l7.set(Field::kEndpoint, "t");
  std::string endpoint(FieldCaps::cap(Field::kEndpoint), '\x01');
  if (which == 2) {
    r.l7.set(Field::kRequestType, std::string(FieldCaps::cap(Field::kRequestType), '\x01'));
    r.has_rrt = true;
    r.rrt_us = 1500;
  }
  const std::size_t records = which == 0 ? 20001 : 1'000'000;
  {
    RedMetrics::Batch batch(red);
    for (std::size_t i = 0; i < records; ++i) {
      const auto a = static_cast<uint8_t>(i >> 16), b = static_cast<uint8_t>(i >> 8), d = static_cast<uint8_t>(i);
      r.net.server_ip = v4(10, a, b, d);
      if (which == 2) {
        r.net.server_ip = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, a, b, d};
        r.net.server_port = 65535;
        r.net.client_ip = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, a, b, d};
        std::snprintf(endpoint.data(), endpoint.size(), "%zu", i);
        endpoint.back() = '\x01';
        r.l7.set(Field::kEndpoint, endpoint);
      }
      batch.observe(r);
    }
  }
  std::size_t bytes = 0, samples = 0;
  for (auto _ : state) {
    const std::string text = prometheus::TextSerializer().Serialize(red.collectable()->Collect());
    bytes = text.size();
    samples = 0;
    for (std::size_t at = 0; at < text.size();) {
      samples += text[at] != '#';
      const std::size_t eol = text.find('\n', at);
      if (eol == std::string::npos) break;
      at = eol + 1;
    }
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  state.counters["label_sets"] = static_cast<double>(red.series_count());
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["rss_peak_MB"] = static_cast<double>(ru.ru_maxrss) / 1024;
}

BENCHMARK(BM_Ring);
BENCHMARK(BM_RingRed);
BENCHMARK(BM_RingJson);
BENCHMARK(BM_Full);
BENCHMARK(BM_FullClientLabels);
BENCHMARK(BM_Scrape)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScrapeAtCap)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
