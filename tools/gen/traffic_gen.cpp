#include "tools/gen/traffic_gen.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tools/gen/script.hpp"

namespace gen {

using detail::Conv;
using detail::Env;
using detail::Phase;

std::string_view protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kMqtt: return "mqtt";
    case Protocol::kKafka: return "kafka";
    case Protocol::kAmqp: return "amqp";
    case Protocol::kNats: return "nats";
    case Protocol::kOpenWire: return "openwire";
    case Protocol::kZmtp: return "zmtp";
    case Protocol::kRocketMq: return "rocketmq";
    case Protocol::kPulsar: return "pulsar";
  }
  return "";
}

std::string_view record_type_name(RecordType t) {
  switch (t) {
    case RecordType::kSession: return "session";
    case RecordType::kRequest: return "request";
    case RecordType::kResponse: return "response";
  }
  return "";
}

std::string_view status_name(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kClientError: return "client_error";
    case Status::kServerError: return "server_error";
    case Status::kUnknown: return "unknown";
  }
  return "";
}

uint16_t standard_port(Protocol p) {
  switch (p) {
    case Protocol::kMqtt: return 1883;
    case Protocol::kKafka: return 9092;
    case Protocol::kAmqp: return 5672;
    case Protocol::kNats: return 4222;
    case Protocol::kOpenWire: return 61616;
    case Protocol::kZmtp: return 5555;  // no registered port: the one ZeroMQ examples use
    case Protocol::kRocketMq: return 10911;
    case Protocol::kPulsar: return 6650;
  }
  return 0;
}

namespace {

std::span<const std::string_view> names_of(Protocol p) {
  switch (p) {
    case Protocol::kMqtt: return detail::mqtt_names();
    case Protocol::kKafka: return detail::kafka_names();
    case Protocol::kAmqp: return detail::amqp_names();
    case Protocol::kNats: return detail::nats_names();
    case Protocol::kOpenWire: return detail::openwire_names();
    case Protocol::kZmtp: return detail::zmtp_names();
    case Protocol::kRocketMq: return detail::rocketmq_names();
    case Protocol::kPulsar: return detail::pulsar_names();
  }
  return {};
}

std::size_t count_index(Protocol p, uint8_t name, RecordType t, Status s) {
  return ((static_cast<std::size_t>(p) * Stats::kMaxRequestTypes + name) * 3 + static_cast<std::size_t>(t)) * 4 +
         static_cast<std::size_t>(s);
}

// Ports the conf hints some protocol on (conf/l7tap.yaml port_hints): a "random high port" avoids
// them, so detection runs without any hint.
bool hinted_port(uint16_t p) {
  switch (p) {
    case 1883: case 8883: case 9092: case 5672: case 4222: case 20880: case 9000: case 61616: case 6650:
    case 9876: case 10911: case 12200: case 5555:
      return true;
    default:
      return false;
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
}

}  // namespace

// --- Stats --------------------------------------------------------------------------------------

void Stats::add_expected(Protocol p, uint8_t request_type, RecordType t, Status s, uint64_t n) {
  counts_[count_index(p, request_type, t, s)] += n;
}

uint64_t Stats::expected(Protocol p, RecordType t, std::string_view request_type, Status s) const {
  const auto names = names_of(p);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == request_type) return counts_[count_index(p, static_cast<uint8_t>(i), t, s)];
  return 0;
}

std::vector<ExpectedRecord> Stats::expected_records() const {
  std::vector<ExpectedRecord> out;
  for (std::size_t p = 0; p < kProtocols; ++p) {
    const auto proto = static_cast<Protocol>(p);
    const auto names = names_of(proto);
    for (std::size_t n = 0; n < names.size(); ++n)
      for (std::size_t t = 0; t < 3; ++t)
        for (std::size_t s = 0; s < 4; ++s) {
          const uint64_t c = counts_[count_index(proto, static_cast<uint8_t>(n), static_cast<RecordType>(t),
                                                 static_cast<Status>(s))];
          if (c != 0) out.push_back({proto, static_cast<RecordType>(t), names[n], static_cast<Status>(s), c});
        }
  }
  return out;
}

uint64_t Stats::expected_total() const {
  uint64_t n = 0;
  for (uint64_t c : counts_) n += c;
  return n;
}

