// OpenWire parser tests. Conversations are built with the traffic generator's encoder
// (tools/gen/proto_openwire, written from the OpenWire specification) in every encoding, and checked
// against bytes captured from a real ActiveMQ 5.17 broker and activemq-cpp client (tight encoding,
// marshalling cache off).
#include "protocols/mq/openwire.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "protocols/core/session_pairing.hpp"
#include "protocols/mq/openwire_commands.hpp"
#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"
#include "tools/gen/proto_openwire.hpp"

namespace l7tap {
namespace {

using test::ParserHarness;
using test::describe_all;
namespace ow = gen::openwire;

using Bytes = std::vector<uint8_t>;

constexpr std::string_view kConn = "ID:host-1-1700000000000-0:1";
constexpr std::string_view kTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

const char kRealClientHex[] =
    "00000127014163746976654d510000000b01000001150000000b000c4361636865456e61626c656401000009436163686553"
    "697a65050000040000154d6178496e61637469766974794475726174696f6e06000000000000753000204d6178496e616374"
    "69766974794475726174696f6e496e6974616c44656c6179060000000000002710000f506c6174666f726d44657461696c73"
    "090003432b2b000c50726f76696465724e616d6509000c6163746976656d712d637070000f50726f76696465725665727369"
    "6f6e090006332e31302e30001253697a6550726566697844697361626c656401000011537461636b5472616365456e61626c"
    "6564010100115463704e6f44656c6179456e61626c6564010100145469676874456e636f64696e67456e61626c6564010100"
    "0000600303ff53000000000178002049443a6c6f63616c686f73742d312d313730353336393431383335362d303a30002049"
    "443a6c6f63616c686f73742d312d313730353336393431383335362d313a300007617274656d69730007617274656d697300"
    "00007a0504bf1e0100000000027a002049443a6c6f63616c686f73742d312d313730353336393431383335362d303a30ffff"
    "ffffffffffff00016500374163746976654d512e41647669736f72792e54656d7051756575652c4163746976654d512e4164"
    "7669736f72792e54656d70546f706963000003e800000000000000002c04012e0000000379002049443a6c6f63616c686f73"
    "742d312d313730353336393431383335362d303a300001000000670504afde0000000000047a002049443a6c6f63616c686f"
    "73742d312d313730353336393431383335362d303a3000010001650008544553542e464f4f00007ffe00000000002049443a"
    "6c6f63616c686f73742d312d313730353336393431383335362d313a3000000000961605eeda55ba0a000000056500085445"
    "53542e464f4f7a002049443a6c6f63616c686f73742d312d313730353336393431383335362d303a3000010001026e7b0020"
    "49443a6c6f63616c686f73742d312d313730353336393431383335362d303a310001000100016e7b002049443a6c6f63616c"
    "686f73742d312d313730353336393431383335362d303a3100010001000100000001"
;
const char kRealBrokerHex[] =
    "00000152014163746976654d510000000c01000001400000000d0011537461636b5472616365456e61626c65640101000f50"
    "6c6174666f726d44657461696c730900044a617661000c4361636865456e61626c6564010000115463704e6f44656c617945"
    "6e61626c65640101001253697a6550726566697844697361626c656401000009436163686553697a650500000400000c5072"
    "6f76696465724e616d650900084163746976654d5100145469676874456e636f64696e67456e61626c65640101000c4d6178"
    "4672616d6553697a65067fffffffffffffff00154d6178496e61637469766974794475726174696f6e060000000000007530"
    "00204d6178496e61637469766974794475726174696f6e496e6974616c44656c617906000000000000271000134d61784672"
    "616d6553697a65456e61626c65640101000f50726f766964657256657273696f6e090006352e31372e360000005a0203be01"
    "00000000007c002431613666366261612d613339382d313165652d396333662d303234326330613866373032001a7463703a"
    "2f2f2f3139322e3136382e3234372e323a3631363136000c3163663765346335633930390000000b1e010000000000000000"
    "010000000b1e010000000000000000020000000b1e01000000000000000004000001361509aecff57415c006e00100000000"
    "7a002049443a6c6f63616c686f73742d312d313730353336393431383335362d303a3000010001650008544553542e464f4f"
    "1c000000057b002049443a6c6f63616c686f73742d312d313730353336393431383335362d303a3100010001650008544553"
    "542e464f4f6e7b002049443a6c6f63616c686f73742d312d313730353336393431383335362d303a31000100010001000000"
    "00040000018d0ff04885000000270000002348656c6c6f20776f726c64212066726f6d207468726561642036313335323632"
    "31313200000040000000020007496e7465676572050000000000095f5f414d515f43494409002049443a6c6f63616c686f73"
    "742d312d313730353336393431383335362d323a30000000000000018d0ff048e90000018d0ff04bdc000000000000013815"
    "09aecff57455c006e001000000007a002049443a6c6f63616c686f73742d312d313730353336393431383335362d303a3000"
    "010001650008544553542e464f4f1c000000067b002049443a6c6f63616c686f73742d312d31373035333639343138333536"
    "2d303a3100010001650008544553542e464f4f6e7b002049443a6c6f63616c686f73742d312d313730353336393431383335"
    "362d303a31000100010002000100000000040000018d0ff04886000000270000002348656c6c6f20776f726c64212066726f"
    "6d20746872656164203631333532363231313200000040000000020007496e7465676572050000000100095f5f414d515f43"
    "494409002049443a6c6f63616c686f73742d312d313730353336393431383335362d323a30000000000000018d0ff04afd00"
    "00018d0ff04c2a00000000"
;

Bytes from_hex(std::string_view h) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

struct Conversation {
  Bytes client, server;
  std::vector<std::size_t> client_ends, server_ends;  // where each command ends
};

// A client that connects, consumes and produces on one topic, and a broker that answers; `f` is the
// format both sides ask for in their WireFormatInfo.
Conversation conversation(const ow::Format& f, uint32_t client_version = 12, uint32_t broker_version = 12) {
  Conversation c;
  auto cw = [&](auto&& fn) {
    gen::Writer w(c.client);
    fn(w);
    c.client_ends.push_back(c.client.size());
  };
  auto sw = [&](auto&& fn) {
    gen::Writer w(c.server);
    fn(w);
    c.server_ends.push_back(c.server.size());
  };
  const bool nsp = !f.size_prefix;
  cw([&](gen::Writer& w) { ow::wire_format_info(w, client_version, f.tight, f.cache, nsp, f.stack_trace); });
  sw([&](gen::Writer& w) { ow::wire_format_info(w, broker_version, f.tight, f.cache, nsp, f.stack_trace); });
  sw([&](gen::Writer& w) { ow::broker_info(w, f, "broker-id-1", "tcp://mq.example:61616", "amq1"); });
  cw([&](gen::Writer& w) { ow::connection_info(w, f, 1, kConn, "client-1", "alice"); });
  sw([&](gen::Writer& w) { ow::response(w, f, 1); });
  cw([&](gen::Writer& w) { ow::session_info(w, f, 2, kConn, 1); });
  ow::Dest topic{true, "ORDERS.EU", 5, true};
  cw([&](gen::Writer& w) { ow::consumer_info(w, f, 3, kConn, 1, 1, topic); });
  sw([&](gen::Writer& w) { ow::response(w, f, 3); });
  ow::Dest topic_again = topic;
  topic_again.fresh = false;
  cw([&](gen::Writer& w) { ow::producer_info(w, f, 4, kConn, 1, 1, topic_again); });
  sw([&](gen::Writer& w) { ow::response(w, f, 4); });
  const ow::Property props[] = {{"traceparent", kTrace}, {"app", "demo"}};
  const std::string body = "hello";
  ow::Msg m;
  m.command_id = 5;
  m.response_required = true;
  m.connection_id = kConn;
  m.dest = topic_again;
  m.correlation_id = "corr-42";
  m.properties = props;
  m.body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  cw([&](gen::Writer& w) { ow::message(w, f, m); });
  sw([&](gen::Writer& w) { ow::exception_response(w, f, 5, "javax.jms.JMSSecurityException", "not allowed"); });
  ow::Msg m2 = m;
  m2.type = 24;  // ActiveMQBytesMessage
  m2.command_id = 6;
  m2.response_required = false;
  m2.correlation_id = {};
  m2.properties = {};
  m2.sequence = 2;
  cw([&](gen::Writer& w) { ow::message(w, f, m2); });
  // The broker dispatches the first message to the consumer (its own cache: sent fresh).
  ow::Dest dispatch_dest{true, "ORDERS.EU", 7, true};
  ow::Msg dm = m;
  dm.dest = dispatch_dest;
  dm.response_required = false;
  sw([&](gen::Writer& w) { ow::message_dispatch(w, f, 0, 1, dispatch_dest, dm); });
  cw([&](gen::Writer& w) { ow::message_ack(w, f, 7, kConn, 1, topic_again, 1); });
  cw([&](gen::Writer& w) { ow::keep_alive_info(w, f, true); });
  sw([&](gen::Writer& w) { ow::keep_alive_info(w, f, false); });
  cw([&](gen::Writer& w) { ow::remove_info(w, f, 8, true, kConn); });
  sw([&](gen::Writer& w) { ow::response(w, f, 8); });
  cw([&](gen::Writer& w) { ow::shutdown_info(w, f, 9); });
  return c;
}



// Feeds the conversation in its real order: each side's WireFormatInfo, then commands as a client
// and a broker exchange them (the order does not matter to the parser beyond the negotiation).
void feed(ParserHarness& h, const Conversation& c, std::size_t chunk = 0) {
  auto put = [&](Dir d, const Bytes& b) {
    if (chunk == 0) {
      h.feed(d, b);
    } else {
      h.feed_split(d, b, chunk);
    }
  };
  // WireFormatInfos first, then the rest of each side.
  put(Dir::kToServer, Bytes(c.client.begin(), c.client.begin() + static_cast<long>(c.client_ends[0])));
  put(Dir::kToClient, Bytes(c.server.begin(), c.server.begin() + static_cast<long>(c.server_ends[0])));
  put(Dir::kToServer, Bytes(c.client.begin() + static_cast<long>(c.client_ends[0]), c.client.end()));
  put(Dir::kToClient, Bytes(c.server.begin() + static_cast<long>(c.server_ends[0]), c.server.end()));
}

const Message* find(const std::vector<Message>& ms, std::string_view type, std::size_t nth = 0) {
  for (const auto& m : ms)
    if (m.fields.get(Field::kRequestType) == type && nth-- == 0) return &m;
  return nullptr;
}

void check_conversation(const std::vector<Message>& ms, const std::string& ctx) {
  ASSERT_EQ(ms.size(), 20u) << ctx;
  const Message* wfi = find(ms, "WireFormatInfo");
  ASSERT_NE(wfi, nullptr) << ctx;
  EXPECT_EQ(wfi->role, MsgRole::kOneWay);
  EXPECT_EQ(wfi->fields.get(Field::kVersion), "12") << ctx;

  const Message* ci = find(ms, "ConnectionInfo");
  ASSERT_NE(ci, nullptr) << ctx;
  EXPECT_EQ(ci->role, MsgRole::kRequest) << ctx;
  EXPECT_TRUE(ci->has_id);
  EXPECT_EQ(ci->id, 1u);
  EXPECT_EQ(ci->fields.get(Field::kRequestId), "1") << ctx;
  EXPECT_TRUE(ci->fields.request_id_is_int());

  const Message* bi = find(ms, "BrokerInfo");
  ASSERT_NE(bi, nullptr) << ctx;
  EXPECT_EQ(bi->fields.get(Field::kRequestDomain), "tcp://mq.example:61616") << ctx;
  EXPECT_EQ(bi->role, MsgRole::kOneWay);

  const Message* si = find(ms, "SessionInfo");
  ASSERT_NE(si, nullptr) << ctx;
  EXPECT_EQ(si->role, MsgRole::kOneWay) << ctx;
  EXPECT_EQ(si->fields.get(Field::kRequestId), "2") << ctx;

  const Message* cons = find(ms, "ConsumerInfo");
  ASSERT_NE(cons, nullptr) << ctx;
  EXPECT_EQ(cons->fields.get(Field::kRequestResource), "ORDERS.EU") << ctx;
  EXPECT_EQ(cons->fields.get(Field::kEndpoint), "ORDERS.EU") << ctx;

  const Message* prod = find(ms, "ProducerInfo");
  ASSERT_NE(prod, nullptr) << ctx;
  EXPECT_EQ(prod->role, MsgRole::kRequest);
  EXPECT_EQ(prod->id, 4u);
  EXPECT_EQ(prod->fields.get(Field::kRequestResource), "ORDERS.EU") << ctx;  // a cache reference

  const Message* text = find(ms, "ActiveMQTextMessage");
  ASSERT_NE(text, nullptr) << ctx;
  EXPECT_EQ(text->role, MsgRole::kRequest);
  EXPECT_EQ(text->id, 5u);
  EXPECT_EQ(text->fields.get(Field::kRequestResource), "ORDERS.EU") << ctx;
  EXPECT_EQ(text->fields.get(Field::kXRequestId), "corr-42") << ctx;
  EXPECT_EQ(text->fields.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c") << ctx;
  EXPECT_EQ(text->fields.get(Field::kSpanId), "b7ad6b7169203331") << ctx;

  const Message* ex = find(ms, "ExceptionResponse");
  ASSERT_NE(ex, nullptr) << ctx;
  EXPECT_EQ(ex->role, MsgRole::kResponse);
  EXPECT_EQ(ex->id, 5u);
  EXPECT_EQ(ex->pair_class, text->pair_class);
  EXPECT_EQ(ex->fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(ex->fields.get(Field::kResponseException), "not allowed") << ctx;

  const Message* bytes = find(ms, "ActiveMQBytesMessage");
  ASSERT_NE(bytes, nullptr) << ctx;
  EXPECT_EQ(bytes->role, MsgRole::kOneWay);
  EXPECT_EQ(bytes->fields.get(Field::kRequestResource), "ORDERS.EU") << ctx;
  EXPECT_TRUE(bytes->fields.get(Field::kXRequestId).empty());

  const Message* md = find(ms, "MessageDispatch");
  ASSERT_NE(md, nullptr) << ctx;
  EXPECT_EQ(md->role, MsgRole::kOneWay);
  EXPECT_EQ(md->fields.get(Field::kRequestId), "5") << ctx;  // the dispatched message's command id
  EXPECT_EQ(md->fields.get(Field::kRequestResource), "ORDERS.EU") << ctx;
  EXPECT_EQ(md->fields.get(Field::kXRequestId), "corr-42") << ctx;
  EXPECT_EQ(md->fields.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c") << ctx;

  const Message* ack = find(ms, "MessageAck");
  ASSERT_NE(ack, nullptr) << ctx;
  EXPECT_EQ(ack->fields.get(Field::kRequestResource), "ORDERS.EU") << ctx;
  EXPECT_EQ(ack->fields.get(Field::kRequestId), "7") << ctx;

  const Message* ka = find(ms, "KeepAliveInfo");
  const Message* ka2 = find(ms, "KeepAliveInfo", 1);
  ASSERT_TRUE(ka != nullptr && ka2 != nullptr) << ctx;
  EXPECT_EQ(ka->role, MsgRole::kRequest);
  EXPECT_EQ(ka2->role, MsgRole::kResponse);
  EXPECT_EQ(ka->pair_class, ka2->pair_class);

  const Message* rm = find(ms, "RemoveInfo");
  ASSERT_NE(rm, nullptr) << ctx;
  EXPECT_EQ(rm->role, MsgRole::kRequest);
  EXPECT_EQ(rm->id, 8u);
  const Message* sd = find(ms, "ShutdownInfo");
  ASSERT_NE(sd, nullptr) << ctx;
  EXPECT_EQ(sd->role, MsgRole::kOneWay);
  EXPECT_EQ(find(ms, "Response", 4), nullptr);
  ASSERT_NE(find(ms, "Response", 3), nullptr);
  EXPECT_EQ(find(ms, "Response", 3)->id, 8u);
  for (const auto& m : ms) {
    if (m.fields.get(Field::kRequestType) != "WireFormatInfo") {
      EXPECT_EQ(m.fields.get(Field::kVersion), "12") << ctx;
    }
    EXPECT_FALSE(m.fields.get(Field::kRequestType).starts_with("Unknown")) << ctx;
  }
}

std::vector<ow::Format> all_formats() {
  std::vector<ow::Format> out;
  for (bool tight : {true, false})
    for (bool cache : {true, false})
      for (bool prefix : {true, false})
        for (bool stack : {true, false}) out.push_back(ow::Format{tight, cache, prefix, stack});
  return out;
}

std::string name_of(const ow::Format& f) {
  return std::string(f.tight ? "tight" : "loose") + (f.cache ? "+cache" : "") + (f.size_prefix ? "" : "+noprefix") +
         (f.stack_trace ? "+stack" : "");
}

TEST(OpenWireParser, DecodesEveryCommandInEveryEncoding) {
  for (const auto& f : all_formats()) {
    ParserHarness h(kOpenWireDescriptor);
    feed(h, conversation(f));
    EXPECT_EQ(h.errors(), 0u) << name_of(f);
    EXPECT_FALSE(h.reversed());
    check_conversation(h.messages(), name_of(f));
  }
}

TEST(OpenWireParser, LengthsExcludeTheSizePrefix) {
  const ow::Format f{false, false, true, true};
  const Conversation c = conversation(f);
  ParserHarness h(kOpenWireDescriptor);
  feed(h, c);
  // The client's ConnectionInfo is its second command.
  const Message* ci = find(h.messages(), "ConnectionInfo");
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(ci->fields.request_length, c.client_ends[1] - c.client_ends[0] - 4);
  const Message* resp = find(h.messages(), "Response");
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(resp->fields.response_length, 10u);  // loose Response: type, command id, flag, correlation id
  ParserHarness t(kOpenWireDescriptor);
  feed(t, conversation(ow::Format{true, false, true, true}));
  EXPECT_EQ(find(t.messages(), "Response")->fields.response_length, 11u);  // tight: + boolean stream
}

TEST(OpenWireParser, SplitAtEveryByteGivesIdenticalMessages) {
  for (const auto& f : {ow::Format{true, true, true, true}, ow::Format{false, false, false, true},
                        ow::Format{true, true, false, true}}) {
    ParserHarness whole(kOpenWireDescriptor);
    const Conversation c = conversation(f);
    feed(whole, c);
    const auto expected = describe_all(whole.messages());
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
      ParserHarness h(kOpenWireDescriptor);
      feed(h, c, chunk);
      EXPECT_EQ(h.errors(), 0u);
      EXPECT_EQ(describe_all(h.messages()), expected) << name_of(f) << " chunk " << chunk;
    }
  }
}

TEST(OpenWireParser, SplitAtEachBoundaryOfOneCommand) {
  const ow::Format f{true, true, true, true};
  const Conversation c = conversation(f);
  ParserHarness ref(kOpenWireDescriptor);
  feed(ref, c);
  const auto expected = describe_all(ref.messages());
  const Bytes head(c.client.begin(), c.client.begin() + static_cast<long>(c.client_ends[0]));
  const Bytes rest(c.client.begin() + static_cast<long>(c.client_ends[0]), c.client.end());
  const Bytes srv_head(c.server.begin(), c.server.begin() + static_cast<long>(c.server_ends[0]));
  const Bytes srv_rest(c.server.begin() + static_cast<long>(c.server_ends[0]), c.server.end());
  for (std::size_t cut = 1; cut < rest.size(); cut += 1 + cut / 16) {
    ParserHarness h(kOpenWireDescriptor);
    h.feed(Dir::kToServer, head);
    h.feed(Dir::kToClient, srv_head);
    h.feed(Dir::kToServer, Bytes(rest.begin(), rest.begin() + static_cast<long>(cut)));
    h.feed(Dir::kToServer, Bytes(rest.begin() + static_cast<long>(cut), rest.end()));
    h.feed(Dir::kToClient, srv_rest);
    EXPECT_EQ(describe_all(h.messages()), expected) << "cut " << cut;
  }
}

TEST(OpenWireParser, NegotiationTakesTheAndOfBothSidesAndTheSmallerVersion) {
  // The client asks for tight encoding, the broker does not: both use loose, at version 11.
  Conversation loose = conversation(ow::Format{false, false, true, true}, 12, 11);
  Bytes client;
  gen::Writer w(client);
  ow::wire_format_info(w, 12, true, true, false);
  client.insert(client.end(), loose.client.begin() + static_cast<long>(loose.client_ends[0]), loose.client.end());
  ParserHarness h(kOpenWireDescriptor);
  h.feed(Dir::kToServer, Bytes(client.begin(), client.begin() + static_cast<long>(w.pos())));
  h.feed(Dir::kToClient, Bytes(loose.server.begin(), loose.server.begin() + static_cast<long>(loose.server_ends[0])));
  h.feed(Dir::kToServer, Bytes(client.begin() + static_cast<long>(w.pos()), client.end()));
  h.feed(Dir::kToClient, Bytes(loose.server.begin() + static_cast<long>(loose.server_ends[0]), loose.server.end()));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 20u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kVersion), "12");  // each WireFormatInfo: its own
  EXPECT_EQ(h.messages()[1].fields.get(Field::kVersion), "11");
  const Message* text = find(h.messages(), "ActiveMQTextMessage");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->fields.get(Field::kVersion), "11");
  EXPECT_EQ(text->fields.get(Field::kRequestResource), "ORDERS.EU");
  EXPECT_EQ(text->fields.get(Field::kXRequestId), "corr-42");
}

TEST(OpenWireParser, RealBrokerAndClientBytes) {
  // ActiveMQ 5.17.6 broker (version 12) and activemq-cpp 3.10 (version 11), tight encoding.
  ParserHarness h(kOpenWireDescriptor);
  const Bytes client = from_hex(kRealClientHex), broker = from_hex(kRealBrokerHex);
  // Client WireFormatInfo, broker WireFormatInfo, then the rest in capture order.
  h.feed(Dir::kToServer, Bytes(client.begin(), client.begin() + 0x127 + 4));
  h.feed(Dir::kToClient, Bytes(broker.begin(), broker.begin() + 0x152 + 4));
  h.feed(Dir::kToServer, Bytes(client.begin() + 0x127 + 4, client.end()));
  h.feed(Dir::kToClient, Bytes(broker.begin() + 0x152 + 4, broker.end()));
  EXPECT_EQ(h.errors(), 0u);
  const auto& ms = h.messages();
  ASSERT_EQ(ms.size(), 13u);
  EXPECT_EQ(ms[0].fields.get(Field::kVersion), "11");
  EXPECT_EQ(ms[1].fields.get(Field::kVersion), "12");
  EXPECT_EQ(ms[2].fields.get(Field::kRequestType), "ConnectionInfo");
  EXPECT_EQ(ms[2].fields.get(Field::kVersion), "11");
  EXPECT_EQ(ms[2].fields.request_length, 96u);
  EXPECT_EQ(ms[3].fields.get(Field::kRequestType), "ConsumerInfo");
  EXPECT_EQ(ms[3].fields.get(Field::kRequestResource), "ActiveMQ.Advisory.TempQueue,ActiveMQ.Advisory.TempTopic");
  EXPECT_EQ(ms[4].fields.get(Field::kRequestType), "SessionInfo");
  EXPECT_EQ(ms[5].fields.get(Field::kRequestType), "ConsumerInfo");
  EXPECT_EQ(ms[5].fields.get(Field::kRequestResource), "TEST.FOO");
  EXPECT_EQ(ms[5].fields.get(Field::kRequestId), "4");
  EXPECT_EQ(ms[6].fields.get(Field::kRequestType), "MessageAck");
  EXPECT_EQ(ms[6].fields.get(Field::kRequestResource), "TEST.FOO");
  EXPECT_EQ(ms[6].fields.get(Field::kRequestId), "5");
  EXPECT_EQ(ms[7].fields.get(Field::kRequestType), "BrokerInfo");
  EXPECT_EQ(ms[7].fields.get(Field::kRequestDomain), "tcp:///192.168.247.2:61616");
  EXPECT_EQ(ms[8].fields.get(Field::kRequestType), "Response");
  EXPECT_EQ(ms[8].id, 1u);
  EXPECT_EQ(ms[8].fields.response_length, 11u);
  EXPECT_EQ(ms[11].fields.get(Field::kRequestType), "MessageDispatch");
  EXPECT_EQ(ms[11].fields.get(Field::kRequestResource), "TEST.FOO");
  EXPECT_EQ(ms[11].fields.get(Field::kRequestId), "5");
  EXPECT_EQ(ms[12].fields.get(Field::kRequestType), "MessageDispatch");
  EXPECT_EQ(ms[12].fields.get(Field::kRequestId), "6");
}

TEST(OpenWireParser, RealBytesPickedUpMidStream) {
  // No WireFormatInfo: the tight, cache-less encoding is recognised from the commands themselves.
  ParserHarness h(kOpenWireDescriptor);
  const Bytes client = from_hex(kRealClientHex), broker = from_hex(kRealBrokerHex);
  h.feed(Dir::kToServer, Bytes(client.begin() + 0x127 + 4, client.end()));
  h.feed(Dir::kToClient, Bytes(broker.begin() + 0x152 + 4, broker.end()));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 11u);
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestResource), "TEST.FOO");
  EXPECT_EQ(h.messages()[9].fields.get(Field::kRequestType), "MessageDispatch");
  EXPECT_EQ(h.messages()[9].fields.get(Field::kRequestResource), "TEST.FOO");
  EXPECT_EQ(kOpenWireDescriptor.probe(Dir::kToServer, Bytes(client.begin() + 0x127 + 4, client.end())),
            ProbeVerdict::kYes);
}

