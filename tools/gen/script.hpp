// Internal to the traffic generator: the state of one open conversation and what the protocol
// scripts (script_<protocol>.cpp) share.
//
// A conversation sends "units": the bytes one side writes at once (one message, or a few that
// go together, such as AMQP's Basic.Publish + content header + body frames). For each unit the
// script decides, when it plans it, everything that later units depend on (packet ids, error
// codes, sizes) and keeps it in a few fields of Conv; what only shapes the bytes (topic names,
// payload slices, trace ids) comes from `unit_seed`. encode() is therefore a pure function of
// the Conv: the scheduler calls it once per TCP segment with a Writer window over that segment,
// and done() once the unit is sent, which counts the flow-log records the unit completes and plans
// the next unit (or the teardown).
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/tcp_conversation.hpp"
#include "tools/gen/traffic_gen.hpp"
#include "tools/gen/writer.hpp"

namespace gen::detail {

// SplitMix64 (a 64-bit state, passes BigCrush): the scheduler, every conversation and every
// unit have their own.
inline uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
inline uint32_t below(uint64_t& s, uint32_t n) {
  return static_cast<uint32_t>((static_cast<unsigned __int128>(splitmix(s)) * n) >> 64);
}
inline bool chance(uint64_t& s, double p) { return static_cast<double>(splitmix(s) >> 11) * 0x1.0p-53 < p; }

struct Rng {
  uint64_t s;
  uint64_t next() { return splitmix(s); }
  uint32_t below(uint32_t n) { return detail::below(s, n); }
  bool chance(double p) { return detail::chance(s, p); }
};

enum class Phase : uint8_t { kSyn, kSynAck, kHandshakeAck, kData, kFin, kPeerFin, kLastAck, kRst, kDone };

// 128 bytes, aligned to cache lines: a step touches exactly two of them (prefetched).
struct alignas(64) Conv {
  TcpConversation tcp;
  uint64_t serial = 0;
  uint64_t rng = 0;        // decisions
  uint64_t unit_seed = 0;  // the current unit's cosmetic randomness, replayed for every segment
  uint32_t unit_off = 0;   // bytes of the current unit sent
  uint32_t size = 0;       // payload bytes of the current message
  uint32_t aux = 0;        // script: error code of the pending response, ...
  uint32_t id = 0;         // script: correlation id, delivery tag, subscription id
  std::array<uint16_t, 2> pid{};  // script: packet ids per side, versions, channel
  uint16_t left = 0;              // exchanges left
  Protocol proto = Protocol::kMqtt;
  Phase phase = Phase::kSyn;
  uint8_t kind = 0;     // script: which unit
  uint8_t step = 0;     // script
  uint8_t flags = 0;    // script
  uint8_t version = 0;  // script
  Dir dir = Dir::kToServer;     // sender of the current unit
  Dir closer = Dir::kToServer;  // sender of the first FIN / the RST
  std::array<uint8_t, 2> unacked{};  // data segments each side sent since the peer last did
  bool rst = false;                  // this conversation ends with a RST after a request
};

struct Env {
  const Options& opt;
  Stats& stats;
  std::span<const uint8_t> pool;
  bool draining = false;
  std::array<uint32_t, 65> small_bounds{};  // log-spaced payload size buckets
};

// --- planning helpers ---------------------------------------------------------------------
inline void plan(Conv& c, Dir d, uint8_t kind) {
  c.dir = d;
  c.kind = kind;
  c.unit_seed = splitmix(c.rng);
  c.unit_off = 0;
}
inline void finish(Conv& c, Dir closer, bool rst = false) {
  c.closer = closer;
  c.phase = rst ? Phase::kRst : Phase::kFin;
}
// Starts another exchange unless the conversation has had its share (or the run is draining).
inline bool more(Conv& c, const Env& e) {
  if (e.draining || c.left == 0) return false;
  --c.left;
  return true;
}
// Whether the responder refuses this request (counted towards the error share).
inline bool refuse(Conv& c, Env& e) {
  ++e.stats.error_opportunities;
  if (!chance(c.rng, e.opt.errors)) return false;
  ++e.stats.errors;
  return true;
}
inline void expect(Env& e, Protocol p, uint8_t name, Status s = Status::kOk, RecordType t = RecordType::kSession,
                   uint64_t n = 1) {
  e.stats.add_expected(p, name, t, s, n);
}
// A RST conversation resets the connection right after the request of its last exchange: the
// request stays unanswered (a `request` record with status unknown once the flow ends).
inline bool abort_after_request(Conv& c, Env& e, uint8_t name) {
  if (!c.rst || c.left != 0) return false;
  expect(e, c.proto, name, Status::kUnknown, RecordType::kRequest);
  finish(c, Dir::kToServer, true);
  return true;
}
uint32_t payload_size(Conv& c, const Env& e);
// A payload: `len` bytes of the pool at an offset chosen by `r`.
std::span<const uint8_t> payload(const Env& e, Rng& r, uint32_t len);

// Small text built on the stack (topic names, JSON, trace ids).
template <std::size_t N>
class Text {
 public:
  Text& add(std::string_view s) {
    const std::size_t n = s.size() < N - n_ ? s.size() : N - n_;
    for (std::size_t i = 0; i < n; ++i) buf_[n_ + i] = s[i];
    n_ += n;
    return *this;
  }
  Text& num(uint64_t v) {
    char b[24];
    const auto r = std::to_chars(b, b + sizeof b, v);
    return add(std::string_view(b, static_cast<std::size_t>(r.ptr - b)));
  }
  Text& hex(uint64_t v, int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; --i) add(std::string_view(&kHex[(v >> (4 * i)) & 15], 1));
    return *this;
  }
  std::string_view view() const { return {buf_.data(), n_}; }
  std::span<const uint8_t> bytes() const { return as_bytes(view()); }

