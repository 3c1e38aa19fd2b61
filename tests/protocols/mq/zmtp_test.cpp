// ZMTP parser tests. The byte strings follow ZMTP 3.0 (rfc.zeromq.org spec 23), 3.1 (spec 37),
// ZMTP-PLAIN (spec 24) and what libzmq 4.3 puts on the wire (greeting sent as 10 or 11 bytes then
// the rest, ERROR written as "\x5eRROR").
#include "protocols/mq/zmtp.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "protocols/core/session_pairing.hpp"
#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using test::bytes_of;
using test::ParserHarness;
using test::describe_all;
using test::pair_all;
using Bytes = std::string;  // binary-safe byte strings

Bytes greeting(uint8_t major = 3, uint8_t minor = 1, std::string_view mech = "NULL", bool as_server = false) {
  Bytes g("\xff\0\0\0\0\0\0\0\x01\x7f", 10);
  g += static_cast<char>(major);
  g += static_cast<char>(minor);
  Bytes m(mech);
  m.resize(20, '\0');
  g += m;
  g += static_cast<char>(as_server ? 1 : 0);
  g += Bytes(31, '\0');
  return g;
}

// A frame with the short or long size form as libzmq chooses it (long above 255 bytes).
Bytes frame(uint8_t flags, const Bytes& body, bool force_long = false) {
  Bytes f;
  if (body.size() > 255 || force_long) {
    f += static_cast<char>(flags | 0x02);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((body.size() >> (8 * i)) & 0xff);
  } else {
    f += static_cast<char>(flags);
    f += static_cast<char>(body.size());
  }
  return f + body;
}
Bytes msg_more(const Bytes& body) { return frame(0x01, body); }
Bytes msg_last(const Bytes& body) { return frame(0x00, body); }
const Bytes kDelimiter = msg_more("");

Bytes command(std::string_view name, const Bytes& data = "") {
  Bytes body;
  body += static_cast<char>(name.size());
  body += name;
  return frame(0x04, body + data);
}
Bytes prop(std::string_view name, std::string_view value) {
  Bytes p;
  p += static_cast<char>(name.size());
  p += name;
  for (int i = 3; i >= 0; --i) p += static_cast<char>((value.size() >> (8 * i)) & 0xff);
  p += value;
  return p;
}
Bytes ready(std::string_view socket_type, const Bytes& more = "") {
  return command("READY", prop("Socket-Type", socket_type) + more);
}
// libzmq's ERROR: "\x5eRROR" (see zmtp.hpp), then the reason.
Bytes libzmq_error(std::string_view reason) {
  Bytes body = "\x5eRROR";
  body += static_cast<char>(reason.size());
  body += reason;
  return frame(0x04, body);
}



// A NULL REQ (client) / REP (server) conversation as libzmq writes it (zmtp_null.pcap).
const Bytes kReqSide = greeting() + ready("REQ", prop("Identity", "")) + kDelimiter + msg_last("Hello world");
const Bytes kRepSide = greeting() + ready("REP") + kDelimiter + msg_last("Hello world");

