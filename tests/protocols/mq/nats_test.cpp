// NATS parser tests. The byte strings follow the NATS client protocol document and the wire
// format seen in real captures (nats-server 2.9/2.10 with the Go, Java and JS clients).
#include "protocols/core/session_pairing.hpp"
#include "protocols/mq/nats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using test::bytes_of;
using test::ParserHarness;
using test::describe_all;

const std::string kInfo =
    "INFO {\"server_id\":\"NDTR3ZYV\",\"server_name\":\"us-south-nats-demo\",\"version\":\"2.10.7\","
    "\"proto\":1,\"go\":\"go1.21.5\",\"host\":\"0.0.0.0\",\"port\":4222,\"headers\":true,"
    "\"max_payload\":1048576,\"client_id\":2306} \r\n";
const std::string kConnect =
    "CONNECT {\"verbose\":true,\"pedantic\":false,\"tls_required\":false,\"name\":\"\",\"lang\":\"go\","
    "\"version\":\"1.25.0\",\"protocol\":1,\"echo\":true,\"headers\":true,\"no_responders\":true}\r\n";


// Everything a message carries, for comparing two runs.


// A client conversation (what the client sends) and the server's side, as in nats-headers.pcap.
const std::string kClientSide = kConnect + "PING\r\n" + "SUB FOO alice\r\n" + "SUB FRONT.DOOR bob\r\n" +
                                "HPUB FOO 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\n" +
                                "PUB FRONT.DOOR JOKE.22 11\r\nKnock Knock\r\n" + "UNSUB alice 3\r\n" + "UNSUB bob\r\n";
const std::string kServerSide =
    kInfo + "+OK\r\n" + "PONG\r\n" + "+OK\r\n" + "HMSG FOO alice 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\n" +
    "MSG FRONT.DOOR bob JOKE.22 11\r\nKnock Knock\r\n" + "-ERR 'Unknown Protocol Operation'\r\n";

TEST(NatsParser, DecodesEveryMessageType) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToClient, bytes_of(kInfo));
  h.feed(Dir::kToServer, bytes_of(kClientSide));
  h.feed(Dir::kToClient, bytes_of(kServerSide.substr(kInfo.size())));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 15u);

  // INFO: a request (server → client) carrying the connection's version and server name.
  EXPECT_EQ(m[0].role, MsgRole::kRequest);
  EXPECT_EQ(m[0].dir, Dir::kToClient);
  EXPECT_EQ(m[0].fields.get(Field::kRequestType), "INFO");
  EXPECT_EQ(m[0].fields.get(Field::kVersion), "2.10.7");
  EXPECT_EQ(m[0].fields.get(Field::kRequestDomain), "us-south-nats-demo");
  EXPECT_EQ(m[0].fields.request_length, kInfo.size());
  // CONNECT answers it: same pair class and id, length of the whole line.
  EXPECT_EQ(m[1].role, MsgRole::kResponse);
  EXPECT_EQ(m[1].fields.get(Field::kRequestType), "CONNECT");
  EXPECT_EQ(m[1].pair_class, m[0].pair_class);
  EXPECT_TRUE(m[1].has_id && m[0].has_id);
  EXPECT_EQ(m[1].id, m[0].id);
  EXPECT_TRUE(m[1].fields.has_response_length);
  EXPECT_EQ(m[1].fields.response_length, kConnect.size());
  EXPECT_EQ(m[1].fields.get(Field::kVersion), "2.10.7");  // the server's version, not the client library's
  // PING / PONG.
  EXPECT_EQ(m[2].role, MsgRole::kRequest);
  EXPECT_EQ(m[2].fields.get(Field::kRequestType), "PING");
  EXPECT_EQ(m[2].fields.request_length, 6u);
  EXPECT_NE(m[2].pair_class, m[0].pair_class);
  // SUB: one-way, subject → resource, endpoint = up to the first '.'.
  EXPECT_EQ(m[3].role, MsgRole::kOneWay);
  EXPECT_EQ(m[3].fields.get(Field::kRequestType), "SUB");
  EXPECT_EQ(m[3].fields.get(Field::kRequestResource), "FOO");
  EXPECT_EQ(m[3].fields.get(Field::kEndpoint), "FOO");
  EXPECT_EQ(m[3].fields.get(Field::kRequestDomain), "us-south-nats-demo");
  EXPECT_EQ(m[4].fields.get(Field::kRequestResource), "FRONT.DOOR");
  EXPECT_EQ(m[4].fields.get(Field::kEndpoint), "FRONT");
  EXPECT_EQ(m[5].fields.get(Field::kRequestType), "HPUB");
  EXPECT_EQ(m[5].fields.request_length, 51u);
  EXPECT_EQ(m[6].fields.get(Field::kRequestType), "PUB");
  EXPECT_EQ(m[6].fields.get(Field::kRequestResource), "FRONT.DOOR");
  EXPECT_EQ(m[7].fields.get(Field::kRequestType), "UNSUB");
  EXPECT_TRUE(m[7].fields.get(Field::kRequestResource).empty());
  EXPECT_EQ(m[8].fields.get(Field::kRequestType), "UNSUB");
  // Server side.
  EXPECT_EQ(m[9].fields.get(Field::kRequestType), "OK");
  EXPECT_EQ(m[9].role, MsgRole::kOneWay);
  EXPECT_EQ(m[10].fields.get(Field::kRequestType), "PONG");
  EXPECT_EQ(m[10].role, MsgRole::kResponse);
  EXPECT_EQ(m[10].pair_class, m[2].pair_class);
  EXPECT_EQ(m[10].id, m[2].id);
  EXPECT_EQ(m[10].fields.response_length, 6u);
  EXPECT_EQ(m[11].fields.get(Field::kRequestType), "OK");
  EXPECT_EQ(m[12].fields.get(Field::kRequestType), "HMSG");
  EXPECT_EQ(m[12].fields.get(Field::kRequestResource), "FOO");
  EXPECT_EQ(m[12].fields.request_length, 57u);
  EXPECT_EQ(m[13].fields.get(Field::kRequestType), "MSG");
  EXPECT_EQ(m[13].fields.get(Field::kEndpoint), "FRONT");
  // -ERR: one-way, the quoted text as the exception.
  EXPECT_EQ(m[14].fields.get(Field::kRequestType), "ERR");
  EXPECT_EQ(m[14].role, MsgRole::kOneWay);
  EXPECT_EQ(m[14].fields.get(Field::kResponseException), "Unknown Protocol Operation");
  EXPECT_EQ(m[14].fields.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(m[14].fields.get(Field::kVersion), "2.10.7");
}

