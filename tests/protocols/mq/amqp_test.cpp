// AMQP 0-9-1 parser tests. Frames are built here from the 0-9-1 specification (frame layout,
// method argument lists, field-table encoding); real traffic from RabbitMQ + pika + amqp-tools is
// captured by tests/e2e/rabbitmq_capture.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "protocols/core/session_pairing.hpp"
#include "protocols/mq/amqp.hpp"
#include "protocols/mq/amqp_methods.hpp"
#include "protocols/registry.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using test::ParserHarness;
using Bytes = std::vector<uint8_t>;

// ---- frame builder (0-9-1 §4.2.3 frame format, §4.2.6 content framing) ----

struct Args {
  Bytes b;
  Args& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Args& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Args& u32(uint32_t v) { return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v)); }
  Args& u64(uint64_t v) { return u32(static_cast<uint32_t>(v >> 32)).u32(static_cast<uint32_t>(v)); }
  Args& sstr(std::string_view s) {
    u8(static_cast<uint8_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Args& lstr(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Args& raw(const Bytes& x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
  Args& table(const Bytes& entries) {
    u32(static_cast<uint32_t>(entries.size()));
    return raw(entries);
  }
};

const Bytes kHeader091 = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

Bytes frame(uint8_t type, uint16_t channel, const Bytes& payload, uint8_t end = 0xCE) {
  Args f;
  f.u8(type).u16(channel).u32(static_cast<uint32_t>(payload.size())).raw(payload).u8(end);
  return f.b;
}
Bytes method(uint16_t channel, uint16_t cls, uint16_t m, const Bytes& args = {}) {
  Args p;
  p.u16(cls).u16(m).raw(args);
  return frame(1, channel, p.b);
}
// Content header of class Basic with the given property flags and property bytes.
Bytes content_header(uint16_t channel, uint64_t body_size, uint16_t flags, const Bytes& props) {
  Args p;
  p.u16(60).u16(0).u64(body_size).u16(flags).raw(props);
  return frame(2, channel, p.b);
}
Bytes body(uint16_t channel, std::string_view text) { return frame(3, channel, Bytes(text.begin(), text.end())); }
Bytes heartbeat() { return frame(8, 0, {}); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Method argument lists used below.
Bytes open_args(std::string_view vhost) { return Args{}.sstr(vhost).sstr("").u8(0).b; }
Bytes close_args(uint16_t code, std::string_view text, uint16_t cls = 0, uint16_t m = 0) {
  return Args{}.u16(code).sstr(text).u16(cls).u16(m).b;
}
Bytes tune_args(uint32_t frame_max) { return Args{}.u16(2047).u32(frame_max).u16(60).b; }
Bytes exchange_declare_args(std::string_view x, bool no_wait = false) {
  return Args{}.u16(0).sstr(x).sstr("direct").u8(no_wait ? 0x10 : 0x02).table({}).b;
}
Bytes queue_declare_args(std::string_view q, bool no_wait = false) {
  return Args{}.u16(0).sstr(q).u8(no_wait ? 0x10 : 0x02).table({}).b;
}
Bytes queue_bind_args(std::string_view q, std::string_view x, std::string_view rk) {
  return Args{}.u16(0).sstr(q).sstr(x).sstr(rk).u8(0).table({}).b;
}
Bytes publish_args(std::string_view x, std::string_view rk) { return Args{}.u16(0).sstr(x).sstr(rk).u8(0).b; }
Bytes deliver_args(std::string_view x, std::string_view rk) {
  return Args{}.sstr("ctag-1").u64(7).u8(0).sstr(x).sstr(rk).b;
}
Bytes consume_args(std::string_view q, bool no_wait = false) {
  return Args{}.u16(0).sstr(q).sstr("ctag-1").u8(no_wait ? 0x08 : 0).table({}).b;
}

// Headers table entries: key + 'S' longstr.
Bytes header_entry(std::string_view key, std::string_view value) {
  return Args{}.sstr(key).u8('S').lstr(value).b;
}

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// A whole client session: handshake, topology, publish with a trace header, consume, close.
struct Conversation {
  std::vector<std::pair<Dir, Bytes>> steps;
  void c(Bytes b) { steps.emplace_back(Dir::kToServer, std::move(b)); }
  void s(Bytes b) { steps.emplace_back(Dir::kToClient, std::move(b)); }
};

Conversation full_conversation() {
  Conversation cv;
  cv.c(kHeader091);
  cv.s(method(0, 10, 10, Args{}.u8(0).u8(9).table(header_entry("product", "RabbitMQ")).lstr("PLAIN").lstr("en_US").b));
  cv.c(method(0, 10, 11, Args{}.table({}).sstr("PLAIN").lstr(std::string("\0guest\0guest", 12)).sstr("en_US").b));
  cv.s(method(0, 10, 30, tune_args(131072)));
  cv.c(cat({method(0, 10, 31, tune_args(131072)), method(0, 10, 40, open_args("/prod"))}));
  cv.s(method(0, 10, 41, Args{}.sstr("").b));
  cv.c(method(1, 20, 10, Args{}.sstr("").b));
  cv.s(method(1, 20, 11, Args{}.lstr("").b));
  cv.c(method(1, 40, 10, exchange_declare_args("exchange-1")));
  cv.s(method(1, 40, 11));
  cv.c(method(1, 50, 10, queue_declare_args("hello")));
  cv.s(method(1, 50, 11, Args{}.sstr("hello").u32(0).u32(0).b));
  cv.c(method(1, 50, 20, queue_bind_args("hello", "exchange-1", "rk-1")));
  cv.s(method(1, 50, 21));
  cv.c(cat({method(1, 60, 40, publish_args("exchange-1", "rk-1")),
            content_header(1, 11, 0xA000, Args{}.sstr("text/plain").table(header_entry("traceparent", kTraceparent)).b),
            body(1, "hello world")}));
  cv.c(method(1, 60, 20, consume_args("hello")));
  cv.s(cat({method(1, 60, 21, Args{}.sstr("ctag-1").b), method(1, 60, 60, deliver_args("exchange-1", "rk-1")),
            content_header(1, 11, 0x0000, {}), body(1, "hello world")}));
  cv.c(method(1, 60, 80, Args{}.u64(7).u8(0).b));
  cv.c(heartbeat());
  cv.s(heartbeat());
  cv.c(method(1, 20, 40, close_args(200, "Normal shutdown")));
  cv.s(method(1, 20, 41));
  cv.c(method(0, 10, 50, close_args(200, "Normal shutdown")));
  cv.s(method(0, 10, 51));
  return cv;
}

struct Expect {
  Dir dir;
  MsgRole role;
  std::string_view type;
  std::string_view domain;
  std::string_view resource;
  uint16_t channel;
  uint32_t length;  // request_length or response_length
};

// Summary of a message for comparisons between feeding strategies.
std::string describe(const Message& m) {
  const L7Fields& f = m.fields;
  std::string s = std::to_string(static_cast<int>(m.dir)) + "|" + std::to_string(static_cast<int>(m.role)) + "|" +
                  std::to_string(m.pair_class) + "|" + std::string(f.get(Field::kVersion)) + "|" + std::string(f.get(Field::kRequestType)) + "|" +
                  std::string(f.get(Field::kRequestDomain)) + "|" + std::string(f.get(Field::kRequestResource)) + "|" + std::string(f.get(Field::kEndpoint)) + "|" +
                  std::string(f.get(Field::kTraceId)) + "|" + std::string(f.get(Field::kSpanId)) + "|" + std::string(f.get(Field::kResponseException)) + "|" +
                  std::string(f.get(Field::kResponseResult)) + "|" + std::to_string(static_cast<int>(f.response_status));
  if (f.has_response_code) s += "|code=" + std::to_string(f.response_code);
  if (f.has_request_length) s += "|req=" + std::to_string(f.request_length);
  if (f.has_response_length) s += "|resp=" + std::to_string(f.response_length);
  return s;
}

std::vector<std::string> run(const Conversation& cv, std::size_t chunk, uint32_t* errors = nullptr) {
  ParserHarness h(kAmqpDescriptor);
  for (const auto& [dir, bytes] : cv.steps) {
    if (chunk == 0)
      h.feed(dir, bytes);
    else
      h.feed_split(dir, bytes, chunk);
  }
  if (errors != nullptr) *errors = h.errors();
  std::vector<std::string> out;
  for (const Message& m : h.messages()) out.push_back(describe(m));
  return out;
}

TEST(AmqpParser, FullConversation) {
  ParserHarness h(kAmqpDescriptor);
  for (const auto& [dir, bytes] : full_conversation().steps) h.feed(dir, bytes);
  EXPECT_EQ(h.errors(), 0u);
  const auto C = Dir::kToServer, S = Dir::kToClient;
  const auto Q = MsgRole::kRequest, R = MsgRole::kResponse, O = MsgRole::kOneWay;
  const std::vector<Expect> want = {
      {C, O, "Protocol-Header", "", "", 0, 8},
      {S, Q, "Connection.Start", "", "", 0, 0},
      {C, R, "Connection.StartOk", "", "", 0, 0},
      {S, Q, "Connection.Tune", "", "", 0, 20},
      {C, R, "Connection.TuneOk", "", "", 0, 20},
      {C, Q, "Connection.Open", "/prod", "", 0, 20},
      {S, R, "Connection.OpenOk", "/prod", "", 0, 13},
      {C, Q, "Channel.Open", "/prod", "", 1, 13},
      {S, R, "Channel.OpenOk", "/prod", "", 1, 16},
      {C, Q, "Exchange.Declare", "/prod", "exchange-1.", 1, 0},
      {S, R, "Exchange.DeclareOk", "/prod", "", 1, 12},
      {C, Q, "Queue.Declare", "/prod", "hello", 1, 0},
      {S, R, "Queue.DeclareOk", "/prod", "hello", 1, 0},
      {C, Q, "Queue.Bind", "/prod", "exchange-1.rk-1", 1, 0},
      {S, R, "Queue.BindOk", "/prod", "", 1, 12},
      {C, O, "Basic.Publish", "/prod", "exchange-1.rk-1", 1, 0},
      {C, O, "Content-Header", "/prod", "", 1, 0},
      {C, O, "Content-Body", "/prod", "", 1, 19},
      {C, Q, "Basic.Consume", "/prod", "hello", 1, 0},
      {S, R, "Basic.ConsumeOk", "/prod", "", 1, 0},
      {S, O, "Basic.Deliver", "/prod", "exchange-1.rk-1", 1, 0},
      {S, O, "Content-Header", "/prod", "", 1, 22},
      {S, O, "Content-Body", "/prod", "", 1, 19},
      {C, O, "Basic.Ack", "/prod", "", 1, 21},
      {C, O, "Heartbeat", "/prod", "", 0, 8},
      {S, O, "Heartbeat", "/prod", "", 0, 8},
      {C, Q, "Channel.Close", "/prod", "", 1, 34},
      {S, R, "Channel.CloseOk", "/prod", "", 1, 12},
      {C, Q, "Connection.Close", "/prod", "", 0, 34},
      {S, R, "Connection.CloseOk", "/prod", "", 0, 12},
  };
  ASSERT_EQ(h.messages().size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const Message& m = h.messages()[i];
    const Expect& e = want[i];
    SCOPED_TRACE(std::string(e.type) + " #" + std::to_string(i));
    EXPECT_EQ(m.dir, e.dir);
    EXPECT_EQ(m.role, e.role);
    EXPECT_EQ(m.fields.get(Field::kVersion), "v0.9.1");
    EXPECT_EQ(m.fields.get(Field::kRequestType), e.type);
    EXPECT_EQ(m.fields.get(Field::kRequestDomain), e.domain);
    EXPECT_EQ(m.fields.get(Field::kRequestResource), e.resource);
    EXPECT_EQ(m.fields.get(Field::kEndpoint), e.resource);
    EXPECT_FALSE(m.has_id);
    if (m.role != MsgRole::kOneWay) {
      EXPECT_EQ(m.pair_class, e.channel);
    }
    if (e.length != 0) {
      if (m.role == MsgRole::kResponse) {
        EXPECT_TRUE(m.fields.has_response_length);
        EXPECT_FALSE(m.fields.has_request_length);
        EXPECT_EQ(m.fields.response_length, e.length);
      } else {
        EXPECT_TRUE(m.fields.has_request_length);
        EXPECT_EQ(m.fields.request_length, e.length);
      }
    }
  }
  // Trace context from the published message's headers; the delivered one had no properties.
  EXPECT_EQ(h.messages()[16].fields.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(h.messages()[16].fields.get(Field::kSpanId), "00f067aa0ba902b7");
  EXPECT_TRUE(h.messages()[21].fields.get(Field::kTraceId).empty());
  // Normal shutdown: code 200 with its text as the result.
  const L7Fields& close = h.messages()[26].fields;
  EXPECT_TRUE(close.has_response_code);
  EXPECT_EQ(close.response_code, 200);
  EXPECT_EQ(close.response_status, ResponseStatus::kOk);
  EXPECT_EQ(close.get(Field::kResponseResult), "Normal shutdown");
  EXPECT_TRUE(close.get(Field::kResponseException).empty());
}

TEST(AmqpParser, SplitFeedingGivesTheSameMessages) {
  const Conversation cv = full_conversation();
  uint32_t errors = 1;
  const auto whole = run(cv, 0, &errors);
  EXPECT_EQ(errors, 0u);
  ASSERT_EQ(whole.size(), 30u);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 8u, 13u, 64u}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(run(cv, chunk, &errors), whole);
    EXPECT_EQ(errors, 0u);
  }
}

TEST(AmqpParser, AllFramesOfADirectionInOneSegment) {
  const Conversation cv = full_conversation();
  Conversation merged;
  Bytes client, server;
  for (const auto& [dir, b] : cv.steps) (dir == Dir::kToServer ? client : server).insert(
      (dir == Dir::kToServer ? client : server).end(), b.begin(), b.end());
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToServer, client);
  h.feed(Dir::kToClient, server);
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.messages().size(), 30u);
}

// Only clients send the protocol header: seen travelling kToClient it proves the flow's guessed
// orientation wrong. The whole conversation in its right orientation must not be reported.
TEST(AmqpParser, ProtocolHeaderInToClientReportsReversedOrientation) {
  const Conversation cv = full_conversation();
  for (bool swapped : {false, true}) {
    SCOPED_TRACE(swapped);
    ParserHarness h(kAmqpDescriptor);
    for (const auto& [dir, bytes] : cv.steps) h.feed(swapped ? opposite(dir) : dir, bytes);
    EXPECT_EQ(h.errors(), 0u);
    EXPECT_EQ(h.messages().size(), 30u);
    EXPECT_EQ(h.reversed(), swapped);
  }
}

// Every method of every class, with the name it is logged under and its pairing role.
TEST(AmqpParser, EveryMethodIsNamed) {
  struct M {
    uint16_t cls, m;
    std::string_view name;
    MsgRole role;
  };
  const auto Q = MsgRole::kRequest, R = MsgRole::kResponse, O = MsgRole::kOneWay;
  const std::vector<M> all = {
      {10, 10, "Connection.Start", Q},    {10, 11, "Connection.StartOk", R},   {10, 20, "Connection.Secure", Q},
      {10, 21, "Connection.SecureOk", R}, {10, 30, "Connection.Tune", Q},      {10, 31, "Connection.TuneOk", R},
      {10, 40, "Connection.Open", Q},     {10, 41, "Connection.OpenOk", R},    {10, 50, "Connection.Close", Q},
      {10, 51, "Connection.CloseOk", R},  {10, 60, "Connection.Blocked", O},   {10, 61, "Connection.Unblocked", O},
      {10, 70, "Connection.UpdateSecret", Q}, {10, 71, "Connection.UpdateSecretOk", R},
      {20, 10, "Channel.Open", Q},        {20, 11, "Channel.OpenOk", R},       {20, 20, "Channel.Flow", Q},
      {20, 21, "Channel.FlowOk", R},      {20, 40, "Channel.Close", Q},        {20, 41, "Channel.CloseOk", R},
      {30, 10, "Access.Request", Q},      {30, 11, "Access.RequestOk", R},
      {40, 10, "Exchange.Declare", Q},    {40, 11, "Exchange.DeclareOk", R},   {40, 20, "Exchange.Delete", Q},
      {40, 21, "Exchange.DeleteOk", R},   {40, 30, "Exchange.Bind", Q},        {40, 31, "Exchange.BindOk", R},
      {40, 40, "Exchange.Unbind", Q},     {40, 51, "Exchange.UnbindOk", R},
      {50, 10, "Queue.Declare", Q},       {50, 11, "Queue.DeclareOk", R},      {50, 20, "Queue.Bind", Q},
      {50, 21, "Queue.BindOk", R},        {50, 30, "Queue.Purge", Q},          {50, 31, "Queue.PurgeOk", R},
      {50, 40, "Queue.Delete", Q},        {50, 41, "Queue.DeleteOk", R},       {50, 50, "Queue.Unbind", Q},
      {50, 51, "Queue.UnbindOk", R},
      {60, 10, "Basic.Qos", Q},           {60, 11, "Basic.QosOk", R},          {60, 20, "Basic.Consume", Q},
      {60, 21, "Basic.ConsumeOk", R},     {60, 30, "Basic.Cancel", Q},         {60, 31, "Basic.CancelOk", R},
      {60, 40, "Basic.Publish", O},       {60, 50, "Basic.Return", O},         {60, 60, "Basic.Deliver", O},
      {60, 70, "Basic.Get", Q},           {60, 71, "Basic.GetOk", R},          {60, 72, "Basic.GetEmpty", R},
      {60, 80, "Basic.Ack", O},           {60, 90, "Basic.Reject", O},         {60, 100, "Basic.RecoverAsync", O},
      {60, 110, "Basic.Recover", Q},      {60, 111, "Basic.RecoverOk", R},     {60, 120, "Basic.Nack", O},
      {85, 10, "Confirm.Select", Q},      {85, 11, "Confirm.SelectOk", R},
      {90, 10, "Tx.Select", Q},           {90, 11, "Tx.SelectOk", R},          {90, 20, "Tx.Commit", Q},
      {90, 21, "Tx.CommitOk", R},         {90, 30, "Tx.Rollback", Q},          {90, 31, "Tx.RollbackOk", R},
  };
  for (const M& m : all) {
    SCOPED_TRACE(m.name);
    const amqp::MethodInfo* info = amqp::find_method(m.cls, m.m);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->name, m.name);
    ParserHarness h(kAmqpDescriptor);
    // Arguments zeroed: every bit clear (no no-wait), empty strings, zero counts.
    h.feed(Dir::kToServer, method(3, m.cls, m.m, Bytes(40, 0)));
    EXPECT_EQ(h.errors(), 0u);
    ASSERT_EQ(h.messages().size(), 1u);
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), m.name);
    EXPECT_EQ(h.messages()[0].role, m.role);
  }
  EXPECT_EQ(amqp::find_method(40, 41), nullptr);  // Exchange.UnbindOk is 51
  EXPECT_EQ(amqp::find_method(60, 130), nullptr);
  EXPECT_EQ(amqp::find_method(99, 10), nullptr);
}

