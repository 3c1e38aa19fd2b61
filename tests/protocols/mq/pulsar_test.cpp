// Pulsar parser tests. Frames are built here from PulsarApi.proto's field numbers (a protobuf
// encoder of a few lines), in the layout real clients and brokers write (checked against
// pulsar-producer.pcap: Pulsar C++ client 3.4.2 and broker 3.2.0).
#include "protocols/mq/pulsar.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "protocols/core/session_pairing.hpp"
#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using test::ParserHarness;
using test::describe_all;
using test::pair_all;
using Bytes = std::vector<uint8_t>;

// --- a small protobuf / Pulsar frame encoder ---------------------------------------------------

void put_varint(Bytes& b, uint64_t v) {
  while (v >= 0x80) {
    b.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  b.push_back(static_cast<uint8_t>(v));
}
Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes V(uint32_t field, uint64_t v) {  // varint field
  Bytes b;
  put_varint(b, uint64_t{field} << 3);
  put_varint(b, v);
  return b;
}
Bytes L(uint32_t field, const Bytes& payload) {  // length-delimited field
  Bytes b;
  put_varint(b, (uint64_t{field} << 3) | 2);
  put_varint(b, payload.size());
  return b + payload;
}
Bytes L(uint32_t field, std::string_view s) { return L(field, Bytes(s.begin(), s.end())); }
Bytes be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}
Bytes KV(std::string_view k, std::string_view v) { return L(1, k) + L(2, v); }

// BaseCommand {type, <command> = field `type`}, framed; `extra` = what follows the command.
Bytes frame(uint32_t type, const Bytes& command, const Bytes& extra = {}) {
  const Bytes base = V(1, type) + L(type, command);
  return be32(static_cast<uint32_t>(4 + base.size() + extra.size())) + be32(static_cast<uint32_t>(base.size())) +
         base + extra;
}
// 0x0e01 | checksum | metadata size | MessageMetadata | payload (the checksum is not checked).
Bytes payload_part(const Bytes& metadata, std::string_view payload) {
  return Bytes{0x0e, 0x01, 0xde, 0xad, 0xbe, 0xef} + be32(static_cast<uint32_t>(metadata.size())) + metadata +
         Bytes(payload.begin(), payload.end());
}
Bytes metadata(uint64_t seq, const Bytes& more = {}) { return L(1, "standalone-0-4") + V(2, seq) + V(3, 1709016825430) + more; }

const std::string kTopic = "persistent://public/default/my-topic";
constexpr std::string_view kTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

Bytes connect(uint32_t version, std::string_view proxy = {}) {
  Bytes c = L(1, "Pulsar-CPP-v3.4.2") + V(4, version) + L(5, "none");
  if (!proxy.empty()) c = c + L(6, proxy);
  return frame(2, c + L(10, V(1, 1) + V(2, 1)));
}
Bytes connected(uint32_t version) { return frame(3, L(1, "Pulsar Server3.2.0") + V(2, version) + V(3, 5242880)); }
Bytes producer(uint64_t pid, uint64_t rid, std::string_view topic = kTopic) {
  return frame(5, L(1, topic) + V(2, pid) + V(3, rid));
}
Bytes producer_success(uint64_t rid) { return frame(17, V(1, rid) + L(2, "standalone-0-4") + V(3, ~0ull)); }
Bytes send(uint64_t pid, uint64_t seq, const Bytes& more_meta = {}, std::string_view body = "hello-pulsar") {
  return frame(6, V(1, pid) + V(2, seq), payload_part(metadata(seq, more_meta), body));
}
Bytes receipt(uint64_t pid, uint64_t seq) { return frame(7, V(1, pid) + V(2, seq) + L(3, V(1, 9) + V(2, 40 + seq))); }
Bytes subscribe(uint64_t cid, uint64_t rid, std::string_view topic = kTopic) {
  return frame(4, L(1, topic) + L(2, "sub") + V(3, 0) + V(4, cid) + V(5, rid));
}
Bytes success(uint64_t rid) { return frame(13, V(1, rid)); }
Bytes error(uint64_t rid, uint32_t code, std::string_view text) { return frame(14, V(1, rid) + V(2, code) + L(3, text)); }
Bytes message(uint64_t cid, uint64_t ledger, uint64_t entry, const Bytes& more_meta = {}) {
  return frame(9, V(1, cid) + L(2, V(1, ledger) + V(2, entry)), payload_part(metadata(1, more_meta), "m"));
}
Bytes ping() { return frame(18, {}); }
Bytes pong() { return frame(19, {}); }



const Bytes kClientSide = connect(19, "localhost:6650") + producer(0, 0) + send(0, 0) + send(0, 1) +
                          frame(15, V(1, 0) + V(2, 1)) + ping();
const Bytes kServerSide = connected(19) + producer_success(0) + receipt(0, 0) + receipt(0, 1) + success(1) + pong();