// INFO comes only from servers; CONNECT, PUB, HPUB, SUB and UNSUB only from clients. Either seen
// the other way proves the flow's guessed orientation wrong; the normal conversation (whose server
// side also sends MSG, HMSG, PONG, +OK and -ERR) must not be reported.
TEST(NatsParser, VerbsSeenTheWrongWayReportReversedOrientation) {
  for (bool swapped : {false, true}) {
    SCOPED_TRACE(swapped);
    const Dir client_dir = swapped ? Dir::kToClient : Dir::kToServer;
    ParserHarness h(kNatsDescriptor);
    h.feed(opposite(client_dir), bytes_of(kServerSide));
    h.feed(client_dir, bytes_of(kClientSide));
    EXPECT_EQ(h.errors(), 0u);
    EXPECT_EQ(h.messages().size(), 15u);
    EXPECT_EQ(h.reversed(), swapped);
  }
  // Each such verb on its own is proof when it travels the wrong way, and only then.
  const std::pair<std::string, Dir> wrong_way[] = {{kInfo, Dir::kToServer},
                                                    {kConnect, Dir::kToClient},
                                                    {"PUB A 1\r\nx\r\n", Dir::kToClient},
                                                    {"HPUB A 12 12\r\nNATS/1.0\r\n\r\n\r\n", Dir::kToClient},
                                                    {"SUB A 1\r\n", Dir::kToClient},
                                                    {"UNSUB 1\r\n", Dir::kToClient}};
  for (const auto& [line, wrong] : wrong_way) {
    for (Dir d : {Dir::kToServer, Dir::kToClient}) {
      ParserHarness h(kNatsDescriptor);
      h.feed(d, bytes_of(line));
      ASSERT_EQ(h.messages().size(), 1u) << line;
      EXPECT_EQ(h.reversed(), d == wrong) << line;
    }
  }
}

TEST(NatsParser, SplitFeedingGivesIdenticalMessages) {
  const std::string client = kClientSide;
  const std::string server = kServerSide;
  ParserHarness whole(kNatsDescriptor);
  whole.feed(Dir::kToClient, bytes_of(server));
  whole.feed(Dir::kToServer, bytes_of(client));
  ASSERT_EQ(whole.errors(), 0u);
  ASSERT_FALSE(whole.messages().empty());
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 13u, 64u}) {
    ParserHarness split(kNatsDescriptor);
    split.feed_split(Dir::kToClient, bytes_of(server), chunk);
    split.feed_split(Dir::kToServer, bytes_of(client), chunk);
    EXPECT_EQ(split.errors(), 0u) << chunk;
    EXPECT_EQ(describe_all(split.messages()), describe_all(whole.messages())) << "chunk " << chunk;
  }
}

