// Unit tests of the traffic generator (tools/gen): the encoders against bytes worked out by hand
// from the specifications, the TCP layer checked with l7tap's own decoder (dataplane/decode.hpp),
// and the generator's guarantees (contiguous sequence numbers, acknowledgements, determinism,
// distinct flows, constant concurrency, error share, adversarial helpers).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "dataplane/decode.hpp"
#include "tools/gen/pcap_writer.hpp"
#include "tools/gen/proto_amqp.hpp"
#include "tools/gen/proto_kafka.hpp"
#include "tools/gen/proto_mqtt.hpp"
#include "tools/gen/proto_nats.hpp"
#include "tools/gen/proto_openwire.hpp"
#include "tools/gen/proto_pulsar.hpp"
#include "tools/gen/proto_zmtp.hpp"
#include "tools/gen/proto_rocketmq.hpp"
#include "tools/gen/stored_frames.hpp"
#include "tools/gen/tcp_conversation.hpp"
#include "tools/gen/traffic_gen.hpp"
#include "tools/gen/writer.hpp"

// Every global operator new of this executable is counted, so a test can check that generating
// frames allocates nothing once the generator is built.
#include "tests/counting_new.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

template <class F>
Bytes encode(F&& f) {
  Bytes out;
  gen::Writer w(out);
  f(w);
  return out;
}

uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

l7tap::DecodedPacket decode(std::span<const uint8_t> frame) {
  l7tap::DecodedPacket p;
  EXPECT_EQ(l7tap::decode_frame(frame, p), l7tap::DecodeStatus::kOk);
  return p;
}

// One's-complement sum over 16-bit words (RFC 1071): 0xFFFF over a header with a valid checksum.
uint16_t ones_sum(const uint8_t* p, std::size_t n, uint32_t s = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// ---- Writer -------------------------------------------------------------------------------------

TEST(Writer, Crc32cCheckValue) {
  // The CRC-32C check value (RFC 3720 appendix B.4): "123456789" -> 0xE3069283.
  EXPECT_EQ(gen::crc32c(gen::as_bytes("123456789")), 0xE3069283u);
  const auto all = gen::as_bytes("123456789");
  EXPECT_EQ(gen::crc32c_extend(gen::crc32c(all.first(4)), all.subspan(4)), 0xE3069283u);
}

TEST(Writer, Crc32cImplementationsAgree) {
  // Bit by bit (reflected polynomial 0x82F63B78) against the table and the SSE4.2 paths.
  auto reference = [](std::span<const uint8_t> d) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint8_t b : d) {
      c ^= b;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
  };
  Bytes d(4099);
  uint32_t x = 1;
  for (auto& b : d) b = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 24);
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 4099u}) {
    const auto s = std::span<const uint8_t>(d).first(n);
    EXPECT_EQ(gen::crc32c(s), reference(s)) << n;
    EXPECT_EQ(gen::crc32c_extend_portable(0, s), reference(s)) << n;
  }
}

TEST(Writer, Varints) {
  EXPECT_EQ(encode([](gen::Writer& w) { w.uvarint(300); }), (Bytes{0xAC, 0x02}));
  EXPECT_EQ(encode([](gen::Writer& w) { w.svarint(-1); }), (Bytes{0x01}));
  EXPECT_EQ(encode([](gen::Writer& w) { w.svarint(1); }), (Bytes{0x02}));
  EXPECT_EQ(encode([](gen::Writer& w) { w.svarint(-65); }), (Bytes{0x81, 0x01}));
}

// Every window of a message, concatenated, is the message: what lets the generator send a long
// message segment by segment without holding it.
TEST(Writer, WindowsConcatenateToTheWholeMessage) {
  Bytes value(150000);
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<uint8_t>(i * 7 + 3);
  const gen::kafka::RecordHeader h{"traceparent", gen::as_bytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")};
  gen::kafka::Record rec;
  rec.value = value;
  rec.headers = std::span(&h, 1);
  gen::kafka::ProduceRequest r;
  r.version = 9;
  r.correlation_id = 7;
  r.client_id = "c";
  r.topic = "t";
  r.batch.records = std::span(&rec, 1);
  const Bytes whole = encode([&](gen::Writer& w) { gen::kafka::produce_request(w, r); });
  Bytes joined;
  for (std::size_t off = 0; off < whole.size(); off += 1448) {
    Bytes seg(1448);
    gen::Writer w(seg.data(), off, off + 1448);
    gen::kafka::produce_request(w, r);
    ASSERT_EQ(w.pos(), whole.size());
    seg.resize(std::min<std::size_t>(1448, whole.size() - off));
    joined.insert(joined.end(), seg.begin(), seg.end());
  }
  EXPECT_EQ(joined, whole);
}

// ---- MQTT ---------------------------------------------------------------------------------------

TEST(Mqtt, Connect311) {
  gen::mqtt::Connect c;
  c.level = 4;
  c.client_id = "a";
  // 3.1.1 §3.1: "MQTT", level 4, flags Clean Session, keep alive 60, client id.
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::mqtt::connect(w, c); }),
            (Bytes{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 'a'}));
  c.level = 3;
  const Bytes v31 = encode([&](gen::Writer& w) { gen::mqtt::connect(w, c); });
  EXPECT_EQ(Bytes(v31.begin() + 2, v31.begin() + 10), (Bytes{0, 6, 'M', 'Q', 'I', 's', 'd', 'p'}));
}

TEST(Mqtt, Connect50WithPropertiesAndWill) {
  const gen::mqtt::Property p{gen::mqtt::prop::kSessionExpiry, 60};
  gen::mqtt::Connect c;
  c.level = 5;
  c.client_id = "x";
  c.properties = std::span(&p, 1);
  c.has_will = true;
  c.will_qos = 1;
  c.will_topic = "w";
  c.will_payload = "z";
  c.has_user = true;
  c.user = "u";
  const Bytes b = encode([&](gen::Writer& w) { gen::mqtt::connect(w, c); });
  // flags: user 0x80, will QoS 1 0x08, will 0x04, clean 0x02; properties: length 5, 0x11 + 4 bytes.
  EXPECT_EQ(b[9], 0x8E);
  EXPECT_EQ(Bytes(b.begin() + 12, b.begin() + 18), (Bytes{5, 0x11, 0, 0, 0, 60}));
  EXPECT_EQ(b.size(), 2u + b[1]);
  // client id, will properties (empty), will topic, will payload, user name.
  EXPECT_EQ(Bytes(b.begin() + 18, b.end()), (Bytes{0, 1, 'x', 0, 0, 1, 'w', 0, 1, 'z', 0, 1, 'u'}));
}