TEST(AmqpParser, UnknownMethodInAnIntactFrameIsSkipped) {
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToServer, cat({method(1, 60, 130, {1, 2, 3}), method(1, 90, 10)}));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "Tx.Select");
}

TEST(AmqpParser, NoWaitMethodsAreOneWay) {
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToServer, cat({
                             method(1, 40, 10, exchange_declare_args("x", true)),
                             method(1, 40, 20, Args{}.u16(0).sstr("x").u8(0x02).b),
                             method(1, 40, 30, Args{}.u16(0).sstr("dst").sstr("src").sstr("rk").u8(1).table({}).b),
                             method(1, 50, 10, queue_declare_args("q", true)),
                             method(1, 50, 20, Args{}.u16(0).sstr("q").sstr("x").sstr("rk").u8(1).table({}).b),
                             method(1, 50, 30, Args{}.u16(0).sstr("q").u8(1).b),
                             method(1, 50, 40, Args{}.u16(0).sstr("q").u8(0x04).b),
                             method(1, 60, 20, consume_args("q", true)),
                             method(1, 60, 30, Args{}.sstr("ctag").u8(1).b),
                             method(1, 85, 10, Args{}.u8(1).b),
                             // the same with no-wait clear wait for their reply
                             method(1, 50, 10, queue_declare_args("q", false)),
                             method(1, 40, 30, Args{}.u16(0).sstr("dst").sstr("src").sstr("rk").u8(0).table({}).b),
                         }));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 12u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(h.messages()[i].role, MsgRole::kOneWay) << i;
  EXPECT_EQ(h.messages()[10].role, MsgRole::kRequest);
  EXPECT_EQ(h.messages()[11].role, MsgRole::kRequest);
  // Exchange.Bind reports the address it routes: source exchange + routing key.
  EXPECT_EQ(h.messages()[2].fields.get(Field::kEndpoint), "src.rk");
  EXPECT_EQ(h.messages()[4].fields.get(Field::kEndpoint), "x.rk");
  EXPECT_EQ(h.messages()[5].fields.get(Field::kEndpoint), "q");
}