TEST(NatsParser, ManyMessagesInOneSegment) {
  std::string burst;
  for (int i = 0; i < 1000; ++i) {
    std::string body = "message " + std::to_string(i);
    burst += "PUB bulk." + std::to_string(i % 4) + " " + std::to_string(body.size()) + "\r\n" + body + "\r\n";
  }
  burst += "PING\r\n";
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToServer, bytes_of(burst));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 1001u);
  EXPECT_EQ(h.messages()[999].fields.get(Field::kRequestResource), "bulk.3");
  EXPECT_EQ(h.messages()[999].fields.get(Field::kEndpoint), "bulk");
  EXPECT_EQ(h.messages()[1000].fields.get(Field::kRequestType), "PING");
  // The same stream cut at arbitrary points gives the same messages.
  ParserHarness s(kNatsDescriptor);
  s.feed_split(Dir::kToServer, bytes_of(burst), 1448);
  EXPECT_EQ(describe_all(s.messages()), describe_all(h.messages()));
}

TEST(NatsParser, VerbsAreCaseInsensitiveAndLineEndingsTolerant) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToServer, bytes_of("pub\tfoo.bar  5\r\nhello\r\nsub foo.* 1\nPing\n+ok\r\nhpub a.b 12 14\r\n"
                                  "NATS/1.0\r\n\r\nhi\r\n"));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].fields.get(Field::kRequestType), "PUB");
  EXPECT_EQ(m[0].fields.get(Field::kRequestResource), "foo.bar");
  EXPECT_EQ(m[1].fields.get(Field::kRequestType), "SUB");
  EXPECT_EQ(m[1].fields.request_length, 12u);  // bare LF
  EXPECT_EQ(m[2].fields.get(Field::kRequestType), "PING");
  EXPECT_EQ(m[3].fields.get(Field::kRequestType), "OK");
  EXPECT_EQ(m[4].fields.get(Field::kRequestType), "HPUB");
  EXPECT_EQ(m[4].fields.get(Field::kRequestResource), "a.b");
}

TEST(NatsParser, ReplyToAndQueueGroupArguments) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToServer, bytes_of("PUB svc.echo _INBOX.abc.1 2\r\nhi\r\nSUB svc.echo workers 7\r\n"));
  h.feed(Dir::kToClient,
         bytes_of("MSG svc.echo 7 _INBOX.abc.1 2\r\nhi\r\nHMSG x.y 1 _INBOX.r 12 14\r\nNATS/1.0\r\n\r\nok\r\n"));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 4u);
  for (int i : {0, 1, 2}) EXPECT_EQ(h.messages()[i].fields.get(Field::kRequestResource), "svc.echo");
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestResource), "x.y");
  EXPECT_EQ(h.messages()[3].fields.request_length, std::string("HMSG x.y 1 _INBOX.r 12 14\r\n").size() + 14 + 2);
}