TEST(ZmtpParser, NullReqRepConversation) {
  ParserHarness h(kZmtpDescriptor);
  // Greetings in the pieces libzmq sends: 10 bytes, 11 bytes, then the rest of each.
  h.feed(Dir::kToServer, bytes_of(kReqSide.substr(0, 10)), 1);
  h.feed(Dir::kToClient, bytes_of(kRepSide.substr(0, 11)), 2);
  EXPECT_TRUE(h.messages().empty());
  h.feed(Dir::kToServer, bytes_of(kReqSide.substr(10, 54)), 3);
  h.feed(Dir::kToClient, bytes_of(kRepSide.substr(11, 53)), 4);
  ASSERT_EQ(h.messages().size(), 2u);
  h.feed(Dir::kToClient, bytes_of(kRepSide.substr(64, ready("REP").size())), 5);
  h.feed(Dir::kToServer, bytes_of(kReqSide.substr(64)), 6);
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 5u);
  for (int i : {0, 1}) {
    EXPECT_EQ(m[i].role, MsgRole::kOneWay);
    EXPECT_EQ(m[i].fields.get(Field::kRequestType), "Greeting");
    EXPECT_EQ(m[i].fields.get(Field::kVersion), "3.1");
    EXPECT_EQ(m[i].fields.attribute("mechanism"), "NULL");
    EXPECT_EQ(m[i].fields.request_length, 64u);
  }
  EXPECT_EQ(m[2].fields.get(Field::kRequestType), "Command");
  EXPECT_EQ(m[2].fields.attribute("command"), "READY");
  EXPECT_EQ(m[2].fields.attribute("socket_type"), "REP");
  EXPECT_EQ(m[2].fields.request_length, 25u);
  EXPECT_EQ(m[2].role, MsgRole::kOneWay);
  EXPECT_EQ(m[3].fields.attribute("socket_type"), "REQ");
  EXPECT_EQ(m[3].fields.request_length, 38u);
  // The request: the delimiter is not counted, the body is.
  EXPECT_EQ(m[4].role, MsgRole::kRequest);
  EXPECT_EQ(m[4].dir, Dir::kToServer);
  EXPECT_EQ(m[4].fields.get(Field::kRequestType), "Message");
  EXPECT_EQ(m[4].fields.get(Field::kVersion), "3.1");
  EXPECT_EQ(m[4].fields.request_length, 11u);

  h.feed(Dir::kToClient, bytes_of(kDelimiter + msg_last("Hello world")), 20);
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[5].role, MsgRole::kResponse);
  EXPECT_EQ(m[5].pair_class, m[4].pair_class);
  EXPECT_EQ(m[5].fields.response_length, 11u);

  const auto recs = pair_all(m, 10'000'000);
  ASSERT_EQ(recs.size(), 5u);
  for (const auto& r : recs) EXPECT_EQ(r.type, RecordType::kSession);
  EXPECT_EQ(recs[4].l7.get(Field::kRequestType), "Message");
  EXPECT_EQ(recs[4].l7.request_length, 11u);
  EXPECT_EQ(recs[4].l7.response_length, 11u);
  EXPECT_EQ(recs[4].l7.response_status, ResponseStatus::kOk);
  EXPECT_EQ(recs[4].rrt_us, 14u);
}

TEST(ZmtpParser, SplitAtEveryByteGivesIdenticalMessages) {
  ParserHarness whole(kZmtpDescriptor);
  whole.feed(Dir::kToClient, bytes_of(kRepSide));
  whole.feed(Dir::kToServer, bytes_of(kReqSide));
  ASSERT_EQ(whole.errors(), 0u);
  ASSERT_EQ(whole.messages().size(), 6u);
  const auto want = describe_all(whole.messages());
  for (std::size_t chunk : {1u, 2u, 3u, 5u, 10u, 11u, 64u}) {
    ParserHarness split(kZmtpDescriptor);
    split.feed_split(Dir::kToClient, bytes_of(kRepSide), chunk);
    split.feed_split(Dir::kToServer, bytes_of(kReqSide), chunk);
    EXPECT_EQ(split.errors(), 0u) << chunk;
    EXPECT_EQ(describe_all(split.messages()), want) << "chunk " << chunk;
  }
  // Cut in two at every position.
  for (std::size_t cut = 1; cut < kReqSide.size(); ++cut) {
    ParserHarness two(kZmtpDescriptor);
    two.feed(Dir::kToClient, bytes_of(kRepSide));
    two.feed(Dir::kToServer, bytes_of(kReqSide.substr(0, cut)));
    two.feed(Dir::kToServer, bytes_of(kReqSide.substr(cut)));
    EXPECT_EQ(two.errors(), 0u) << cut;
    EXPECT_EQ(describe_all(two.messages()), want) << "cut " << cut;
  }
}

TEST(ZmtpParser, ManyFramesInOneSegment) {
  Bytes s = greeting() + ready("PUB");
  for (int i = 0; i < 500; ++i)
    s += msg_more("topic." + std::to_string(i % 3)) + msg_last("payload " + std::to_string(i));
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToClient, bytes_of(greeting() + ready("SUB") + command("SUBSCRIBE", "topic.")));
  h.feed(Dir::kToServer, bytes_of(s));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 3u + 2u + 1000u);  // PUB/SUB: one record per frame
  const auto& last = h.messages().back();
  EXPECT_EQ(last.role, MsgRole::kOneWay);
  EXPECT_EQ(last.fields.get(Field::kRequestType), "Message");
  EXPECT_EQ(last.fields.request_length, std::string("payload 499").size());
  ParserHarness split(kZmtpDescriptor);
  split.feed(Dir::kToClient, bytes_of(greeting() + ready("SUB") + command("SUBSCRIBE", "topic.")));
  split.feed_split(Dir::kToServer, bytes_of(s), 1448);
  EXPECT_EQ(describe_all(split.messages()), describe_all(h.messages()));
}

