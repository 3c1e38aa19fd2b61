// MQTT parser tests. Packets are built here from the MQTT 3.1.1 / 5.0 specifications (the same
// encoding as tools/gen_mqtt_pcap.py); real mosquitto traffic is covered by
// tests/e2e/mosquitto_capture.sh.
#include "protocols/mq/mqtt.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using Bytes = std::vector<uint8_t>;
using test::ParserHarness;

// ---- Encoding helpers (3.1.1 §1.5 / §2.2, 5.0 §1.5 / §2.2.2) ------------------------------------

Bytes vbi(uint32_t n) {
  Bytes out;
  do {
    uint8_t b = n % 128;
    n /= 128;
    if (n != 0) b |= 0x80;
    out.push_back(b);
  } while (n != 0);
  return out;
}
void put(Bytes& b, const Bytes& x) { b.insert(b.end(), x.begin(), x.end()); }
void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
Bytes str(std::string_view s) {
  Bytes b;
  put16(b, static_cast<uint16_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
  return b;
}
Bytes packet(uint8_t type, uint8_t flags, const Bytes& body) {
  Bytes p{static_cast<uint8_t>((type << 4) | flags)};
  put(p, vbi(static_cast<uint32_t>(body.size())));
  put(p, body);
  return p;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) put(out, p);
  return out;
}

// A 5.0 property block from already-encoded properties.
Bytes props(const Bytes& encoded = {}) {
  Bytes b = vbi(static_cast<uint32_t>(encoded.size()));
  put(b, encoded);
  return b;
}
Bytes user_prop(std::string_view k, std::string_view v) {
  Bytes b{0x26};
  put(b, str(k));
  put(b, str(v));
  return b;
}
Bytes str_prop(uint8_t id, std::string_view v) {
  Bytes b{id};
  put(b, str(v));
  return b;
}
Bytes two_prop(uint8_t id, uint16_t v) {
  Bytes b{id};
  put16(b, v);
  return b;
}

Bytes connect(std::string_view client_id, uint8_t level, const Bytes& v5props = {},
              uint8_t flags = 0x02) {
  Bytes vh = str(level == 3 ? "MQIsdp" : "MQTT");
  vh.push_back(level);
  vh.push_back(flags);
  put16(vh, 60);
  if (level == 5) put(vh, props(v5props));
  put(vh, str(client_id));
  return packet(1, 0, vh);
}
Bytes connack(uint8_t code, bool v5 = false, const Bytes& v5props = {}) {
  Bytes b{0, code};
  if (v5) put(b, props(v5props));
  return packet(2, 0, b);
}
Bytes publish(std::string_view topic, std::string_view payload, uint8_t qos, uint16_t pid = 0,
              bool v5 = false, const Bytes& v5props = {}) {
  Bytes b = str(topic);
  if (qos != 0) put16(b, pid);
  if (v5) put(b, props(v5props));
  b.insert(b.end(), payload.begin(), payload.end());
  return packet(3, static_cast<uint8_t>(qos << 1), b);
}
// PUBACK(4) / PUBREC(5) / PUBREL(6) / PUBCOMP(7); code < 0 = omitted.
Bytes pub_ack(uint8_t type, uint16_t pid, int code = -1, const Bytes* v5props = nullptr) {
  Bytes b;
  put16(b, pid);
  if (code >= 0) b.push_back(static_cast<uint8_t>(code));
  if (v5props != nullptr) put(b, props(*v5props));
  return packet(type, type == 6 ? 2 : 0, b);
}
Bytes subscribe(uint16_t pid, std::vector<std::pair<std::string_view, uint8_t>> filters, bool v5 = false) {
  Bytes b;
  put16(b, pid);
  if (v5) put(b, props());
  for (auto& [f, o] : filters) {
    put(b, str(f));
    b.push_back(o);
  }
  return packet(8, 2, b);
}
Bytes suback(uint16_t pid, Bytes codes, bool v5 = false, const Bytes& v5props = {}) {
  Bytes b;
  put16(b, pid);
  if (v5) put(b, props(v5props));
  put(b, codes);
  return packet(9, 0, b);
}
Bytes unsubscribe(uint16_t pid, std::vector<std::string_view> filters, bool v5 = false) {
  Bytes b;
  put16(b, pid);
  if (v5) put(b, props());
  for (auto f : filters) put(b, str(f));
  return packet(10, 2, b);
}
Bytes unsuback(uint16_t pid, bool v5 = false, Bytes codes = {}) {
  Bytes b;
  put16(b, pid);
  if (v5) {
    put(b, props());
    put(b, codes);
  }
  return packet(11, 0, b);
}
const Bytes kPingreq{0xc0, 0x00};
const Bytes kPingresp{0xd0, 0x00};
const Bytes kDisconnect{0xe0, 0x00};

constexpr Dir C = Dir::kToServer;
constexpr Dir S = Dir::kToClient;

// Everything a message carries, as text, to compare runs.
std::string dump(const Message& m) {
  const L7Fields& f = m.fields;
  std::ostringstream o;
  o << int(m.role) << '|' << int(m.dir) << '|' << m.has_id << ':' << m.id << '|' << m.pair_class << '|'
    << f.get(Field::kVersion) << '|' << f.get(Field::kRequestType) << '|' << f.get(Field::kRequestDomain) << '|'
    << f.get(Field::kRequestResource) << '|' << f.get(Field::kEndpoint) << '|' << f.get(Field::kRequestId) << '|'
    << f.has_response_code << ':' << f.response_code << '|' << int(f.response_status) << '|'
    << f.get(Field::kResponseException) << '|' << f.get(Field::kTraceId) << '|' << f.get(Field::kSpanId) << '|'
    << f.get(Field::kXRequestId) << '|' << f.has_request_length << ':' << f.request_length << '|'
    << f.has_response_length << ':' << f.response_length;
  return o.str();
}

ParserHarness make() { return ParserHarness(kMqttDescriptor); }

// ---- Connection setup -----------------------------------------------------------------------