TEST(NatsParser, TraceHeaders) {
  ParserOptions opts;
  static constexpr std::string_view kReqId[] = {"x-request-id"};
  opts.x_request_id_headers = kReqId;
  ParserHarness h(kNatsDescriptor, opts);
  // traceparent, then sw8 (as sent by the SkyWalking Java agent, nats-skywalking.pcap).
  const std::string hdr1 =
      "NATS/1.0\r\nX-Tenant: blue\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
      "X-Request-ID:  req-42 \r\n\r\n";
  const std::string hdr2 =
      "NATS/"
      "1.0\r\nsw8-x:0-1705995309429\r\nsw8:1-OGUyZWNiYjBjNzViNDc2ODkyZDY5NTEzYTJkZDA2MGQuMS4xNzA1OTk1MzA5NDE4MDAwMQ==-"
      "OGUyZWNiYjBjNzViNDc2ODkyZDY5NTEzYTJkZDA2MGQuNDEuMTcwNTk5NTMwOTQyNDAwMDA=-0-ZGVtby1hcHBsaWNhdGlvbg==-"
      "OTAzYjE2OGY1OThiNGY0NjliYzE0ODNkNGExNDI3YWJAMTk4LjE5LjI0OS42Ng==-TmF0cy9QdWIvaGVsbG8uc3ViamVjdC53b3JsZA==-"
      "bmF0czovL2RlbW8\r\n\r\n";
  const std::string hdr3 = "NATS/1.0 503\r\n\r\n";  // a status-only header block (no responders)
  std::string s = "HPUB orders.traced " + std::to_string(hdr1.size()) + " " + std::to_string(hdr1.size() + 4) + "\r\n" +
                  hdr1 + "body\r\n";
  s += "HPUB hello.subject.world " + std::to_string(hdr2.size()) + " " + std::to_string(hdr2.size() + 12) + "\r\n" +
       hdr2 + "HELLO WORLD!\r\n";
  h.feed(Dir::kToServer, bytes_of(s));
  h.feed(Dir::kToClient, bytes_of("HMSG _INBOX.x 1 " + std::to_string(hdr3.size()) + " " + std::to_string(hdr3.size()) +
                                  "\r\n" + hdr3 + "\r\n"));
  ASSERT_EQ(h.errors(), 0u);
  auto& m = h.messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].fields.get(Field::kTraceId), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(m[0].fields.get(Field::kSpanId), "b7ad6b7169203331");
  EXPECT_EQ(m[0].fields.get(Field::kXRequestId), "req-42");
  EXPECT_EQ(m[1].fields.get(Field::kTraceId), "8e2ecbb0c75b476892d69513a2dd060d.1.17059953094180001");
  EXPECT_EQ(m[1].fields.get(Field::kSpanId), "8e2ecbb0c75b476892d69513a2dd060d.41.17059953094240000-0");
  EXPECT_EQ(m[1].fields.get(Field::kEndpoint), "hello");
  EXPECT_TRUE(m[2].fields.get(Field::kTraceId).empty());
  EXPECT_EQ(m[2].fields.get(Field::kRequestType), "HMSG");
}

TEST(NatsParser, PayloadContainingVerbsAndCrlfIsNotReparsed) {
  ParserHarness h(kNatsDescriptor);
  const std::string body = "PING\r\nPUB x 1\r\n";
  const std::string line = "PUB data " + std::to_string(body.size()) + "\r\n";
  h.feed(Dir::kToServer, bytes_of(line + body + "\r\nPONG\r\n"));
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].fields.request_length, line.size() + body.size() + 2);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "PONG");
}

TEST(NatsParser, LargePayloadIsSkippedAndParsingGoesOn) {
  ParserHarness h(kNatsDescriptor);
  const std::size_t big = 200 * 1024;  // larger than max_buffered (64 KiB)
  const std::string hdr = "NATS/1.0\r\ntraceparent: 00-11112222333344445555666677778888-aaaabbbbccccdddd-01\r\n\r\n";
  std::string msg = "HPUB orders.big " + std::to_string(hdr.size()) + " " + std::to_string(hdr.size() + big) + "\r\n" +
                    hdr + std::string(big, 'A') + "\r\n" + "PUB next 1\r\nx\r\n";
  h.feed_split(Dir::kToServer, bytes_of(msg), 1448);
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  const auto& f = h.messages()[0].fields;
  EXPECT_EQ(f.get(Field::kRequestType), "HPUB");
  EXPECT_EQ(f.request_length, msg.size() - 15);
  EXPECT_EQ(f.get(Field::kTraceId), "11112222333344445555666677778888");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "next");
}

TEST(NatsParser, LargeHeaderBlockBeyondBufferUsesThePrefix) {
  ParserOptions opts;
  opts.max_buffered = 256;
  ParserHarness h(kNatsDescriptor, opts);
  std::string hdr = "NATS/1.0\r\ntraceparent: 00-11112222333344445555666677778888-aaaabbbbccccdddd-01\r\nX-Pad: " +
                    std::string(400, 'p') + "\r\n\r\n";
  std::string msg = "HPUB big.hdr " + std::to_string(hdr.size()) + " " + std::to_string(hdr.size() + 3) + "\r\n" + hdr +
                    "abc\r\nPING\r\n";
  h.feed_split(Dir::kToServer, bytes_of(msg), 100);
  ASSERT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "big.hdr");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kTraceId), "11112222333344445555666677778888");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "PING");
}

