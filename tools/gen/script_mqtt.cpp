// MQTT conversations (3.1, 3.1.1 and 5.0 clients): CONNECT/CONNACK (refused for a share, after
// which the server closes the connection, 3.1.1 §3.2.2.3), then exchanges — PUBLISH QoS 0, QoS 1
// with PUBACK, QoS 2 with PUBREC/PUBREL/PUBCOMP, from the client and (once subscribed) from the
// server, SUBSCRIBE/SUBACK, UNSUBSCRIBE/UNSUBACK, PINGREQ/PINGRESP — then DISCONNECT and FIN.
//
// Expected records (README "MQTT"): CONNECT↔CONNACK, PUBLISH QoS 1↔PUBACK, QoS 2↔PUBREC,
// PUBREL↔PUBCOMP, SUBSCRIBE↔SUBACK, UNSUBSCRIBE↔UNSUBACK, PINGREQ↔PINGRESP are sessions named
// after the request; QoS 0 PUBLISH and DISCONNECT are sessions of their own.
#include <array>

#include "tools/gen/proto_mqtt.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t { kNConnect, kNPublish, kNPubrel, kNSubscribe, kNUnsubscribe, kNPingreq, kNDisconnect };
constexpr std::array<std::string_view, 7> kNames = {"CONNECT",     "PUBLISH", "PUBREL",    "SUBSCRIBE",
                                                    "UNSUBSCRIBE", "PINGREQ", "DISCONNECT"};

enum Kind : uint8_t {
  kConnect, kConnack, kSubscribe, kSuback, kUnsubscribe, kUnsuback, kPublish, kPuback, kPubrec, kPubrel, kPubcomp,
  kPingreq, kPingresp, kDisconnect,
};

// Conv fields: version = protocol level; pid = last packet id used by the client / the server;
// step = QoS of the publish in flight; aux = return / reason code of the pending ack; size =
// payload bytes (or, for SUBSCRIBE, the number of filters).
constexpr uint8_t kSubscribed = 1, kCredentials = 2, kServerPublishes = 4, kWill = 8;

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;

// Refusals a broker sends, by packet (3.1.1 table 3.1; 5.0 §3.2.2.2, §3.4.2.1, §3.9.3, §3.11.3).
constexpr std::array<uint8_t, 6> kConnackV3 = {4, 5, 5, 2, 3, 1};
constexpr std::array<uint8_t, 8> kConnackV5 = {0x80, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x9F};
constexpr std::array<uint8_t, 6> kPubackV5 = {0x80, 0x83, 0x87, 0x90, 0x97, 0x99};
constexpr std::array<uint8_t, 5> kSubackV5 = {0x80, 0x83, 0x87, 0x8F, 0x97};
constexpr std::array<uint8_t, 4> kUnsubackV5 = {0x80, 0x83, 0x87, 0x8F};

template <std::size_t N>
uint8_t pick(Conv& c, const std::array<uint8_t, N>& codes) {
  return codes[below(c.rng, N)];
}

// response_status of an ack's code (README "MQTT": CONNACK 1/2/4/5 client_error, 3 server_error;
// 5.0 codes ≥ 0x80 errors, the broker-side ones server_error; 3.1.1 SUBACK 0x80 server_error).
Status status_of(uint8_t level, Kind ack, uint8_t code) {
  if (level != 5) {
    if (ack == kConnack) return code == 0 ? Status::kOk : code == 3 ? Status::kServerError : Status::kClientError;
    return code == 0x80 ? Status::kServerError : Status::kOk;
  }
  if (code < 0x80) return Status::kOk;
  switch (code) {
    case 0x80: case 0x83: case 0x88: case 0x89: case 0x8B: case 0x98: case 0x9C: case 0x9D: return Status::kServerError;
    default: return Status::kClientError;
  }
}

uint16_t next_pid(uint16_t& p) {
  p = p == 65535 ? 1 : static_cast<uint16_t>(p + 1);
  return p;
}

Dir publisher(const Conv& c) { return (c.flags & kServerPublishes) != 0 ? kS : kC; }