TEST(Mqtt, ConnectConnackV311) {
  auto h = make();
  h.feed(C, connect("test-1", 4));
  h.feed(S, connack(0));
  ASSERT_EQ(h.messages().size(), 2u);
  const Message& req = h.messages()[0];
  EXPECT_EQ(req.role, MsgRole::kRequest);
  EXPECT_EQ(req.pair_class, mqtt::kClassConnect);
  EXPECT_FALSE(req.has_id);
  EXPECT_EQ(req.fields.get(Field::kVersion), "3.1.1");
  EXPECT_EQ(req.fields.get(Field::kRequestType), "CONNECT");
  EXPECT_EQ(req.fields.get(Field::kRequestDomain), "test-1");
  // Remaining Length: 10 (variable header) + 8 (client id) = 18.
  EXPECT_TRUE(req.fields.has_request_length);
  EXPECT_EQ(req.fields.request_length, 18u);
  const Message& resp = h.messages()[1];
  EXPECT_EQ(resp.role, MsgRole::kResponse);
  EXPECT_EQ(resp.dir, S);
  EXPECT_EQ(resp.pair_class, mqtt::kClassConnect);
  EXPECT_EQ(resp.fields.get(Field::kVersion), "3.1.1");
  EXPECT_TRUE(resp.fields.has_response_code);
  EXPECT_EQ(resp.fields.response_code, 0);
  EXPECT_EQ(resp.fields.response_status, ResponseStatus::kOk);
  EXPECT_EQ(resp.fields.response_length, 2u);
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, VersionStrings) {
  for (auto [level, name] : {std::pair<uint8_t, std::string_view>{3, "3.1"}, {4, "3.1.1"}, {5, "5.0"}}) {
    auto h = make();
    h.feed(C, connect("c", level));
    h.feed(S, connack(0, level == 5));
    h.feed(C, publish("t", "x", 0, 0, level == 5));
    ASSERT_EQ(h.messages().size(), 3u) << int(level);
    for (const Message& m : h.messages()) EXPECT_EQ(m.fields.get(Field::kVersion), name);
    EXPECT_EQ(h.errors(), 0u);
  }
}

TEST(Mqtt, ConnackReturnCodesV311) {
  const ResponseStatus want[] = {ResponseStatus::kOk, ResponseStatus::kClientError,
                                 ResponseStatus::kClientError, ResponseStatus::kServerError,
                                 ResponseStatus::kClientError, ResponseStatus::kClientError};
  for (uint8_t code = 0; code <= 5; ++code) {
    auto h = make();
    h.feed(C, connect("c", 4));
    h.feed(S, connack(code));
    ASSERT_EQ(h.messages().size(), 2u);
    const L7Fields& f = h.messages()[1].fields;
    EXPECT_EQ(f.response_code, code);
    EXPECT_EQ(f.response_status, want[code]) << int(code);
    EXPECT_EQ(f.get(Field::kResponseException).empty(), code == 0);
  }
  // 6..255 are reserved: not a CONNACK.
  auto h = make();
  h.feed(C, connect("c", 4));
  h.feed(S, connack(6));
  EXPECT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.errors(), 1u);
}