std::string Stats::to_json() const {
  std::string out = "{";
  auto field = [&out](std::string_view k, uint64_t v) {
    append_json_string(out, k);
    out += ':';
    out += std::to_string(v);
    out += ',';
  };
  field("frames", frames);
  field("bytes", bytes);
  field("conversations_started", conversations_started);
  field("conversations_finished", conversations_finished);
  field("error_opportunities", error_opportunities);
  field("errors", errors);
  out += "\"conversations\":{";
  for (std::size_t p = 0; p < kProtocols; ++p) {
    if (p != 0) out += ',';
    append_json_string(out, protocol_name(static_cast<Protocol>(p)));
    out += ':';
    out += std::to_string(conversations[p]);
  }
  out += "},\"records\":[";
  bool first = true;
  for (const ExpectedRecord& r : expected_records()) {
    if (!first) out += ',';
    first = false;
    out += "{\"protocol\":";
    append_json_string(out, protocol_name(r.protocol));
    out += ",\"type\":";
    append_json_string(out, record_type_name(r.type));
    out += ",\"request_type\":";
    append_json_string(out, r.request_type);
    out += ",\"response_status\":";
    append_json_string(out, status_name(r.status));
    out += ",\"count\":";
    out += std::to_string(r.count);
    out += '}';
  }
  out += "]}";
  return out;
}

// --- endpoints ------------------------------------------------------------------------------------

uint32_t client_key(uint64_t seed, uint64_t serial) {
  // A bijection of 32 bits: XOR with a key, then the MurmurHash3 finaliser (xor-shifts and
  // multiplications by odd constants, each invertible modulo 2^32).
  uint64_t s = seed;
  uint32_t x = static_cast<uint32_t>(serial) ^ static_cast<uint32_t>(detail::splitmix(s));
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  x *= 0xC2B2AE35u;
  x ^= x >> 16;
  return x;
}

FlowEndpoints flow_endpoints(uint64_t seed, uint64_t serial, Protocol p, bool ipv6, uint8_t server_index,
                             uint16_t server_port) {
  const uint32_t k = client_key(seed, serial);
  const uint32_t host = k >> 15;  // 17 bits
  FlowEndpoints f;
  f.client_port = static_cast<uint16_t>(32768 + (k & 0x7FFF));
  f.server_port = server_port;
  const auto proto = static_cast<uint8_t>(p);
  if (ipv6) {
    // fd00:6c37:0:1::/64 for clients, fd00:6c37:0:2::/64 for servers.
    Ip c{0xFD, 0x00, 0x6C, 0x37, 0, 0, 0, 1};
    c[13] = static_cast<uint8_t>(host >> 16);
    c[14] = static_cast<uint8_t>(host >> 8);
    c[15] = static_cast<uint8_t>(host);
    Ip s{0xFD, 0x00, 0x6C, 0x37, 0, 0, 0, 2};
    s[13] = proto;
    s[15] = static_cast<uint8_t>(1 + (server_index & 7));
    f.client_ip = c;
    f.server_ip = s;
  } else {
    f.client_ip = ip4(10, static_cast<uint8_t>(64 + (host >> 16)), static_cast<uint8_t>(host >> 8),
                      static_cast<uint8_t>(host));
    f.server_ip = ip4(10, static_cast<uint8_t>(200 + proto), 0, static_cast<uint8_t>(1 + (server_index & 7)));
  }
  return f;
}

// --- shared script helpers ----------------------------------------------------------------------

namespace detail {

uint32_t payload_size(Conv& c, const Env& e) {
  const Options& o = e.opt;
  if (o.large_max > 0 && chance(c.rng, o.large_share)) {
    const uint32_t lo = std::min(o.large_min, o.large_max);
    return lo + below(c.rng, o.large_max - lo + 1);
  }
  const uint32_t b = below(c.rng, 64);
  const uint32_t lo = e.small_bounds[b], hi = e.small_bounds[b + 1];
  return lo + below(c.rng, hi - lo + 1);
}

std::span<const uint8_t> payload(const Env& e, Rng& r, uint32_t len) {
  const std::size_t n = std::min<std::size_t>(len, e.pool.size());
  const std::size_t off = static_cast<std::size_t>(r.next() % (e.pool.size() - n + 1));
  return e.pool.subspan(off, n);
}

Text<48> client_ip_text(const Conv& c) {
  Text<48> t;
  const Ip& ip = c.tcp.client_ip();
  if (!c.tcp.ipv6()) {
    t.num(ip[0]).add(".").num(ip[1]).add(".").num(ip[2]).add(".").num(ip[3]);
    return t;
  }
  for (int i = 0; i < 16; i += 2) {
    if (i != 0) t.add(":");
    t.hex(static_cast<uint64_t>(ip[i] << 8 | ip[i + 1]), 4);
  }
  return t;
}

}  // namespace detail