TEST(ZmtpParser, PlainHandshakeAndLibzmqError) {
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(greeting(3, 1, "PLAIN", false)));
  h.feed(Dir::kToClient, bytes_of(greeting(3, 1, "PLAIN", true)));
  Bytes hello = "\x05" "admin" "\x08" "password";
  h.feed(Dir::kToServer, bytes_of(command("HELLO", hello)));
  h.feed(Dir::kToClient, bytes_of(libzmq_error("400")));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].fields.attribute("mechanism"), "PLAIN");
  EXPECT_EQ(m[2].fields.attribute("command"), "HELLO");
  EXPECT_EQ(m[2].fields.request_length, 21u);
  EXPECT_EQ(m[3].fields.get(Field::kRequestType), "Command");
  EXPECT_EQ(m[3].fields.attribute("command"), "ERROR");
  EXPECT_EQ(m[3].fields.get(Field::kResponseException), "400");
  EXPECT_EQ(m[3].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(m[3].fields.request_length, 9u);
  const auto recs = pair_all(m, 10'000'000);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[3].l7.response_status, ResponseStatus::kServerError);
}

TEST(ZmtpParser, PlainWelcomeInitiateReady) {
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(greeting(3, 1, "PLAIN", false)));
  h.feed(Dir::kToClient, bytes_of(greeting(3, 1, "PLAIN", true)));
  h.feed(Dir::kToServer, bytes_of(command("HELLO", "\x01u\x01p")));
  h.feed(Dir::kToClient, bytes_of(command("WELCOME")));
  h.feed(Dir::kToServer, bytes_of(command("INITIATE", prop("Socket-Type", "DEALER") + prop("Identity", "c1"))));
  h.feed(Dir::kToClient, bytes_of(ready("ROUTER")));
  // DEALER → ROUTER: not REQ/REP, every non-delimiter frame on its own.
  h.feed(Dir::kToServer, bytes_of(kDelimiter + msg_more("part1") + msg_last("part two")));
  h.feed(Dir::kToClient, bytes_of(msg_last("reply")));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 9u);
  EXPECT_EQ(m[3].fields.attribute("command"), "WELCOME");
  EXPECT_EQ(m[4].fields.attribute("command"), "INITIATE");
  EXPECT_EQ(m[4].fields.attribute("socket_type"), "DEALER");
  EXPECT_EQ(m[5].fields.attribute("socket_type"), "ROUTER");
  for (int i : {6, 7, 8}) {
    EXPECT_EQ(m[i].role, MsgRole::kOneWay);
    EXPECT_EQ(m[i].fields.get(Field::kRequestType), "Message");
  }
  EXPECT_EQ(m[6].fields.request_length, 5u);
  EXPECT_EQ(m[7].fields.request_length, 8u);
  EXPECT_EQ(m[8].fields.request_length, 5u);
}

TEST(ZmtpParser, SpecErrorEncodingAndClientSideError) {
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(greeting() + command("ERROR", "\x0fInvalid command")));
  h.feed(Dir::kToClient, bytes_of(greeting() + command("ERROR", "\x10" "Invalid metadata")));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].fields.get(Field::kResponseException), "Invalid command");
  EXPECT_EQ(m[1].fields.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(m[3].fields.get(Field::kResponseException), "Invalid metadata");
  EXPECT_EQ(m[3].fields.response_status, ResponseStatus::kServerError);
  // A reason longer than the frame is cut at the frame's end.
  ParserHarness t(kZmtpDescriptor);
  t.feed(Dir::kToClient, bytes_of(greeting() + command("ERROR", "\x50short")));
  ASSERT_EQ(t.messages().size(), 2u);
  EXPECT_EQ(t.messages()[1].fields.get(Field::kResponseException), "short");
}