TEST(Mqtt, ConnectV5PropertiesAndConnackReasons) {
  auto h = make();
  Bytes cprops = cat({Bytes{0x11, 0, 0, 0x0e, 0x10}, two_prop(0x21, 20), user_prop("traceparent",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")});
  h.feed(C, connect("", 5, cprops));
  h.feed(S, connack(0x87, true, cat({str_prop(0x12, "auto-42"), str_prop(0x1f, "go away")})));
  ASSERT_EQ(h.messages().size(), 2u);
  const L7Fields& req = h.messages()[0].fields;
  EXPECT_EQ(req.get(Field::kVersion), "5.0");
  EXPECT_TRUE(req.get(Field::kRequestDomain).empty());
  EXPECT_EQ(req.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");
  const L7Fields& resp = h.messages()[1].fields;
  EXPECT_EQ(resp.response_code, 0x87);
  EXPECT_EQ(resp.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(resp.get(Field::kResponseException), "go away");
  EXPECT_EQ(resp.get(Field::kRequestDomain), "auto-42");  // Assigned Client Identifier

  auto h2 = make();
  h2.feed(C, connect("c", 5));
  h2.feed(S, connack(0x80, true));  // Unspecified error, no reason string
  ASSERT_EQ(h2.messages().size(), 2u);
  EXPECT_EQ(h2.messages()[1].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(h2.messages()[1].fields.get(Field::kResponseException), "Unspecified error");
}

TEST(Mqtt, ConnectFlagsValidated) {
  // Will QoS 3 is malformed.
  auto h = make();
  h.feed(C, connect("c", 4, {}, 0x02 | 0x04 | 0x18));
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_TRUE(h.messages().empty());
  // Unknown protocol name.
  Bytes vh = str("MQTX");
  put(vh, Bytes{4, 2, 0, 60});
  put(vh, str("c"));
  auto h2 = make();
  h2.feed(C, packet(1, 0, vh));
  EXPECT_EQ(h2.errors(), 1u);
  // A bridge sets bit 7 of the level: still 3.1.1.
  Bytes bridge = connect("bridge-1", 4);
  bridge[2 + 6] = 0x84;
  auto h3 = make();
  h3.feed(C, bridge);
  ASSERT_EQ(h3.messages().size(), 1u);
  EXPECT_EQ(h3.messages()[0].fields.get(Field::kVersion), "3.1.1");
}

TEST(Mqtt, ConnectWithWillAndCredentials) {
  // 3.1.1: will flag + will QoS 1 + user name + password.
  Bytes vh = str("MQTT");
  put(vh, Bytes{4, 0x02 | 0x04 | 0x08 | 0x80 | 0x40, 0, 30});
  put(vh, cat({str("dev-7"), str("will/topic"), str("bye"), str("alice"), str("secret")}));
  // 5.0: the same with will properties (which are not this packet's user properties).
  Bytes vh5 = str("MQTT");
  put(vh5, Bytes{5, 0x02 | 0x04 | 0x80, 0, 30});
  put(vh5, props());
  put(vh5, str("dev-8"));
  put(vh5, props(user_prop("traceparent", "00-11111111111111111111111111111111-2222222222222222-01")));
  put(vh5, cat({str("will/topic"), str("bye"), str("bob")}));
  auto h = make();
  h.feed(C, packet(1, 0, vh));
  auto h5 = make();
  h5.feed(C, packet(1, 0, vh5));
  ASSERT_EQ(h.messages().size(), 1u);
  ASSERT_EQ(h5.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestDomain), "dev-7");
  EXPECT_EQ(h5.messages()[0].fields.get(Field::kRequestDomain), "dev-8");
  EXPECT_TRUE(h5.messages()[0].fields.get(Field::kTraceId).empty());
  EXPECT_EQ(h.errors() + h5.errors(), 0u);
}

// ---- Publish flows --------------------------------------------------------------------------

TEST(Mqtt, PublishQos0IsOneWay) {
  auto h = make();
  h.feed(C, connect("c", 4));
  h.feed(C, publish("a/b", "hello", 0));
  ASSERT_EQ(h.messages().size(), 2u);
  const Message& m = h.messages()[1];
  EXPECT_EQ(m.role, MsgRole::kOneWay);
  EXPECT_EQ(m.fields.get(Field::kRequestType), "PUBLISH");
  EXPECT_EQ(m.fields.get(Field::kRequestResource), "a/b");
  EXPECT_EQ(m.fields.get(Field::kEndpoint), "a/b");
  EXPECT_FALSE(m.has_id);
  EXPECT_EQ(m.fields.request_length, 2u + 3 + 5);
}

TEST(Mqtt, PublishQos1And2BothDirections) {
  auto h = make();
  h.feed(C, connect("c", 4));
  h.feed(C, publish("up", "1", 1, 10));
  h.feed(S, pub_ack(4, 10));
  h.feed(C, publish("up", "2", 2, 11));
  h.feed(S, pub_ack(5, 11));
  h.feed(C, pub_ack(6, 11));
  h.feed(S, pub_ack(7, 11));
  h.feed(S, publish("down", "3", 1, 1));  // server → subscriber
  h.feed(C, pub_ack(4, 1));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 9u);
  struct Want {
    MsgRole role;
    Dir dir;
    uint32_t cls;
    uint64_t id;
    std::string_view type;
  };
  const Want want[] = {
      {MsgRole::kRequest, C, mqtt::kClassPublishQos1, 10, "PUBLISH"},
      {MsgRole::kResponse, S, mqtt::kClassPublishQos1, 10, "PUBACK"},
      {MsgRole::kRequest, C, mqtt::kClassPublishQos2, 11, "PUBLISH"},
      {MsgRole::kResponse, S, mqtt::kClassPublishQos2, 11, "PUBREC"},
      {MsgRole::kRequest, C, mqtt::kClassPubrel, 11, "PUBREL"},
      {MsgRole::kResponse, S, mqtt::kClassPubrel, 11, "PUBCOMP"},
      {MsgRole::kRequest, S, mqtt::kClassPublishQos1, 1, "PUBLISH"},
      {MsgRole::kResponse, C, mqtt::kClassPublishQos1, 1, "PUBACK"},
  };
  for (std::size_t i = 0; i < 8; ++i) {
    const Message& m = ms[i + 1];
    EXPECT_EQ(m.role, want[i].role) << i;
    EXPECT_EQ(m.dir, want[i].dir) << i;
    EXPECT_EQ(m.pair_class, want[i].cls) << i;
    EXPECT_TRUE(m.has_id) << i;
    EXPECT_EQ(m.id, want[i].id) << i;
    EXPECT_EQ(m.fields.get(Field::kRequestType), want[i].type) << i;
    EXPECT_EQ(m.fields.get(Field::kVersion), "3.1.1") << i;
  }
  EXPECT_EQ(ms[1].fields.get(Field::kRequestId), "10");
  EXPECT_TRUE(ms[1].fields.request_id_is_int());
  EXPECT_EQ(ms[1].fields.request_length, 2u + 2 + 2 + 1);
  EXPECT_EQ(ms[2].fields.response_length, 2u);
  EXPECT_FALSE(ms[2].fields.has_response_code);  // 3.1.1 PUBACK carries no code
  EXPECT_EQ(ms[2].fields.response_status, ResponseStatus::kOk);
  EXPECT_EQ(ms[7].fields.get(Field::kRequestResource), "down");
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, PublishV5TraceContextAndReasonCodes) {
  ParserOptions opts;
  static constexpr std::string_view kReqIds[] = {"x-request-id"};
  opts.x_request_id_headers = kReqIds;
  ParserHarness h(kMqttDescriptor, opts);
  h.feed(C, connect("c", 5));
  h.feed(C, publish("orders", "{}", 1, 1, true,
                    cat({Bytes{0x01, 1}, str_prop(0x03, "application/json"),
                         user_prop("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                         user_prop("X-Request-ID", "req-77")})));
  h.feed(S, pub_ack(4, 1));  // reason code omitted = Success
  h.feed(C, publish("orders", "{}", 1, 2, true));
  const Bytes reason = str_prop(0x1f, "quota");
  h.feed(S, pub_ack(4, 2, 0x97, &reason));
  h.feed(C, publish("orders", "{}", 2, 3, true, Bytes{0x0b, 0x07}));
  h.feed(S, pub_ack(5, 3, 0x10));  // No matching subscribers: still a success
  h.feed(C, publish("orders", "{}", 1, 4, true));
  h.feed(S, pub_ack(4, 4, 0x80, nullptr));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 9u);
  EXPECT_EQ(ms[1].fields.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ms[1].fields.get(Field::kSpanId), "00f067aa0ba902b7");
  EXPECT_EQ(ms[1].fields.get(Field::kXRequestId), "req-77");
  EXPECT_EQ(ms[2].fields.response_code, 0);
  EXPECT_EQ(ms[2].fields.response_status, ResponseStatus::kOk);
  EXPECT_EQ(ms[4].fields.response_code, 0x97);
  EXPECT_EQ(ms[4].fields.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(ms[4].fields.get(Field::kResponseException), "quota");
  EXPECT_EQ(ms[6].fields.response_code, 0x10);
  EXPECT_EQ(ms[6].fields.response_status, ResponseStatus::kOk);
  EXPECT_EQ(ms[8].fields.response_code, 0x80);
  EXPECT_EQ(ms[8].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(ms[8].fields.get(Field::kResponseException), "Unspecified error");
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, PublishV5Sw8) {
  auto h = make();
  h.feed(C, connect("c", 5));
  // sw8: sample-traceId(b64)-segmentId(b64)-spanId-...
  h.feed(C, publish("t", "", 0, 0, true,
                    user_prop("sw8", "1-dHJhY2UtMQ==-c2VnLTE=-3-c2Vydg==-aW5zdA==-L2FwaQ==-aG9zdDo4MA==")));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kTraceId), "trace-1");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kSpanId), "seg-1-3");
}

TEST(Mqtt, TopicAlias) {
  auto h = make();
  h.feed(C, connect("c", 5));
  h.feed(C, publish("long/topic/name", "1", 0, 0, true, two_prop(0x23, 3)));
  h.feed(C, publish("", "2", 1, 9, true, two_prop(0x23, 3)));
  h.feed(S, publish("", "3", 0, 0, true, two_prop(0x23, 3)));  // the server's aliases are its own
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[2].fields.get(Field::kRequestResource), "long/topic/name");
  EXPECT_EQ(ms[2].fields.get(Field::kEndpoint), "long/topic/name");
  EXPECT_TRUE(ms[3].fields.get(Field::kRequestResource).empty());
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, PublishFlagsValidated) {
  Bytes p = publish("t", "x", 1, 1);
  p[0] = 0x36;  // QoS 3
  auto h = make();
  h.feed(C, p);
  EXPECT_EQ(h.errors(), 1u);
  auto h2 = make();
  h2.feed(C, publish("t", "x", 1, 0));  // packet identifier 0 is not allowed
  EXPECT_EQ(h2.errors(), 1u);
  auto h3 = make();
  h3.feed(C, connect("c", 4));
  h3.feed(C, publish("", "x", 0));  // empty topic needs a 5.0 topic alias
  EXPECT_EQ(h3.errors(), 1u);
}

// ---- Subscriptions, ping, disconnect, auth ------------------------------------------------------

TEST(Mqtt, SubscribeUnsubscribeV311) {
  auto h = make();
  h.feed(C, connect("c", 4));
  h.feed(C, subscribe(5, {{"a/+/c", 1}, {"d/#", 2}}));
  h.feed(S, suback(5, {1, 2}));
  h.feed(C, subscribe(6, {{"secret/#", 0}}));
  h.feed(S, suback(6, {0x80}));
  h.feed(C, unsubscribe(7, {"a/+/c", "d/#"}));
  h.feed(S, unsuback(7));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 7u);
  EXPECT_EQ(ms[1].role, MsgRole::kRequest);
  EXPECT_EQ(ms[1].pair_class, mqtt::kClassSubscribe);
  EXPECT_EQ(ms[1].id, 5u);
  // Every filter in request_resource; the first one is the endpoint (a metric label).
  EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), "a/+/c,d/#");
  EXPECT_EQ(ms[1].fields.get(Field::kEndpoint), "a/+/c");
  EXPECT_EQ(ms[2].role, MsgRole::kResponse);
  EXPECT_EQ(ms[2].fields.get(Field::kRequestType), "SUBACK");
  EXPECT_EQ(ms[2].fields.response_status, ResponseStatus::kOk);
  EXPECT_FALSE(ms[2].fields.has_response_code);
  EXPECT_EQ(ms[4].fields.response_code, 0x80);
  EXPECT_EQ(ms[4].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(ms[5].pair_class, mqtt::kClassUnsubscribe);
  EXPECT_EQ(ms[5].fields.get(Field::kRequestResource), "a/+/c,d/#");
  EXPECT_EQ(ms[5].fields.get(Field::kEndpoint), "a/+/c");
  EXPECT_EQ(ms[6].pair_class, mqtt::kClassUnsubscribe);
  EXPECT_EQ(ms[6].id, 7u);
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, SubscribeListsWholeFiltersWithinTheCap) {
  auto h = make();
  h.feed(C, connect("c", 4));
  const std::string a(100, 'a'), b(100, 'b'), c(100, 'c');
  h.feed(C, subscribe(1, {{a, 0}, {b, 0}, {c, 0}, {"d", 0}}));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 2u);
  // 256 bytes: a,b fit (201); c would end past the cap and is left out whole; "d" still fits.
  EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), a + "," + b + ",d");
  EXPECT_EQ(ms[1].fields.get(Field::kEndpoint), a);
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, SubscribeV5) {
  auto h = make();
  h.feed(C, connect("c", 5));
  // Options: QoS 1, No Local, Retain As Published, Retain Handling 2.
  h.feed(C, subscribe(1, {{"x/#", 0x01 | 0x04 | 0x08 | 0x20}, {"admin/#", 0}}, true));
  h.feed(S, suback(1, {0x01, 0x87}, true, str_prop(0x1f, "no admin")));
  h.feed(C, unsubscribe(2, {"x/#"}, true));
  h.feed(S, unsuback(2, true, {0x11}));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 5u);
  EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), "x/#,admin/#");
  EXPECT_EQ(ms[2].fields.response_code, 0x87);
  EXPECT_EQ(ms[2].fields.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(ms[2].fields.get(Field::kResponseException), "no admin");
  EXPECT_EQ(ms[4].fields.response_code, 0x11);
  EXPECT_EQ(ms[4].fields.response_status, ResponseStatus::kOk);
  EXPECT_EQ(h.errors(), 0u);
  // Reserved option bits are malformed.
  auto h2 = make();
  h2.feed(C, connect("c", 5));
  h2.feed(C, subscribe(1, {{"x", 0xc0}}, true));
  EXPECT_EQ(h2.errors(), 1u);
  // A SUBSCRIBE without topic filters is malformed.
  auto h3 = make();
  h3.feed(C, connect("c", 4));
  h3.feed(C, packet(8, 2, Bytes{0, 1}));
  EXPECT_EQ(h3.errors(), 1u);
}

