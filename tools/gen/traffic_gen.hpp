// A seeded generator of mirrored MQ traffic: `concurrency` TCP conversations open at once, MQTT,
// Kafka, AMQP 0-9-1, NATS, OpenWire, Pulsar, ZMTP and RocketMQ in a configurable mix, interleaved
// packet by packet.
//
//   gen::Options o;
//   o.seed = 42;
//   o.concurrency = 100000;
//   gen::TrafficGenerator g(o);
//   for (int i = 0; i < 1000000; ++i) {
//     gen::Frame f = g.next();          // f.bytes valid until the next call; f.ts_us
//     process(f.bytes, f.ts_us);
//   }
//   g.drain();                          // optional: let the open conversations finish
//   for (gen::Frame f = g.next(); !f.bytes.empty(); f = g.next()) process(f.bytes, f.ts_us);
//   g.stats().expected_records();       // what l7tap should log for what was generated
//
// Each step picks one open conversation at random and emits its next packet, so a request and
// its response are separated by other conversations' packets. A finished conversation (FIN, or
// RST for a share) is replaced by a new one: the number open stays `concurrency` until drain().
// Conversations are built lazily: a conversation holds 128 bytes of state and no message bytes;
// each packet is encoded when it is due (a segment of a long message re-encodes only that
// segment's window of it). Same seed and options: byte-identical output.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/gen/tcp_conversation.hpp"

namespace gen {

enum class Protocol : uint8_t { kMqtt, kKafka, kAmqp, kNats, kOpenWire, kZmtp, kRocketMq, kPulsar };
inline constexpr std::size_t kProtocols = 8;
std::string_view protocol_name(Protocol p);

// What l7tap logs (README "Sessions"): record type and response status.
enum class RecordType : uint8_t { kSession, kRequest, kResponse };
enum class Status : uint8_t { kOk, kClientError, kServerError, kUnknown };
std::string_view record_type_name(RecordType t);
std::string_view status_name(Status s);

struct Options {
  uint64_t seed = 1;
  uint32_t concurrency = 1000;
  // Relative weights of new conversations' protocols: mqtt, kafka, amqp, nats, openwire, zmtp,
  // rocketmq, pulsar.
  std::array<double, kProtocols> mix{1, 1, 1, 1, 1, 1, 1, 1};
  // Share of requests that can be refused (CONNACK, SUBACK, v5 acks, Kafka error codes, AMQP
  // channel/connection errors, NATS -ERR, ZMTP PLAIN ERROR, OpenWire exceptions, RocketMQ and
  // Pulsar errors) that are.
  double errors = 0.05;
  double vlan = 0.0;   // share of conversations with an 802.1Q tag
  double vxlan = 0.0;  // share inside VXLAN
  double ipv6 = 0.0;   // share over IPv6
  // Exchanges (request/response or one-way steps) between a conversation's setup and teardown.
  uint32_t min_exchanges = 1;
  uint32_t max_exchanges = 20;
  // Payload sizes: log-uniform in [small_min, small_max], except `large_share` of messages,
  // uniform in [large_min, large_max] (many segments each).
  uint32_t small_min = 20;
  uint32_t small_max = 2000;
  double large_share = 0.01;
  uint32_t large_min = 10 * 1024;
  uint32_t large_max = 200 * 1024;
  // Share of servers on a random high port (10000-32767) instead of 1883/9092/5672/4222/5555.
  double high_port_share = 0.1;
  // Share of conversations that end with a RST sent right after a request (which thus stays
  // unanswered) instead of an orderly close.
  double rst_share = 0.02;
  uint64_t start_us = 1700000000000000;  // 2023-11-14T22:13:20Z
  double gap_us = 1.0;                   // mean inter-packet gap (exponentially distributed)
  uint16_t mss = 1448;
  bool tcp_checksum = false;
};

struct Frame {
  std::span<const uint8_t> bytes{};  // empty: no more frames (only after drain())
  uint64_t ts_us = 0;
};

struct ExpectedRecord {
  Protocol protocol = Protocol::kMqtt;
  RecordType type = RecordType::kSession;
  std::string_view request_type{};
  Status status = Status::kOk;
  uint64_t count = 0;
};

struct Stats {
  static constexpr std::size_t kMaxRequestTypes = 32;