TEST(AmqpParser, ResourcesOfGetReturnAndServerNamedQueue) {
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToServer, cat({method(1, 60, 70, Args{}.u16(0).sstr("jobs").u8(0).b), method(1, 50, 10, queue_declare_args(""))}));
  h.feed(Dir::kToClient,
         cat({method(1, 60, 71, Args{}.u64(1).u8(0).sstr("ex").sstr("key").u32(0).b),
              method(1, 50, 11, Args{}.sstr("amq.gen-Xy").u32(0).u32(0).b),
              method(1, 60, 50, Args{}.u16(312).sstr("NO_ROUTE").sstr("ex").sstr("nowhere").b),
              method(1, 60, 72, Args{}.sstr("").b)}));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 6u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kEndpoint), "jobs");
  EXPECT_TRUE(h.messages()[1].fields.get(Field::kEndpoint).empty());  // server-named queue: name in the reply
  EXPECT_EQ(h.messages()[2].fields.get(Field::kEndpoint), "ex.key");
  EXPECT_EQ(h.messages()[3].fields.get(Field::kEndpoint), "amq.gen-Xy");
  const L7Fields& ret = h.messages()[4].fields;
  EXPECT_EQ(ret.get(Field::kRequestType), "Basic.Return");
  EXPECT_EQ(ret.get(Field::kEndpoint), "ex.nowhere");
  EXPECT_EQ(ret.response_code, 312);
  EXPECT_EQ(ret.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(ret.get(Field::kResponseException), "NO_ROUTE");
  EXPECT_EQ(h.messages()[5].fields.get(Field::kRequestType), "Basic.GetEmpty");
}