TEST(ZmtpParser, SubscriptionsZmtp31CommandsAnd30Messages) {
  // ZMTP 3.1: SUBSCRIBE and CANCEL commands.
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToClient, bytes_of(greeting() + ready("PUB")));
  h.feed(Dir::kToServer, bytes_of(greeting() + ready("SUB") + command("SUBSCRIBE", "sports.general") +
                                  command("CANCEL", "sports")));
  h.feed(Dir::kToClient, bytes_of(msg_more("sports.general") + msg_last("10787")));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 8u);
  EXPECT_EQ(m[4].fields.attribute("command"), "SUBSCRIBE");
  EXPECT_EQ(m[4].fields.get(Field::kRequestDomain), "sports.general");
  EXPECT_EQ(m[4].fields.get(Field::kRequestResource), "sports.general");
  EXPECT_EQ(m[5].fields.attribute("command"), "CANCEL");
  EXPECT_EQ(m[5].fields.get(Field::kRequestResource), "sports");
  EXPECT_EQ(m[6].fields.request_length, 14u);
  EXPECT_TRUE(m[6].fields.get(Field::kRequestDomain).empty());  // a published frame is not a subscription
  EXPECT_EQ(m[7].fields.request_length, 5u);

  // ZMTP 3.0: the SUB/XSUB side sends 1 (subscribe) or 0 (cancel) and the subscription as a message.
  ParserHarness o(kZmtpDescriptor);
  o.feed(Dir::kToClient, bytes_of(greeting(3, 0) + ready("XPUB")));
  o.feed(Dir::kToServer, bytes_of(greeting(3, 0) + ready("XSUB") + msg_last("\x01weather") +
                                  msg_last(Bytes("\0weather", 8)) + msg_last("\x01")));
  o.feed(Dir::kToClient, bytes_of(msg_last("\x01not-a-subscription")));
  ASSERT_EQ(o.errors(), 0u);
  auto& n = o.messages();
  ASSERT_EQ(n.size(), 8u);
  EXPECT_EQ(n[4].fields.get(Field::kRequestType), "Message");
  EXPECT_EQ(n[4].fields.get(Field::kVersion), "3.0");
  EXPECT_EQ(n[4].fields.get(Field::kRequestDomain), "weather");
  EXPECT_EQ(n[5].fields.get(Field::kRequestResource), "weather");
  EXPECT_TRUE(n[6].fields.get(Field::kRequestResource).empty());  // subscribe to everything
  EXPECT_TRUE(n[7].fields.get(Field::kRequestResource).empty());  // from the XPUB side: data
}

TEST(ZmtpParser, VersionIsTheLowerOfBothSides) {
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(greeting(3, 1)));
  h.feed(Dir::kToClient, bytes_of(greeting(3, 0) + ready("PAIR")));
  h.feed(Dir::kToServer, bytes_of(ready("PAIR") + msg_last("x")));
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].fields.get(Field::kVersion), "3.1");
  EXPECT_EQ(m[1].fields.get(Field::kVersion), "3.0");
  EXPECT_EQ(m[2].fields.get(Field::kVersion), "3.0");
  EXPECT_EQ(m[4].fields.get(Field::kVersion), "3.0");
  EXPECT_EQ(m[4].role, MsgRole::kOneWay);  // PAIR: one-way
}

TEST(ZmtpParser, PingPongAndUnknownCommandsAreOneWay) {
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(greeting() + command("PING", Bytes("\x00\x64" "ctx", 5))));
  h.feed(Dir::kToClient, bytes_of(greeting() + command("PONG", "ctx") + command("JOIN", "group")));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[1].fields.attribute("command"), "PING");
  EXPECT_EQ(m[1].role, MsgRole::kOneWay);
  EXPECT_EQ(m[3].fields.attribute("command"), "PONG");
  EXPECT_EQ(m[3].role, MsgRole::kOneWay);
  EXPECT_EQ(m[4].fields.attribute("command"), "JOIN");
}

TEST(ZmtpParser, MultipartRequestsAndRepliesPairOnce) {
  // REQ → ROUTER: the ROUTER's reply is [delimiter][a][b]: one response, both bodies counted.
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToClient, bytes_of(greeting() + ready("ROUTER")));
  h.feed(Dir::kToServer, bytes_of(greeting() + ready("REQ")));
  h.feed(Dir::kToServer, bytes_of(kDelimiter + msg_more("head") + msg_last("tail!")), 100);
  h.feed(Dir::kToClient, bytes_of(kDelimiter + msg_more("ab") + msg_last("cde")), 150);
  h.feed(Dir::kToServer, bytes_of(kDelimiter + msg_last("")), 200);  // an empty request
  h.feed(Dir::kToClient, bytes_of(kDelimiter + msg_last("ok")), 260);
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 8u);
  EXPECT_EQ(m[4].role, MsgRole::kRequest);
  EXPECT_EQ(m[4].fields.request_length, 9u);
  EXPECT_EQ(m[5].role, MsgRole::kResponse);
  EXPECT_EQ(m[5].fields.response_length, 5u);
  EXPECT_EQ(m[6].fields.request_length, 0u);
  const auto recs = pair_all(m, 10'000'000);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs[4].type, RecordType::kSession);
  EXPECT_EQ(recs[4].rrt_us, 50u);
  EXPECT_EQ(recs[4].l7.request_length, 9u);
  EXPECT_EQ(recs[4].l7.response_length, 5u);
  EXPECT_EQ(recs[5].rrt_us, 60u);
  EXPECT_EQ(recs[5].l7.response_length, 2u);
}