struct Records : RecordSink {
  void on_record(FlowRecord& r) override { all.push_back(r); }
  std::vector<FlowRecord> all;
};

TEST(OpenWireParser, PairingThroughTheSessionEngine) {
  ParserHarness h(kOpenWireDescriptor);
  feed(h, conversation(ow::Format{true, true, true, true}));
  // A second Response to the same command (as brokers send on a RemoveInfo): a lone response.
  Bytes extra;
  gen::Writer w(extra);
  ow::response(w, ow::Format{true, true, true, true}, 8);
  h.feed(Dir::kToClient, extra);
  Records out;
  BufferPool pool;
  SessionPairing pairing(64, 64, 60'000'000, out, pool);
  FlowSessions flow;
  for (auto& m : h.messages()) pairing.on_message(flow, m);
  pairing.end_flow(flow);
  std::size_t sessions = 0, lone = 0;
  for (const auto& r : out.all) {
    if (r.type == RecordType::kSession) ++sessions;
    if (r.type == RecordType::kResponse) ++lone;
    EXPECT_NE(r.type, RecordType::kRequest) << r.l7.get(Field::kRequestType);
  }
  EXPECT_EQ(lone, 1u);
  EXPECT_EQ(sessions, out.all.size() - 1);
  auto rec = [&](std::string_view type) -> const FlowRecord* {
    for (const auto& r : out.all)
      if (r.l7.get(Field::kRequestType) == type) return &r;
    return nullptr;
  };
  const FlowRecord* text = rec("ActiveMQTextMessage");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->l7.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(text->l7.get(Field::kResponseException), "not allowed");
  EXPECT_TRUE(text->l7.has_response_length);
  const FlowRecord* conn = rec("ConnectionInfo");
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->l7.response_status, ResponseStatus::kOk);
  EXPECT_EQ(conn->l7.response_length, 11u);
  const FlowRecord* ka = rec("KeepAliveInfo");
  ASSERT_NE(ka, nullptr);
  EXPECT_TRUE(ka->l7.has_response_length);
  EXPECT_EQ(pairing.pending(), 0u);
}