TEST(Mqtt, PingAndDisconnect) {
  auto h = make();
  h.feed(C, connect("c", 4));
  h.feed(C, kPingreq);
  h.feed(S, kPingresp);
  h.feed(C, kDisconnect);
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[1].role, MsgRole::kRequest);
  EXPECT_EQ(ms[1].pair_class, mqtt::kClassPing);
  EXPECT_FALSE(ms[1].has_id);
  EXPECT_EQ(ms[2].role, MsgRole::kResponse);
  EXPECT_EQ(ms[2].pair_class, mqtt::kClassPing);
  EXPECT_EQ(ms[3].role, MsgRole::kOneWay);
  EXPECT_EQ(ms[3].fields.get(Field::kRequestType), "DISCONNECT");
  EXPECT_TRUE(ms[3].fields.has_request_length);
  EXPECT_EQ(ms[3].fields.request_length, 0u);
  // PINGREQ with a body, 3.1.1 DISCONNECT with a body: malformed.
  auto h2 = make();
  h2.feed(C, Bytes{0xc0, 0x01, 0x00});
  EXPECT_EQ(h2.errors(), 1u);
  auto h3 = make();
  h3.feed(C, connect("c", 4));
  h3.feed(C, Bytes{0xe0, 0x01, 0x00});
  EXPECT_EQ(h3.errors(), 1u);
}