// --- the generator --------------------------------------------------------------------------------

TrafficGenerator::TrafficGenerator(const Options& o) : opt_(o) {
  opt_.concurrency = std::max<uint32_t>(opt_.concurrency, 1);
  opt_.max_exchanges = std::max(opt_.max_exchanges, opt_.min_exchanges);
  opt_.small_min = std::max<uint32_t>(opt_.small_min, 1);
  opt_.small_max = std::max(opt_.small_max, opt_.small_min);
  opt_.mss = std::clamp<uint16_t>(opt_.mss, 64, 9000);
  rng_ = opt_.seed ^ 0x6C37746170ull;

  // The payload pool: JSON-like text, regenerated identically from the seed.
  const std::size_t pool_size = std::max<std::size_t>(opt_.large_max, opt_.small_max) + 65536;
  pool_.reserve(pool_size + 128);
  uint64_t prng = opt_.seed ^ 0x706F6F6Cull;
  while (pool_.size() < pool_size) {
    detail::Text<128> t;
    t.add("{\"id\":").num(detail::splitmix(prng) % 1000000).add(",\"device\":\"dev-").num(detail::splitmix(prng) % 5000);
    t.add("\",\"temp\":").num(detail::splitmix(prng) % 40).add(".").num(detail::splitmix(prng) % 10);
    t.add(",\"status\":\"ok\",\"ts\":").num(1700000000 + detail::splitmix(prng) % 1000000).add("}\n");
    const auto b = t.bytes();
    pool_.insert(pool_.end(), b.begin(), b.end());
  }
  pool_.resize(pool_size);

  env_ = std::make_unique<Env>(Env{opt_, stats_, pool_, false, {}});
  // Payload size buckets, log-spaced between small_min and small_max.
  const double ratio = static_cast<double>(opt_.small_max) / opt_.small_min;
  for (std::size_t i = 0; i <= 64; ++i)
    env_->small_bounds[i] = static_cast<uint32_t>(std::lround(opt_.small_min * std::pow(ratio, i / 64.0)));
  env_->small_bounds[64] = opt_.small_max;

  gap_ns_ = static_cast<uint64_t>(std::llround(std::max(opt_.gap_us, 0.0) * 1000.0));
  frame_.resize(TcpConversation::kMaxHeaders + opt_.mss + 64);
  convs_.resize(opt_.concurrency);
  for (Conv& c : convs_) start_conversation(c);
  active_ = convs_.size();
  next_slot_ = detail::below(rng_, static_cast<uint32_t>(active_));
}

TrafficGenerator::~TrafficGenerator() = default;

std::size_t TrafficGenerator::conversation_state_bytes() { return sizeof(Conv); }

bool TrafficGenerator::draining() const { return env_->draining; }