TEST(ZmtpParser, DealerToRepAndReqOnTheBindingSide) {
  {  // DEALER (client) → REP (server): the DEALER asks.
    ParserHarness h(kZmtpDescriptor);
    h.feed(Dir::kToServer, bytes_of(greeting() + ready("DEALER")));
    h.feed(Dir::kToClient, bytes_of(greeting() + ready("REP")));
    h.feed(Dir::kToServer, bytes_of(kDelimiter + msg_last("q1") + kDelimiter + msg_last("q2")), 10);
    h.feed(Dir::kToClient, bytes_of(kDelimiter + msg_last("a1") + kDelimiter + msg_last("a2")), 30);
    auto& m = h.messages();
    ASSERT_EQ(m.size(), 8u);
    EXPECT_EQ(m[4].role, MsgRole::kRequest);
    EXPECT_EQ(m[6].role, MsgRole::kResponse);
    const auto recs = pair_all(m, 10'000'000);
    ASSERT_EQ(recs.size(), 6u);
    EXPECT_EQ(recs[4].type, RecordType::kSession);
    EXPECT_EQ(recs[5].type, RecordType::kSession);
  }
  {  // The REQ socket binds (TCP server), the REP connects: requests travel to the client.
    ParserHarness h(kZmtpDescriptor);
    h.feed(Dir::kToServer, bytes_of(greeting() + ready("REP")));
    h.feed(Dir::kToClient, bytes_of(greeting() + ready("REQ") + kDelimiter + msg_last("ping")), 10);
    h.feed(Dir::kToServer, bytes_of(kDelimiter + msg_last("pong!")), 25);
    auto& m = h.messages();
    ASSERT_EQ(m.size(), 6u);
    EXPECT_EQ(m[4].role, MsgRole::kRequest);
    EXPECT_EQ(m[4].dir, Dir::kToClient);
    EXPECT_EQ(m[5].role, MsgRole::kResponse);
    const auto recs = pair_all(m, 10'000'000);
    ASSERT_EQ(recs.size(), 5u);
    EXPECT_EQ(recs[4].type, RecordType::kSession);
    EXPECT_EQ(recs[4].l7.request_length, 4u);
    EXPECT_EQ(recs[4].l7.response_length, 5u);
  }
  {  // PUSH/PULL: one-way
    ParserHarness h(kZmtpDescriptor);
    h.feed(Dir::kToServer, bytes_of(greeting() + ready("PUSH") + msg_last("job")));
    h.feed(Dir::kToClient, bytes_of(greeting() + ready("PULL")));
    ASSERT_EQ(h.messages().size(), 5u);
    EXPECT_EQ(h.messages()[2].role, MsgRole::kOneWay);
    EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "Message");
  }
}

TEST(ZmtpParser, UnansweredRequestAndOrphanReply) {
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(greeting() + ready("REQ") + kDelimiter + msg_last("lost")));
  h.feed(Dir::kToClient, bytes_of(greeting() + ready("REP")));
  auto recs = pair_all(h.messages(), 10'000'000);
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs.back().type, RecordType::kRequest);
  EXPECT_EQ(recs.back().l7.response_status, ResponseStatus::kUnknown);
}

TEST(ZmtpParser, LongFrames) {
  ParserHarness h(kZmtpDescriptor);
  const Bytes body(300, 'x');
  h.feed(Dir::kToServer, bytes_of(greeting() + ready("PUSH") + msg_last(body) + frame(0x00, "tiny", true) +
                                  frame(0x04, Bytes("\x05READY", 6) + prop("Socket-Type", "PUSH"), true)));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[2].fields.request_length, 300u);
  EXPECT_EQ(m[3].fields.request_length, 4u);  // the long form for a short body is valid
  EXPECT_EQ(m[4].fields.attribute("socket_type"), "PUSH");
}