TEST(Mqtt, PublishAndAcks) {
  gen::mqtt::Publish p;
  p.topic = "a/b";
  p.qos = 1;
  p.packet_id = 10;
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::mqtt::publish(w, p, gen::as_bytes("hi")); }),
            (Bytes{0x32, 9, 0, 3, 'a', '/', 'b', 0, 10, 'h', 'i'}));
  // 5.0 §3.4.2.1: Success without properties may omit the reason code.
  EXPECT_EQ(encode([](gen::Writer& w) { gen::mqtt::puback(w, 5, 10); }), (Bytes{0x40, 2, 0, 10}));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::mqtt::puback(w, 5, 10, 0x87); }), (Bytes{0x40, 3, 0, 10, 0x87}));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::mqtt::pubrel(w, 4, 10); }), (Bytes{0x62, 2, 0, 10}));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::mqtt::pingreq(w); }), (Bytes{0xC0, 0}));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::mqtt::disconnect(w, 5); }), (Bytes{0xE0, 0}));
  // A 200 000-byte payload needs a 3-byte Remaining Length.
  const Bytes big(200000, 'x');
  p.qos = 0;
  const Bytes b = encode([&](gen::Writer& w) { gen::mqtt::publish(w, p, big); });
  const uint32_t rl = (b[1] & 0x7F) | (b[2] & 0x7F) << 7 | (b[3] & 0x7F) << 14;
  EXPECT_EQ(b[3] & 0x80, 0);
  EXPECT_EQ(rl, 2u + 3 + 200000);
  EXPECT_EQ(b.size(), 4u + rl);
}

TEST(Mqtt, SubscribeSubackUnsubscribe) {
  const gen::mqtt::Subscription s[] = {{"a/+", 1}};
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::mqtt::subscribe(w, 4, 3, s); }),
            (Bytes{0x82, 8, 0, 3, 0, 3, 'a', '/', '+', 1}));
  const uint8_t codes[] = {0x80};
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::mqtt::suback(w, 4, 3, codes); }), (Bytes{0x90, 3, 0, 3, 0x80}));
  // 5.0 SUBACK: property length 0 before the codes.
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::mqtt::suback(w, 5, 3, codes); }), (Bytes{0x90, 4, 0, 3, 0, 0x80}));
  const std::string_view f[] = {"a/+"};
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::mqtt::unsubscribe(w, 4, 4, f); }),
            (Bytes{0xA2, 7, 0, 4, 0, 3, 'a', '/', '+'}));
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::mqtt::unsuback(w, 4, 4); }), (Bytes{0xB0, 2, 0, 4}));
}

// ---- Kafka --------------------------------------------------------------------------------------

TEST(Kafka, ApiVersionsV3RequestUsesHeaderV2) {
  const Bytes b = encode([](gen::Writer& w) { gen::kafka::api_versions_request(w, 3, 5, "c", "n", "1"); });
  // size, api_key 18, version 3, correlation 5, client_id "c" (int16 length), header tags, then
  // compact strings "n" and "1" and the body's tags.
  EXPECT_EQ(b, (Bytes{0, 0, 0, 17, 0, 18, 0, 3, 0, 0, 0, 5, 0, 1, 'c', 0, 2, 'n', 2, '1', 0}));
}

TEST(Kafka, RecordBatchLengthAndCrc) {
  const gen::kafka::RecordHeader h{"k", gen::as_bytes("v")};
  gen::kafka::Record r;
  r.value = gen::as_bytes("hello");
  r.headers = std::span(&h, 1);
  gen::kafka::RecordBatch b;
  b.records = std::span(&r, 1);
  const Bytes out = encode([&](gen::Writer& w) { gen::kafka::record_batch(w, b); });
  ASSERT_GT(out.size(), 61u);
  EXPECT_EQ(be32(&out[8]), out.size() - 12);  // batchLength: after baseOffset and itself
  EXPECT_EQ(out[16], 2);                        // magic
  EXPECT_EQ(be32(&out[17]), gen::crc32c(std::span(out).subspan(21)));
  EXPECT_EQ(be32(&out[57]), 1u);  // records count
  // Record: length 15 (zig-zag 30), attributes, ts delta 0, offset delta 0, key null (-1 = 1),
  // value length 5, "hello", 1 header: key "k", value "v".
  EXPECT_EQ(Bytes(out.begin() + 61, out.end()),
            (Bytes{30, 0, 0, 0, 1, 10, 'h', 'e', 'l', 'l', 'o', 2, 2, 'k', 2, 'v'}));
}

TEST(Kafka, ProduceV9IsFlexible) {
  gen::kafka::Record r;
  r.value = gen::as_bytes("x");
  gen::kafka::ProduceRequest p;
  p.version = 9;
  p.correlation_id = 1;
  p.client_id = "c";
  p.acks = -1;
  p.topic = "t";
  p.batch.records = std::span(&r, 1);
  const Bytes b = encode([&](gen::Writer& w) { gen::kafka::produce_request(w, p); });
  EXPECT_EQ(be32(b.data()), b.size() - 4);
  // header: key 0, version 9, correlation 1, client "c", tags 0; transactional_id null (compact 0),
  // acks -1, timeout 30000, topics compact array of 1 (2), name "t" (2 't'), partitions (2),
  // partition 0, records compact length.
  const Bytes head{0, 0, 0, 9, 0, 0, 0, 1, 0, 1, 'c', 0, 0, 0xFF, 0xFF, 0, 0, 0x75, 0x30, 2, 2, 't', 2, 0, 0, 0, 0};
  EXPECT_EQ(Bytes(b.begin() + 4, b.begin() + 4 + head.size()), head);
  const std::size_t batch = b.size() - 4 - head.size() - 1 - 3;  // minus length varint and 3 tag bytes
  EXPECT_EQ(b[4 + head.size()], batch + 1);
  EXPECT_EQ(Bytes(b.end() - 3, b.end()), (Bytes{0, 0, 0}));
}

TEST(Kafka, ResponsesCarryTheCorrelationId) {
  gen::kafka::ProduceResponse p;
  p.version = 7;
  p.correlation_id = 42;
  p.topic = "t";
  p.error_code = 6;
  const Bytes b = encode([&](gen::Writer& w) { gen::kafka::produce_response(w, p); });
  EXPECT_EQ(be32(b.data()), b.size() - 4);
  EXPECT_EQ(be32(b.data() + 4), 42u);
  // responses [1] name "t" partitions [1] index 0 error 6
  EXPECT_EQ(Bytes(b.begin() + 8, b.begin() + 25), (Bytes{0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 6}));
}

// ---- AMQP ---------------------------------------------------------------------------------------

TEST(Amqp, FramesEndWithFrameEnd) {
  EXPECT_EQ(encode([](gen::Writer& w) { gen::amqp::protocol_header(w); }), bytes(std::string_view("AMQP\0\0\x09\x01", 8)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::amqp::heartbeat(w); }), (Bytes{8, 0, 0, 0, 0, 0, 0, 0xCE}));
  // Channel.Open on channel 1: class 20 method 10, reserved short string "".
  EXPECT_EQ(encode([](gen::Writer& w) { gen::amqp::channel_open(w, 1); }),
            (Bytes{1, 0, 1, 0, 0, 0, 5, 0, 20, 0, 10, 0, 0xCE}));
  const Bytes close = encode([](gen::Writer& w) { gen::amqp::channel_close(w, 1, 404, "NOT_FOUND", 50, 10); });
  EXPECT_EQ(close, (Bytes{1, 0, 1, 0, 0, 0, 20, 0, 20, 0, 40, 0x01, 0x94, 9, 'N', 'O', 'T', '_', 'F', 'O', 'U', 'N',
                          'D', 0, 50, 0, 10, 0xCE}));
}