TEST(Mqtt, DisconnectAndAuthV5) {
  auto h = make();
  h.feed(C, connect("c", 5));
  h.feed(S, Bytes{0xf0, 0x00});                             // AUTH, Success implied
  h.feed(C, packet(15, 0, cat({Bytes{0x18}, props(str_prop(0x15, "SCRAM-SHA-1"))})));
  h.feed(S, packet(14, 0, cat({Bytes{0x8b}, props(str_prop(0x1f, "maintenance"))})));
  h.feed(C, Bytes{0xe0, 0x01, 0x81});  // client: the server sent a malformed packet
  h.feed(S, Bytes{0xe0, 0x01, 0x8e});  // server: session taken over
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 6u);
  EXPECT_EQ(ms[1].role, MsgRole::kOneWay);
  EXPECT_EQ(ms[1].fields.get(Field::kRequestType), "AUTH");
  EXPECT_EQ(ms[1].fields.response_code, 0);
  EXPECT_EQ(ms[2].fields.response_code, 0x18);
  EXPECT_EQ(ms[2].fields.response_status, ResponseStatus::kOk);
  EXPECT_EQ(ms[3].fields.get(Field::kRequestType), "DISCONNECT");
  EXPECT_EQ(ms[3].fields.response_code, 0x8b);
  EXPECT_EQ(ms[3].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(ms[3].fields.get(Field::kResponseException), "maintenance");
  EXPECT_EQ(ms[4].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(ms[5].fields.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(ms[5].fields.get(Field::kResponseException), "Session taken over");
  EXPECT_EQ(h.errors(), 0u);
  // AUTH does not exist before 5.0.
  auto h2 = make();
  h2.feed(C, connect("c", 4));
  h2.feed(C, Bytes{0xf0, 0x00});
  EXPECT_EQ(h2.errors(), 1u);
}

TEST(Mqtt, PropertiesBoundsChecked) {
  // Unknown property id 0x7f.
  auto h = make();
  h.feed(C, connect("c", 5));
  h.feed(C, publish("t", "x", 0, 0, true, Bytes{0x7f, 0x00}));
  EXPECT_EQ(h.errors(), 1u);
  // A user property string running past its property block.
  Bytes body = str("t");
  put(body, Bytes{0x04, 0x26, 0x00, 0x09, 'a'});
  put(body, Bytes{'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'});
  auto h2 = make();
  h2.feed(C, connect("c", 5));
  h2.feed(C, packet(3, 0, body));
  EXPECT_EQ(h2.errors(), 1u);
  // A property block longer than the packet.
  Bytes body3 = str("t");
  put(body3, Bytes{0x40, 0x01, 0x01});
  auto h3 = make();
  h3.feed(C, connect("c", 5));
  h3.feed(C, packet(3, 0, body3));
  EXPECT_EQ(h3.errors(), 1u);
}

// ---- Framing --------------------------------------------------------------------------------

TEST(Mqtt, FixedHeaderValidated) {
  const std::vector<Bytes> bad = {
      {0x00, 0x00},                    // type 0 is reserved
      {0x22, 0x02, 0x00, 0x00},        // CONNACK with flags
      {0x80, 0x05, 0, 1, 0, 1, 'a'},   // SUBSCRIBE flags must be 0010
      {0x60, 0x02, 0x00, 0x01},        // PUBREL flags must be 0010
      {0x30, 0xff, 0xff, 0xff, 0xff, 0x01},  // remaining length over 4 bytes
      {0xc0, 0x80, 0x00},              // non-minimal remaining length (a PINGREQ otherwise)
  };
  for (const Bytes& b : bad) {
    auto h = make();
    h.feed(C, b);
    EXPECT_EQ(h.errors(), 1u) << int(b[0]);
    EXPECT_TRUE(h.messages().empty());
  }
}

std::vector<Bytes> conversation_c2s_packets() {
  return {connect("split-client", 5, user_prop("k", "v")),
          subscribe(1, {{"s/#", 1}}, true),
          publish("s/1", std::string(300, 'p'), 1, 2, true,
                  user_prop("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")),
          publish("s/2", "q0", 0, 0, true), pub_ack(6, 3, 0), kPingreq,
          unsubscribe(4, {"s/#"}, true), Bytes{0xe0, 0x00}};
}
Bytes conversation_c2s() {
  Bytes out;
  for (const Bytes& p : conversation_c2s_packets()) put(out, p);
  return out;
}
Bytes conversation_s2c() {
  return cat({connack(0, true, str_prop(0x12, "id")), suback(1, {1}, true), pub_ack(4, 2),
              pub_ack(5, 3, 0), pub_ack(7, 3, 0, nullptr), kPingresp, unsuback(4, true, {0})});
}

TEST(Mqtt, SplitAcrossSegmentsGivesSameMessages) {
  auto whole = make();
  whole.feed(C, conversation_c2s());
  whole.feed(S, conversation_s2c());
  ASSERT_EQ(whole.errors(), 0u);
  ASSERT_EQ(whole.messages().size(), 15u);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    auto split = make();
    // CONNECT first (it sets the version), then both directions interleaved chunk by chunk.
    const Bytes c2s = conversation_c2s();
    const Bytes s2c = conversation_s2c();
    split.feed_split(C, c2s, chunk);
    split.feed_split(S, s2c, chunk);
    ASSERT_EQ(split.errors(), 0u) << chunk;
    ASSERT_EQ(split.messages().size(), whole.messages().size()) << chunk;
    // Direction order is what matters: compare each direction's sequence.
    for (Dir d : {C, S}) {
      std::vector<std::string> a, b;
      for (auto& m : whole.messages())
        if (m.dir == d) a.push_back(dump(m));
      for (auto& m : split.messages())
        if (m.dir == d) b.push_back(dump(m));
      EXPECT_EQ(a, b) << "chunk " << chunk;
    }
  }
}

// Only clients send CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ: one of them travelling kToClient
// proves the flow's guessed orientation wrong. A normal conversation, whose server also publishes
// to the client, must not be reported.
TEST(Mqtt, ClientOnlyPacketsInToClientReportReversedOrientation) {
  for (bool swapped : {false, true}) {
    SCOPED_TRACE(swapped);
    const Dir client = swapped ? S : C;
    auto h = make();
    h.feed(client, conversation_c2s());
    h.feed(opposite(client), conversation_s2c());
    h.feed(opposite(client), publish("s/1", "to-subscriber", 1, 9, true));
    h.feed(client, pub_ack(4, 9));
    EXPECT_EQ(h.errors(), 0u);
    EXPECT_EQ(h.messages().size(), 17u);
    EXPECT_EQ(h.reversed(), swapped);
  }

  // Each client-only packet on its own is proof; in kToServer it is not.
  for (const Bytes& p : {connect("c", 4), subscribe(5, {{"a", 0}}), unsubscribe(6, {"a"}), kPingreq}) {
    for (Dir d : {C, S}) {
      auto h = make();
      h.feed(d, p);
      ASSERT_EQ(h.messages().size(), 1u) << int(p[0]);
      EXPECT_EQ(h.reversed(), d == S) << int(p[0]) << " dir " << int(d);
    }
  }
}

TEST(Mqtt, SeveralPacketsInOneSegment) {
  auto h = make();
  h.feed(C, cat({connect("c", 4), publish("a", "1", 0), publish("b", "2", 1, 1), kPingreq}));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), "a");
  EXPECT_EQ(ms[2].fields.get(Field::kRequestResource), "b");
  EXPECT_EQ(ms[3].fields.get(Field::kRequestType), "PINGREQ");
}