TEST(NatsParser, PipelinedPingsPairInOrder) {
  // Clients flush with several PINGs before the PONGs come back; the server answers in order.
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToServer, bytes_of("PING\r\n"), 10);
  h.feed(Dir::kToServer, bytes_of("PING\r\n"), 20);
  h.feed(Dir::kToClient, bytes_of("PING\r\n"), 25);  // the server pings too: its own queue
  h.feed(Dir::kToClient, bytes_of("PONG\r\nPONG\r\n"), 30);
  h.feed(Dir::kToServer, bytes_of("PONG\r\n"), 40);
  struct Records : RecordSink {
    void on_record(FlowRecord& r) override { all.push_back(r); }
    std::vector<FlowRecord> all;
  } out;
  BufferPool pool;
  SessionPairing pairing(16, 16, 1'000'000, out, pool);
  FlowSessions flow;
  for (auto& m : h.messages()) pairing.on_message(flow, m);
  ASSERT_EQ(out.all.size(), 3u);
  for (auto& r : out.all) EXPECT_EQ(r.type, RecordType::kSession);
  EXPECT_EQ(out.all[0].rrt_us, 20u);  // first PONG answers the first PING (ts 10)
  EXPECT_EQ(out.all[1].rrt_us, 10u);  // second PONG, second PING (ts 20)
  EXPECT_EQ(out.all[2].rrt_us, 15u);  // the client's PONG answers the server's PING (ts 25)
  EXPECT_EQ(pairing.pending(), 0u);
}

TEST(NatsParser, ConnectWithoutInfoPairsWithNothing) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToServer, bytes_of(kConnect + "PUB a 0\r\n\r\n"));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].role, MsgRole::kResponse);
  EXPECT_EQ(h.messages()[0].id, 0u);  // INFO ids start at 1
  EXPECT_TRUE(h.messages()[1].fields.get(Field::kVersion).empty());
  EXPECT_EQ(h.messages()[1].fields.request_length, 11u);
}

TEST(NatsParser, ErrorStatuses) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToClient,
         bytes_of("-ERR 'Authorization Violation'\r\n-ERR 'Maximum Connections Exceeded'\r\n"
                  "-ERR 'Slow Consumer'\r\n-ERR 'Permissions Violation for Publish to \"secret.x\"'\r\n"));
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[0].fields.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kResponseException), "Authorization Violation");
  EXPECT_EQ(h.messages()[1].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(h.messages()[2].fields.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(h.messages()[3].fields.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(h.messages()[3].fields.get(Field::kResponseException), "Permissions Violation for Publish to \"secret.x\"");
}

TEST(NatsParser, GarbageCountsAnErrorAndParsingResumes) {
  // As in nats-err.pcap: the client sends an unknown operation, later valid traffic follows.
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToClient, bytes_of(kInfo));
  h.feed(Dir::kToServer, bytes_of(kConnect));
  h.feed(Dir::kToServer, bytes_of("DEADBEEF\r\n"));
  EXPECT_EQ(h.errors(), 1u);
  h.feed(Dir::kToServer, bytes_of("PING\r\n"));
  h.feed(Dir::kToClient, bytes_of("-ERR 'Unknown Protocol Operation'\r\n"));
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_FALSE(h.stopped());
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "PING");
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestType), "ERR");
}

TEST(NatsParser, ResyncAfterAGapSkipsToTheNextControlLine) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToServer, bytes_of("PUB a 20\r\n0123456789"));
  h.gap(Dir::kToServer);  // the rest of the payload was lost
  h.feed(Dir::kToServer, bytes_of("more payload\r\nPUB b.c 1\r\nx\r\n"));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "b.c");
}

TEST(NatsParser, PayloadSizeMismatchIsAnError) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToServer, bytes_of("PUB a 3\r\nhello\r\n"));
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_TRUE(h.messages().empty());
}

TEST(NatsParser, MalformedControlLinesAreErrors) {
  for (const char* bad : {"PUB\r\n",
                          "PUB a\r\n",
                          "PUB a b c 1\r\n",
                          "PUB a x\r\n",
                          "HPUB a 10 5\r\n",
                          "SUB a\r\n",
                          "UNSUB\r\n",
                          "UNSUB 1 x\r\n",
                          "MSG a 1\r\n",
                          "PING now\r\n",
                          "INFO\r\n",
                          "INFO x\r\n",
                          "CONNECT host:443 HTTP/1.1\r\n",
                          "PUT / HTTP/1.1\r\n",
                          "POST /x HTTP/1.1\r\n",
                          "PUB a 1\rx\n",
                          "PUB a\x01 1\r\n",
                          "PUB a 99999999999\r\n",
                          " PING\r\n",
                          "\r\n"}) {
    ParserHarness h(kNatsDescriptor);
    h.feed(Dir::kToServer, bytes_of(bad));
    EXPECT_EQ(h.errors(), 1u) << bad;
    EXPECT_TRUE(h.messages().empty()) << bad;
  }
}

TEST(NatsParser, TlsAfterInfoGivesUpTheFlow) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToClient, bytes_of("INFO {\"server_id\":\"x\",\"version\":\"2.9.10\",\"tls_required\":true}\r\n"));
  std::vector<uint8_t> hello = {0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x00, 0x00, 0x0c, 0x03, 0x03};
  h.feed(Dir::kToServer, hello);
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_TRUE(h.stopped());
}