void TrafficGenerator::start_conversation(Conv& c) {
  c = Conv{};
  c.serial = next_serial_++;
  uint64_t s = opt_.seed * 0x9E3779B97F4A7C15ull + c.serial;
  c.rng = detail::splitmix(s);
  // Protocol by the mix weights.
  double total = 0;
  for (double w : opt_.mix) total += std::max(w, 0.0);
  const bool equal = !(total > 0);  // no weights: an equal mix
  const double pick = static_cast<double>(detail::splitmix(c.rng) >> 11) * 0x1.0p-53 * (equal ? kProtocols : total);
  double acc = 0;
  c.proto = Protocol::kNats;
  for (std::size_t p = 0; p < kProtocols; ++p) {
    acc += equal ? 1.0 : std::max(opt_.mix[p], 0.0);
    if (pick < acc) {
      c.proto = static_cast<Protocol>(p);
      break;
    }
  }
  FlowSpec spec;
  spec.ipv6 = detail::chance(c.rng, opt_.ipv6);
  uint16_t port = standard_port(c.proto);
  if (detail::chance(c.rng, opt_.high_port_share)) {
    do {
      port = static_cast<uint16_t>(10000 + detail::below(c.rng, 32768 - 10000));
    } while (hinted_port(port));
  }
  const FlowEndpoints ep =
      flow_endpoints(opt_.seed, c.serial, c.proto, spec.ipv6, static_cast<uint8_t>(detail::below(c.rng, 8)), port);
  spec.client_ip = ep.client_ip;
  spec.server_ip = ep.server_ip;
  spec.client_port = ep.client_port;
  spec.server_port = ep.server_port;
  if (detail::chance(c.rng, opt_.vlan)) spec.vlan = static_cast<uint16_t>(100 + detail::below(c.rng, 100));
  if (detail::chance(c.rng, opt_.vxlan)) {
    spec.vxlan = true;
    spec.vni = 5000 + detail::below(c.rng, 100);
  }
  spec.client_isn = static_cast<uint32_t>(detail::splitmix(c.rng));
  spec.server_isn = static_cast<uint32_t>(detail::splitmix(c.rng));
  spec.mss = opt_.mss;
  spec.tcp_checksum = opt_.tcp_checksum;
  c.tcp = TcpConversation(spec);
  c.left = static_cast<uint16_t>(
      std::min<uint32_t>(opt_.min_exchanges + detail::below(c.rng, opt_.max_exchanges - opt_.min_exchanges + 1), 65535));
  c.rst = detail::chance(c.rng, opt_.rst_share);
  c.phase = Phase::kSyn;
}

uint64_t TrafficGenerator::next_gap_ns() {
  // Exponential inter-arrival times (a Poisson stream) from a 4096-quantile table.
  static const auto kQuantiles = [] {
    std::array<uint32_t, 4096> q{};
    for (std::size_t i = 0; i < q.size(); ++i)
      q[i] = static_cast<uint32_t>(std::lround(-std::log(1.0 - (i + 0.5) / q.size()) * 65536.0));
    return q;
  }();
  return (gap_ns_ * kQuantiles[detail::splitmix(rng_) >> 52]) >> 16;
}