TEST(PulsarParser, DecodesAProducerConversation) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, kClientSide);
  h.feed(Dir::kToClient, kServerSide);
  ASSERT_EQ(h.errors(), 0u);
  EXPECT_FALSE(h.reversed());
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 12u);
  // CONNECT: proxy_to_broker_url → domain; request_length = totalSize.
  EXPECT_EQ(m[0].fields.get(Field::kRequestType), "CONNECT");
  EXPECT_EQ(m[0].role, MsgRole::kRequest);
  EXPECT_EQ(m[0].fields.get(Field::kVersion), "19");
  EXPECT_EQ(m[0].fields.get(Field::kRequestDomain), "localhost:6650");
  EXPECT_EQ(m[0].fields.request_length, connect(19, "localhost:6650").size() - 4);
  EXPECT_FALSE(m[0].has_id);
  // PRODUCER: request_id, the topic after its last '/'.
  EXPECT_EQ(m[1].fields.get(Field::kRequestType), "PRODUCER");
  EXPECT_EQ(m[1].fields.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(m[1].fields.get(Field::kEndpoint), "my-topic");
  EXPECT_EQ(m[1].fields.get(Field::kRequestId), "0");
  EXPECT_TRUE(m[1].fields.request_id_is_int());
  EXPECT_EQ(m[1].fields.get(Field::kRequestDomain), "localhost:6650");
  // SEND: the topic of its producer id, request_id from producer and sequence ids, the whole
  // frame's size (payload included).
  EXPECT_EQ(m[2].fields.get(Field::kRequestType), "SEND");
  EXPECT_EQ(m[2].role, MsgRole::kRequest);
  EXPECT_EQ(m[2].fields.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(m[2].fields.get(Field::kRequestId), "0");
  EXPECT_EQ(m[3].fields.get(Field::kRequestId), "1");
  EXPECT_EQ(m[2].fields.request_length, send(0, 0).size() - 4);
  // CLOSE_PRODUCER from the client: a request with the producer's topic.
  EXPECT_EQ(m[4].fields.get(Field::kRequestType), "CLOSE_PRODUCER");
  EXPECT_EQ(m[4].role, MsgRole::kRequest);
  EXPECT_EQ(m[4].fields.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(m[4].fields.get(Field::kRequestId), "1");
  EXPECT_EQ(m[5].fields.get(Field::kRequestType), "PING");
  EXPECT_EQ(m[5].role, MsgRole::kRequest);
  // Server side.
  EXPECT_EQ(m[6].fields.get(Field::kRequestType), "CONNECTED");
  EXPECT_EQ(m[6].role, MsgRole::kResponse);
  EXPECT_EQ(m[6].pair_class, m[0].pair_class);
  EXPECT_EQ(m[6].fields.response_length, connected(19).size() - 4);
  EXPECT_EQ(m[7].fields.get(Field::kRequestType), "PRODUCER_SUCCESS");
  EXPECT_EQ(m[7].role, MsgRole::kResponse);
  EXPECT_EQ(m[7].pair_class, m[1].pair_class);
  EXPECT_EQ(m[7].id, m[1].id);
  EXPECT_EQ(m[8].fields.get(Field::kRequestType), "SEND_RECEIPT");
  EXPECT_EQ(m[8].pair_class, m[2].pair_class);
  EXPECT_EQ(m[8].id, m[2].id);
  EXPECT_EQ(m[9].id, m[3].id);
  EXPECT_NE(m[3].id, m[2].id);
  EXPECT_NE(m[2].pair_class, m[1].pair_class);
  EXPECT_EQ(m[8].fields.get(Field::kXRequestId), "9:40:-1:-1");  // the message id the broker gave
  EXPECT_EQ(m[10].fields.get(Field::kRequestType), "SUCCESS");
  EXPECT_EQ(m[10].id, m[4].id);
  EXPECT_EQ(m[11].fields.get(Field::kRequestType), "PONG");
  EXPECT_EQ(m[11].pair_class, m[5].pair_class);
  EXPECT_NE(m[5].pair_class, m[0].pair_class);
  for (const auto& msg : m) EXPECT_EQ(msg.fields.get(Field::kVersion), "19");
  // The records: six sessions, the SEND ones with the topic and ids of the request.
  const auto r = pair_all(m);
  ASSERT_EQ(r.size(), 6u);
  for (const auto& rec : r) {
    EXPECT_EQ(rec.type, RecordType::kSession);
    EXPECT_EQ(rec.l7.response_status, ResponseStatus::kOk);
  }
  EXPECT_EQ(r[2].l7.get(Field::kRequestType), "SEND");
  EXPECT_EQ(r[2].l7.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(r[2].l7.request_length, send(0, 0).size() - 4);
  EXPECT_EQ(r[2].l7.response_length, receipt(0, 0).size() - 4);
}

Bytes hex(std::string_view h) {
  Bytes b;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}

// Frames of a real connection (Pulsar C++ client 3.4.2 through a proxy URL, broker 3.2.0): the
// records are the reference implementation's for this capture.
TEST(PulsarParser, RealClientAndBrokerFrames) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, hex("0000003900000035080212310a1150756c7361722d4350502d76332e342e3220132a046e6f6e65320e6c6f63616c68"
                             "6f73743a36363530520408011001"), 100);
  h.feed(Dir::kToClient, hex("000000270000002308031a1f0a1250756c73617220536572766572332e322e301013188080c00222022001"), 2580);
  h.feed(Dir::kToServer, hex("0000003a0000003608052a320a2470657273697374656e743a2f2f7075626c69632f64656661756c742f6d792d7"
                             "46f706963100018002800400048005000"), 3000);
  h.feed(Dir::kToClient, hex("0000002a0000002608118a01210800120e7374616e64616c6f6e652d302d3418ffffffffffffffffff0122003001"), 25066);
  h.feed(Dir::kToServer, hex("0000003d0000000808063204080010000e01c8272af6000000190a0e7374616e64616c6f6e652d302d34100018d6fc"
                             "dccade3168656c6c6f2d70756c7361722d30"), 30000);
  h.feed(Dir::kToClient, hex("000000140000001008073a0c080010001a04080910282000"), 41240);
  h.feed(Dir::kToServer, hex("0000003d0000000808063204080010010e01e43e9c93000000190a0e7374616e64616c6f6e652d302d34100118e8fc"
                             "dccade3168656c6c6f2d70756c7361722d31"), 50000);
  h.feed(Dir::kToClient, hex("0000001d0000001908073a15080010011a040809102920ffffffffffffffffff01"), 55127);
  ASSERT_EQ(h.errors(), 0u);
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 4u);
  struct Want {
    std::string_view type;
    int64_t request_id;
    uint32_t request_length, response_length;
    uint64_t rrt;
  };
  const Want want[] = {{"CONNECT", -1, 57, 39, 2480}, {"PRODUCER", 0, 58, 42, 22066}, {"SEND", 0, 61, 20, 11240},
                       {"SEND", 1, 61, 29, 5127}};
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r[i].type, RecordType::kSession);
    EXPECT_EQ(r[i].l7.get(Field::kRequestType), want[i].type);
    EXPECT_EQ(r[i].l7.get(Field::kVersion), "19");
    EXPECT_EQ(r[i].l7.get(Field::kRequestDomain), "localhost:6650");
    EXPECT_EQ(r[i].l7.get(Field::kRequestId), want[i].request_id < 0 ? "" : std::to_string(want[i].request_id));
    EXPECT_EQ(r[i].l7.get(Field::kEndpoint), i == 0 ? "" : "my-topic");
    EXPECT_EQ(r[i].l7.response_status, ResponseStatus::kOk);
    EXPECT_EQ(r[i].l7.request_length, want[i].request_length);
    EXPECT_EQ(r[i].l7.response_length, want[i].response_length);
    EXPECT_EQ(r[i].rrt_us, want[i].rrt);
  }
}