TEST(Mqtt, TruncatedTailWaitsForTheRest) {
  auto h = make();
  const Bytes p = cat({connect("c", 4), publish("topic", "payload", 1, 7)});
  h.feed(C, Bytes(p.begin(), p.end() - 5));
  EXPECT_EQ(h.messages().size(), 1u);
  h.feed(C, Bytes(p.end() - 5, p.end()));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].id, 7u);
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, FourByteRemainingLengthAndOversizedPublish) {
  ParserOptions opts;
  opts.max_buffered = 4096;
  ParserHarness h(kMqttDescriptor, opts);
  h.feed(C, connect("c", 5));
  // 2.1 MB payload: a 4-byte Remaining Length, far more than the buffer bound.
  const Bytes big = publish("big/blob", std::string(2'100'000, 'z'), 1, 42, true,
                            user_prop("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  ASSERT_EQ(big[4] & 0x80, 0);
  ASSERT_NE(big[3] & 0x80, 0);
  h.feed_split(C, big, 1500);
  h.feed(C, publish("after", "x", 0, 0, true));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), "big/blob");
  EXPECT_EQ(ms[1].id, 42u);
  EXPECT_EQ(ms[1].fields.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ms[1].fields.request_length, big.size() - 5);
  EXPECT_EQ(ms[2].fields.get(Field::kRequestResource), "after");
  EXPECT_EQ(h.errors(), 0u);
  // The parser decoded the first 1500-byte segment; every other byte of the packet was skipped
  // (counted), and no segment of 'z's passed for MQTT packets.
  EXPECT_EQ(h.skipped_bytes(), big.size() - 1500);
  EXPECT_EQ(h.resyncs(), 0u);
}

// ---- Length bombs ---------------------------------------------------------------------------

// A PUBLISH fixed header declaring `remaining` bytes, then topic "a/b" and a few payload bytes.
Bytes bogus_publish_head(uint32_t remaining) {
  Bytes b{0x30};
  put(b, vbi(remaining));
  put(b, str("a/b"));
  put(b, Bytes(20, 'p'));
  return b;
}

// The defect as filed: a Remaining Length at its legal maximum (268,435,455) used to swallow the
// rest of the direction silently. Beyond the maximum message size (16 MiB for MQTT by default) it
// is garbage: nothing is logged for it, it is counted, and the next PUBLISH parses, whether it is
// in the same segment or the next.
TEST(Mqtt, RemainingLengthAtLegalMaximumDoesNotSwallowTheStream) {
  EXPECT_EQ(kMqttDescriptor.default_max_message, 16u << 20);
  for (const bool same_segment : {false, true}) {
    auto h = make();
    h.feed(C, connect("c", 4));
    const Bytes bomb = bogus_publish_head(268'435'455);
    if (same_segment) {
      h.feed(C, cat({bomb, publish("next", "1", 0), kPingreq}));
    } else {
      h.feed(C, bomb);
      h.feed(C, cat({publish("next", "1", 0), kPingreq}));
    }
    auto& ms = h.messages();
    ASSERT_EQ(ms.size(), 3u) << same_segment;
    EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), "next") << same_segment;
    EXPECT_EQ(ms[2].fields.get(Field::kRequestType), "PINGREQ") << same_segment;
    EXPECT_EQ(h.oversize(), 1u) << same_segment;
    EXPECT_EQ(h.resyncs(), 1u) << same_segment;
    EXPECT_EQ(h.skipped_bytes(), 0u) << same_segment;
    EXPECT_FALSE(h.stopped());
  }
}

// With the maximum raised above the legal one (protocols.max_message_size: {mqtt: 300MiB}; the
// largest legal packet is 268,435,460 bytes with its fixed header), the bomb
// is a plausible length and skipping starts, but the next segment, whole MQTT packets, says the
// length was wrong: the skip is abandoned (counted) and the packets parse.
TEST(Mqtt, SkipContradictedByTheNextSegmentResyncs) {
  static const MessageSizeLimit kLimits[] = {{"mqtt", 300u << 20}};
  ParserOptions opts;
  opts.max_message = kLimits;
  ParserHarness h(kMqttDescriptor, opts);
  EXPECT_EQ(h.driver().max_message(), 300u << 20);
  h.feed(C, connect("c", 4));
  h.feed(C, bogus_publish_head(268'435'455));
  h.feed(C, cat({publish("next", "1", 1, 7), kPingreq}));
  h.feed(C, publish("last", "2", 0));
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 5u);
  EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), "a/b");  // logged from its prefix
  EXPECT_EQ(ms[2].fields.get(Field::kRequestResource), "next");
  EXPECT_EQ(ms[2].id, 7u);
  EXPECT_EQ(ms[3].fields.get(Field::kRequestType), "PINGREQ");
  EXPECT_EQ(ms[4].fields.get(Field::kRequestResource), "last");
  EXPECT_EQ(h.oversize(), 0u);
  EXPECT_EQ(h.resyncs(), 1u);
  EXPECT_EQ(h.errors(), 0u);
}

// Declared lengths just within and just beyond a configured maximum.
TEST(Mqtt, MaxMessageSizeBoundary) {
  static const MessageSizeLimit kLimits[] = {{"mqtt", 100'000}};
  ParserOptions opts;
  opts.max_message = kLimits;
  opts.max_buffered = 4096;
  for (const uint32_t remaining : {100'000u - 4u, 100'000u - 3u}) {  // + 4 fixed-header bytes
    ParserHarness h(kMqttDescriptor, opts);
    h.feed(C, connect("c", 4));
    const Bytes head = bogus_publish_head(remaining);
    h.feed(C, head);
    const bool fits = remaining + 4u <= 100'000u;
    EXPECT_EQ(h.oversize(), fits ? 0u : 1u) << remaining;
    // Within the maximum it is a large PUBLISH (logged, its body skipped); beyond it nothing.
    EXPECT_EQ(h.messages().size(), fits ? 2u : 1u) << remaining;
  }
}

// Every nested length at its maximum: topic and property lengths of 65535 and a property block
// of 268 million bytes inside a small packet. Each is bounded by its packet: counted as an error,
// nothing is allocated for it, and the next packet parses.
TEST(Mqtt, NestedLengthBombs) {
  struct Bomb {
    Bytes packet;
    bool v5_only;  // the length is a 5.0 property length (payload bytes in 3.1.1)
  };
  std::vector<Bomb> bombs;
  // PUBLISH whose topic length says 65535 in a 10-byte body.
  bombs.push_back({packet(3, 0, Bytes{0xff, 0xff, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}), false});
  {  // 5.0 PUBLISH whose property length says 268,435,455
    Bytes b = str("t");
    put(b, vbi(268'435'455));
    put(b, Bytes{0x26, 0xff, 0xff, 'k'});
    bombs.push_back({packet(3, 0, b), true});
  }
  {  // 5.0 PUBLISH with a user property whose key length is 65535
    Bytes b = str("t");
    put(b, props(Bytes{0x26, 0xff, 0xff, 'k', 'k'}));
    bombs.push_back({packet(3, 0, b), true});
  }
  {  // SUBSCRIBE whose filter length is 65535
    Bytes b;
    put16(b, 1);
    put(b, Bytes{0xff, 0xff, 'x'});
    bombs.push_back({packet(8, 2, b), false});
  }
  for (std::size_t i = 0; i < bombs.size(); ++i) {
    for (const uint8_t level : {4, 5}) {
      if (bombs[i].v5_only && level != 5) continue;
      auto h = make();
      h.feed(C, connect("c", level));
      const uint64_t in_use = h.pool().in_use();
      h.feed(C, bombs[i].packet);
      h.feed(C, publish("next", "1", 0, 0, level == 5));
      auto& ms = h.messages();
      ASSERT_EQ(ms.size(), 2u) << i << " level " << int(level);  // CONNECT, then "next"
      EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), "next") << i << " level " << int(level);
      EXPECT_EQ(h.errors(), 1u) << i << " level " << int(level);
      EXPECT_EQ(h.driver().buffered(C), 0u) << i;
      EXPECT_EQ(h.pool().in_use(), in_use) << i;  // the bomb left nothing allocated behind
    }
  }
}