TEST(ZmtpParser, LargeFrameIsSkippedAndParsingGoesOn) {
  ParserHarness h(kZmtpDescriptor);
  const std::size_t big = 200 * 1024;  // beyond max_buffered (64 KiB)
  Bytes s = greeting() + ready("PUB") + msg_last(Bytes(big, 'B')) + msg_last("after");
  h.feed(Dir::kToClient, bytes_of(greeting() + ready("SUB") + command("SUBSCRIBE")));
  h.feed_split(Dir::kToServer, bytes_of(s), 1448);
  ASSERT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.resyncs(), 0u);
  EXPECT_GT(h.skipped_bytes(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[5].fields.request_length, big);
  EXPECT_EQ(m[6].fields.request_length, 5u);
  // A command larger than the buffer: decoded from its prefix (Socket-Type comes first).
  ParserOptions opts;
  opts.max_buffered = 512;
  ParserHarness c(kZmtpDescriptor, opts);
  c.feed_split(Dir::kToServer, bytes_of(greeting() + ready("REQ", prop("X-Pad", Bytes(5000, 'p'))) +
                                        kDelimiter + msg_last("q")), 100);
  ASSERT_EQ(c.errors(), 0u);
  ASSERT_EQ(c.messages().size(), 3u);
  EXPECT_EQ(c.messages()[1].fields.attribute("socket_type"), "REQ");
  EXPECT_EQ(c.messages()[2].role, MsgRole::kRequest);
}

TEST(ZmtpParser, TraceContextInMetadata) {
  ParserOptions opts;
  static constexpr std::string_view kReqId[] = {"x-request-id"};
  opts.x_request_id_headers = kReqId;
  ParserHarness h(kZmtpDescriptor, opts);
  const Bytes tp = prop("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  h.feed(Dir::kToServer, bytes_of(greeting() + ready("DEALER", tp + prop("X-Request-ID", "r-7"))));
  ASSERT_EQ(h.messages().size(), 2u);
  const auto& f = h.messages()[1].fields;
  EXPECT_EQ(f.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(f.get(Field::kSpanId), "b7ad6b7169203331");
  EXPECT_EQ(f.get(Field::kXRequestId), "r-7");
  EXPECT_EQ(f.attribute("socket_type"), "DEALER");
}

TEST(ZmtpParser, CurveMetadataIsNotDecoded) {
  // CURVE boxes READY/INITIATE metadata: bytes that happen to read as properties are not used.
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(greeting(3, 1, "CURVE")));
  h.feed(Dir::kToClient, bytes_of(greeting(3, 1, "CURVE", true)));
  h.feed(Dir::kToClient, bytes_of(command("READY", Bytes(8, 'n') + prop("Socket-Type", "REP"))));
  h.feed(Dir::kToServer, bytes_of(command("INITIATE", prop("Socket-Type", "REQ"))));
  h.feed(Dir::kToServer, bytes_of(msg_last(Bytes("\x07MESSAGE", 8) + Bytes(40, 'c'))));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].fields.attribute("mechanism"), "CURVE");
  EXPECT_TRUE(m[2].fields.attribute("socket_type").empty());
  EXPECT_TRUE(m[3].fields.attribute("socket_type").empty());
  EXPECT_EQ(m[4].role, MsgRole::kOneWay);  // socket types unknown: no REQ/REP pairing
}

TEST(ZmtpParser, GarbageIsAnError) {
  const Bytes bad[] = {
      greeting(2, 0),                                 // ZMTP 2.0 framing is not decoded
      greeting(3, 1, "null"),                         // mechanism names are upper case
      greeting() + Bytes("\x08\x01x", 3),             // reserved flag bit
      greeting() + Bytes("\x05\x01x", 3),             // a command with MORE
      greeting() + command("READY1"),                 // command names are letters
      greeting() + frame(0x04, Bytes("\x00", 1)),     // empty command name
      greeting() + frame(0x04, Bytes("\x09SHORT", 6)),  // name longer than the frame
      Bytes("\xff\0\0\0\0\0\0\0\x01\x7e", 10) + Bytes(54, '\0'),
  };
  for (const Bytes& b : bad) {
    ParserHarness h(kZmtpDescriptor);
    h.feed(Dir::kToServer, bytes_of(b));
    EXPECT_EQ(h.errors(), 1u) << testing::PrintToString(b);
  }
}

TEST(ZmtpParser, OversizeLengthResyncs) {
  ParserHarness h(kZmtpDescriptor);
  Bytes bomb("\x02\x7f\xff\xff\xff\xff\xff\xff\xff", 9);
  h.feed(Dir::kToServer, bytes_of(greeting() + ready("PUSH") + bomb + "junk"));
  EXPECT_EQ(h.oversize(), 1u);
  EXPECT_EQ(h.resyncs(), 1u);
  ASSERT_EQ(h.messages().size(), 2u);
  // The next segment of whole frames parses.
  h.feed(Dir::kToServer, bytes_of(msg_more("a") + msg_last("bc")));
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[3].fields.request_length, 2u);
  EXPECT_FALSE(h.stopped());
  // Above the default maximum (256 MiB), below 2^63.
  ParserHarness g(kZmtpDescriptor);
  g.feed(Dir::kToServer, bytes_of(greeting() + Bytes("\x02\0\0\0\0\x20\0\0\0", 9)));
  EXPECT_EQ(g.oversize(), 1u);
}