TEST(Amqp, ContentHeaderAndBody) {
  const gen::amqp::Field hdr[] = {{"traceparent", 'S', "tp"}};
  gen::amqp::Properties p;
  p.content_type = "a";
  p.has_headers = true;
  p.headers = hdr;
  p.delivery_mode = 2;
  const Bytes b = encode([&](gen::Writer& w) { gen::amqp::content_header(w, 3, 5, p); });
  // type 2, channel 3, size, class 60, weight 0, body size 5, flags content-type|headers|delivery-mode.
  EXPECT_EQ(Bytes(b.begin(), b.begin() + 3), (Bytes{2, 0, 3}));
  EXPECT_EQ(be32(&b[3]), b.size() - 8);
  EXPECT_EQ(Bytes(b.begin() + 7, b.begin() + 21), (Bytes{0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0xB0, 0x00}));
  // content-type "a", table (length 19: "traceparent" 'S' len 2 "tp"), delivery-mode 2, frame-end.
  const Bytes props{1, 'a', 0, 0, 0, 19, 11, 't', 'r', 'a', 'c', 'e', 'p', 'a', 'r', 'e', 'n', 't', 'S', 0, 0, 0, 2,
                    't', 'p', 2, 0xCE};
  EXPECT_EQ(Bytes(b.begin() + 21, b.end()), props);
  EXPECT_EQ(encode([](gen::Writer& w) { gen::amqp::content_body(w, 3, gen::as_bytes("hi")); }),
            (Bytes{3, 0, 3, 0, 0, 0, 2, 'h', 'i', 0xCE}));
}

// ---- RocketMQ -----------------------------------------------------------------------------------

TEST(RocketMq, JsonAndBinaryCommands) {
  // A one-way UPDATE_CONSUMER_OFFSET: the properties-style separators are escaped as \u0001.
  const gen::rocketmq::ExtField ext[] = {{"topic", "t"}, {"p", "a\x01" "b\""}};
  gen::rocketmq::Command c;
  c.code = 15;
  c.version = 401;
  c.opaque = 0xfffffffe;  // a Java int: written as -2
  c.flag = gen::rocketmq::kFlagOneWay;
  c.ext = ext;
  const Bytes j = encode([&](gen::Writer& w) { gen::rocketmq::command(w, gen::rocketmq::Serialization::kJson, c); });
  const std::string header = R"({"code":15,"extFields":{"topic":"t","p":"a\u0001b\""},"flag":2,"language":"JAVA",)"
                             R"("opaque":-2,"serializeTypeCurrentRPC":"JSON","version":401})";
  ASSERT_EQ(j.size(), 8 + header.size());
  EXPECT_EQ(be32(&j[0]), 4 + header.size());
  EXPECT_EQ(be32(&j[4]), header.size());  // serialization 0 in the high byte
  EXPECT_EQ(std::string(j.begin() + 8, j.end()), header);
  // The same in ROCKETMQ serialization, a response with a remark and a body.
  c.flag = gen::rocketmq::kFlagResponse;
  c.code = -1006;
  c.remark = "r";
  c.language = 9;
  const Bytes b = encode([&](gen::Writer& w) {
    gen::rocketmq::command(w, gen::rocketmq::Serialization::kRocketMq, c, gen::as_bytes("xy"));
  });
  const Bytes h{0xFC, 0x12, 9, 0x01, 0x91, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 1, 0, 0, 0, 1, 'r',
                0, 0, 0, 23, 0, 5, 't', 'o', 'p', 'i', 'c', 0, 0, 0, 1, 't', 0, 1, 'p', 0, 0, 0, 4, 'a', 1, 'b', '"'};
  ASSERT_EQ(b.size(), 8 + h.size() + 2);
  EXPECT_EQ(be32(&b[0]), 4 + h.size() + 2);
  EXPECT_EQ(be32(&b[4]), 0x01000000u | h.size());
  EXPECT_EQ(Bytes(b.begin() + 8, b.end() - 2), h);
  EXPECT_EQ(std::string(b.end() - 2, b.end()), "xy");
}

TEST(RocketMq, StoredMessageLayout) {
  const Bytes m = encode([](gen::Writer& w) {
    gen::rocketmq::stored_message(w, "topic", 3, 9, gen::as_bytes("body"), "k\x01v");
  });
  // MessageDecoder: total size, magic V1, crc, queue id 3, flag, queue offset 9, ..., body, topic
  // (1-byte length), properties (2-byte length).
  ASSERT_EQ(be32(&m[0]), m.size());
  EXPECT_EQ(be32(&m[4]), 0xdaa320a7u);
  EXPECT_EQ(be32(&m[12]), 3u);
  EXPECT_EQ(be32(&m[24]), 9u);
  EXPECT_EQ(be32(&m[84]), 4u);  // body length after 84 bytes of fixed fields (IPv4 hosts)
  EXPECT_EQ(std::string(m.begin() + 88, m.begin() + 92), "body");
  EXPECT_EQ(m[92], 5);
  EXPECT_EQ(std::string(m.begin() + 93, m.begin() + 98), "topic");
  EXPECT_EQ(m[98], 0);
  EXPECT_EQ(m[99], 3);
  EXPECT_EQ(std::string(m.begin() + 100, m.end()), "k\x01v");
}

// ---- NATS ---------------------------------------------------------------------------------------

TEST(Nats, ControlLines) {
  auto text = [](auto f) {
    const Bytes b = encode(f);
    return std::string(b.begin(), b.end());
  };
  EXPECT_EQ(text([](gen::Writer& w) { gen::nats::pub(w, "a.b", "", gen::as_bytes("hi")); }), "PUB a.b 2\r\nhi\r\n");
  EXPECT_EQ(text([](gen::Writer& w) { gen::nats::pub(w, "a", "_INBOX.1", gen::as_bytes("")); }), "PUB a _INBOX.1 0\r\n\r\n");
  const gen::nats::Header h[] = {{"k", "v"}};
  // Header block "NATS/1.0\r\n" (10) + "k: v\r\n" (6) + "\r\n" (2) = 18 bytes; total 20.
  EXPECT_EQ(text([&](gen::Writer& w) { gen::nats::hpub(w, "s", "", h, gen::as_bytes("hi")); }),
            "HPUB s 18 20\r\nNATS/1.0\r\nk: v\r\n\r\nhi\r\n");
  EXPECT_EQ(text([&](gen::Writer& w) { gen::nats::hmsg(w, "s", 7, "r", h, gen::as_bytes("hi")); }),
            "HMSG s 7 r 18 20\r\nNATS/1.0\r\nk: v\r\n\r\nhi\r\n");
  EXPECT_EQ(text([](gen::Writer& w) { gen::nats::msg(w, "s", 7, "", gen::as_bytes("x")); }), "MSG s 7 1\r\nx\r\n");
  EXPECT_EQ(text([](gen::Writer& w) { gen::nats::sub(w, "s.>", "q", 3); }), "SUB s.> q 3\r\n");
  EXPECT_EQ(text([](gen::Writer& w) { gen::nats::unsub(w, 3, 5); }), "UNSUB 3 5\r\n");
  EXPECT_EQ(text([](gen::Writer& w) { gen::nats::err(w, "Authorization Violation"); }),
            "-ERR 'Authorization Violation'\r\n");
  EXPECT_EQ(text([](gen::Writer& w) { gen::nats::info(w, "{}"); }), "INFO {}\r\n");
}