void plan_publish(Conv& c, Env& e, bool from_server) {
  const uint32_t q = below(c.rng, 10);
  c.step = q < 4 ? 0 : q < 8 ? 1 : 2;
  c.flags = static_cast<uint8_t>(from_server ? c.flags | kServerPublishes : c.flags & ~kServerPublishes);
  if (c.step > 0) next_pid(c.pid[from_server ? 1 : 0]);
  c.size = payload_size(c, e);
  c.aux = 0;
  // A 5.0 broker may refuse a client's QoS 1/2 message in its PUBACK/PUBREC, or say that nobody
  // subscribes (0x10, a success code).
  if (!from_server && c.step > 0 && c.version == 5) {
    if (refuse(c, e)) {
      c.aux = pick(c, kPubackV5);
    } else if (chance(c.rng, 0.05)) {
      c.aux = 0x10;
    }
  }
  plan(c, from_server ? kS : kC, kPublish);
}

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) {
    if (c.rst) {
      finish(c, kC, true);
    } else {
      plan(c, kC, kDisconnect);
    }
    return;
  }
  const bool subscribed = (c.flags & kSubscribed) != 0;
  const uint32_t r = below(c.rng, 100);
  if (r < 40 || r >= 90) {
    plan_publish(c, e, false);
  } else if (r < 60) {
    plan_publish(c, e, subscribed);
  } else if (r < 72) {
    next_pid(c.pid[0]);
    c.size = 1 + below(c.rng, 2);  // filters
    c.aux = refuse(c, e) ? (c.version == 5 ? pick(c, kSubackV5) : 0x80) : 0;
    plan(c, kC, kSubscribe);
  } else if (r < 78 && subscribed) {
    next_pid(c.pid[0]);
    c.aux = c.version == 5 ? (refuse(c, e) ? pick(c, kUnsubackV5) : chance(c.rng, 0.1) ? 0x11 : 0) : 0;
    plan(c, kC, kUnsubscribe);
  } else {
    plan(c, kC, kPingreq);
  }
}

// --- encoding --------------------------------------------------------------------------------

Text<96> topic(Rng& r, const Conv& c) {
  static constexpr std::string_view kRegions[] = {"eu", "us", "ap"};
  static constexpr std::string_view kSeverity[] = {"info", "warning", "critical"};
  Text<96> t;
  switch (r.below(4)) {
    case 0: t.add("sensors/site-").num(r.below(50)).add("/dev-").num(r.below(1000)).add("/temp"); break;
    case 1: t.add("orders/").add(kRegions[r.below(3)]).add("/created"); break;
    case 2: t.add("alerts/").add(kSeverity[r.below(3)]); break;
    default: t.add("telemetry/").hex(c.serial, 8).add("/status"); break;
  }
  return t;
}

Text<96> filter(Rng& r) {
  Text<96> t;
  switch (r.below(3)) {
    case 0: t.add("sensors/site-").num(r.below(50)).add("/+/temp"); break;
    case 1: t.add("orders/+/created"); break;
    default: t.add("alerts/#"); break;
  }
  return t;
}

std::string_view reason_text(uint8_t code) {
  switch (code) {
    case 0x87: return "not authorized";
    case 0x97: return "quota exceeded";
    case 0x86: return "bad user name or password";
    default: return {};
  }
}

void encode_connect(const Conv& c, Rng& r, Writer& w) {
  Text<32> id;
  id.add("gen-").hex(client_key(0, c.serial), 8);
  Text<16> user;
  user.add("device").num(r.below(1000));
  Text<64> will_topic;
  will_topic.add("clients/").add(id.view()).add("/status");
  const std::array<mqtt::Property, 3> props = {{{mqtt::prop::kSessionExpiry, 3600},
                                                {mqtt::prop::kReceiveMaximum, 20},
                                                {mqtt::prop::kTopicAliasMaximum, 10}}};
  const std::array<mqtt::Property, 1> will_props = {{{0x18 /* will delay interval */, 5}}};
  mqtt::Connect m;
  m.level = c.version;
  m.client_id = id.view();
  m.keep_alive = 60;
  m.has_user = m.has_password = (c.flags & kCredentials) != 0;
  m.user = user.view();
  m.password = "s3cret";
  m.has_will = (c.flags & kWill) != 0;
  m.will_qos = 1;
  m.will_topic = will_topic.view();
  m.will_payload = "offline";
  m.properties = props;
  m.will_properties = will_props;
  mqtt::connect(w, m);
}