TEST(ZmtpParser, GapMidStreamResyncsAtWholeFrames) {
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToClient, bytes_of(greeting() + ready("PUB")));
  h.feed(Dir::kToServer, bytes_of(greeting() + ready("SUB")));
  h.feed(Dir::kToClient, bytes_of(msg_more("topic") + msg_last(Bytes(1000, 'x')).substr(0, 100)));
  h.gap(Dir::kToClient);
  // The rest of the lost frame: not parsed.
  h.feed(Dir::kToClient, bytes_of(Bytes(500, 'x')));
  EXPECT_EQ(h.messages().size(), 5u);
  h.feed(Dir::kToClient, bytes_of(msg_more("topic") + msg_last("fresh")));
  ASSERT_EQ(h.messages().size(), 7u);
  EXPECT_EQ(h.messages()[6].fields.request_length, 5u);
  EXPECT_EQ(h.errors(), 0u);
}

TEST(ZmtpParser, PickedUpMidConnection) {
  // No greeting seen (a flow attached mid-stream): frames from the first whole-frame segment on.
  ParserHarness h(kZmtpDescriptor);
  h.feed(Dir::kToServer, bytes_of(Bytes(37, 'z')));  // inside some frame
  EXPECT_TRUE(h.messages().empty());
  h.feed(Dir::kToServer, bytes_of(msg_more("k") + msg_last("value")));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_TRUE(h.messages()[0].fields.get(Field::kVersion).empty());
  EXPECT_EQ(h.errors(), 0u);
}

TEST(ZmtpParser, PlausibleFramesIsStrict) {
  ZmtpParser p{ParserEnv{}};
  auto plausible = [&](const Bytes& b) { return p.plausible_frames(Dir::kToServer, bytes_of(b), 256u << 20); };
  EXPECT_TRUE(plausible(msg_last("hello")));
  EXPECT_TRUE(plausible(kDelimiter + msg_last("hello") + msg_more("x")));
  EXPECT_TRUE(plausible(command("PING", Bytes("\0\0", 2))));
  EXPECT_TRUE(plausible(msg_last("hello") + msg_last(Bytes(100, 'a')).substr(0, 20)));  // cut at the end
  EXPECT_FALSE(plausible(Bytes(1448, '\0')));                  // zeros read as empty frames
  EXPECT_FALSE(plausible(Bytes(1448, 'x')));                   // 'x' has reserved bits set
  EXPECT_FALSE(plausible(frame(0x00, "abc", true)));           // long size for a short frame
  EXPECT_FALSE(plausible(command("PING1")));
  EXPECT_FALSE(plausible(kDelimiter));                         // nothing but a delimiter
  EXPECT_FALSE(plausible(Bytes("\x00\x05" "ab", 4)));          // first frame incomplete
}

TEST(ZmtpParser, FuzzSamplesParseCleanly) {
  ParserHarness h(kZmtpDescriptor);
  for (const FuzzSample& s : kZmtpDescriptor.fuzz_samples) h.feed(s.dir, bytes_of(s.bytes));
  EXPECT_EQ(h.errors(), 0u);
  auto recs = pair_all(h.messages(), 10'000'000);
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[4].l7.get(Field::kRequestType), "Message");
  EXPECT_EQ(recs[4].type, RecordType::kSession);
}