// Records through the real pairing engine: request/response pairing per channel, FIFO.
struct Records : RecordSink {
  std::vector<FlowRecord> out;
  void on_record(FlowRecord& r) override { out.push_back(r); }
};

std::vector<FlowRecord> pair_all(const std::vector<std::pair<Dir, Bytes>>& steps) {
  Records recs;
  BufferPool pool;
  SessionPairing pairing(64, 64, 60'000'000, recs, pool);
  FlowSessions flow;
  flow.protocol = protocol_id("amqp");
  SessionPairing::FlowSink sink(pairing, flow);
  ParserOptions opts;
  StreamDriver drv;
  drv.attach(kAmqpDescriptor, ParserEnv{&opts, &pool});
  uint64_t ts = 1'000'000;
  for (const auto& [dir, b] : steps) {
    ParseContext ctx;
    ctx.sink = &sink;
    ctx.options = &opts;
    ctx.now_us = ts += 100;
    drv.on_stream_data(dir, b, ctx);
  }
  pairing.end_flow(flow);
  return recs.out;
}

TEST(AmqpParser, PairsPerChannelAndFromEitherSide) {
  const auto C = Dir::kToServer, S = Dir::kToClient;
  auto recs = pair_all({
      {C, kHeader091},
      {S, method(0, 10, 30, tune_args(4096))},  // the server asks
      {C, method(0, 10, 31, tune_args(4096))},
      {C, method(1, 50, 10, queue_declare_args("a"))},
      {C, method(2, 50, 10, queue_declare_args("b"))},
      {S, method(2, 50, 11, Args{}.sstr("b").u32(0).u32(0).b)},  // channel 2 answers first
      {S, method(1, 50, 11, Args{}.sstr("a").u32(0).u32(0).b)},
      {S, method(1, 20, 20, Args{}.u8(0).b)},  // Channel.Flow from the server
      {C, method(1, 20, 21, Args{}.u8(0).b)},
  });
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].l7.get(Field::kRequestType), "Protocol-Header");
  EXPECT_EQ(recs[1].l7.get(Field::kRequestType), "Connection.Tune");
  EXPECT_EQ(recs[1].type, RecordType::kSession);
  EXPECT_EQ(recs[2].l7.get(Field::kEndpoint), "b");
  EXPECT_EQ(recs[2].l7.response_length, 22u);  // 8 + ids 4 + "b" 2 + two counts 8
  EXPECT_EQ(recs[3].l7.get(Field::kEndpoint), "a");
  EXPECT_EQ(recs[4].l7.get(Field::kRequestType), "Channel.Flow");
  EXPECT_EQ(recs[4].type, RecordType::kSession);
}