std::size_t TrafficGenerator::step(Conv& c) {
  uint8_t* f = frame_.data();
  TcpConversation& t = c.tcp;
  Env& e = *env_;
  switch (c.phase) {
    case Phase::kSyn:
      ++stats_.conversations_started;
      ++stats_.conversations[static_cast<std::size_t>(c.proto)];
      c.phase = Phase::kSynAck;
      return t.build_next(f, Dir::kToServer, tcp::kSyn, 0);
    case Phase::kSynAck:
      c.phase = Phase::kHandshakeAck;
      return t.build_next(f, Dir::kToClient, tcp::kSyn | tcp::kAck, 0);
    case Phase::kHandshakeAck: {
      const std::size_t n = t.build_next(f, Dir::kToServer, tcp::kAck, 0);
      c.phase = Phase::kData;
      switch (c.proto) {
        case Protocol::kMqtt: detail::mqtt_start(c, e); break;
        case Protocol::kKafka: detail::kafka_start(c, e); break;
        case Protocol::kAmqp: detail::amqp_start(c, e); break;
        case Protocol::kNats: detail::nats_start(c, e); break;
        case Protocol::kOpenWire: detail::openwire_start(c, e); break;
        case Protocol::kZmtp: detail::zmtp_start(c, e); break;
        case Protocol::kRocketMq: detail::rocketmq_start(c, e); break;
        case Protocol::kPulsar: detail::pulsar_start(c, e); break;
      }
      return n;
    }
    case Phase::kData: break;
    case Phase::kFin:
      c.phase = Phase::kPeerFin;
      return t.build_next(f, c.closer, tcp::kFin | tcp::kAck, 0);
    case Phase::kPeerFin:
      c.phase = Phase::kLastAck;
      return t.build_next(f, opposite(c.closer), tcp::kFin | tcp::kAck, 0);
    case Phase::kLastAck:
      c.phase = Phase::kDone;
      return t.build_next(f, c.closer, tcp::kAck, 0);
    case Phase::kRst:
      c.phase = Phase::kDone;
      return t.build_next(f, c.closer, tcp::kRst | tcp::kAck, 0);
    case Phase::kDone: return 0;
  }

  const int i = static_cast<int>(c.dir);
  // The receiver acknowledges at least every second full-sized segment (RFC 1122 §4.2.3.2, RFC
  // 5681 §4.2), and before the sender starts another message the previous one was acknowledged
  // (delayed ACK timer) unless the peer answered it.
  if (c.unacked[i] >= 2 || (c.unit_off == 0 && c.unacked[i] > 0)) {
    c.unacked[i] = 0;
    return t.build_next(f, opposite(c.dir), tcp::kAck, 0);
  }
  const std::size_t hl = t.header_len(false);
  Writer w(f + hl, c.unit_off, c.unit_off + t.mss());
  switch (c.proto) {
    case Protocol::kMqtt: detail::mqtt_encode(c, e, w); break;
    case Protocol::kKafka: detail::kafka_encode(c, e, w); break;
    case Protocol::kAmqp: detail::amqp_encode(c, e, w); break;
    case Protocol::kNats: detail::nats_encode(c, e, w); break;
    case Protocol::kOpenWire: detail::openwire_encode(c, e, w); break;
    case Protocol::kZmtp: detail::zmtp_encode(c, e, w); break;
    case Protocol::kRocketMq: detail::rocketmq_encode(c, e, w); break;
    case Protocol::kPulsar: detail::pulsar_encode(c, e, w); break;
  }
  const uint64_t total = w.pos();
  const auto seg = static_cast<uint32_t>(std::min<uint64_t>(t.mss(), total - c.unit_off));
  const bool last = c.unit_off + seg == total;
  const std::size_t n = t.build_next(f, c.dir, last ? tcp::kPsh | tcp::kAck : tcp::kAck, seg);
  ++c.unacked[i];
  c.unacked[1 - i] = 0;
  c.unit_off += seg;
  if (last) {
    switch (c.proto) {
      case Protocol::kMqtt: detail::mqtt_done(c, e); break;
      case Protocol::kKafka: detail::kafka_done(c, e); break;
      case Protocol::kAmqp: detail::amqp_done(c, e); break;
      case Protocol::kNats: detail::nats_done(c, e); break;
      case Protocol::kOpenWire: detail::openwire_done(c, e); break;
      case Protocol::kZmtp: detail::zmtp_done(c, e); break;
      case Protocol::kRocketMq: detail::rocketmq_done(c, e); break;
      case Protocol::kPulsar: detail::pulsar_done(c, e); break;
    }
  }
  return n;
}

Frame TrafficGenerator::next() {
  while (active_ != 0) {
    // This step's conversation was drawn at the previous step and its state prefetched: with 100k
    // and more open, it is rarely in cache, and the miss then overlaps this frame's work.
    std::size_t slot = next_slot_;
    if (slot >= active_) slot = detail::below(rng_, static_cast<uint32_t>(active_));  // removed by drain
    next_slot_ = detail::below(rng_, static_cast<uint32_t>(active_));
    const char* ahead = reinterpret_cast<const char*>(&convs_[next_slot_]);
    for (std::size_t off = 0; off < sizeof(Conv); off += 64) __builtin_prefetch(ahead + off);
    Conv& c = convs_[slot];
    const std::size_t n = step(c);
    if (c.phase == Phase::kDone) {
      ++stats_.conversations_finished;
      if (env_->draining) {
        c = convs_[--active_];
      } else {
        start_conversation(c);
      }
    }
    if (n == 0) continue;
    Frame out;
    out.bytes = std::span<const uint8_t>(frame_.data(), n);
    out.ts_us = opt_.start_us + now_ns_ / 1000;
    now_ns_ += next_gap_ns();
    ++stats_.frames;
    stats_.bytes += n;
    return out;
  }
  return {};
}

void TrafficGenerator::drain() {
  if (env_->draining) return;
  env_->draining = true;
  // Conversations that have not sent their SYN yet never start.
  for (std::size_t i = 0; i < active_;) {
    if (convs_[i].phase == Phase::kSyn) {
      convs_[i] = convs_[--active_];
    } else {
      ++i;
    }
  }
}

}  // namespace gen