// ---- OpenWire -----------------------------------------------------------------------------------

TEST(OpenWire, ResponseInBothEncodings) {
  const gen::openwire::Format tight{true, true, true, true}, loose{false, true, true, true};
  // Loose: size 10, type 30, commandId 0, responseRequired 0, correlationId 1.
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::openwire::response(w, loose, 1); }),
            (Bytes{0, 0, 0, 10, 30, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  // Tight: a one-byte boolean stream (responseRequired false) before the data; these are the bytes
  // an ActiveMQ 5.17 broker sends.
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::openwire::response(w, tight, 1); }),
            (Bytes{0, 0, 0, 11, 30, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(OpenWire, WireFormatInfoAndTightStrings) {
  const Bytes wfi = encode([](gen::Writer& w) { gen::openwire::wire_format_info(w, 12, true, false, false); });
  EXPECT_EQ(be32(wfi.data()), wfi.size() - 4);
  EXPECT_EQ(Bytes(wfi.begin() + 4, wfi.begin() + 17), (Bytes{1, 'A', 'c', 't', 'i', 'v', 'e', 'M', 'Q', 0, 0, 0, 12}));
  EXPECT_EQ(wfi[17], 1);                                // properties present
  EXPECT_EQ(be32(&wfi[18]), wfi.size() - 22);           // map length
  const gen::openwire::Format tight{true, false, true, true};
  // SessionInfo, no cache: commandId 2, responseRequired false, nested SessionId (type 121) with
  // connectionId "c" (ascii) and value 1 (a 16-bit long).
  // Bits: responseRequired 0, nested 1, string present 1, ascii 1, long: 0 then 1 → 0b101110.
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::openwire::session_info(w, tight, 2, "c", 1); }),
            (Bytes{0, 0, 0, 13, 4, 1, 0x2e, 0, 0, 0, 2, 121, 0, 1, 'c', 0, 1}));
}

// ---- ZMTP ---------------------------------------------------------------------------------------

TEST(Zmtp, GreetingAndFrames) {
  // Greeting (spec 23): 0xFF, padding (libzmq: 7 zeros and 1), 0x7F, 3.1, "PLAIN" + 15 NULs,
  // as-server 1, 31 bytes of filler; written in pieces it is the same bytes.
  const gen::zmtp::Greeting g{3, 1, "PLAIN", true};
  const Bytes whole = encode([&](gen::Writer& w) { gen::zmtp::greeting(w, g); });
  ASSERT_EQ(whole.size(), 64u);
  EXPECT_EQ(Bytes(whole.begin(), whole.begin() + 17),
            (Bytes{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1, 'P', 'L', 'A', 'I', 'N'}));
  EXPECT_EQ(whole[17], 0);
  EXPECT_EQ(whole[32], 1);
  EXPECT_TRUE(std::all_of(whole.begin() + 33, whole.end(), [](uint8_t b) { return b == 0; }));
  Bytes pieces = encode([&](gen::Writer& w) { gen::zmtp::greeting(w, g, 0, 10); });
  for (const auto range : {std::pair<std::size_t, std::size_t>{10, 11}, {11, 64}}) {
    const std::size_t lo = range.first, hi = range.second;  // clang 14 cannot capture bindings
    const Bytes part = encode([&](gen::Writer& w) { gen::zmtp::greeting(w, g, lo, hi); });
    pieces.insert(pieces.end(), part.begin(), part.end());
  }
  EXPECT_EQ(pieces, whole);
  // Short frames up to 255 bytes, long (flag 0x02, 8-byte size) above; MORE = 0x01.
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::message(w, true, {}); }), (Bytes{0x01, 0x00}));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::message(w, false, gen::as_bytes("hi")); }),
            (Bytes{0x00, 0x02, 'h', 'i'}));
  const Bytes body(256, 'x');
  const Bytes big = encode([&](gen::Writer& w) { gen::zmtp::message(w, false, body); });
  EXPECT_EQ(Bytes(big.begin(), big.begin() + 9), (Bytes{0x02, 0, 0, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(big.size(), 9u + 256u);
}

TEST(Zmtp, Commands) {
  // READY: flags 0x04, size 25, "\5READY", "\13Socket-Type", value size 3, "REQ".
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::ready(w, "REQ"); }),
            bytes(std::string_view("\x04\x19\x05READY\x0bSocket-Type\0\0\0\x03REQ", 27)));
  const gen::zmtp::Property id[] = {{"Identity", ""}};
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::zmtp::initiate(w, "DEALER", id); }),
            bytes(std::string_view("\x04\x2c\x08INITIATE\x0bSocket-Type\0\0\0\x06" "DEALER\x08Identity\0\0\0\0", 46)));
  // ERROR as the spec writes it and as libzmq does ("\x5eRROR": one byte shorter).
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::error(w, "400", false); }),
            bytes(std::string_view("\x04\x0a\x05" "ERROR\x03" "400", 12)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::error(w, "400", true); }),
            bytes(std::string_view("\x04\x09\x5eRROR\x03" "400", 11)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::hello(w, "admin", "pw"); }),
            bytes(std::string_view("\x04\x0f\x05HELLO\x05" "admin\x02pw", 17)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::welcome(w); }), bytes(std::string_view("\x04\x08\x07WELCOME", 10)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::subscribe(w, "a.b"); }),
            bytes(std::string_view("\x04\x0d\x09SUBSCRIBEa.b", 15)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::cancel(w, "a"); }), bytes(std::string_view("\x04\x08\x06" "CANCELa", 10)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::ping(w, 300, "c"); }),
            bytes(std::string_view("\x04\x08\x04PING\x01\x2c" "c", 10)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::pong(w, "c"); }), bytes(std::string_view("\x04\x06\x04PONGc", 8)));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::subscription_message(w, true, "t"); }), (Bytes{0x00, 0x02, 0x01, 't'}));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::zmtp::subscription_message(w, false, ""); }), (Bytes{0x00, 0x01, 0x00}));
}

// ---- Pulsar -------------------------------------------------------------------------------------

Bytes hex(std::string_view h) {
  Bytes b;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}