// The broker reports a failed synchronous method by closing the channel: the Close answers the
// pending request (so it does not steal the reply of the channel's next use) and is itself a
// request answered by Close-Ok.
TEST(AmqpParser, ErrorCloseAnswersThePendingRequest) {
  const auto C = Dir::kToServer, S = Dir::kToClient;
  auto recs = pair_all({
      {C, method(1, 20, 10, Args{}.sstr("").b)},
      {S, method(1, 20, 11, Args{}.lstr("").b)},
      {C, method(1, 50, 10, Args{}.u16(0).sstr("missing").u8(0x01).table({}).b)},  // passive
      {S, method(1, 20, 40, close_args(404, "NOT_FOUND - no queue 'missing'", 50, 10))},
      {C, method(1, 20, 41)},
      {C, method(1, 20, 10, Args{}.sstr("").b)},  // channel number reused
      {S, method(1, 20, 11, Args{}.lstr("").b)},
      {C, method(0, 10, 40, open_args("/"))},
      {S, method(0, 10, 50, close_args(320, "CONNECTION_FORCED - broker shutdown"))},
      {C, method(0, 10, 51)},
  });
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs[1].l7.get(Field::kRequestType), "Queue.Declare");
  EXPECT_EQ(recs[1].type, RecordType::kSession);
  EXPECT_EQ(recs[1].l7.response_code, 404);
  EXPECT_EQ(recs[1].l7.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(recs[1].l7.get(Field::kResponseException), "NOT_FOUND - no queue 'missing'");
  EXPECT_EQ(recs[2].l7.get(Field::kRequestType), "Channel.Close");
  EXPECT_EQ(recs[2].l7.response_code, 404);
  EXPECT_EQ(recs[2].l7.response_status, ResponseStatus::kClientError);
  EXPECT_EQ(recs[2].l7.response_length, 12u);
  EXPECT_EQ(recs[3].l7.get(Field::kRequestType), "Channel.Open");
  EXPECT_EQ(recs[3].l7.response_length, 16u);
  EXPECT_EQ(recs[4].l7.get(Field::kRequestType), "Connection.Open");
  EXPECT_EQ(recs[4].l7.response_status, ResponseStatus::kServerError);
  EXPECT_EQ(recs[5].l7.get(Field::kRequestType), "Connection.Close");
  EXPECT_EQ(recs[5].l7.response_code, 320);
  EXPECT_EQ(recs[5].l7.get(Field::kResponseException), "CONNECTION_FORCED - broker shutdown");
  EXPECT_TRUE(recs[5].l7.get(Field::kResponseResult).empty());
}

TEST(AmqpParser, ReplyCodeClassesFollowTheSpecNotTheHundredsDigit) {
  constexpr Dir kBroker = Dir::kToClient, kClient = Dir::kToServer;
  EXPECT_EQ(amqp_reply_status(200, kBroker), ResponseStatus::kOk);
  EXPECT_EQ(amqp_reply_status(0, kClient), ResponseStatus::kOk);  // pika closes channels with code 0
  for (uint16_t c : {312, 313, 402, 403, 404, 405, 406, 530, 540})
    EXPECT_EQ(amqp_reply_status(c, kBroker), ResponseStatus::kClientError) << c;
  for (uint16_t c : {311, 320, 506, 541}) EXPECT_EQ(amqp_reply_status(c, kBroker), ResponseStatus::kServerError) << c;
  // "The sender sent a malformed frame": the fault of whoever the Close is sent to.
  for (uint16_t c : {501, 502, 503, 504, 505}) {
    EXPECT_EQ(amqp_reply_status(c, kBroker), ResponseStatus::kClientError) << c;
    EXPECT_EQ(amqp_reply_status(c, kClient), ResponseStatus::kServerError) << c;
  }
  // Codes the spec does not define: by class.
  EXPECT_EQ(amqp_reply_status(499, kBroker), ResponseStatus::kClientError);
  EXPECT_EQ(amqp_reply_status(599, kBroker), ResponseStatus::kServerError);
}

TEST(AmqpParser, VhostLastsUntilConnectionCloseOk) {
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToServer, method(0, 10, 40, open_args("vh1")));
  h.feed(Dir::kToClient, method(0, 10, 41, Args{}.sstr("").b));
  h.feed(Dir::kToServer, method(0, 10, 50, close_args(200, "bye")));
  h.feed(Dir::kToClient, method(0, 10, 51));
  h.feed(Dir::kToClient, heartbeat());
  ASSERT_EQ(h.messages().size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(h.messages()[i].fields.get(Field::kRequestDomain), "vh1") << i;
  EXPECT_TRUE(h.messages()[4].fields.get(Field::kRequestDomain).empty());
}

// ---- trace context from content-header properties ----

Bytes headers_with_every_field_type() {
  Args t;
  t.sstr("bool").u8('t').u8(1);
  t.sstr("i8").u8('b').u8(0xff);
  t.sstr("u8").u8('B').u8(7);
  t.sstr("i16").u8('s').u16(0xfffe);  // RabbitMQ's 's': signed 16-bit
  t.sstr("u16").u8('u').u16(9);
  t.sstr("i16b").u8('U').u16(9);
  t.sstr("i32").u8('I').u32(1);
  t.sstr("u32").u8('i').u32(1);
  t.sstr("i64").u8('l').u64(1);
  t.sstr("i64b").u8('L').u64(1);
  t.sstr("f").u8('f').u32(0);
  t.sstr("d").u8('d').u64(0);
  t.sstr("dec").u8('D').u8(2).u32(314);
  t.sstr("ts").u8('T').u64(1700000000);
  t.sstr("void").u8('V');
  t.sstr("bytes").u8('x').lstr("\x01\x02");
  // nested table and array holding what looks like a trace header: must not be used
  t.sstr("nested").u8('F').table(header_entry("traceparent", "00-11111111111111111111111111111111-2222222222222222-01"));
  t.sstr("arr").u8('A').table(Args{}.u8('S').lstr("x").u8('I').u32(5).b);
  t.raw(header_entry("sw8", "1-ODBlNzA2ZTMwZDk5NDk3ZGI5YmQ5MjVkZjNhMmRkYmI=-MzQ3NTQzNzEyMjllNDA3NGE4NGY4N2JlZjBkZTJhZjM=-1-c3Zj-aW5zdA==-L2dldA==-aG9zdDo4MA=="));
  t.raw(header_entry("traceparent", kTraceparent));
  t.raw(header_entry("x-request-id", "req-42"));
  return t.b;
}

TEST(AmqpParser, TraceHeadersAfterEveryFieldType) {
  static const std::string_view kReqIdHeaders[] = {"x-request-id"};
  ParserOptions opts;
  opts.x_request_id_headers = kReqIdHeaders;
  ParserHarness h(kAmqpDescriptor, opts);
  // content-type, content-encoding, headers, delivery-mode, then message-id after the table.
  Bytes props = Args{}.sstr("application/json").sstr("gzip").table(headers_with_every_field_type()).u8(2).sstr("m-1").b;
  h.feed(Dir::kToServer, content_header(1, 0, 0xE000 | 0x1000 | 0x0080, props));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 1u);
  const L7Fields& f = h.messages()[0].fields;
  EXPECT_EQ(f.get(Field::kRequestType), "Content-Header");
  EXPECT_EQ(f.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");  // traceparent preferred over sw8
  EXPECT_EQ(f.get(Field::kSpanId), "00f067aa0ba902b7");
  EXPECT_EQ(f.get(Field::kXRequestId), "req-42");
}