 private:
  std::array<char, N> buf_{};
  std::size_t n_ = 0;
};

// W3C trace context: "00-<32 hex trace id>-<16 hex span id>-01".
inline Text<64> traceparent(Rng& r) {
  Text<64> t;
  t.add("00-").hex(r.next() | 1, 16).hex(r.next(), 16).add("-").hex(r.next() | 1, 16).add("-01");
  return t;
}
// The conversation's client address as text (for INFO's client_ip and the like).
Text<48> client_ip_text(const Conv& c);

// --- the protocol scripts -------------------------------------------------------------------
// start: the handshake is done, plan the first unit. encode: write the current unit. done: the
// unit was sent. names: request_type strings, indexed by the ids scripts pass to expect().
void mqtt_start(Conv& c, Env& e);
void mqtt_encode(const Conv& c, const Env& e, Writer& w);
void mqtt_done(Conv& c, Env& e);
std::span<const std::string_view> mqtt_names();

void kafka_start(Conv& c, Env& e);
void kafka_encode(const Conv& c, const Env& e, Writer& w);
void kafka_done(Conv& c, Env& e);
std::span<const std::string_view> kafka_names();

void amqp_start(Conv& c, Env& e);
void amqp_encode(const Conv& c, const Env& e, Writer& w);
void amqp_done(Conv& c, Env& e);
std::span<const std::string_view> amqp_names();

void nats_start(Conv& c, Env& e);
void nats_encode(const Conv& c, const Env& e, Writer& w);
void nats_done(Conv& c, Env& e);
std::span<const std::string_view> nats_names();

void openwire_start(Conv& c, Env& e);
void openwire_encode(const Conv& c, const Env& e, Writer& w);
void openwire_done(Conv& c, Env& e);
std::span<const std::string_view> openwire_names();
void zmtp_start(Conv& c, Env& e);
void zmtp_encode(const Conv& c, const Env& e, Writer& w);
void zmtp_done(Conv& c, Env& e);
std::span<const std::string_view> zmtp_names();
void rocketmq_start(Conv& c, Env& e);
void rocketmq_encode(const Conv& c, const Env& e, Writer& w);
void rocketmq_done(Conv& c, Env& e);
std::span<const std::string_view> rocketmq_names();
void pulsar_start(Conv& c, Env& e);
void pulsar_encode(const Conv& c, const Env& e, Writer& w);
void pulsar_done(Conv& c, Env& e);
std::span<const std::string_view> pulsar_names();

}  // namespace gen::detail