void encode_connack(const Conv& c, Writer& w) {
  const auto code = static_cast<uint8_t>(c.aux);
  if (code != 0) {
    const std::array<mqtt::Property, 1> why = {{{mqtt::prop::kReasonString, 0, reason_text(code)}}};
    mqtt::connack(w, c.version, false, code, reason_text(code).empty() ? mqtt::Properties{} : mqtt::Properties(why));
    return;
  }
  const std::array<mqtt::Property, 4> props = {{{mqtt::prop::kReceiveMaximum, 100},
                                                {mqtt::prop::kTopicAliasMaximum, 10},
                                                {mqtt::prop::kRetainAvailable, 1},
                                                {mqtt::prop::kServerKeepAlive, 60}}};
  mqtt::connack(w, c.version, false, 0, props);
}

void encode_publish(const Conv& c, const Env& e, Rng& r, Writer& w) {
  const Text<96> t = topic(r, c);
  const Text<64> trace = traceparent(r);
  std::array<mqtt::Property, 3> props{};
  std::size_t n = 0;
  if (r.chance(0.5)) props[n++] = {mqtt::prop::kContentType, 0, "application/json"};
  if (r.chance(0.1)) props[n++] = {mqtt::prop::kMessageExpiry, 300};
  if (r.chance(0.3)) props[n++] = {mqtt::prop::kUserProperty, 0, "traceparent", trace.view()};
  mqtt::Publish p;
  p.level = c.version;
  p.topic = t.view();
  p.qos = c.step;
  p.packet_id = c.pid[publisher(c) == kS ? 1 : 0];
  p.retain = r.chance(0.05);
  p.properties = std::span(props.data(), n);
  mqtt::publish(w, p, payload(e, r, c.size));
}

void encode_subscribe(const Conv& c, Rng& r, Writer& w) {
  const Text<96> f0 = filter(r), f1 = filter(r);
  // QoS 1 requested; 5.0 adds No Local (bit 2) for some subscriptions.
  const uint8_t opts = static_cast<uint8_t>(1 | (c.version == 5 && r.chance(0.3) ? 4 : 0));
  const std::array<mqtt::Subscription, 2> subs = {{{f0.view(), opts}, {f1.view(), 2}}};
  const std::array<mqtt::Property, 1> props = {{{mqtt::prop::kSubscriptionId, 1 + r.below(1000)}}};
  mqtt::subscribe(w, c.version, c.pid[0], std::span(subs.data(), c.size),
                  r.chance(0.3) ? mqtt::Properties(props) : mqtt::Properties{});
}

void encode_suback(const Conv& c, Writer& w) {
  // One code per filter: granted QoS 1 and 2, the first replaced by the refusal if there is one.
  std::array<uint8_t, 2> codes = {1, 2};
  if (c.aux != 0) codes[0] = static_cast<uint8_t>(c.aux);
  const std::array<mqtt::Property, 1> why = {{{mqtt::prop::kReasonString, 0, reason_text(codes[0])}}};
  mqtt::suback(w, c.version, c.pid[0], std::span(codes.data(), c.size),
               c.aux != 0 && !reason_text(codes[0]).empty() ? mqtt::Properties(why) : mqtt::Properties{});
}

}  // namespace

std::span<const std::string_view> mqtt_names() { return kNames; }

void mqtt_start(Conv& c, Env& e) {
  const uint32_t v = below(c.rng, 20);
  c.version = v == 0 ? 3 : v < 12 ? 4 : 5;
  if (chance(c.rng, 0.5)) c.flags |= kCredentials;
  if (chance(c.rng, 0.2)) c.flags |= kWill;
  c.aux = refuse(c, e) ? (c.version == 5 ? pick(c, kConnackV5) : pick(c, kConnackV3)) : 0;
  plan(c, kC, kConnect);
}