TEST(PulsarParser, PairingMakesOneSessionPerExchange) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, connect(19), 100);
  h.feed(Dir::kToClient, connected(19), 150);
  h.feed(Dir::kToServer, frame(21, L(1, kTopic) + V(2, 1)), 200);  // PARTITIONED_METADATA
  h.feed(Dir::kToServer, frame(23, L(1, kTopic) + V(2, 2) + V(3, 0)), 210);  // LOOKUP, pipelined
  h.feed(Dir::kToClient, frame(24, L(1, "pulsar://localhost:6650") + V(3, 1) + V(4, 2)), 260);
  h.feed(Dir::kToClient, frame(22, V(1, 0) + V(2, 1) + V(3, 0)), 300);
  h.feed(Dir::kToServer, producer(7, 3) + send(7, 70000), 400);
  h.feed(Dir::kToClient, producer_success(3), 450);
  h.feed(Dir::kToClient, frame(8, V(1, 7) + V(2, 70000) + V(3, 2) + L(4, "ledger write failed")), 500);
  ASSERT_EQ(h.errors(), 0u);
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 5u);
  for (const auto& rec : r) EXPECT_EQ(rec.type, RecordType::kSession);
  EXPECT_EQ(r[0].l7.get(Field::kRequestType), "CONNECT");
  EXPECT_EQ(r[0].rrt_us, 50u);
  EXPECT_EQ(r[1].l7.get(Field::kRequestType), "LOOKUP");  // answered first
  EXPECT_EQ(r[1].l7.get(Field::kRequestId), "2");
  EXPECT_EQ(r[1].rrt_us, 50u);
  EXPECT_EQ(r[1].l7.response_status, ResponseStatus::kOk);
  EXPECT_EQ(r[2].l7.get(Field::kRequestType), "PARTITIONED_METADATA");
  EXPECT_EQ(r[2].rrt_us, 100u);
  EXPECT_EQ(r[3].l7.get(Field::kRequestType), "PRODUCER");
  // SEND_ERROR: PersistenceError (2) is the broker's; request_id = (7 << 16) | (70000 & 0xffff).
  EXPECT_EQ(r[4].l7.get(Field::kRequestType), "SEND");
  EXPECT_EQ(r[4].l7.get(Field::kRequestId), std::to_string((7u << 16) | (70000u & 0xffff)));
  EXPECT_EQ(r[4].l7.response_code, 2);
  EXPECT_EQ(r[4].l7.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(r[4].l7.get(Field::kResponseException), "ledger write failed");
  EXPECT_EQ(r[4].l7.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(r[4].rrt_us, 100u);
}

TEST(PulsarParser, ErrorsAreClassifiedByWhatTheyMean) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, subscribe(1, 10) + producer(2, 11) + frame(23, L(1, "bad//topic") + V(2, 12)) +
                             frame(34, V(1, 13) + L(2, kTopic)));
  h.feed(Dir::kToClient, error(10, 11, "Topic not found") + error(11, 6, "") +
                             frame(24, V(3, 2) + V(4, 12) + V(6, 17) + L(7, "Invalid topic name")) +
                             frame(35, V(1, 13) + V(2, 0) + L(3, "boom")));
  ASSERT_EQ(h.errors(), 0u);
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].l7.get(Field::kRequestType), "SUBSCRIBE");
  EXPECT_EQ(r[0].l7.response_code, 11);
  EXPECT_EQ(r[0].l7.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(r[0].l7.get(Field::kResponseException), "Topic not found");
  EXPECT_EQ(r[1].l7.get(Field::kRequestType), "PRODUCER");
  EXPECT_EQ(r[1].l7.response_status, ResponseStatus::kServerError);  // ServiceNotReady
  EXPECT_EQ(r[1].l7.get(Field::kResponseException), "ServiceNotReady");  // no text: the error's name
  EXPECT_EQ(r[2].l7.get(Field::kRequestType), "LOOKUP");
  EXPECT_EQ(r[2].l7.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(r[2].l7.response_code, 17);
  EXPECT_EQ(r[3].l7.get(Field::kRequestType), "GET_SCHEMA");
  EXPECT_EQ(r[3].l7.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(r[3].l7.response_status, ResponseStatus::kServerError);  // UnknownError
  EXPECT_EQ(r[3].l7.response_code, 0);
  // Every ServerError value has a side; the ones the request is to blame for are client errors.
  EXPECT_EQ(pulsar::error_status(3), ResponseStatus::kClientError);   // AuthenticationError
  EXPECT_EQ(pulsar::error_status(4), ResponseStatus::kClientError);   // AuthorizationError
  EXPECT_EQ(pulsar::error_status(16), ResponseStatus::kClientError);  // ProducerBusy
  EXPECT_EQ(pulsar::error_status(25), ResponseStatus::kClientError);  // ProducerFenced
  EXPECT_EQ(pulsar::error_status(1), ResponseStatus::kServerError);   // MetadataError
  EXPECT_EQ(pulsar::error_status(7), ResponseStatus::kServerError);   // backlog quota
  EXPECT_EQ(pulsar::error_status(14), ResponseStatus::kServerError);  // TooManyRequests
  EXPECT_EQ(pulsar::error_status(99), ResponseStatus::kServerError);  // newer than the table
  EXPECT_EQ(pulsar::error_name(25), "ProducerFenced");
  EXPECT_TRUE(pulsar::error_name(26).empty());
}

TEST(PulsarParser, ConsumerSideCommandsUseTheSubscribedTopic) {
  ParserHarness h(kPulsarDescriptor);
  const Bytes trace = L(4, KV("traceparent", kTrace));
  h.feed(Dir::kToServer, connect(21) + subscribe(3, 1, "persistent://t/ns/orders") + frame(11, V(1, 3) + V(2, 1000)));
  h.feed(Dir::kToClient, connected(19) + success(1) + message(3, 12, 7, trace) +
                             frame(31, V(1, 3) + V(2, 1)) + frame(27, V(1, 3)));
  h.feed(Dir::kToServer, frame(10, V(1, 3) + V(2, 0) + L(3, V(1, 12) + V(2, 7))) + frame(20, V(1, 3)) +
                             frame(16, V(1, 3) + V(2, 2)));
  h.feed(Dir::kToClient, success(2) + frame(9, V(1, 3) + L(2, V(1, 1) + V(2, 1)), payload_part(metadata(1), "x")));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 13u);
  EXPECT_EQ(m[0].fields.get(Field::kVersion), "21");  // CONNECT before CONNECTED: the client's
  EXPECT_EQ(m[1].fields.get(Field::kRequestType), "SUBSCRIBE");
  EXPECT_EQ(m[1].fields.get(Field::kRequestResource), "orders");
  EXPECT_EQ(m[1].fields.get(Field::kVersion), "21");
  EXPECT_EQ(m[2].fields.get(Field::kRequestType), "FLOW");
  EXPECT_EQ(m[2].role, MsgRole::kOneWay);
  EXPECT_EQ(m[2].fields.get(Field::kEndpoint), "orders");
  EXPECT_EQ(m[3].fields.get(Field::kVersion), "19");  // min(21, 19) from CONNECTED on
  // MESSAGE: one-way, the consumer's topic, trace context from its properties, the message id.
  EXPECT_EQ(m[5].fields.get(Field::kRequestType), "MESSAGE");
  EXPECT_EQ(m[5].role, MsgRole::kOneWay);
  EXPECT_EQ(m[5].fields.get(Field::kRequestResource), "orders");
  EXPECT_EQ(m[5].fields.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(m[5].fields.get(Field::kSpanId), "b7ad6b7169203331");
  EXPECT_EQ(m[5].fields.get(Field::kXRequestId), "12:7:-1:-1");
  EXPECT_TRUE(m[5].fields.get(Field::kRequestId).empty());
  EXPECT_EQ(m[6].fields.get(Field::kRequestType), "ACTIVE_CONSUMER_CHANGE");
  EXPECT_EQ(m[6].fields.get(Field::kEndpoint), "orders");
  EXPECT_EQ(m[7].fields.get(Field::kRequestType), "REACHED_END_OF_TOPIC");
  EXPECT_EQ(m[7].role, MsgRole::kOneWay);
  EXPECT_EQ(m[8].fields.get(Field::kRequestType), "ACK");
  EXPECT_EQ(m[8].role, MsgRole::kOneWay);
  EXPECT_EQ(m[8].fields.get(Field::kEndpoint), "orders");
  EXPECT_EQ(m[9].fields.get(Field::kRequestType), "REDELIVER_UNACKNOWLEDGED_MESSAGES");
  EXPECT_EQ(m[9].role, MsgRole::kOneWay);
  EXPECT_EQ(m[10].fields.get(Field::kRequestType), "CLOSE_CONSUMER");
  EXPECT_EQ(m[10].fields.get(Field::kRequestResource), "orders");
  EXPECT_EQ(m[10].role, MsgRole::kRequest);
  // After CLOSE_CONSUMER the consumer id is forgotten.
  EXPECT_EQ(m[11].fields.get(Field::kRequestType), "SUCCESS");
  EXPECT_TRUE(m[12].fields.get(Field::kRequestResource).empty());
  const auto r = pair_all(m);
  ASSERT_EQ(r.size(), 10u);
  for (const auto& rec : r) EXPECT_EQ(rec.type, RecordType::kSession);
}

TEST(PulsarParser, BatchedMessagesGiveTheirProperties) {
  // num_messages_in_batch = 3: each message is size | SingleMessageMetadata | payload; the trace
  // context is in the second one's properties.
  auto single = [](const Bytes& props, std::string_view body) {
    const Bytes smm = props + V(3, body.size()) + V(8, 5);
    return be32(static_cast<uint32_t>(smm.size())) + smm + Bytes(body.begin(), body.end());
  };
  const Bytes batch = single(L(1, KV("k", "v")), "one") + single(L(1, KV("traceparent", kTrace)), "two") +
                      single({}, "three");
  const Bytes meta = metadata(5) + V(11, 3);
  ParserHarness h(kPulsarDescriptor);
  const Bytes extra = Bytes{0x0e, 0x01, 0, 0, 0, 0} + be32(static_cast<uint32_t>(meta.size())) + meta + batch;
  h.feed(Dir::kToServer, producer(1, 1) + frame(6, V(1, 1) + V(2, 5) + V(3, 3), extra));
  // Compressed (LZ4): the batch is not read.
  const Bytes zmeta = metadata(6) + V(8, 1) + V(11, 3);
  h.feed(Dir::kToServer, frame(6, V(1, 1) + V(2, 6) + V(3, 3),
                               Bytes{0x0e, 0x01, 0, 0, 0, 0} + be32(static_cast<uint32_t>(zmeta.size())) + zmeta + batch));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestId), std::to_string((1u << 16) | 5u));
  EXPECT_TRUE(h.messages()[2].fields.get(Field::kTraceId).empty());
}