TEST(AmqpParser, Sw8AloneAndConfiguredTraceHeaders) {
  ParserHarness h(kAmqpDescriptor);
  Bytes sw8 = header_entry("sw8", "1-ODBlNzA2ZTMwZDk5NDk3ZGI5YmQ5MjVkZjNhMmRkYmI=-MzQ3NTQzNzEyMjllNDA3NGE4NGY4N2JlZjBkZTJhZjM=-1-c3Zj-aW5zdA==-L2dldA==-aG9zdDo4MA==");
  h.feed(Dir::kToServer, content_header(1, 0, 0x2000, Args{}.table(sw8).b));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kTraceId), "80e706e30d99497db9bd925df3a2ddbb");
  EXPECT_EQ(h.messages()[0].fields.get(Field::kSpanId), "34754371229e4074a84f87bef0de2af3-1");

  static const std::string_view kTraceHeaders[] = {"x-b3-traceid"};
  ParserOptions opts;
  opts.trace_id_headers = kTraceHeaders;
  ParserHarness h2(kAmqpDescriptor, opts);
  h2.feed(Dir::kToClient, content_header(1, 0, 0x2000, Args{}.table(header_entry("X-B3-TraceId", "abc123")).b));
  ASSERT_EQ(h2.messages().size(), 1u);
  EXPECT_EQ(h2.messages()[0].fields.get(Field::kTraceId), "abc123");
}

TEST(AmqpParser, UnknownFieldTypeStopsTheTableWalkOnly) {
  ParserHarness h(kAmqpDescriptor);
  Bytes table = cat({Args{}.sstr("odd").u8('?').u8(0).b, header_entry("traceparent", kTraceparent)});
  h.feed(Dir::kToServer, cat({content_header(1, 0, 0x2000, Args{}.table(table).b), heartbeat()}));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_TRUE(h.messages()[0].fields.get(Field::kTraceId).empty());
}

// ---- large frames, truncation, garbage, gaps ----

TEST(AmqpParser, LargeBodyIsSkippedNotBuffered) {
  ParserHarness h(kAmqpDescriptor);
  std::string big(200'000, 'x');
  Bytes stream = cat({method(1, 60, 40, publish_args("x", "k")), content_header(1, big.size(), 0, {}), body(1, big),
                      method(1, 90, 10)});
  h.feed_split(Dir::kToServer, stream, 1460);
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[2].fields.get(Field::kRequestType), "Content-Body");
  EXPECT_EQ(h.messages()[2].fields.request_length, 200'008u);
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestType), "Tx.Select");
}

TEST(AmqpParser, HeaderFrameLargerThanTheBufferIsReadFromItsPrefix) {
  ParserOptions opts;
  opts.max_buffered = 512;
  ParserHarness h(kAmqpDescriptor, opts);
  Bytes table = cat({header_entry("traceparent", kTraceparent), header_entry("padding", std::string(4000, 'p'))});
  Bytes stream = cat({content_header(1, 0, 0x2000, Args{}.table(table).b), heartbeat()});
  h.feed_split(Dir::kToServer, stream, 100);
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(h.messages()[0].fields.request_length, stream.size() - 8);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "Heartbeat");
}

TEST(AmqpParser, FrameOverNegotiatedFrameMaxIsAnError) {
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToServer, method(0, 10, 31, tune_args(4096)));
  h.feed(Dir::kToServer, body(1, std::string(5000, 'b')));
  EXPECT_EQ(h.errors(), 1u);
}

TEST(AmqpParser, TruncatedFrameWaitsWithoutError) {
  ParserHarness h(kAmqpDescriptor);
  Bytes f = method(0, 10, 40, open_args("/"));
  h.feed(Dir::kToServer, Bytes(f.begin(), f.end() - 1));
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_TRUE(h.messages().empty());
  h.feed(Dir::kToServer, Bytes(f.end() - 1, f.end()));
  ASSERT_EQ(h.messages().size(), 1u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestDomain), "/");
}

TEST(AmqpParser, BadFrameEndIsAnError) {
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToServer, frame(1, 0, Args{}.u16(90).u16(10).b, 0xCD));
  EXPECT_EQ(h.errors(), 1u);
  EXPECT_TRUE(h.messages().empty());
}

TEST(AmqpParser, GarbageAndBadFramesAreErrors) {
  for (const Bytes& bad : {test::bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Bytes{'A', 'M', 'Q', 'P', 0, 1, 0, 0},
                           Bytes{0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0}, frame(8, 0, {1, 2}),
                           frame(1, 0, {0, 10})}) {
    ParserHarness h(kAmqpDescriptor);
    h.feed(Dir::kToServer, bad);
    EXPECT_EQ(h.errors(), 1u);
    EXPECT_TRUE(h.messages().empty());
    EXPECT_FALSE(h.stopped());
  }
}

TEST(AmqpParser, ResyncsAfterAGap) {
  ParserHarness h(kAmqpDescriptor);
  Bytes big = body(1, std::string(3000, 'z'));
  h.feed(Dir::kToServer, Bytes(big.begin(), big.begin() + 1000));  // logged and skipped
  h.gap(Dir::kToServer);
  // After the gap: the tail of some frame (dropped quietly), then frames again.
  h.feed(Dir::kToServer, Bytes(500, 'z'));
  h.feed(Dir::kToServer, cat({method(1, 90, 20), heartbeat()}));
  EXPECT_EQ(h.errors(), 0u);
  ASSERT_EQ(h.messages().size(), 3u);
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "Tx.Commit");
  // Framing is trusted again: garbage now counts.
  h.feed(Dir::kToServer, Bytes(20, 0x55));
  EXPECT_EQ(h.errors(), 1u);
}

// Where each frame (or protocol header) of a well-formed stream ends.
std::vector<std::size_t> frame_ends(const Bytes& b) {
  std::vector<std::size_t> ends;
  std::size_t off = 0;
  while (off < b.size()) {
    if (b[off] == 'A') {
      off += 8;
    } else {
      const uint32_t size = (uint32_t{b[off + 3]} << 24) | (uint32_t{b[off + 4]} << 16) | (uint32_t{b[off + 5]} << 8) | b[off + 6];
      off += 8 + size;
    }
    ends.push_back(off);
  }
  return ends;
}

// After whatever came before, a gap and then valid frames parse again.
void expect_recovers(ParserHarness& h, Dir dir, const std::string& context) {
  h.gap(dir);
  h.feed(dir, cat({method(1, 90, 20), heartbeat()}));
  ASSERT_GE(h.messages().size(), 2u) << context;
  EXPECT_EQ(h.messages()[h.messages().size() - 2].fields.get(Field::kRequestType), "Tx.Commit") << context;
  EXPECT_EQ(h.messages().back().fields.get(Field::kRequestType), "Heartbeat") << context;
}