TEST(OpenWireParser, UnknownCommandIsNamedAndSkippedBySize) {
  const ow::Format f{true, true, true, true};
  Conversation c = conversation(f);
  Bytes mid;
  gen::Writer w(mid);
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7};
  ow::raw_command(w, 77, junk);
  c.client.insert(c.client.begin() + static_cast<long>(c.client_ends[3]), mid.begin(), mid.end());
  ParserHarness h(kOpenWireDescriptor);
  feed(h, c);
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 21u);
  const Message* u = find(h.messages(), "Unknown(77)");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->role, MsgRole::kOneWay);
  EXPECT_EQ(u->fields.request_length, 8u);
  EXPECT_NE(find(h.messages(), "ShutdownInfo"), nullptr);
}

TEST(OpenWireParser, UnknownCommandWithoutSizePrefixStopsTheDirection) {
  const ow::Format f{true, true, false, true};
  Conversation c = conversation(f);
  // Commands after the WireFormatInfo carry no size: a type we cannot walk cannot be framed.
  c.client.insert(c.client.begin() + static_cast<long>(c.client_ends[3]), {77, 1, 2, 3});
  ParserHarness h(kOpenWireDescriptor);
  feed(h, c);
  EXPECT_GE(h.errors(), 1u);
  EXPECT_EQ(find(h.messages(), "ShutdownInfo"), nullptr);
  EXPECT_NE(find(h.messages(), "ConsumerInfo"), nullptr);  // before the unknown command
  EXPECT_EQ(find(h.messages(), "ProducerInfo"), nullptr);  // after it
}