TEST(PulsarParser, BrokerEntryMetadataBeforeTheMessageMetadata) {
  const Bytes broker = V(1, 1709016825430) + V(2, 99);
  const Bytes meta = metadata(1, L(4, KV("sw8", "1-MQ==-Mg==-3-c2Vydg==-aW5zdA==-L2E=-aG9zdA==")));
  const Bytes extra = Bytes{0x0e, 0x02} + be32(static_cast<uint32_t>(broker.size())) + broker + payload_part(meta, "x");
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToClient, frame(9, V(1, 1) + L(2, V(1, 3) + V(2, 4) + V(3, 0) + V(4, 2)), extra));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kTraceId), "1");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kSpanId), "2-3");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kXRequestId), "3:4:0:2");
}

TEST(PulsarParser, ConfiguredHeaderNamesComeFromProperties) {
  ParserOptions opts;
  static constexpr std::string_view kReqId[] = {"x-request-id"};
  opts.x_request_id_headers = kReqId;
  ParserHarness h(kPulsarDescriptor, opts);
  h.feed(Dir::kToServer, send(1, 1, L(4, KV("X-Request-ID", "req-42"))));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kXRequestId), "req-42");
}

// Every type of the table is decoded with its name and the role the spec gives it.
TEST(PulsarParser, EveryCommandType) {
  const std::vector<std::string_view> one_way = {"ACK", "FLOW", "MESSAGE", "REDELIVER_UNACKNOWLEDGED_MESSAGES",
                                                 "REACHED_END_OF_TOPIC", "ACTIVE_CONSUMER_CHANGE", "ACK_RESPONSE",
                                                 "WATCH_TOPIC_LIST", "WATCH_TOPIC_LIST_SUCCESS", "WATCH_TOPIC_UPDATE",
                                                 "WATCH_TOPIC_LIST_CLOSE", "TOPIC_MIGRATED"};
  int known = 0;
  for (uint32_t type = 0; type < 128; ++type) {
    const pulsar::CommandInfo* info = pulsar::command_info(type);
    if (info == nullptr) continue;
    ++known;
    const Dir dir = info->sender == pulsar::Sender::kServer ? Dir::kToClient : Dir::kToServer;
    ParserHarness h(kPulsarDescriptor);
    const Bytes extra = type == 6 || type == 9 ? payload_part(metadata(1), "p") : Bytes{};
    h.feed(dir, frame(type, V(1, 1) + V(2, 2), extra));
    ASSERT_EQ(h.errors(), 0u) << type;
    ASSERT_EQ(h.messages().size(), 1u) << type;
    const Message& m = h.messages()[0];
    EXPECT_EQ(m.fields.get(Field::kRequestType), info->name);
    const bool is_one_way = std::find(one_way.begin(), one_way.end(), info->name) != one_way.end();
    EXPECT_EQ(m.role == MsgRole::kOneWay, is_one_way) << info->name;
    EXPECT_FALSE(h.reversed()) << info->name;
    EXPECT_EQ(pulsar::probe(dir, frame(type, V(1, 1))), ProbeVerdict::kYes) << info->name;
  }
  EXPECT_EQ(known, 39 + 14 + 4 + 1);  // 2..40, 50..63, 64..67, 68
  for (uint32_t type : {0u, 1u, 41u, 49u, 69u, 127u}) {
    ParserHarness h(kPulsarDescriptor);
    h.feed(Dir::kToServer, frame(type, V(1, 1)));
    EXPECT_EQ(h.errors(), 1u) << type;
    EXPECT_TRUE(h.messages().empty()) << type;
  }
}