  uint64_t conversations_started = 0;
  uint64_t conversations_finished = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  std::array<uint64_t, kProtocols> conversations{};  // started, per protocol
  // Requests the responder could refuse, and those it did (the error share in effect).
  uint64_t error_opportunities = 0;
  uint64_t errors = 0;

  // The flow-log records l7tap should write for everything generated so far, counted when the
  // message that completes a record was sent. Requests still awaiting their response are not
  // counted (drain() answers them).
  void add_expected(Protocol p, uint8_t request_type, RecordType t, Status s, uint64_t n = 1);
  uint64_t expected(Protocol p, RecordType t, std::string_view request_type, Status s) const;
  std::vector<ExpectedRecord> expected_records() const;  // the non-zero counts
  uint64_t expected_total() const;
  // {"frames":..., "conversations_started":..., ..., "records":[{"protocol":"mqtt","type":"session",
  //  "request_type":"CONNECT","response_status":"ok","count":12}, ...]}
  std::string to_json() const;

 private:
  std::array<uint64_t, kProtocols * kMaxRequestTypes * 3 * 4> counts_{};
};

// Endpoints of conversation `serial`. The client address and port come from a bijection of the
// serial's low 32 bits (keyed by the seed), so no two of 2^32 consecutive conversations share a
// client endpoint and thus a 5-tuple; clients are 10.64.0.0/15 (fd00:6c37:0:1::/64) with ports
// 32768-65535. Servers are 10.200+p.0.1..8 (fd00:6c37:0:2::p:1..8) on `server_port`: one
// address range per protocol, because l7tap caches detection verdicts per server ip:port.
struct FlowEndpoints {
  Ip client_ip{};
  Ip server_ip{};
  uint16_t client_port = 0;
  uint16_t server_port = 0;
};
uint32_t client_key(uint64_t seed, uint64_t serial);
FlowEndpoints flow_endpoints(uint64_t seed, uint64_t serial, Protocol p, bool ipv6, uint8_t server_index,
                             uint16_t server_port);
uint16_t standard_port(Protocol p);

namespace detail {
struct Conv;
struct Env;
}  // namespace detail

class TrafficGenerator {
 public:
  explicit TrafficGenerator(const Options& o);
  ~TrafficGenerator();
  TrafficGenerator(const TrafficGenerator&) = delete;
  TrafficGenerator& operator=(const TrafficGenerator&) = delete;

  // The next frame of the interleaved stream; its bytes stay valid until the next call.
  Frame next();
  // No new conversations from now on: each open one finishes its exchange, closes its protocol
  // session and its TCP connection; next() returns an empty frame once all have.
  void drain();
  bool draining() const;
  // Conversations open (started or about to start): `concurrency` until drain().
  std::size_t open_conversations() const { return active_; }
  const Stats& stats() const { return stats_; }
  const Options& options() const { return opt_; }
  // Bytes of generator state per open conversation (for sizing runs with millions of flows).
  static std::size_t conversation_state_bytes();

 private:
  void start_conversation(detail::Conv& c);
  std::size_t step(detail::Conv& c);  // builds the conversation's next frame into frame_
  uint64_t next_gap_ns();

  Options opt_;
  Stats stats_;
  std::unique_ptr<detail::Env> env_;
  std::vector<detail::Conv> convs_;
  std::size_t active_ = 0;     // convs_[0 .. active_) are open
  std::size_t next_slot_ = 0;  // the conversation the next step serves
  uint64_t next_serial_ = 0;
  uint64_t rng_ = 0;  // the scheduler's SplitMix64 state
  uint64_t now_ns_ = 0;
  uint64_t gap_ns_ = 0;
  std::vector<uint8_t> pool_;   // payload bytes: messages are slices of it
  std::vector<uint8_t> frame_;  // the frame next() returns
};

}  // namespace gen