// Mutated and truncated streams, then noise: no crash, the tail within its bound, and every message
// before the first damaged byte as in the intact stream.
TEST(ZmtpParser, RandomBytesNeverCrash) {
  std::mt19937 rng(4242);
  const Bytes seed = kReqSide + command("SUBSCRIBE", "abc") + msg_more("x") + msg_last(Bytes(300, 'y')) +
                     libzmq_error("401");
  ParserHarness clean(kZmtpDescriptor);
  clean.feed(Dir::kToServer, bytes_of(seed));
  ASSERT_EQ(clean.errors(), 0u);
  const auto want = describe_all(clean.messages());
  for (int round = 0; round < 400; ++round) {
    Bytes s = seed;
    std::size_t first_bad = s.size();
    for (int k = 0; k < 1 + round % 5; ++k) {
      const std::size_t at = rng() % s.size();
      const auto v = static_cast<char>(rng() & 0xff);
      if (v != s[at]) first_bad = std::min(first_bad, at);
      s[at] = v;
    }
    s.resize(rng() % (s.size() + 1));
    ParserHarness h(kZmtpDescriptor);
    h.feed_split(Dir::kToServer, bytes_of(s), 1 + rng() % 40);
    EXPECT_LE(h.driver().buffered(Dir::kToServer), h.options().max_buffered);
    const auto got = describe_all(h.messages());
    // Messages that end before the first damaged byte are intact (the greeting is the first 64).
    if (first_bad >= 64 && s.size() >= 64) {
      ASSERT_GE(got.size(), 1u) << round;
      EXPECT_EQ(got[0], want[0]) << round;
    }
    std::vector<uint8_t> noise(300);
    for (auto& c : noise) c = static_cast<uint8_t>(rng());
    h.gap(Dir::kToServer);
    h.feed(Dir::kToServer, noise);
  }
}

TEST(ZmtpProbe, AcceptsGreetingsAndRejectsOtherProtocols) {
  auto probe = [](const Bytes& s) { return kZmtpDescriptor.probe(Dir::kToServer, bytes_of(s)); };
  const Bytes g = greeting();
  EXPECT_EQ(probe(g.substr(0, 1)), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe(g.substr(0, 10)), ProbeVerdict::kMaybe);  // signature alone: wait for the rest
  EXPECT_EQ(probe(g.substr(0, 11)), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe(g.substr(0, 31)), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe(g.substr(0, 32)), ProbeVerdict::kYes);  // mechanism complete
  EXPECT_EQ(probe(g), ProbeVerdict::kYes);
  EXPECT_EQ(probe(g + ready("REQ")), ProbeVerdict::kYes);
  EXPECT_EQ(probe(greeting(3, 0, "CURVE", true)), ProbeVerdict::kYes);
  EXPECT_EQ(probe(greeting(3, 1, "GSSAPI")), ProbeVerdict::kYes);
  // Not ZMTP 3.
  EXPECT_EQ(probe(greeting(2, 0)), ProbeVerdict::kNo);
  EXPECT_EQ(probe(greeting(1, 0).substr(0, 11)), ProbeVerdict::kNo);
  EXPECT_EQ(probe(greeting(3, 1, "")), ProbeVerdict::kNo);
  EXPECT_EQ(probe(greeting(3, 1, "NU\x01L")), ProbeVerdict::kNo);
  Bytes holey = greeting();
  holey[20] = 'X';  // a character after the NUL padding began
  EXPECT_EQ(probe(holey), ProbeVerdict::kNo);
  Bytes server = greeting();
  server[32] = 2;
  EXPECT_EQ(probe(server), ProbeVerdict::kNo);
  EXPECT_EQ(probe("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes("\xff\xfb\x18\xff\xfb\x1f\xff\xfd\x01\xff\xfd\x03", 12)), ProbeVerdict::kNo);  // telnet
  EXPECT_EQ(probe(Bytes("\xff\0\0\0\0\0\0\0\x01\x7e", 10)), ProbeVerdict::kNo);
  EXPECT_EQ(probe(msg_last("hello")), ProbeVerdict::kNo);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Bytes r(64, '\0');
    for (auto& c : r) c = static_cast<char>(rng());
    r[0] = '\xff';
    r[9] = '\x7f';  // even with the signature, random bytes are not a greeting
    EXPECT_EQ(probe(r), ProbeVerdict::kNo) << i;
  }
}

TEST(ZmtpDescriptor, SignaturesCompileAndMatch) {
  EXPECT_EQ(protocol_by_id(protocol_id("zmtp")), &kZmtpDescriptor);
  EXPECT_EQ(kZmtpDescriptor.transports, kTcp);
  ASSERT_EQ(kZmtpDescriptor.default_ports.size(), 1u);
  EXPECT_EQ(kZmtpDescriptor.default_ports[0], 5555);  // a hint only
  const test::SignatureMatcher sigs(kZmtpDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  EXPECT_TRUE(sigs.matches(bytes_of(greeting().substr(0, 10))));
  EXPECT_TRUE(sigs.matches(bytes_of(greeting())));
  EXPECT_FALSE(sigs.matches(bytes_of(greeting().substr(1))));
  EXPECT_FALSE(sigs.matches("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(sigs.matches(bytes_of(Bytes("\xff\0\0\0\0\0\0\0\x01\x7e", 10))));
}

}  // namespace
}  // namespace l7tap