TEST(AmqpParser, RandomBytesAndTruncationsNeverCrash) {
  std::mt19937 rng(1234);
  Bytes all;
  for (const auto& step : full_conversation().steps) all.insert(all.end(), step.second.begin(), step.second.end());
  const std::vector<std::size_t> ends = frame_ends(all);
  ASSERT_EQ(ends.back(), all.size());
  std::array<std::vector<std::string>, 2> clean;  // the messages of the intact stream, per direction
  for (const Dir d : {Dir::kToServer, Dir::kToClient}) {
    ParserHarness h(kAmqpDescriptor);
    h.feed(d, all);
    ASSERT_EQ(h.errors(), 0u);
    ASSERT_EQ(h.messages().size(), ends.size());
    for (const Message& m : h.messages()) clean[static_cast<int>(d)].push_back(describe(m));
  }
  // Corrupt a few bytes, cut at a random point, feed in random chunks: every frame before the
  // first damaged byte is parsed as in the intact stream, the tail never exceeds its bound.
  for (int round = 0; round < 300; ++round) {
    const Dir dir = round % 2 ? Dir::kToServer : Dir::kToClient;
    ParserHarness h(kAmqpDescriptor);
    Bytes b = all;
    std::size_t first_bad = b.size();
    for (int k = 0; k < round % 5; ++k) {
      const std::size_t at = rng() % b.size();
      const auto v = static_cast<uint8_t>(rng());
      if (v != b[at]) first_bad = std::min(first_bad, at);
      b[at] = v;
    }
    b.resize(rng() % b.size());
    first_bad = std::min(first_bad, b.size());
    std::size_t off = 0;
    while (off < b.size()) {
      std::size_t n = 1 + rng() % 200;
      n = std::min(n, b.size() - off);
      h.feed(dir, std::span<const uint8_t>(b.data() + off, n));
      off += n;
      EXPECT_LE(h.driver().buffered(dir), h.options().max_buffered);
    }
    const std::size_t intact = static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), first_bad) - ends.begin());
    const std::string context = "round " + std::to_string(round);
    ASSERT_GE(h.messages().size(), intact) << context;
    for (std::size_t i = 0; i < intact; ++i)
      EXPECT_EQ(describe(h.messages()[i]), clean[static_cast<int>(dir)][i]) << context << " frame " << i;
    expect_recovers(h, dir, context);
  }
  // Random bytes: almost never a frame (the first byte alone rules out 251 of 256 values), each
  // stream that is not counts an error (or a refused length); valid frames parse afterwards.
  uint32_t refused = 0;
  for (int round = 0; round < 200; ++round) {
    ParserHarness h(kAmqpDescriptor);
    Bytes b(1 + rng() % 400);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    h.feed(Dir::kToClient, b);
    EXPECT_TRUE(h.messages().empty()) << "round " << round;
    refused += h.errors() + h.oversize();
    expect_recovers(h, Dir::kToClient, "random round " + std::to_string(round));
  }
  EXPECT_GE(refused, 190u);
}

// ---- length bombs ----

// A frame header declaring a size beyond the maximum message size (64 MiB for AMQP by default)
// is garbage: counted, nothing logged for it, and the frames after it parse, in the same segment
// or the next.
TEST(AmqpParser, FrameSizeBombResyncs) {
  EXPECT_EQ(kAmqpDescriptor.default_max_message, 64u << 20);
  const Bytes bomb = Args{}.u8(1).u16(1).u32(0xfffffff0).u16(60).u16(40).b;  // Basic.Publish, 4 GiB
  for (const bool same_segment : {false, true}) {
    ParserHarness h(kAmqpDescriptor);
    const uint64_t in_use = h.pool().in_use();
    const Bytes after = cat({method(1, 90, 20), heartbeat()});
    if (same_segment) {
      h.feed(Dir::kToServer, cat({bomb, after}));
    } else {
      h.feed(Dir::kToServer, bomb);
      h.feed(Dir::kToServer, after);
    }
    ASSERT_EQ(h.messages().size(), 2u) << same_segment;
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "Tx.Commit") << same_segment;
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "Heartbeat") << same_segment;
    EXPECT_EQ(h.oversize(), 1u) << same_segment;
    EXPECT_EQ(h.resyncs(), 1u) << same_segment;
    EXPECT_EQ(h.errors(), 0u) << same_segment;
    EXPECT_EQ(h.skipped_bytes(), 0u) << same_segment;
    EXPECT_EQ(h.pool().in_use(), in_use) << same_segment;
  }
}

// A body frame declaring 50 MiB (within the maximum) starts a skip; the next segment being whole
// frames proves the size wrong: the skip is abandoned and they parse.
TEST(AmqpParser, BodySkipContradictedByTheNextSegment) {
  ParserHarness h(kAmqpDescriptor);
  const Bytes head = Args{}.u8(3).u16(1).u32(50u << 20).raw(Bytes(100, 'b')).b;
  h.feed(Dir::kToServer, head);
  h.feed(Dir::kToServer, cat({method(1, 60, 40, publish_args("x", "k")), content_header(1, 5, 0, {})}));
  h.feed(Dir::kToServer, body(1, "hello"));
  ASSERT_EQ(h.messages().size(), 4u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "Content-Body");  // logged from its prefix
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "Basic.Publish");
  EXPECT_EQ(h.messages()[3].fields.get(Field::kRequestType), "Content-Body");
  EXPECT_EQ(h.resyncs(), 1u);
  EXPECT_EQ(h.oversize(), 0u);
  EXPECT_EQ(h.errors(), 0u);
  // A real large body is skipped to its end: its bytes (no frames in them) never stop the skip.
  ParserHarness h2(kAmqpDescriptor);
  const std::string big(300'000, 'x');
  h2.feed_split(Dir::kToServer, cat({body(1, big), method(1, 90, 20)}), 1460);
  ASSERT_EQ(h2.messages().size(), 2u);
  EXPECT_EQ(h2.messages()[1].fields.get(Field::kRequestType), "Tx.Commit");
  EXPECT_EQ(h2.resyncs(), 0u);
  EXPECT_EQ(h2.skipped_bytes(), big.size() + 8 - 1460);
}