TEST(OpenWireParser, CommandBeyondTheBufferWithoutSizePrefixStopsTheDirection) {
  const ow::Format f{true, true, false, true};
  Conversation c = conversation(f);
  Bytes big;
  gen::Writer w(big);
  const std::string body(100 * 1024, 'x');
  ow::Msg m;
  m.command_id = 40;
  m.connection_id = kConn;
  m.dest = ow::Dest{false, "BIG.Q", 11, true};
  m.body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  ow::message(w, f, m);
  ParserHarness h(kOpenWireDescriptor);
  feed(h, c);
  EXPECT_EQ(h.errors(), 0u);
  const std::size_t before = h.messages().size();
  h.feed_split(Dir::kToServer, big, 1448);
  // Nothing frames a command this size: counted, and that direction is given up.
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_EQ(h.messages().size(), before);
}

TEST(OpenWireParser, TruncatedInputWaitsAndEmitsNothingHalfDone) {
  const Conversation c = conversation(ow::Format{true, true, true, true});
  for (std::size_t end = 0; end < c.client.size(); end += 13) {
    ParserHarness h(kOpenWireDescriptor);
    h.feed(Dir::kToServer, Bytes(c.client.begin(), c.client.begin() + static_cast<long>(end)));
    EXPECT_EQ(h.errors(), 0u);
    std::size_t whole = 0;
    while (whole < c.client_ends.size() && c.client_ends[whole] <= end) ++whole;
    EXPECT_EQ(h.messages().size(), whole) << end;
  }
}