// Where each message of a well-formed stream ends (control line, then payload and CRLF).
std::vector<std::size_t> message_ends(const std::string& s) {
  std::vector<std::size_t> ends;
  std::size_t off = 0;
  while (off < s.size()) {
    nats::Frame f;
    if (nats::scan_frame(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()) + off, s.size() - off), f) !=
        nats::Scan::kFrame)
      break;
    off += static_cast<std::size_t>(f.total);
    ends.push_back(off);
  }
  return ends;
}

// Mutated and truncated streams, then noise: no crash, the tail within its bound, every message
// before the first damaged byte as in the intact stream, garbage counted, and (unless the flow was
// given up after its bound on consecutive errors) valid messages parse after a gap.
TEST(NatsParser, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  const std::string seeds[] = {kClientSide, kServerSide};
  std::array<std::vector<std::string>, 2> clean;
  std::array<std::vector<std::size_t>, 2> ends;
  for (int i = 0; i < 2; ++i) {
    ParserHarness h(kNatsDescriptor);
    h.feed(i == 1 ? Dir::kToClient : Dir::kToServer, bytes_of(seeds[i]));
    ASSERT_EQ(h.errors(), 0u);
    clean[i] = describe_all(h.messages());
    ends[i] = message_ends(seeds[i]);
    ASSERT_EQ(ends[i].size(), clean[i].size());
    ASSERT_EQ(ends[i].back(), seeds[i].size());
  }
  for (int round = 0; round < 300; ++round) {
    const int i = round % 2;
    const Dir dir = i == 1 ? Dir::kToClient : Dir::kToServer;
    std::string s = seeds[i];
    // Mutate a few bytes, truncate at a random point, and feed in random chunks.
    std::size_t first_bad = s.size();
    for (int k = 0; k < 1 + round % 6; ++k) {
      const std::size_t at = rng() % s.size();
      const auto v = static_cast<char>(rng() & 0xff);
      if (v != s[at]) first_bad = std::min(first_bad, at);
      s[at] = v;
    }
    s.resize(rng() % (s.size() + 1));
    ParserHarness h(kNatsDescriptor);
    h.feed_split(dir, bytes_of(s), 1 + rng() % 40);
    EXPECT_LE(h.driver().buffered(dir), h.options().max_buffered);
    const std::string context = "round " + std::to_string(round);
    // A message is intact when its bytes are, and so is the byte after it (which shows it ended).
    std::size_t intact = 0;
    while (intact < ends[i].size() && ends[i][intact] < std::min(first_bad, s.size())) ++intact;
    const auto got = describe_all(h.messages());
    ASSERT_GE(got.size(), intact) << context;
    for (std::size_t k = 0; k < intact; ++k) EXPECT_EQ(got[k], clean[i][k]) << context << " message " << k;
    std::vector<uint8_t> noise(200);
    for (auto& c : noise) c = static_cast<uint8_t>(rng());
    noise[0] = '\x01';  // not a verb's first letter: the noise cannot start a message
    h.gap(dir);
    h.feed(dir, noise);
    if (!h.stopped()) {
      h.gap(dir);
      h.feed(dir, bytes_of("PUB valid.after 1\r\nx\r\n"));
      ASSERT_FALSE(h.messages().empty()) << context;
      EXPECT_EQ(h.messages().back().fields.get(Field::kRequestResource), "valid.after") << context;
    }
  }
}

// ---- length bombs ----

// A payload size at the protocol's limit (2^31-1, beyond the 64 MiB maximum message size): counted
// as garbage, nothing logged for it, and the next control line parses, in the same segment or the
// next.
TEST(NatsParser, PayloadSizeBombResyncs) {
  EXPECT_EQ(kNatsDescriptor.default_max_message, 64u << 20);
  for (const char* bomb : {"PUB a.b 2147483647\r\nxyz", "HPUB a.b 2147483000 2147483647\r\nNATS/1.0\r\n",
                           "MSG a.b 1 2147483647\r\n"}) {
    for (const bool same_segment : {false, true}) {
      ParserHarness h(kNatsDescriptor);
      const Dir dir = bomb[0] == 'M' ? Dir::kToClient : Dir::kToServer;
      const std::string after = bomb[0] == 'M' ? "MSG next 1 1\r\nx\r\nPING\r\n" : "PUB next 1\r\nx\r\nPING\r\n";
      if (same_segment) {
        h.feed(dir, bytes_of(std::string(bomb) + "\r\n" + after));
      } else {
        h.feed(dir, bytes_of(bomb));
        h.feed(dir, bytes_of(after));
      }
      const std::string context = std::string(bomb) + (same_segment ? " same" : " next");
      ASSERT_EQ(h.messages().size(), 2u) << context;
      EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "next") << context;
      EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "PING") << context;
      EXPECT_EQ(h.oversize(), 1u) << context;
      EXPECT_EQ(h.resyncs(), 1u) << context;
      EXPECT_EQ(h.skipped_bytes(), 0u) << context;
      EXPECT_FALSE(h.stopped()) << context;
    }
  }
}