TEST(PulsarParser, ServerCommandsTowardsTheServerReportReversedOrientation) {
  for (bool swapped : {false, true}) {
    ParserHarness h(kPulsarDescriptor);
    const Dir client = swapped ? Dir::kToClient : Dir::kToServer;
    h.feed(opposite(client), kServerSide);
    h.feed(client, kClientSide);
    EXPECT_EQ(h.errors(), 0u);
    EXPECT_EQ(h.reversed(), swapped);
    // The client's CLOSE_PRODUCER stays a request in both orientations.
    for (const auto& m : h.messages()) {
      if (m.fields.get(Field::kRequestType) == "CLOSE_PRODUCER") {
        EXPECT_EQ(m.role, MsgRole::kRequest);
      }
    }
  }
  // PING / PONG travel both ways and prove nothing.
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToClient, ping());
  h.feed(Dir::kToServer, pong());
  EXPECT_FALSE(h.reversed());
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, RecordType::kSession);
}

TEST(PulsarParser, BrokerInitiatedCloseIsANotice) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, producer(4, 1) + subscribe(5, 2));
  h.feed(Dir::kToClient, producer_success(1) + success(2) + frame(15, V(1, 4) + V(2, 77)) + frame(16, V(1, 5) + V(2, 78)));
  h.feed(Dir::kToServer, producer(4, 3));  // the client re-creates its producer
  ASSERT_EQ(h.messages().size(), 7u);
  EXPECT_EQ(h.messages()[4].role, MsgRole::kOneWay);
  EXPECT_EQ(h.messages()[4].fields.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(h.messages()[5].role, MsgRole::kOneWay);
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 5u);  // PRODUCER, SUBSCRIBE, two notices, the unanswered PRODUCER
  EXPECT_EQ(r[4].type, RecordType::kRequest);
  EXPECT_EQ(r[4].l7.response_status, ResponseStatus::kUnknown);
}