TEST(OpenWireParser, GarbageIsAnError) {
  ParserHarness h(kOpenWireDescriptor);
  h.feed(Dir::kToServer, Bytes{0x00, 0x00, 0x00, 0x00, 0x01, 0x02});  // a zero size
  EXPECT_EQ(h.errors(), 1u);
  ParserHarness g(kOpenWireDescriptor);
  g.feed(Dir::kToServer, Bytes{0xff, 0xff, 0xff, 0xff, 0x01});  // a negative size
  EXPECT_EQ(g.errors(), 1u);
  EXPECT_TRUE(g.messages().empty());
}

TEST(OpenWireParser, OversizeLengthResyncs) {
  ParserHarness h(kOpenWireDescriptor);
  EXPECT_EQ(kOpenWireDescriptor.default_max_message, 100ull << 20);
  const Conversation c = conversation(ow::Format{false, false, true, true});
  h.feed(Dir::kToServer, Bytes(c.client.begin(), c.client.begin() + static_cast<long>(c.client_ends[0])));
  h.feed(Dir::kToClient, Bytes(c.server.begin(), c.server.begin() + static_cast<long>(c.server_ends[0])));
  Bytes bomb{0x7f, 0x00, 0x00, 0x00, 0x1c, 0x00};
  bomb.insert(bomb.end(), c.client.begin() + static_cast<long>(c.client_ends[0]), c.client.end());
  h.feed(Dir::kToServer, bomb);
  EXPECT_EQ(h.oversize(), 1u);
  // The commands after the bomb are found again.
  EXPECT_NE(find(h.messages(), "ShutdownInfo"), nullptr);
}