// A 50 MB payload (within the maximum) whose bytes never come: the next segment, whole messages,
// proves the size wrong; a real large payload is skipped to its end.
TEST(NatsParser, PayloadSkipContradictedByTheNextSegment) {
  ParserOptions opts;
  opts.max_buffered = 1024;
  ParserHarness h(kNatsDescriptor, opts);
  h.feed(Dir::kToServer, bytes_of("PUB bogus 50000000\r\n" + std::string(2000, 'p')));
  h.feed(Dir::kToServer, bytes_of("PUB next 1\r\nx\r\nPING\r\n"));
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "bogus");  // logged from its prefix
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "next");
  EXPECT_EQ(h.resyncs(), 1u);
  EXPECT_EQ(h.errors(), 0u);
  ParserHarness h2(kNatsDescriptor, opts);
  const std::string payload(100'000, 'p');
  h2.feed_split(Dir::kToServer, bytes_of("PUB real 100000\r\n" + payload + "\r\nPING\r\n"), 1448);
  ASSERT_EQ(h2.messages().size(), 2u);
  EXPECT_EQ(h2.messages()[1].fields.get(Field::kRequestType), "PING");
  EXPECT_EQ(h2.resyncs(), 0u);
  EXPECT_EQ(h2.skipped_bytes(), 17u + payload.size() + 2u - 1448u);
}

// Nested lengths: a header block claiming all of a large payload, a control line that never ends.
// Bounded by the buffer (an error past it) and parsing resumes at the next control line.
TEST(NatsParser, NestedLengthBombs) {
  ParserOptions opts;
  opts.max_buffered = 4096;
  {  // header size = total size = 60 MB: the header block is read from the buffered prefix only
    ParserHarness h(kNatsDescriptor, opts);
    h.feed(Dir::kToServer, bytes_of("HPUB h.b 60000000 60000000\r\nNATS/1.0\r\nX: " + std::string(5000, 'v')));
    EXPECT_LE(h.driver().buffered(Dir::kToServer), opts.max_buffered);
    h.feed(Dir::kToServer, bytes_of("PUB next 1\r\nx\r\n"));
    ASSERT_EQ(h.messages().size(), 2u);
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestResource), "h.b");
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestResource), "next");
  }
  {  // a control line longer than the buffer: an error at the bound, then the next line parses
    ParserHarness h(kNatsDescriptor, opts);
    const std::string line = "PUB " + std::string(100'000, 's') + " 1\r\nx\r\nPING\r\n";
    h.feed_split(Dir::kToServer, bytes_of(line), 1448);
    EXPECT_EQ(h.errors(), 1u);
    ASSERT_EQ(h.messages().size(), 1u);
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "PING");
    EXPECT_FALSE(h.stopped());
  }
}

TEST(NatsParser, InfoWithoutNameLeavesDomainEmpty) {
  ParserHarness h(kNatsDescriptor);
  h.feed(Dir::kToClient, bytes_of("INFO {\"server_id\":\"x\",\"version\":\"2.2.0\",\"go\":\"go1.16\"}\r\nPING\r\n"));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kVersion), "2.2.0");
  EXPECT_TRUE(h.messages()[1].fields.get(Field::kRequestDomain).empty());
}