// The frames the Pulsar C++ client 3.4.2 wrote in a real capture (CONNECT, CONNECT through a
// proxy, SEND with its CRC32C): the encoders write the same fields in the same order.
TEST(Pulsar, FramesAsTheCppClientWritesThem) {
  EXPECT_EQ(encode([](gen::Writer& w) { gen::pulsar::connect(w, "Pulsar-CPP-v3.4.2", 19, ""); }),
            hex("0000002900000025080212210a1150756c7361722d4350502d76332e342e3220132a046e6f6e65520408011001"));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::pulsar::connect(w, "Pulsar-CPP-v3.4.2", 19, "localhost:6650"); }),
            hex("0000003900000035080212310a1150756c7361722d4350502d76332e342e3220132a046e6f6e65320e6c6f63616c686f73743a"
                "36363530520408011001"));
  gen::pulsar::Metadata m;
  m.producer_name = "standalone-0-4";
  m.sequence_id = 0;
  m.publish_time = 1709016825430;
  EXPECT_EQ(encode([&](gen::Writer& w) { gen::pulsar::send(w, 0, m, gen::as_bytes("hello-pulsar-0")); }),
            hex("0000003d0000000808063204080010000e01c8272af6000000190a0e7374616e64616c6f6e652d302d34100018d6fcdccade31"
                "68656c6c6f2d70756c7361722d30"));
  EXPECT_EQ(encode([](gen::Writer& w) { gen::pulsar::ping(w); }), hex("000000090000000508129201" "00"));
}

// A batch: num_messages in SEND and num_messages_in_batch in the metadata, then size |
// SingleMessageMetadata | payload per message; the CRC32C covers everything after it.
TEST(Pulsar, BatchLayoutAndChecksum) {
  const gen::pulsar::KeyValue tp[] = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  const gen::pulsar::BatchEntry entries[] = {{{}, gen::as_bytes("one")}, {tp, gen::as_bytes("two")}};
  gen::pulsar::Metadata m;
  m.producer_name = "p";
  m.sequence_id = 7;
  m.publish_time = 1;
  const Bytes f = encode([&](gen::Writer& w) { gen::pulsar::send_batch(w, 3, m, entries); });
  ASSERT_GT(f.size(), 30u);
  EXPECT_EQ(be32(f.data()), f.size() - 4);
  const uint32_t cmd = be32(f.data() + 4);
  // BaseCommand {type SEND, send {producer_id 3, sequence_id 7, num_messages 2}}.
  EXPECT_EQ(Bytes(f.begin() + 8, f.begin() + 8 + cmd), (Bytes{0x08, 0x06, 0x32, 0x06, 0x08, 0x03, 0x10, 0x07, 0x18, 0x02}));
  const std::size_t at = 8 + cmd;
  EXPECT_EQ(f[at], 0x0e);
  EXPECT_EQ(f[at + 1], 0x01);
  EXPECT_EQ(be32(f.data() + at + 2), gen::crc32c(std::span(f).subspan(at + 6)));
  const uint32_t meta = be32(f.data() + at + 6);
  // MessageMetadata {producer_name "p", sequence_id 7, publish_time 1, num_messages_in_batch 2}.
  EXPECT_EQ(Bytes(f.begin() + static_cast<std::ptrdiff_t>(at + 10), f.begin() + static_cast<std::ptrdiff_t>(at + 10 + meta)),
            (Bytes{0x0a, 0x01, 'p', 0x10, 0x07, 0x18, 0x01, 0x58, 0x02}));
  // First message: SingleMessageMetadata {payload_size 3, sequence_id 7}, "one".
  const std::size_t b = at + 10 + meta;
  EXPECT_EQ(be32(f.data() + b), 4u);
  EXPECT_EQ(Bytes(f.begin() + static_cast<std::ptrdiff_t>(b + 4), f.begin() + static_cast<std::ptrdiff_t>(b + 11)),
            (Bytes{0x18, 0x03, 0x40, 0x07, 'o', 'n', 'e'}));
  // Second: {properties {traceparent}, payload_size 3, sequence_id 8}, "two", and nothing after.
  const std::size_t b2 = b + 11;
  const uint32_t s2 = be32(f.data() + b2);
  EXPECT_EQ(f[b2 + 4], 0x0a);
  EXPECT_EQ(b2 + 4 + s2 + 3, f.size());
  EXPECT_EQ(std::string(f.end() - 3, f.end()), "two");
}

// ---- TcpConversation ----------------------------------------------------------------------------

gen::FlowSpec spec(bool v6 = false) {
  gen::FlowSpec s;
  s.ipv6 = v6;
  if (v6) {
    s.client_ip = gen::ip6("fd00::1");
    s.server_ip = gen::ip6("fd00::2");
  }
  s.client_port = 40000;
  s.server_port = 1883;
  s.client_isn = 0xFFFFFF00;  // wraps during the test
  s.server_isn = 5000;
  return s;
}

TEST(TcpConversation, HandshakeDataAndClose) {
  gen::FlowSpec s = spec();
  s.tcp_checksum = true;
  gen::TcpConversation c(s);
  gen::FrameArena out;
  c.handshake(out);
  const Bytes request(5000, 'q'), response(100, 'r');
  EXPECT_EQ(c.send(out, gen::Dir::kToServer, request), 4u);  // 1448 * 3 + 656
  c.send(out, gen::Dir::kToClient, response, true);
  c.close(out, gen::Dir::kToServer);
  ASSERT_EQ(out.size(), 3u + 4 + 1 + 1 + 3);

  const auto syn = decode(out[0]);
  EXPECT_EQ(syn.tcp_flags, gen::tcp::kSyn);
  EXPECT_EQ(syn.tcp_seq, 0xFFFFFF00u);
  EXPECT_EQ(syn.tcp_ack, 0u);
  // Options right after the 20-byte TCP header: MSS 1448, NOP, window scale 7 (Ethernet 14 + IPv4 20).
  EXPECT_EQ(Bytes(out[0].begin() + 54, out[0].begin() + 62), (Bytes{2, 4, 0x05, 0xA8, 1, 3, 3, 7}));
  const auto synack = decode(out[1]);
  EXPECT_EQ(synack.tcp_flags, gen::tcp::kSyn | gen::tcp::kAck);
  EXPECT_EQ(synack.tcp_seq, 5000u);
  EXPECT_EQ(synack.tcp_ack, 0xFFFFFF01u);
  EXPECT_EQ(decode(out[2]).tcp_ack, 5001u);

  uint32_t seq = 0xFFFFFF01u;
  std::size_t sizes[] = {1448, 1448, 1448, 656};
  for (int i = 0; i < 4; ++i) {
    const auto p = decode(out[3 + i]);
    EXPECT_EQ(p.tcp_seq, seq);
    EXPECT_EQ(p.tcp_ack, 5001u);
    EXPECT_EQ(p.payload.size(), sizes[i]);
    EXPECT_EQ(p.tcp_flags, i == 3 ? (gen::tcp::kPsh | gen::tcp::kAck) : gen::tcp::kAck);
    seq += static_cast<uint32_t>(p.payload.size());
  }
  EXPECT_EQ(seq, 0xFFFFFF01u + 5000);  // wrapped
  const auto resp = decode(out[7]);
  EXPECT_EQ(resp.tcp_seq, 5001u);
  EXPECT_EQ(resp.tcp_ack, seq);
  const auto ack = decode(out[8]);
  EXPECT_EQ(ack.tcp_flags, gen::tcp::kAck);
  EXPECT_EQ(ack.tcp_ack, 5101u);
  EXPECT_EQ(decode(out[9]).tcp_flags, gen::tcp::kFin | gen::tcp::kAck);
  EXPECT_EQ(decode(out[10]).tcp_ack, seq + 1);  // the FIN counts one
  EXPECT_EQ(decode(out[11]).tcp_ack, 5102u);

  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto f = out[i];
    EXPECT_EQ(ones_sum(f.data() + 14, 20), 0xFFFF) << "IPv4 header checksum, frame " << i;
    // TCP checksum with the pseudo-header (RFC 9293 §3.1).
    const std::size_t tcp_len = f.size() - 34;
    uint32_t pseudo = ones_sum(f.data() + 26, 8);
    pseudo += 6 + static_cast<uint32_t>(tcp_len);
    EXPECT_EQ(ones_sum(f.data() + 34, tcp_len, pseudo), 0xFFFF) << "TCP checksum, frame " << i;
  }
}