TEST(OpenWireParser, GapMidStreamResyncsAtTheNextCommand) {
  const ow::Format f{true, true, true, true};
  const Conversation c = conversation(f);
  ParserHarness h(kOpenWireDescriptor);
  h.feed(Dir::kToServer, Bytes(c.client.begin(), c.client.begin() + static_cast<long>(c.client_ends[0])));
  h.feed(Dir::kToClient, Bytes(c.server.begin(), c.server.begin() + static_cast<long>(c.server_ends[0])));
  // Half of the ConsumerInfo, a gap, then the rest of the stream from the middle of a command.
  const std::size_t from = c.client_ends[2], to = c.client_ends[3];
  h.feed(Dir::kToServer, Bytes(c.client.begin() + static_cast<long>(c.client_ends[0]),
                               c.client.begin() + static_cast<long>(from + (to - from) / 2)));
  h.gap(Dir::kToServer);
  h.feed(Dir::kToServer, Bytes(c.client.begin() + static_cast<long>(from + (to - from) / 2 + 3), c.client.end()));
  EXPECT_NE(find(h.messages(), "ShutdownInfo"), nullptr);
  EXPECT_NE(find(h.messages(), "MessageAck"), nullptr);
  EXPECT_EQ(find(h.messages(), "ConsumerInfo"), nullptr);
}

TEST(OpenWireParser, DestinationFromTheCacheSurvivesACacheUpdateLaterInTheCommand) {
  // Loose encoding with the cache: the ConsumerInfo caches ORDERS.EU at index 5. A MessageAck then
  // names its destination by index 5 and caches another object at index 5 in a later field: the ack
  // reports the destination it named, the next command the new entry.
  const Conversation c = conversation(ow::Format{false, true, true, true});
  const Bytes ack_body = {
      22,                                                              // MessageAck
      0, 0, 0, 10, 0,                                                  // commandId, responseRequired
      0, 0, 5,                                                         // destination: cache index 5
      1, 0, 5, 1, 100, 1, 0, 7, 'O', 'T', 'H', 'E', 'R', '.', 'Q',     // transactionId: new at index 5
      1, 0, 9, 0,                                                      // consumerId: null, index 9
      2, 0, 0, 0, 0, 0, 1, 0,  // ackType, first/last message id, messageCount, poisonCause
  };
  Bytes client(c.client.begin(), c.client.begin() + static_cast<long>(c.client_ends[3]));
  gen::Writer w(client);
  w.be32(static_cast<uint32_t>(ack_body.size()));
  w.bytes(ack_body);
  // The ProducerInfo names its destination by index 5 too.
  client.insert(client.end(), c.client.begin() + static_cast<long>(c.client_ends[3]),
                c.client.begin() + static_cast<long>(c.client_ends[4]));
  ParserHarness h(kOpenWireDescriptor);
  h.feed(Dir::kToServer, Bytes(client.begin(), client.begin() + static_cast<long>(c.client_ends[0])));
  h.feed(Dir::kToClient, Bytes(c.server.begin(), c.server.begin() + static_cast<long>(c.server_ends[0])));
  h.feed(Dir::kToServer, Bytes(client.begin() + static_cast<long>(c.client_ends[0]), client.end()));
  EXPECT_EQ(h.errors(), 0u);
  const Message* ack = find(h.messages(), "MessageAck");
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->fields.get(Field::kRequestResource), "ORDERS.EU");
  const Message* prod = find(h.messages(), "ProducerInfo");
  ASSERT_NE(prod, nullptr);
  EXPECT_EQ(prod->fields.get(Field::kRequestResource), "OTHER.Q");
}