void mqtt_encode(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  const Dir pub = publisher(c);
  const uint16_t pub_id = c.pid[pub == kS ? 1 : 0];
  switch (c.kind) {
    case kConnect: return encode_connect(c, r, w);
    case kConnack: return encode_connack(c, w);
    case kPublish: return encode_publish(c, e, r, w);
    case kPuback:
    case kPubrec: {
      const auto code = static_cast<uint8_t>(c.aux);
      const std::array<mqtt::Property, 1> why = {{{mqtt::prop::kReasonString, 0, reason_text(code)}}};
      const mqtt::Properties props = code >= 0x80 && !reason_text(code).empty() ? mqtt::Properties(why) : mqtt::Properties{};
      return mqtt::pub_ack(w, c.kind == kPuback ? mqtt::kPuback : mqtt::kPubrec, c.version, pub_id, code, props);
    }
    case kPubrel: return mqtt::pubrel(w, c.version, pub_id);
    case kPubcomp: return mqtt::pubcomp(w, c.version, pub_id);
    case kSubscribe: return encode_subscribe(c, r, w);
    case kSuback: return encode_suback(c, w);
    case kUnsubscribe: {
      const Text<96> f = filter(r);
      const std::array<std::string_view, 1> filters = {f.view()};
      return mqtt::unsubscribe(w, c.version, c.pid[0], filters);
    }
    case kUnsuback: {
      const std::array<uint8_t, 1> codes = {static_cast<uint8_t>(c.aux)};
      return mqtt::unsuback(w, c.version, c.pid[0], codes);
    }
    case kPingreq: return mqtt::pingreq(w);
    case kPingresp: return mqtt::pingresp(w);
    case kDisconnect: return mqtt::disconnect(w, c.version);
    default: return;
  }
}

void mqtt_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kMqtt;
  const auto code = static_cast<uint8_t>(c.aux);
  switch (c.kind) {
    case kConnect:
      if (abort_after_request(c, e, kNConnect)) return;
      return plan(c, kS, kConnack);
    case kConnack:
      expect(e, p, kNConnect, status_of(c.version, kConnack, code));
      if (code != 0) return finish(c, kS);  // a refused client is disconnected by the server
      return next_exchange(c, e);
    case kPublish:
      if (c.step == 0) {
        expect(e, p, kNPublish);
        return next_exchange(c, e);
      }
      if (publisher(c) == kC && abort_after_request(c, e, kNPublish)) return;
      return plan(c, opposite(publisher(c)), c.step == 1 ? kPuback : kPubrec);
    case kPuback:
      expect(e, p, kNPublish, status_of(c.version, kPuback, code));
      return next_exchange(c, e);
    case kPubrec:
      expect(e, p, kNPublish, status_of(c.version, kPubrec, code));
      // A PUBREC with a failure code ends the QoS 2 flow: no PUBREL follows (5.0 §4.3.3).
      if (code >= 0x80) return next_exchange(c, e);
      c.aux = 0;
      return plan(c, publisher(c), kPubrel);
    case kPubrel: return plan(c, opposite(publisher(c)), kPubcomp);
    case kPubcomp:
      expect(e, p, kNPubrel);
      return next_exchange(c, e);
    case kSubscribe:
      if (abort_after_request(c, e, kNSubscribe)) return;
      return plan(c, kS, kSuback);
    case kSuback:
      expect(e, p, kNSubscribe, status_of(c.version, kSuback, code));
      if (code == 0) c.flags |= kSubscribed;
      return next_exchange(c, e);
    case kUnsubscribe:
      if (abort_after_request(c, e, kNUnsubscribe)) return;
      return plan(c, kS, kUnsuback);
    case kUnsuback:
      expect(e, p, kNUnsubscribe, status_of(c.version, kUnsuback, code));
      c.flags &= static_cast<uint8_t>(~kSubscribed);
      return next_exchange(c, e);
    case kPingreq:
      if (abort_after_request(c, e, kNPingreq)) return;
      return plan(c, kS, kPingresp);
    case kPingresp:
      expect(e, p, kNPingreq);
      return next_exchange(c, e);
    case kDisconnect:
      expect(e, p, kNDisconnect);
      return finish(c, kC);
    default: return;
  }
}

}  // namespace gen::detail