TEST(PulsarParser, ProducerNotReadyWaitsForTheSecondSuccess) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, producer(1, 9), 100);
  h.feed(Dir::kToClient, frame(17, V(1, 9) + L(2, "p") + V(6, 0)), 200);
  h.feed(Dir::kToClient, frame(17, V(1, 9) + L(2, "p") + V(6, 1)), 900);
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].l7.get(Field::kRequestType), "PRODUCER_SUCCESS");  // the notice, on its own
  EXPECT_EQ(r[1].l7.get(Field::kRequestType), "PRODUCER");
  EXPECT_EQ(r[1].rrt_us, 800u);
}

TEST(PulsarParser, AuthChallengeIsAnsweredByTheClient) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, connect(19), 100);
  h.feed(Dir::kToClient, frame(36, L(1, "s") + L(2, L(1, "token") + L(2, "c")) + V(3, 19)), 200);
  h.feed(Dir::kToServer, frame(37, L(1, "c") + L(2, L(1, "token") + L(2, "r")) + V(3, 19)), 230);
  h.feed(Dir::kToClient, connected(19), 300);
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].l7.get(Field::kRequestType), "AUTH_CHALLENGE");
  EXPECT_EQ(r[0].rrt_us, 30u);
  EXPECT_EQ(r[1].l7.get(Field::kRequestType), "CONNECT");
  EXPECT_EQ(r[1].rrt_us, 200u);
}

TEST(PulsarParser, TopicMigratedNamesItsProducerOrConsumer) {
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, producer(1, 1, "persistent://a/b/p") + subscribe(1, 2, "persistent://a/b/c"));
  h.feed(Dir::kToClient, frame(68, V(1, 1) + V(2, 0) + L(3, "pulsar://b2:6650")) +
                             frame(68, V(1, 1) + V(2, 1) + L(3, "pulsar://b2:6650")));
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestResource), "p");
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestResource), "c");
}

TEST(PulsarParser, TopicTableIsBoundedByMaxPending) {
  ParserOptions opts;
  opts.max_pending = 6;
  ParserHarness h(kPulsarDescriptor, opts);
  Bytes s;
  for (uint64_t pid = 0; pid < 8; ++pid) s = s + producer(pid, pid, "persistent://a/b/t" + std::to_string(pid));
  for (uint64_t pid = 0; pid < 8; ++pid) s = s + send(pid, 1);
  h.feed(Dir::kToServer, s);
  ASSERT_EQ(h.messages().size(), 16u);
  for (uint64_t pid = 0; pid < 8; ++pid) {
    const auto topic = h.messages()[8 + pid].fields.get(Field::kRequestResource);
    if (pid < 6) {
      EXPECT_EQ(topic, "t" + std::to_string(pid));
    } else {
      EXPECT_TRUE(topic.empty()) << pid;  // not remembered: the table was full
    }
  }
  // Closing one makes room again.
  h.feed(Dir::kToServer, frame(15, V(1, 2) + V(2, 50)) + producer(9, 51, "persistent://a/b/t9") + send(9, 1));
  EXPECT_EQ(h.messages().back().fields.get(Field::kRequestResource), "t9");
  auto* parser = static_cast<PulsarParser*>(h.driver().parser());
  ASSERT_NE(parser, nullptr);
  EXPECT_EQ(parser->topics_not_remembered(), 2u);
  EXPECT_EQ(parser->topics_remembered(), 6u);
}

TEST(PulsarParser, SplitAtEveryByteGivesIdenticalMessages) {
  ParserHarness whole(kPulsarDescriptor);
  whole.feed(Dir::kToServer, kClientSide);
  whole.feed(Dir::kToClient, kServerSide);
  ASSERT_EQ(whole.errors(), 0u);
  ASSERT_EQ(whole.messages().size(), 12u);
  for (std::size_t chunk : {1u, 2u, 3u, 5u, 7u, 13u, 64u}) {
    ParserHarness split(kPulsarDescriptor);
    split.feed_split(Dir::kToServer, kClientSide, chunk);
    split.feed_split(Dir::kToClient, kServerSide, chunk);
    EXPECT_EQ(split.errors(), 0u) << chunk;
    EXPECT_EQ(describe_all(split.messages()), describe_all(whole.messages())) << chunk;
  }
  // Cut once at every offset.
  for (std::size_t cut = 1; cut < kClientSide.size(); ++cut) {
    ParserHarness h(kPulsarDescriptor);
    h.feed(Dir::kToServer, Bytes(kClientSide.begin(), kClientSide.begin() + static_cast<std::ptrdiff_t>(cut)));
    h.feed(Dir::kToServer, Bytes(kClientSide.begin() + static_cast<std::ptrdiff_t>(cut), kClientSide.end()));
    ASSERT_EQ(h.errors(), 0u) << cut;
    ASSERT_EQ(h.messages().size(), 6u) << cut;
  }
}

TEST(PulsarParser, ManyFramesInOneSegment) {
  Bytes burst = producer(1, 1);
  for (uint64_t i = 0; i < 1000; ++i) burst = burst + send(1, i);
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, burst);
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 1001u);
  EXPECT_EQ(h.messages()[1000].fields.get(Field::kRequestId), std::to_string((1u << 16) | 999u));
}

TEST(PulsarParser, TruncatedFrameWaitsForItsBytes) {
  ParserHarness h(kPulsarDescriptor);
  const Bytes s = send(1, 1);
  h.feed(Dir::kToServer, Bytes(s.begin(), s.end() - 3));
  EXPECT_TRUE(h.messages().empty());
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.driver().buffered(Dir::kToServer), s.size() - 3);
  h.feed(Dir::kToServer, Bytes(s.end() - 3, s.end()));
  EXPECT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.errors(), 0u);
}