TEST(OpenWireParser, FlowPickedUpMidStreamGuessesTheEncoding) {
  for (const auto& f : {ow::Format{true, true, true, true}, ow::Format{true, false, true, true},
                        ow::Format{false, false, true, true}}) {
    const Conversation c = conversation(f);
    ParserHarness h(kOpenWireDescriptor);
    // From the client's ConsumerInfo on (no WireFormatInfo, no earlier cache entries).
    h.feed(Dir::kToServer, Bytes(c.client.begin() + static_cast<long>(c.client_ends[2]), c.client.end()));
    EXPECT_EQ(h.errors(), 0u) << name_of(f);
    const Message* cons = find(h.messages(), "ConsumerInfo");
    ASSERT_NE(cons, nullptr) << name_of(f);
    EXPECT_EQ(cons->fields.get(Field::kRequestResource), "ORDERS.EU") << name_of(f);
    const Message* text = find(h.messages(), "ActiveMQTextMessage");
    ASSERT_NE(text, nullptr) << name_of(f);
    EXPECT_EQ(text->fields.get(Field::kXRequestId), "corr-42") << name_of(f);
    EXPECT_TRUE(text->fields.get(Field::kVersion).empty());
  }
}

TEST(OpenWireParser, ClientCommandsSentToTheClientReportReversedOrientation) {
  const Conversation c = conversation(ow::Format{false, false, true, true});
  ParserHarness h(kOpenWireDescriptor);
  // The client's bytes seen as kToClient: the flow's orientation was guessed wrong.
  h.feed(Dir::kToClient, c.client);
  EXPECT_TRUE(h.reversed());
}

TEST(OpenWireParser, LargeMessageBeyondTheBufferUsesThePrefix) {
  const ow::Format f{true, true, true, true};
  Conversation c = conversation(f);
  Bytes big;
  gen::Writer w(big);
  const std::string body(300 * 1024, 'x');
  ow::Msg m;
  m.command_id = 40;
  m.connection_id = kConn;
  m.dest = ow::Dest{false, "BIG.Q", 11, true};
  m.correlation_id = "big-1";
  m.body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  ow::message(w, f, m);
  Bytes after;
  gen::Writer w2(after);
  ow::shutdown_info(w2, f, 41);
  ParserHarness h(kOpenWireDescriptor);
  feed(h, c);
  const std::size_t before = h.messages().size();
  h.feed_split(Dir::kToServer, big, 1400);
  h.feed(Dir::kToServer, after);
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), before + 2);
  const Message& bm = h.messages()[before];
  EXPECT_EQ(bm.fields.get(Field::kRequestResource), "BIG.Q");
  EXPECT_EQ(bm.fields.get(Field::kXRequestId), "big-1");
  EXPECT_EQ(bm.fields.request_length, big.size() - 4);
  EXPECT_GT(h.skipped_bytes(), 0u);
  EXPECT_EQ(h.messages()[before + 1].fields.get(Field::kRequestId), "41");
}

TEST(OpenWireParser, ConfiguredHeaderNamesFromProperties) {
  ParserOptions opts;
  static constexpr std::string_view kXReq[] = {"x-request-id"};
  opts.x_request_id_headers = kXReq;
  ParserHarness h(kOpenWireDescriptor, opts);
  const ow::Format f{false, true, true, true};
  Bytes c;
  gen::Writer w(c);
  ow::wire_format_info(w, 12, false, true, false);
  Bytes s;
  gen::Writer ws(s);
  ow::wire_format_info(ws, 12, false, true, false);
  const ow::Property props[] = {{"x-request-id", "req-9"},
                                {"sw8", "1-MzA1YjUzNjMtZjg3Ni00MjRiLWJiYzEtMGQ5MjQ0ZDIxZDc0-MzA1YjUzNjM=-0-c2VydmljZQ==-aW5zdA==-L2FwaQ==-MTI3LjAuMC4xOjgwODA="}};
  ow::Msg m;
  m.command_id = 3;
  m.connection_id = kConn;
  m.dest = ow::Dest{false, "Q1", 1, true};
  m.properties = props;
  Bytes msg;
  gen::Writer wm(msg);
  ow::message(wm, f, m);
  h.feed(Dir::kToServer, c);
  h.feed(Dir::kToClient, s);
  h.feed(Dir::kToServer, msg);
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kXRequestId), "req-9");
  EXPECT_FALSE(h.messages()[2].fields.get(Field::kTraceId).empty());
}

TEST(OpenWireParser, RandomMutationsNeverCrash) {
  std::mt19937 rng(4242);
  const auto formats = all_formats();
  for (int round = 0; round < 400; ++round) {
    const auto& f = formats[static_cast<std::size_t>(round) % formats.size()];
    Conversation c = conversation(f);
    Bytes& s = round % 2 == 0 ? c.client : c.server;
    for (int k = 0; k < 1 + round % 5; ++k) s[rng() % s.size()] = static_cast<uint8_t>(rng());
    s.resize(rng() % (s.size() + 1));
    ParserHarness h(kOpenWireDescriptor);
    h.feed_split(Dir::kToServer, c.client, 1 + rng() % 50);
    h.feed_split(Dir::kToClient, c.server, 1 + rng() % 50);
    EXPECT_LE(h.driver().buffered(Dir::kToServer), h.options().max_buffered);
    Bytes noise(300);
    for (auto& b : noise) b = static_cast<uint8_t>(rng());
    h.gap(Dir::kToServer);
    h.feed(Dir::kToServer, noise);
  }
}