TEST(NatsJson, StringFieldLookup) {
  std::array<char, 64> out{};
  auto get = [&](std::string_view json, std::string_view key) {
    int n = nats::json_string_field(json, key, out);
    return n < 0 ? std::string("<none>") : std::string(out.data(), static_cast<std::size_t>(n));
  };
  EXPECT_EQ(get(R"({"version":"2.10.7"})", "version"), "2.10.7");
  EXPECT_EQ(get(R"({ "a" : {"version":"nested"}, "version" : "top" })", "version"), "top");
  EXPECT_EQ(get(R"({"x":"\"version\":\"fake\"","version":"real"})", "version"), "real");
  EXPECT_EQ(get(R"({"server_name":"a\"b\\c\/d\u00e9\ud83d\ude00"})", "server_name"),
            "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(get(R"({"version":2})", "version"), "<none>");
  EXPECT_EQ(get(R"({"other":"x"})", "version"), "<none>");
  EXPECT_EQ(get(R"({"version":"unterminated)", "version"), "<none>");
  EXPECT_EQ(get(R"(["version","x"])", "version"), "<none>");
  // Truncated to the output size, never past it.
  std::array<char, 4> small{};
  EXPECT_EQ(nats::json_string_field(R"({"version":"2.10.7"})", "version", small), 4);
}

TEST(NatsProbe, AcceptsNatsAndRejectsOtherProtocols) {
  auto probe = [](std::string_view s) { return kNatsDescriptor.probe(Dir::kToClient, bytes_of(s)); };
  EXPECT_EQ(probe(kInfo), ProbeVerdict::kYes);
  EXPECT_EQ(probe(kConnect + "PING\r\n"), ProbeVerdict::kYes);
  EXPECT_EQ(probe("PUB foo 5\r\nhello\r\n"), ProbeVerdict::kYes);
  EXPECT_EQ(probe("PUB foo 5000\r\nhel"), ProbeVerdict::kYes);  // payload still coming
  EXPECT_EQ(probe("SUB foo 1\r\n"), ProbeVerdict::kYes);
  EXPECT_EQ(probe("MSG foo 1 2\r\nhi\r\n"), ProbeVerdict::kYes);
  EXPECT_EQ(probe("PING\r\n"), ProbeVerdict::kYes);
  EXPECT_EQ(probe("IN"), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe("INFO {\"server_id\":\"abc\""), ProbeVerdict::kMaybe);
  // Not NATS.
  EXPECT_EQ(probe("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("PUT /a HTTP/1.1\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("POST /a HTTP/1.1\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("PU"), ProbeVerdict::kMaybe);  // could still be PUB or PUT: more bytes decide
  EXPECT_EQ(probe("PUT"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("CONNECT example.com:443 HTTP/1.1\r\n\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("CONNECT\naccept-version:1.2\nhost:x\n\n"), ProbeVerdict::kNo);  // STOMP
  EXPECT_EQ(probe("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("SUBSCRIBE news\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("PING :irc.example.net\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("+OK POP3 server ready\r\n"), ProbeVerdict::kNo);
  EXPECT_EQ(probe("PUB a 3\r\nhello\r\n"), ProbeVerdict::kNo);  // size does not match
  EXPECT_EQ(kNatsDescriptor.probe(Dir::kToServer, std::vector<uint8_t>{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}),
            ProbeVerdict::kNo);
  EXPECT_EQ(kNatsDescriptor.probe(Dir::kToServer, std::vector<uint8_t>{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
                                                                       0x00, 0x00, 0x00, 0x00}),
            ProbeVerdict::kNo);  // DNS header
  EXPECT_EQ(kNatsDescriptor.probe(Dir::kToServer, std::vector<uint8_t>{0x00, 0x00, 0x00, 0x2a, 0x00, 0x03}),
            ProbeVerdict::kNo);
}

TEST(NatsDescriptor, SignaturesCompileAndMatch) {
  EXPECT_EQ(protocol_by_id(protocol_id("nats")), &kNatsDescriptor);
  EXPECT_EQ(kNatsDescriptor.transports, kTcp);
  EXPECT_EQ(kNatsDescriptor.name, "nats");
  ASSERT_FALSE(kNatsDescriptor.signatures.empty());
  const test::SignatureMatcher sigs(kNatsDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  EXPECT_TRUE(sigs.matches(kInfo));
  EXPECT_TRUE(sigs.matches(kConnect));
  EXPECT_TRUE(sigs.matches("pub foo 1\r\nx\r\n"));
  EXPECT_TRUE(sigs.matches("HPUB foo 12 14\r\n"));
  EXPECT_TRUE(sigs.matches("SUB foo 1\r\n"));
  EXPECT_TRUE(sigs.matches("UNSUB 1\r\n"));
  EXPECT_TRUE(sigs.matches("HMSG foo 1 12 14\r\n"));
  EXPECT_TRUE(sigs.matches("PING\r\n"));
  EXPECT_TRUE(sigs.matches("+OK\r\n"));
  EXPECT_TRUE(sigs.matches("-ERR 'Authorization Violation'\r\n"));
  EXPECT_FALSE(sigs.matches("PUT / HTTP/1.1\r\n"));
  EXPECT_FALSE(sigs.matches("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(sigs.matches("xPING\r\n"));
}

}  // namespace
}  // namespace l7tap