TEST(Mqtt, OversizedPublishWaitsForItsHeader) {
  // The topic (3000 bytes) does not fit the first segment: the parser waits for it (within the
  // buffer bound) before logging the packet and skipping its payload.
  ParserOptions opts;
  opts.max_buffered = 4096;
  ParserHarness h(kMqttDescriptor, opts);
  h.feed(C, connect("c", 4));
  const std::string topic(3000, 't');
  h.feed_split(C, publish(topic, std::string(100'000, 'z'), 1, 5), 1000);
  h.feed(C, kPingreq);
  auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[1].fields.get(Field::kRequestResource), topic.substr(0, FieldCaps::cap(Field::kRequestResource)));
  EXPECT_EQ(ms[1].id, 5u);
  EXPECT_EQ(ms[2].fields.get(Field::kRequestType), "PINGREQ");
  EXPECT_EQ(h.errors(), 0u);
}

TEST(Mqtt, GarbageCountsAnErrorAndResyncs) {
  auto h = make();
  h.feed(C, connect("c", 4));
  h.feed(C, Bytes{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'});
  EXPECT_EQ(h.errors(), 1u);
  // The next segment starts a packet again.
  h.feed(C, publish("again", "1", 1, 3));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "again");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kVersion), "3.1.1");
  // After a gap, a segment starting inside a packet is dropped; the next packet boundary resumes.
  h.gap(C);
  const Bytes p = publish("lost", std::string(40, 'x'), 0);
  h.feed(C, Bytes(p.begin() + 10, p.end()));
  h.feed(C, cat({publish("back", "1", 0), kPingreq}));
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestResource), "back");
  EXPECT_EQ(h.errors(), 1u);
}

// Whether `text` occurs in `bytes` (a decoded string must be bytes of the input, not garbage).
bool occurs_in(const Bytes& bytes, std::string_view text) {
  return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

// Random bytes and corrupted packets: no crash, the buffer stays within its bound, every string a
// message carries is a (capped) copy of input bytes, and after a gap valid packets parse again.
TEST(Mqtt, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  uint32_t errors = 0;
  for (int round = 0; round < 2000; ++round) {
    auto h = make();
    const Dir dir = round % 2 == 0 ? C : S;
    if (round % 2 == 0) h.feed(C, connect("c", round % 4 == 0 ? 5 : 4));
    const std::size_t before = h.messages().size();
    Bytes junk(rng() % 300);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    // Sometimes start with a plausible header so deeper decoding runs.
    if (!junk.empty() && round % 3 == 0) junk[0] = static_cast<uint8_t>(0x10 * (1 + rng() % 15));
    h.feed_split(dir, junk, 1 + rng() % 17);
    EXPECT_LE(h.driver().buffered(dir), h.options().max_buffered);
    for (std::size_t i = before; i < h.messages().size(); ++i) {
      const std::string_view topic = h.messages()[i].fields.get(Field::kRequestResource);
      EXPECT_TRUE(occurs_in(junk, topic)) << "round " << round << ": " << topic;
      EXPECT_FALSE(h.messages()[i].fields.get(Field::kRequestType).empty()) << "round " << round;
    }
    errors += h.errors();
    h.gap(dir);
    h.feed(dir, publish("valid/after", "x", 0, 0, round % 4 == 0));
    ASSERT_FALSE(h.messages().empty()) << "round " << round;
    EXPECT_EQ(h.messages().back().fields.get(Field::kRequestResource), "valid/after") << "round " << round;
  }
  EXPECT_GT(errors, 1000u);  // most random streams are not MQTT, and each such one is counted
  // Valid packets with random corruption of one byte: the packets before the corrupted one are
  // parsed as in the clean stream.
  const Bytes base = conversation_c2s();
  auto clean = make();
  clean.feed(C, base);
  ASSERT_EQ(clean.errors(), 0u);
  for (int round = 0; round < 2000; ++round) {
    Bytes b = base;
    const std::size_t at = rng() % b.size();
    b[at] = static_cast<uint8_t>(rng());
    auto h = make();
    h.feed_split(C, b, 1 + rng() % 50);
    EXPECT_LE(h.driver().buffered(C), h.options().max_buffered);
    std::size_t n = 0, end = 0;  // clean packets wholly before the corrupted byte
    for (const Bytes& p : conversation_c2s_packets()) {
      end += p.size();
      if (end > at) break;
      ++n;
    }
    ASSERT_GE(h.messages().size(), n) << "round " << round;
    for (std::size_t i = 0; i < n; ++i)
      EXPECT_EQ(dump(h.messages()[i]), dump(clean.messages()[i])) << "round " << round << " packet " << i;
  }
}

TEST(Mqtt, VersionInferredMidStream) {
  // A flow picked up after its CONNECT: a 5.0 CONNACK (properties) gives the version away.
  auto h = make();
  h.feed(S, connack(0, true, two_prop(0x21, 10)));
  h.feed(C, subscribe(3, {{"z/#", 1}}, true));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kVersion), "5.0");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "z/#");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kVersion), "5.0");
  // Without a CONNECT a 3.1.1-looking PUBLISH has no version.
  auto h2 = make();
  h2.feed(C, publish("t", "x", 1, 1));
  ASSERT_EQ(h2.messages().size(), 1u);
  EXPECT_TRUE(h2.messages()[0].fields.get(Field::kVersion).empty());
  EXPECT_EQ(h2.messages()[0].fields.get(Field::kRequestResource), "t");
}

// ---- Detection ------------------------------------------------------------------------------