TEST(PulsarParser, GarbageIsAnErrorAndTheNextFramesParse) {
  for (const char* bad : {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "\x00\x00\x00\x10\x00\x00\x00\x20xxxxxxxxxxxxxxxx",
                          "\x00\x00\x00\x10\x00\x00\x00\x08\x10\x02xxxxxxxxxxxxxx",
                          "\x00\x00\x00\x02\x00\x00\x00\x00", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"}) {
    ParserHarness h(kPulsarDescriptor);
    h.feed(Dir::kToServer, Bytes(bad, bad + 8 + std::strlen(bad + 8)));
    // Text and TLS read as a size beyond the maximum message: counted as oversize, not an error.
    EXPECT_EQ(h.errors() + h.oversize(), 1u) << bad;
    EXPECT_TRUE(h.messages().empty());
    h.feed(Dir::kToServer, Bytes{0x01, 0x02, 0x03} + ping() + send(1, 1));
    EXPECT_EQ(h.errors() + h.oversize(), 1u);
    ASSERT_EQ(h.messages().size(), 2u) << bad;
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "PING");
    EXPECT_FALSE(h.stopped());
  }
  // A payload part without its magic.
  ParserHarness h(kPulsarDescriptor);
  h.feed(Dir::kToServer, frame(6, V(1, 1) + V(2, 1), Bytes(12, 0x55)));
  EXPECT_EQ(h.errors(), 1u);
  // Bytes after a command that has no payload.
  ParserHarness h2(kPulsarDescriptor);
  h2.feed(Dir::kToServer, frame(5, V(2, 1), payload_part(metadata(1), "x")));
  EXPECT_EQ(h2.errors(), 1u);
}

TEST(PulsarParser, GapMidStreamResyncsOnTheNextFrame) {
  ParserHarness h(kPulsarDescriptor);
  const Bytes s = send(1, 1, {}, std::string(300, 'x'));
  h.feed(Dir::kToServer, producer(1, 1) + Bytes(s.begin(), s.begin() + 100));
  h.gap(Dir::kToServer);  // the rest of the SEND was lost
  h.feed(Dir::kToServer, Bytes(s.begin() + 150, s.end()) + send(1, 2) + ping());
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestId), std::to_string((1u << 16) | 2u));
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "my-topic");
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "PING");
}

TEST(PulsarParser, OversizeLengthResyncs) {
  EXPECT_EQ(kPulsarDescriptor.default_max_message, 64u << 20);
  for (bool same_segment : {false, true}) {
    ParserHarness h(kPulsarDescriptor);
    const Bytes bomb = be32(0x7ffffff0) + be32(4) + Bytes{0x08, 0x06, 0x32, 0x00};
    if (same_segment) {
      h.feed(Dir::kToServer, bomb + ping() + pong());
    } else {
      h.feed(Dir::kToServer, bomb);
      h.feed(Dir::kToServer, ping() + pong());
    }
    ASSERT_EQ(h.messages().size(), 2u) << same_segment;
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "PING");
    EXPECT_EQ(h.oversize(), 1u);
    EXPECT_EQ(h.skipped_bytes(), 0u);
    EXPECT_FALSE(h.stopped());
  }
}

TEST(PulsarParser, LargeSendIsDecodedFromItsPrefixAndSkipped) {
  ParserHarness h(kPulsarDescriptor);  // max_buffered 64 KiB
  const std::string body(300 * 1024, 'B');
  const Bytes big = send(1, 3, L(4, KV("traceparent", kTrace)), body);
  h.feed_split(Dir::kToServer, producer(1, 1) + big + ping(), 1448);
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 3u);
  const auto& f = h.messages()[1].fields;
  EXPECT_EQ(f.get(Field::kRequestType), "SEND");
  EXPECT_EQ(f.request_length, big.size() - 4);
  EXPECT_EQ(f.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(f.get(Field::kRequestResource), "my-topic");
  EXPECT_GT(h.skipped_bytes(), 200u * 1024);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "PING");
  EXPECT_EQ(h.resyncs(), 0u);
}

TEST(PulsarParser, BogusLargeLengthIsContradictedByWholeFrames) {
  ParserOptions opts;
  opts.max_buffered = 1024;
  ParserHarness h(kPulsarDescriptor, opts);
  // A SEND claiming 50 MB whose bytes never come; the next segment is whole frames.
  const Bytes head = be32(50'000'000) + be32(8) + V(1, 6) + L(6, V(1, 1) + V(2, 1)) + Bytes{0x0e, 0x01};
  h.feed(Dir::kToServer, head + Bytes(2000, 0x41));
  h.feed(Dir::kToServer, ping() + send(1, 2));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "SEND");  // logged from its prefix
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "PING");
  EXPECT_EQ(h.resyncs(), 1u);
  EXPECT_EQ(h.errors(), 0u);
  // plausible_frames: strict.
  PulsarParser p(ParserEnv{&h.options(), &h.pool()});
  EXPECT_TRUE(p.plausible_frames(Dir::kToServer, ping() + send(1, 2), 64u << 20));
  const Bytes s = send(1, 2);
  EXPECT_TRUE(p.plausible_frames(Dir::kToServer, ping() + Bytes(s.begin(), s.begin() + 20), 64u << 20));
  EXPECT_FALSE(p.plausible_frames(Dir::kToServer, Bytes(300, 0x41), 64u << 20));
  EXPECT_FALSE(p.plausible_frames(Dir::kToServer, ping() + Bytes(30, 0x41), 64u << 20));
  EXPECT_FALSE(p.plausible_frames(Dir::kToServer, Bytes{0, 0, 0}, 64u << 20));
}