TEST(TcpConversation, VlanVxlanIpv6Decode) {
  for (bool v6 : {false, true}) {
    gen::FlowSpec s = spec(v6);
    s.vlan = 42;
    s.vxlan = true;
    s.vni = 0x123456;
    gen::TcpConversation c(s);
    gen::FrameArena out;
    c.handshake(out);
    c.send(out, gen::Dir::kToClient, gen::as_bytes("hello"));
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto p = decode(out[i]);
      EXPECT_EQ(p.is_ipv6, v6);
      EXPECT_TRUE(p.has_vlan);
      EXPECT_EQ(p.vlan, 42);
      EXPECT_TRUE(p.has_tunnel_id);
      EXPECT_EQ(p.tunnel_id, 0x123456u);
      EXPECT_EQ(p.l4_proto, 6);
      const bool up = i != 1 && i != 3;
      EXPECT_EQ(p.src_port, up ? 40000 : 1883);
      EXPECT_EQ(p.dst_port, up ? 1883 : 40000);
    }
    EXPECT_EQ(std::string(decode(out[3]).payload.begin(), decode(out[3]).payload.end()), "hello");
    // The outer IPv4 header's checksum is valid too.
    EXPECT_EQ(ones_sum(out[3].data() + 14, 20), 0xFFFF);
  }
}

TEST(TcpConversation, ReorderDuplicateDropAndDatagram) {
  gen::TcpConversation c(spec());
  gen::FrameArena out;
  c.handshake(out);
  const uint32_t start = c.seq(gen::Dir::kToServer);
  const Bytes a(100, 'a'), b(200, 'b'), x(50, 'x');
  // Reorder: `a` is held back, `b` goes first, then `a` (with its original sequence number).
  const auto held = c.hold(gen::Dir::kToServer, a);
  c.send(out, gen::Dir::kToServer, b);
  c.emit(out, held);
  // Duplicate: `a` again.
  c.emit(out, held);
  // Drop: 50 bytes never appear, then data continues after the gap.
  c.drop(gen::Dir::kToServer, 50);
  c.send(out, gen::Dir::kToServer, x);
  c.datagram(out, gen::Dir::kToServer, gen::as_bytes("dns?"));
  // An arbitrary segment: a bare RST with a sequence number far off.
  c.emit(out, gen::TcpConversation::Segment{gen::Dir::kToClient, 12345, 0, gen::tcp::kRst, {}});

  ASSERT_EQ(out.size(), 3u + 6);
  EXPECT_EQ(decode(out[3]).tcp_seq, start + 100);
  EXPECT_EQ(decode(out[3]).payload.size(), 200u);
  EXPECT_EQ(decode(out[4]).tcp_seq, start);
  EXPECT_EQ(decode(out[4]).payload.size(), 100u);
  EXPECT_EQ(decode(out[5]).tcp_seq, start);
  EXPECT_EQ(decode(out[6]).tcp_seq, start + 350);  // 100 + 200 + 50 dropped
  const auto udp = decode(out[7]);
  EXPECT_EQ(udp.l4_proto, 17);
  EXPECT_EQ(udp.src_port, 40000);
  EXPECT_EQ(udp.dst_port, 1883);
  EXPECT_EQ(std::string(udp.payload.begin(), udp.payload.end()), "dns?");
  const auto rst = decode(out[8]);
  EXPECT_EQ(rst.tcp_flags, gen::tcp::kRst);
  EXPECT_EQ(rst.tcp_seq, 12345u);
  EXPECT_EQ(rst.src_port, 1883);
  EXPECT_EQ(c.seq(gen::Dir::kToServer), start + 400);  // emit() changed nothing
}

TEST(PcapWriter, WritesClassicPcap) {
  const std::string path = ::testing::TempDir() + "gen_test.pcap";
  gen::PcapWriter w;
  ASSERT_TRUE(w.open(path));
  const Bytes f(60, 0xAB);
  w.write(1700000000123456ull, f);
  ASSERT_TRUE(w.close());
  std::FILE* in = std::fopen(path.c_str(), "rb");
  ASSERT_NE(in, nullptr);
  Bytes all(200);
  all.resize(std::fread(all.data(), 1, all.size(), in));
  std::fclose(in);
  ASSERT_EQ(all.size(), 24u + 16 + 60);
  EXPECT_EQ(Bytes(all.begin(), all.begin() + 4), (Bytes{0xD4, 0xC3, 0xB2, 0xA1}));  // little-endian magic
  EXPECT_EQ(all[20], 1);                                                            // LINKTYPE_ETHERNET
  const uint32_t sec = all[24] | all[25] << 8 | all[26] << 16 | static_cast<uint32_t>(all[27]) << 24;
  const uint32_t usec = all[28] | all[29] << 8 | all[30] << 16 | static_cast<uint32_t>(all[31]) << 24;
  EXPECT_EQ(sec, 1700000000u);
  EXPECT_EQ(usec, 123456u);
  std::remove(path.c_str());
}

// ---- TrafficGenerator ---------------------------------------------------------------------------

struct FlowId {
  std::array<uint8_t, 16> client{};
  std::array<uint8_t, 16> server{};
  uint16_t cport = 0, sport = 0;
  bool operator<(const FlowId& o) const {
    return std::tie(client, server, cport, sport) < std::tie(o.client, o.server, o.cport, o.sport);
  }
};