std::span<const uint8_t> sv(const Bytes& b) { return b; }
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(Mqtt, ProbeAcceptsMqtt) {
  EXPECT_EQ(mqtt::probe(C, sv(connect("c", 3))), ProbeVerdict::kYes);
  EXPECT_EQ(mqtt::probe(C, sv(connect("c", 4))), ProbeVerdict::kYes);
  EXPECT_EQ(mqtt::probe(C, sv(connect("c", 5, user_prop("a", "b")))), ProbeVerdict::kYes);
  const Bytes c = connect("client", 4);
  EXPECT_EQ(mqtt::probe(C, sv(Bytes(c.begin(), c.begin() + 5))), ProbeVerdict::kMaybe);
  EXPECT_EQ(mqtt::probe(C, sv(Bytes(c.begin(), c.begin() + 1))), ProbeVerdict::kMaybe);
  // Picked up mid-stream: complete, strictly valid packets.
  EXPECT_EQ(mqtt::probe(C, sv(publish("sensors/t", "21.5", 1, 4))), ProbeVerdict::kYes);
  EXPECT_EQ(mqtt::probe(S, sv(cat({pub_ack(4, 4), kPingresp}))), ProbeVerdict::kYes);
  EXPECT_EQ(mqtt::probe(S, sv(connack(0))), ProbeVerdict::kYes);
  const Bytes no_props;  // 5.0 ack with a reason code and an empty property block
  EXPECT_EQ(mqtt::probe(S, sv(cat({pub_ack(4, 9, 0x10, &no_props), kPingresp}))), ProbeVerdict::kYes);
  EXPECT_EQ(mqtt::probe(S, sv(connack(0, true, two_prop(0x21, 5)))), ProbeVerdict::kYes);
  EXPECT_EQ(mqtt::probe(C, sv(subscribe(1, {{"a/#", 1}}, true))), ProbeVerdict::kYes);
  const Bytes big = publish("sensors/t", std::string(5000, 'x'), 0);
  EXPECT_EQ(mqtt::probe(C, sv(Bytes(big.begin(), big.begin() + 1400))), ProbeVerdict::kYes);
}

TEST(Mqtt, ProbeRejectsOtherProtocols) {
  const std::vector<Bytes> others = {
      text("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      text("POST /api HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
      text("PUT /x HTTP/1.1\r\n\r\n"),
      text("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
      text("HTTP/1.1 200 OK\r\n\r\n"),
      text("INFO {\"server_id\":\"x\"}\r\n"),
      text("CONNECT {\"verbose\":false}\r\n"),
      text("AMQP\x00\x00\x09\x01"),
      {0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03},  // TLS ClientHello
      {0x00, 0x00, 0x00, 0x2a, 0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01},  // Kafka request
      {0xda, 0xbb, 0xc2, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 10},  // Dubbo
      {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x7f},    // ZMTP greeting
      text("PRPC\x00\x00\x00\x10\x00\x00\x00\x08"),                    // bRPC
  };
  for (const Bytes& b : others) EXPECT_EQ(mqtt::probe(C, sv(b)), ProbeVerdict::kNo) << b[0];
  // A DNS query sent over TCP without its length prefix: 0x20 reads as CONNACK with a
  // remaining length (156) that does not fit a CONNACK.
  const Bytes dns = {0x20, 0x9c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
                     'z',  'i',  'p',  'k',  'i',  'n',  0x0c, 'i',  's',  't',  'i',  'o',  '-',
                     's',  'y',  's',  't',  'e',  'm',  0x07, 'd',  'e',  'f',  'a',  'u',  'l',
                     't',  0x03, 's',  'v',  'c',  0x07, 'c',  'l',  'u',  's',  't',  'e',  'r',
                     0x05, 'l',  'o',  'c',  'a',  'l',  0x00, 0x00, 0x01, 0x00, 0x01};
  EXPECT_EQ(mqtt::probe(C, sv(dns)), ProbeVerdict::kNo);
  // A CONNECT-like header with another protocol name.
  Bytes vh = str("MQTX");
  put(vh, Bytes{4, 2, 0, 60});
  put(vh, str("c"));
  EXPECT_EQ(mqtt::probe(C, sv(packet(1, 0, vh))), ProbeVerdict::kNo);
  // Random bytes.
  std::mt19937 rng(7);
  int yes = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes r(8 + rng() % 200);
    for (auto& b : r) b = static_cast<uint8_t>(rng());
    yes += mqtt::probe(C, sv(r)) == ProbeVerdict::kYes;
  }
  EXPECT_EQ(yes, 0);
}

TEST(Mqtt, DescriptorAndSignatures) {
  EXPECT_EQ(protocol_by_id(protocol_id("mqtt")), &kMqttDescriptor);
  EXPECT_EQ(kMqttDescriptor.transports, kTcp);
  EXPECT_EQ(kMqttDescriptor.name, "mqtt");
  ASSERT_FALSE(kMqttDescriptor.default_ports.empty());
  EXPECT_EQ(kMqttDescriptor.default_ports[0], 1883);
  {  // the factory builds a parser in pool memory and the pool gets it back
    BufferPool pool;
    ParserOptions opts;
    StreamDriver drv;
    ASSERT_TRUE(drv.attach(kMqttDescriptor, ParserEnv{&opts, &pool}));
    EXPECT_GT(pool.in_use(), 0u);
    drv.reset();
    EXPECT_EQ(pool.in_use(), 0u);
  }

  const test::SignatureMatcher sigs(kMqttDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  EXPECT_TRUE(sigs.matches(connect("c", 3)));
  EXPECT_TRUE(sigs.matches(connect("c", 4)));
  EXPECT_TRUE(sigs.matches(connect("c", 5)));
  EXPECT_TRUE(sigs.matches(connect(std::string(300, 'c'), 4)));  // 2-byte remaining length
  EXPECT_TRUE(sigs.matches(connack(0)));
  EXPECT_FALSE(sigs.matches(text("GET / HTTP/1.1\r\n\r\n")));
  EXPECT_FALSE(sigs.matches(Bytes{0x16, 0x03, 0x01, 0x00, 0xa5}));
  // Anchored: MQTT bytes later in the payload do not match.
  EXPECT_FALSE(sigs.matches(cat({Bytes{0x00}, connect("c", 4)})));
}

TEST(Mqtt, ReasonCodeNames) {
  EXPECT_EQ(mqtt::reason_code_name(0x87), "Not authorized");
  EXPECT_EQ(mqtt::reason_code_name(0xa2), "Wildcard Subscriptions not supported");
  EXPECT_TRUE(mqtt::reason_code_name(0x7f).empty());
  EXPECT_EQ(mqtt::version_name(4), "3.1.1");
  EXPECT_TRUE(mqtt::version_name(6).empty());
}

}  // namespace
}  // namespace l7tap