TEST(OpenWireParser, FuzzSamplesAreAValidConversation) {
  ParserHarness h(kOpenWireDescriptor);
  for (const FuzzSample& s : kOpenWireDescriptor.fuzz_samples) h.feed(s.dir, test::bytes_of(s.bytes));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "ShutdownInfo");
  EXPECT_EQ(h.messages()[1].role, MsgRole::kRequest);
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestType), "Response");
  EXPECT_EQ(h.messages()[3].id, 1u);
}

TEST(OpenWireParser, ResyncThroughLongGarbageIsBounded) {
  const ow::Format f{true, true, true, true};
  const Conversation c = conversation(f);
  ParserHarness h(kOpenWireDescriptor);
  feed(h, c);
  const std::size_t before = h.messages().size();
  // After a gap: 200 KB of near-commands (a ShutdownInfo whose boolean is 7) back to back.
  const uint8_t near[] = {0, 0, 0, 6, 11, 0, 0, 0, 1, 7};
  Bytes junk;
  while (junk.size() < 200 * 1024) junk.insert(junk.end(), std::begin(near), std::end(near));
  h.gap(Dir::kToServer);
  h.feed_split(Dir::kToServer, junk, 1448);
  Bytes tail;
  gen::Writer w(tail);
  ow::shutdown_info(w, f, 77);
  ow::shutdown_info(w, f, 78);
  h.feed(Dir::kToServer, tail);
  ASSERT_GE(h.messages().size(), before + 1);
  EXPECT_EQ(h.messages().back().fields.get(Field::kRequestId), "78");
}

TEST(OpenWireParser, StateFitsASmallPoolBlock) {
  EXPECT_LE(sizeof(OpenWireParser), 2048u);  // one 2 KiB slab block per flow
}

TEST(OpenWireParser, DestinationCacheKeepsTheNewestEntries) {
  openwire::DestinationCache c;
  for (uint16_t i = 0; i < 20; ++i) c.put(i, "dest." + std::to_string(i));
  EXPECT_TRUE(c.get(0).empty());
  EXPECT_EQ(c.get(19), "dest.19");
  EXPECT_EQ(c.get(12), "dest.12");
  c.put(19, "renamed");
  EXPECT_EQ(c.get(19), "renamed");
  c.erase(19);
  EXPECT_TRUE(c.get(19).empty());
  EXPECT_EQ(c.get(18), "dest.18");
}

TEST(OpenWireCommands, TablesCoverTheReportedCommands) {
  for (uint32_t v : {1u, 5u, 9u, 10u, 11u, 12u, 13u}) {
    for (uint8_t t : {1, 2, 3, 4, 5, 6, 10, 11, 12, 21, 22, 28, 30, 31}) {
      EXPECT_NE(openwire::type_spec(v, t), nullptr) << v << " " << int{t};
    }
  }
  EXPECT_EQ(openwire::type_name(28), "ActiveMQTextMessage");
  EXPECT_EQ(openwire::type_name(31), "ExceptionResponse");
  EXPECT_TRUE(openwire::type_name(200).empty());
  // MessageId gained textView in version 10.
  EXPECT_EQ(openwire::type_spec(9, 110)->count + 1, openwire::type_spec(10, 110)->count);
}

TEST(OpenWireProbe, AcceptsOpenWireAndRejectsOthers) {
  auto probe = [](const Bytes& b) { return kOpenWireDescriptor.probe(Dir::kToServer, b); };
  const Conversation c = conversation(ow::Format{true, true, true, true});
  EXPECT_EQ(probe(c.client), ProbeVerdict::kYes);
  EXPECT_EQ(probe(Bytes(c.client.begin(), c.client.begin() + 9)), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe(Bytes(c.client.begin(), c.client.begin() + 3)), ProbeVerdict::kMaybe);
  // Mid-stream: a whole command that decodes exactly.
  EXPECT_EQ(probe(Bytes(c.client.begin() + static_cast<long>(c.client_ends[0]), c.client.end())), ProbeVerdict::kYes);
  auto text = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
  EXPECT_EQ(probe(text("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), ProbeVerdict::kNo);
  EXPECT_EQ(probe(text("GE")), ProbeVerdict::kNo);  // too short to decide, but no size starts so
  EXPECT_EQ(probe(text("INFO {\"server_id\":\"x\"}\r\n")), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c}), ProbeVerdict::kNo);
  EXPECT_EQ(probe(text(std::string_view("AMQP\x00\x00\x09\x01", 8))), ProbeVerdict::kNo);
  // Kafka ApiVersions request: size, api key 18.
  EXPECT_EQ(probe(Bytes{0x00, 0x00, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 'a', 'b'}),
            ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{0x00, 0x00, 0x01, 0x00, 0x01, 'A', 'c', 't', 'i', 'v', 'e', 'X', 'Q'}), ProbeVerdict::kNo);
  std::mt19937 rng(7);
  int yes = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes r(64);
    for (auto& b : r) b = static_cast<uint8_t>(rng());
    r[0] = 0;
    r[1] = 0;
    r[2] = 0;
    r[3] = static_cast<uint8_t>(2 + rng() % 60);
    if (probe(r) == ProbeVerdict::kYes) ++yes;
  }
  EXPECT_EQ(yes, 0);
}

TEST(OpenWireDescriptor, SignaturesCompileAndMatch) {
  EXPECT_EQ(protocol_by_id(protocol_id("openwire")), &kOpenWireDescriptor);
  EXPECT_EQ(kOpenWireDescriptor.transports, kTcp);
  const test::SignatureMatcher sigs(kOpenWireDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  const Conversation c = conversation(ow::Format{true, true, true, true});
  EXPECT_TRUE(sigs.matches(std::string(c.client.begin(), c.client.end())));
  EXPECT_TRUE(sigs.matches(std::string(c.client.begin() + static_cast<long>(c.client_ends[0]), c.client.end())));
  EXPECT_FALSE(sigs.matches("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(sigs.matches(std::string("\x00\x00\x00\x0c\x00\x12", 6)));
}

}  // namespace
}  // namespace l7tap