// Checks TCP consistency of a generated stream, frame by frame.
class TcpChecker {
 public:
  void on_frame(std::span<const uint8_t> frame) {
    const auto p = decode(frame);
    ASSERT_EQ(p.l4_proto, 6);
    const bool syn = (p.tcp_flags & gen::tcp::kSyn) != 0, ack = (p.tcp_flags & gen::tcp::kAck) != 0;
    if (syn && !ack) {
      if (p.has_vlan) ++vlan;
      if (p.has_tunnel_id) ++vxlan;
      if (p.is_ipv6) ++ipv6;
      FlowId id{p.src_ip, p.dst_ip, p.src_port, p.dst_port};
      ASSERT_TRUE(ever.insert(id).second) << "a 5-tuple was used twice";
      Flow& f = flows[id];
      f.next[0] = p.tcp_seq + 1;
      ++syns;
      max_open = std::max(max_open, flows.size());
      return;
    }
    // Which flow and which direction?
    int d = 0;
    auto it = flows.find(FlowId{p.src_ip, p.dst_ip, p.src_port, p.dst_port});
    if (it == flows.end()) {
      it = flows.find(FlowId{p.dst_ip, p.src_ip, p.dst_port, p.src_port});
      d = 1;
    }
    ASSERT_NE(it, flows.end()) << "a segment of a flow that was never opened or is closed";
    Flow& f = it->second;
    if (syn) {
      ASSERT_EQ(d, 1);
      EXPECT_EQ(p.tcp_ack, f.next[0]);
      f.next[1] = p.tcp_seq + 1;
      f.established = true;
      return;
    }
    ASSERT_TRUE(f.established);
    // Contiguous: each segment starts where the previous one of its direction ended.
    EXPECT_EQ(p.tcp_seq, f.next[d]);
    if (ack) {
      EXPECT_EQ(p.tcp_ack, f.next[1 - d]) << "acknowledges all the peer's bytes";
    }
    if (p.payload.size() > max_payload) max_payload = p.payload.size();
    if (ack) f.unacked[1 - d] = 0;
    if (!p.payload.empty()) {
      if (f.last_dir == d && p.payload.size() == 1448) {
        if (++f.run > longest_run) longest_run = f.run;
      } else {
        f.run = 1;
      }
      f.last_dir = d;
      f.unacked[d] += 1;
    }
    EXPECT_LE(f.unacked[d], 2) << "a receiver acknowledges every second segment";
    f.next[d] += static_cast<uint32_t>(p.payload.size());
    if ((p.tcp_flags & gen::tcp::kRst) != 0) {
      ++rsts;
      flows.erase(it);
      return;
    }
    if ((p.tcp_flags & gen::tcp::kFin) != 0) {
      f.next[d] += 1;
      f.fin[d] = true;
      return;
    }
    if (f.fin[0] && f.fin[1] && p.payload.empty()) {  // the last ACK
      ++fins;
      flows.erase(it);
    }
  }

  struct Flow {
    std::array<uint32_t, 2> next{};
    std::array<bool, 2> fin{};
    std::array<int, 2> unacked{};
    bool established = false;
    int last_dir = -1;
    int run = 0;
  };
  std::map<FlowId, Flow> flows;
  std::set<FlowId> ever;
  std::size_t max_open = 0, syns = 0, fins = 0, rsts = 0, vlan = 0, vxlan = 0, ipv6 = 0, max_payload = 0;
  int longest_run = 0;
};

gen::Options mixed(uint64_t seed, uint32_t concurrency) {
  gen::Options o;
  o.seed = seed;
  o.concurrency = concurrency;
  o.errors = 0.1;
  o.vlan = 0.2;
  o.vxlan = 0.2;
  o.ipv6 = 0.3;
  o.large_share = 0.02;
  return o;
}

TEST(TrafficGenerator, StreamIsConsistentTcpAndDrainsCompletely) {
  gen::TrafficGenerator g(mixed(11, 300));
  TcpChecker check;
  uint64_t last_ts = 0;
  for (int i = 0; i < 200000; ++i) {
    const gen::Frame f = g.next();
    ASSERT_FALSE(f.bytes.empty());
    ASSERT_GE(f.ts_us, last_ts);
    last_ts = f.ts_us;
    check.on_frame(f.bytes);
    ASSERT_EQ(g.open_conversations(), 300u);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_LE(check.max_open, 300u);
  EXPECT_GE(check.max_open, 290u);  // nearly every slot has started its conversation
  g.drain();
  std::size_t extra = 0;
  for (gen::Frame f = g.next(); !f.bytes.empty(); f = g.next(), ++extra) {
    check.on_frame(f.bytes);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(extra, 0u);
  EXPECT_EQ(g.open_conversations(), 0u);
  EXPECT_TRUE(check.flows.empty()) << check.flows.size() << " flows left open after drain()";
  const gen::Stats& s = g.stats();
  EXPECT_EQ(s.conversations_started, check.syns);
  EXPECT_EQ(s.conversations_finished, check.syns);
  EXPECT_EQ(check.fins + check.rsts, check.syns);
  EXPECT_GT(check.rsts, 0u);
  EXPECT_EQ(s.frames, 200000u + extra);
  // Shares of conversations with a VLAN tag, in VXLAN, over IPv6.
  EXPECT_NEAR(static_cast<double>(check.vlan) / check.syns, 0.2, 0.03);
  EXPECT_NEAR(static_cast<double>(check.vxlan) / check.syns, 0.2, 0.03);
  EXPECT_NEAR(static_cast<double>(check.ipv6) / check.syns, 0.3, 0.03);
  // Long messages span many full segments.
  EXPECT_EQ(check.max_payload, 1448u);
  EXPECT_GE(check.longest_run, 7);
  // Every protocol gets its share of an even mix (at least half of it).
  for (std::size_t p = 0; p < gen::kProtocols; ++p)
    EXPECT_GT(s.conversations[p], s.conversations_started / (2 * gen::kProtocols)) << p;
  // Every request of a drained run got its answer, except those cut off by a RST (or by a server
  // closing the connection) which are `request` records with status unknown.
  uint64_t unknown = 0;
  for (const auto& r : s.expected_records()) {
    EXPECT_NE(r.type, gen::RecordType::kResponse);
    if (r.type == gen::RecordType::kRequest) {
      EXPECT_EQ(r.status, gen::Status::kUnknown);
      unknown += r.count;
    }
  }
  EXPECT_GT(unknown, 0u);
}

TEST(TrafficGenerator, SameSeedSameBytesOtherSeedOtherBytes) {
  auto digest = [](uint64_t seed) {
    gen::TrafficGenerator g(mixed(seed, 500));
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 50000; ++i) {
      const gen::Frame f = g.next();
      for (uint8_t b : f.bytes) h = (h ^ b) * 1099511628211ull;
      h = (h ^ f.ts_us) * 1099511628211ull;
    }
    return std::pair(h, g.stats().to_json());
  };
  const auto a = digest(5), b = digest(5), c = digest(6);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.first, c.first);
}

TEST(TrafficGenerator, ErrorShareIsRespected) {
  for (double share : {0.0, 0.3}) {
    gen::Options o = mixed(3, 1000);
    o.errors = share;
    o.rst_share = 0;  // a reset can cut off a refusal before it is sent
    gen::TrafficGenerator g(o);
    for (int i = 0; i < 300000; ++i) g.next();
    g.drain();
    while (!g.next().bytes.empty()) {
    }
    const gen::Stats& s = g.stats();
    ASSERT_GT(s.error_opportunities, 3000u);
    const double got = static_cast<double>(s.errors) / s.error_opportunities;
    EXPECT_NEAR(got, share, 0.02);
    uint64_t error_records = 0;
    for (const auto& r : s.expected_records())
      if (r.status == gen::Status::kClientError || r.status == gen::Status::kServerError) error_records += r.count;
    if (share == 0.0) {
      EXPECT_EQ(error_records, 0u);
    } else {
      // Each refusal is at least one error record (AMQP's and the NATS handshake's are two).
      EXPECT_GE(error_records, s.errors);
      EXPECT_LE(error_records, 2 * s.errors);
    }
  }
}