// Nested lengths at their maxima inside intact frames: a headers table, a long string, a nested
// table and an array declaring 4 GiB. Each is bounded by its frame: the frame is logged as far as
// it can be read, nothing is allocated for it, and the next frame parses.
TEST(AmqpParser, NestedLengthBombs) {
  std::vector<Bytes> tables = {
      Args{}.u32(0xffffffff).raw(header_entry("traceparent", kTraceparent)).b,  // table length
      Args{}.table(Args{}.sstr("traceparent").u8('S').u32(0xffffffff).raw(test::bytes_of("00-4b")).b).b,
      Args{}.table(cat({Args{}.sstr("nested").u8('F').u32(0xfffffff0).b, header_entry("traceparent", kTraceparent)})).b,
      Args{}.table(cat({Args{}.sstr("list").u8('A').u32(0x7fffffff).b, header_entry("traceparent", kTraceparent)})).b,
  };
  for (std::size_t i = 0; i < tables.size(); ++i) {
    ParserHarness h(kAmqpDescriptor);
    const uint64_t in_use = h.pool().in_use();
    h.feed(Dir::kToServer, cat({content_header(1, 0, 0x2000, tables[i]), heartbeat()}));
    ASSERT_EQ(h.messages().size(), 2u) << i;
    EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "Content-Header") << i;
    // A table longer than its frame is walked as far as the frame goes; a trace header only
    // reachable past a value length that cannot be right is never read.
    if (i == 0)
      EXPECT_EQ(h.messages()[0].fields.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");
    else
      EXPECT_TRUE(h.messages()[0].fields.get(Field::kTraceId).empty()) << i;
    EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "Heartbeat") << i;
    EXPECT_EQ(h.errors(), 0u) << i;
    EXPECT_EQ(h.pool().in_use(), in_use) << i;
  }
  // Method arguments: Connection.Start's server-properties table and a long string of 4 GiB.
  ParserHarness h(kAmqpDescriptor);
  h.feed(Dir::kToClient, cat({method(0, 10, 10, Args{}.u8(0).u8(9).u32(0xffffffff).u32(0xffffffff).b), heartbeat()}));
  ASSERT_EQ(h.messages().size(), 2u);
  EXPECT_EQ(h.messages()[0].fields.get(Field::kRequestType), "Connection.Start");
  EXPECT_EQ(h.messages()[1].fields.get(Field::kRequestType), "Heartbeat");
}

// ---- detection ----

TEST(AmqpProbe, AcceptsProtocolHeadersAndWholeFrames) {
  auto probe = [](const Bytes& b) { return probe_amqp(Dir::kToServer, b); };
  EXPECT_EQ(probe(kHeader091), ProbeVerdict::kYes);
  EXPECT_EQ(probe(Bytes{'A', 'M', 'Q', 'P', 1, 1, 0, 9}), ProbeVerdict::kYes);
  EXPECT_EQ(probe(Bytes{'A', 'M', 'Q', 'P', 1, 1, 8, 0}), ProbeVerdict::kYes);
  EXPECT_EQ(probe(Bytes{'A', 'M', 'Q'}), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe(method(0, 10, 10, Args{}.u8(0).u8(9).table({}).lstr("PLAIN").lstr("en_US").b)), ProbeVerdict::kYes);
  EXPECT_EQ(probe(cat({method(1, 60, 40, publish_args("x", "k")), content_header(1, 1, 0, {})})), ProbeVerdict::kYes);
  EXPECT_EQ(probe(content_header(1, 5, 0, {})), ProbeVerdict::kYes);
  EXPECT_EQ(probe(heartbeat()), ProbeVerdict::kYes);
  Bytes partial = method(1, 60, 40, publish_args("exchange", "key"));
  partial.resize(partial.size() - 3);
  EXPECT_EQ(probe(partial), ProbeVerdict::kMaybe);
  EXPECT_EQ(probe(Bytes{1, 0}), ProbeVerdict::kMaybe);
}

TEST(AmqpProbe, RejectsOtherProtocols) {
  auto probe = [](const Bytes& b) { return probe_amqp(Dir::kToServer, b); };
  EXPECT_EQ(probe(test::bytes_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n")), ProbeVerdict::kNo);
  EXPECT_EQ(probe(test::bytes_of("HTTP/1.1 200 OK\r\n\r\n")), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{'A', 'M', 'Q', 'P', 0, 1, 0, 0}), ProbeVerdict::kNo);  // AMQP 1.0
  EXPECT_EQ(probe(Bytes{'A', 'M', 'Q', 'P', 3, 1, 0, 0}), ProbeVerdict::kNo);  // AMQP 1.0 SASL
  EXPECT_EQ(probe(Bytes{'A', 'B', 'C', 'D'}), ProbeVerdict::kNo);
  // TLS ClientHello, DNS query, MQTT CONNECT
  EXPECT_EQ(probe(Bytes{0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03}), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 3, 'w', 'w', 'w', 0,
                        0, 1, 0, 1}),
            ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c}), ProbeVerdict::kNo);
  // Frame-shaped but wrong: unknown method, bad frame end, oversized, heartbeat with payload.
  EXPECT_EQ(probe(method(0, 10, 12)), ProbeVerdict::kNo);
  EXPECT_EQ(probe(frame(1, 0, Args{}.u16(90).u16(10).b, 0x00)), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{1, 0, 0, 0x7f, 0, 0, 0, 0, 10, 0, 10}), ProbeVerdict::kNo);
  EXPECT_EQ(probe(Bytes{8, 0, 0, 0, 0, 0, 1, 0}), ProbeVerdict::kNo);
  EXPECT_EQ(probe(body(1, "hello")), ProbeVerdict::kNo);
  std::mt19937 rng(99);
  int yes = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes b(64);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (probe(b) == ProbeVerdict::kYes) ++yes;
  }
  EXPECT_EQ(yes, 0);
}

TEST(AmqpProbe, DescriptorAndSignaturesCompile) {
  EXPECT_EQ(protocol_by_id(protocol_id("amqp")), &kAmqpDescriptor);
  EXPECT_EQ(kAmqpDescriptor.transports, kTcp);
  EXPECT_EQ(kAmqpDescriptor.name, "amqp");
  ASSERT_FALSE(kAmqpDescriptor.default_ports.empty());
  EXPECT_EQ(kAmqpDescriptor.default_ports[0], 5672);
  {  // the factory builds a parser in pool memory and the pool gets it back
    BufferPool pool;
    ParserOptions opts;
    StreamDriver drv;
    ASSERT_TRUE(drv.attach(kAmqpDescriptor, ParserEnv{&opts, &pool}));
    EXPECT_GT(pool.in_use(), 0u);
    drv.reset();
    EXPECT_EQ(pool.in_use(), 0u);
  }

  const test::SignatureMatcher sigs(kAmqpDescriptor);
  ASSERT_TRUE(sigs.ok()) << sigs.error();
  EXPECT_TRUE(sigs.matches(kHeader091));
  EXPECT_TRUE(sigs.matches(Bytes{'A', 'M', 'Q', 'P', 1, 1, 0, 9}));
  EXPECT_TRUE(sigs.matches(method(0, 10, 10, Args{}.u8(0).u8(9).b)));
  EXPECT_TRUE(sigs.matches(method(7, 60, 40, publish_args("x", "k"))));
  EXPECT_TRUE(sigs.matches(content_header(1, 5, 0, {})));
  EXPECT_TRUE(sigs.matches(heartbeat()));
  EXPECT_FALSE(sigs.matches(test::bytes_of("GET / HTTP/1.1\r\n\r\n")));
  EXPECT_FALSE(sigs.matches(Bytes{'A', 'M', 'Q', 'P', 0, 1, 0, 0}));
  EXPECT_FALSE(sigs.matches(Bytes{0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03}));
}

}  // namespace
}  // namespace l7tap