TEST(PulsarProbe, AcceptsPulsarAndRejectsOtherProtocols) {
  auto probe = [](const Bytes& b, Dir d = Dir::kToServer) { return kPulsarDescriptor.probe(d, b); };
  EXPECT_EQ(probe(connect(19)), ProbeVerdict::kYes);
  EXPECT_EQ(probe(connected(19), Dir::kToClient), ProbeVerdict::kYes);
  EXPECT_EQ(probe(send(1, 1)), ProbeVerdict::kYes);
  EXPECT_EQ(probe(ping()), ProbeVerdict::kYes);
  const Bytes c = connect(19);
  EXPECT_EQ(probe(Bytes(c.begin(), c.begin() + 12)), ProbeVerdict::kYes);  // sizes, type, tag, length
  for (std::size_t n = 0; n < 12; ++n) EXPECT_EQ(probe(Bytes(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n))), ProbeVerdict::kMaybe) << n;
  auto text = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
  EXPECT_EQ(probe(text("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), ProbeVerdict::kNo);
  EXPECT_EQ(probe(text("INFO {\"server_id\":\"x\"}\r\n")), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}), ProbeVerdict::kNo);
  // Kafka ApiVersions v3, MQTT CONNECT, AMQP header.
  EXPECT_EQ(probe(Bytes{0, 0, 0, 0x0b, 0, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 'c'}), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 4, 'a', 'b', 'c', 'd'}), ProbeVerdict::kNo);
  EXPECT_EQ(probe(text("AMQP\x00\x00\x09\x01")), ProbeVerdict::kNo);
  // Right sizes, wrong inside: the command's message length does not match, a bad field inside.
  Bytes b = connect(19);
  b[11] ^= 0x01;
  EXPECT_EQ(probe(b), ProbeVerdict::kNo);
  EXPECT_EQ(probe(frame(5, Bytes{0x0f, 0x01})), ProbeVerdict::kNo);  // wire type 7
  // Random bytes: (almost) never.
  std::mt19937 rng(7);
  int yes = 0;
  for (int i = 0; i < 100000; ++i) {
    Bytes r(32);
    for (auto& x : r) x = static_cast<uint8_t>(rng());
    if (i % 2 == 0) r[0] = r[1] = r[4] = r[5] = 0;  // plausible sizes
    yes += probe(r) == ProbeVerdict::kYes;
  }
  EXPECT_EQ(yes, 0);
}

TEST(PulsarDescriptor, RegisteredWithSignaturesAndSamples) {
  EXPECT_EQ(protocol_by_id(protocol_id("pulsar")), &kPulsarDescriptor);
  EXPECT_EQ(kPulsarDescriptor.transports, kTcp);
  ASSERT_EQ(kPulsarDescriptor.default_ports.size(), 1u);
  EXPECT_EQ(kPulsarDescriptor.default_ports[0], 6650);
  const test::SignatureMatcher sigs(kPulsarDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  auto str = [](const Bytes& b) { return std::string(b.begin(), b.end()); };
  EXPECT_TRUE(sigs.matches(str(connect(19))));
  EXPECT_TRUE(sigs.matches(str(send(1, 1))));
  EXPECT_TRUE(sigs.matches(str(frame(68, V(1, 1)))));
  EXPECT_TRUE(sigs.matches(str(ping())));
  EXPECT_FALSE(sigs.matches("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(sigs.matches(str(frame(45, V(1, 1)))));
  // The fuzz samples are a valid conversation.
  ParserHarness h(kPulsarDescriptor);
  for (const FuzzSample& s : kPulsarDescriptor.fuzz_samples) h.feed(s.dir, test::bytes_of(s.bytes));
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages().size(), 8u);
  const auto r = pair_all(h.messages());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[2].l7.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
}

// Mutated and truncated conversations: no crash, buffering within its bound, every frame before
// the first damaged byte as in the intact stream, and valid frames parse after a gap.
TEST(PulsarParser, RandomBytesNeverCrash) {
  std::mt19937 rng(4242);
  const Bytes seeds[] = {kClientSide, kServerSide};
  for (int round = 0; round < 400; ++round) {
    const int i = round % 2;
    const Dir dir = i == 0 ? Dir::kToServer : Dir::kToClient;
    ParserHarness clean(kPulsarDescriptor);
    clean.feed(dir, seeds[i]);
    Bytes s = seeds[i];
    std::size_t first_bad = s.size();
    for (int k = 0; k < 1 + round % 6; ++k) {
      const std::size_t at = rng() % s.size();
      const auto v = static_cast<uint8_t>(rng());
      if (v != s[at]) first_bad = std::min(first_bad, at);
      s[at] = v;
    }
    s.resize(rng() % (s.size() + 1));
    ParserHarness h(kPulsarDescriptor);
    h.feed_split(dir, s, 1 + rng() % 40);
    EXPECT_LE(h.driver().buffered(dir), h.options().max_buffered);
    // Frames wholly before the first damaged byte decode as in the clean stream.
    std::size_t off = 0, intact = 0;
    while (off + 4 <= seeds[i].size()) {
      const std::size_t len = 4 + ((std::size_t{seeds[i][off]} << 24) | (std::size_t{seeds[i][off + 1]} << 16) |
                                   (std::size_t{seeds[i][off + 2]} << 8) | seeds[i][off + 3]);
      if (off + len > std::min(first_bad, s.size())) break;
      off += len;
      ++intact;
    }
    const auto got = describe_all(h.messages());
    const auto want = describe_all(clean.messages());
    ASSERT_GE(got.size(), intact) << round;
    for (std::size_t k = 0; k < intact; ++k) EXPECT_EQ(got[k], want[k]) << round << " " << k;
    Bytes noise(300);
    for (auto& c : noise) c = static_cast<uint8_t>(rng());
    h.gap(dir);
    h.feed(dir, noise);
    if (!h.stopped()) {
      h.gap(dir);
      const std::size_t before = h.messages().size();
      h.feed(dir, ping() + ping());
      ASSERT_GE(h.messages().size(), before + 1) << round;
      EXPECT_EQ(h.messages().back().fields.get(Field::kRequestType), "PING");
    }
  }
}

}  // namespace
}  // namespace l7tap