TEST(TrafficGenerator, MixAndPorts) {
  gen::Options o;
  o.seed = 9;
  o.concurrency = 200;
  o.mix = {0, 1, 0, 1};
  o.high_port_share = 0.5;
  gen::TrafficGenerator g(o);
  std::set<uint16_t> server_ports;
  for (int i = 0; i < 50000; ++i) {
    const auto p = decode(g.next().bytes);
    if ((p.tcp_flags & (gen::tcp::kSyn | gen::tcp::kAck)) == gen::tcp::kSyn) server_ports.insert(p.dst_port);
  }
  const gen::Stats& s = g.stats();
  EXPECT_EQ(s.conversations[0], 0u);
  EXPECT_EQ(s.conversations[2], 0u);
  EXPECT_GT(s.conversations[1], 0u);
  EXPECT_GT(s.conversations[3], 0u);
  EXPECT_TRUE(server_ports.count(9092) && server_ports.count(4222));
  EXPECT_GT(server_ports.size(), 20u);  // random high ports
  for (uint16_t p : server_ports) EXPECT_TRUE(p == 9092 || p == 4222 || (p >= 10000 && p < 32768)) << p;
}

// The client endpoint is a bijection of the serial's low 32 bits: invert it and check, and check
// that 5 million consecutive conversations have distinct 5-tuples, over IPv4 and IPv6.
uint32_t inverse_odd(uint32_t a) {
  uint32_t x = a;  // Newton's iteration for the inverse modulo 2^32
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}
uint32_t unshift(uint32_t y, int s) {
  uint32_t x = y;
  for (int i = 0; i < 32 / s + 1; ++i) x = y ^ (x >> s);
  return x;
}

TEST(FlowEndpoints, ClientKeyIsABijection) {
  const uint64_t seed = 77;
  // client_key = finaliser(serial ^ key): inverting the finaliser on serial 0 gives the key.
  auto invert = [](uint32_t x) {
    x = unshift(x, 16);
    x *= inverse_odd(0xC2B2AE35u);
    x = unshift(x, 13);
    x *= inverse_odd(0x85EBCA6Bu);
    return unshift(x, 16);
  };
  const uint32_t k0 = invert(gen::client_key(seed, 0));
  for (uint64_t serial : {1ull, 2ull, 12345ull, 0xFFFFFFFFull, 0xDEADBEEFull}) {
    EXPECT_EQ(invert(gen::client_key(seed, serial)) ^ k0, static_cast<uint32_t>(serial)) << serial;
  }
  EXPECT_EQ(gen::client_key(seed, 5), gen::client_key(seed, 5 + (1ull << 32)));  // period 2^32
}

TEST(FlowEndpoints, FiveMillionConversationsHaveDistinctTuples) {
  for (bool v6 : {false, true}) {
    std::unordered_set<uint64_t> seen;
    seen.reserve(5200000);
    for (uint64_t serial = 0; serial < 5000000; ++serial) {
      const gen::FlowEndpoints e =
          gen::flow_endpoints(1, serial, gen::Protocol::kMqtt, v6, static_cast<uint8_t>(serial % 8), 1883);
      // The server side is one of 8 addresses on one port: the client side must be unique.
      const std::size_t at = v6 ? 12 : 0;
      const uint64_t client = uint64_t{e.client_ip[at]} << 40 | uint64_t{e.client_ip[at + 1]} << 32 |
                              uint64_t{e.client_ip[at + 2]} << 24 | uint64_t{e.client_ip[at + 3]} << 16 |
                              e.client_port;
      ASSERT_TRUE(seen.insert(client).second) << "serial " << serial;
      ASSERT_GE(e.client_port, 32768);
    }
  }
  // Clients and servers use disjoint ranges, so a client never looks like another flow's server.
  const auto e = gen::flow_endpoints(1, 0, gen::Protocol::kNats, false, 0, 4222);
  EXPECT_EQ(e.client_ip[0], 10);
  EXPECT_TRUE(e.client_ip[1] == 64 || e.client_ip[1] == 65);
  EXPECT_EQ(e.server_ip[1], 203);
}

// Replays of stored frames become new flows: readdress() moves every client address (IPv4 and
// IPv6, plain, VLAN-tagged and inside VXLAN) to one no other round uses and leaves servers alone.
TEST(StoredFrames, ReaddressMovesClientsOnly) {
  gen::Options o;
  o.seed = 9;
  o.concurrency = 200;
  o.vlan = 0.3;
  o.vxlan = 0.3;
  o.ipv6 = 0.3;
  gen::TrafficGenerator g(o);
  const gen::StoredFrames base = gen::StoredFrames::record(g, 5000, true);
  ASSERT_GT(base.size(), 5000u);
  std::set<std::array<uint8_t, 16>> clients[3];
  for (uint32_t round : {0u, 1u, 2u}) {
    gen::StoredFrames r = base;
    if (round != 0) r.readdress(round);
    for (std::size_t i = 0; i < r.size(); ++i) {
      ASSERT_NE(r.ip_at[i], 0u) << i;
      const auto was = decode(base.frame(i));
      const auto now = decode(r.frame(i));
      // Client → server: servers listen below 32768, except OpenWire's well-known 61616.
      const bool up = now.dst_port == was.dst_port &&
                      (was.dst_port < 32768 || was.dst_port == gen::standard_port(gen::Protocol::kOpenWire));
      const auto& server_was = up ? was.dst_ip : was.src_ip;
      const auto& server_now = up ? now.dst_ip : now.src_ip;
      EXPECT_EQ(server_now, server_was);
      clients[round].insert(up ? now.src_ip : now.dst_ip);
      EXPECT_EQ(now.payload.size(), was.payload.size());
    }
  }
  for (int a = 0; a < 3; ++a)
    for (int b = a + 1; b < 3; ++b)
      for (const auto& c : clients[a]) EXPECT_EQ(clients[b].count(c), 0u) << a << " " << b;
}

TEST(TrafficGenerator, NoAllocationPerFrame) {
  const uint64_t at_start = test_alloc::count();
  gen::TrafficGenerator g(mixed(21, 5000));
  EXPECT_GT(test_alloc::count(), at_start);  // the counter sees the generator's own allocations
  for (int i = 0; i < 20000; ++i) g.next();   // warm: static tables initialised
  const uint64_t before = test_alloc::count();
  uint64_t bytes = 0;
  for (int i = 0; i < 300000; ++i) bytes += g.next().bytes.size();
  g.drain();
  for (gen::Frame f = g.next(); !f.bytes.empty(); f = g.next()) bytes += f.bytes.size();
  EXPECT_EQ(test_alloc::count(), before);
  EXPECT_GT(bytes, 0u);
}

TEST(TrafficGenerator, SmallStatePerConversation) {
  // 1M concurrent conversations must fit in about 200 MB.
  EXPECT_LE(gen::TrafficGenerator::conversation_state_bytes(), 160u);
}

}  // namespace
