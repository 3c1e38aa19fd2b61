// AMQP 0-9-1 conversations (a publisher or a consumer and a RabbitMQ-like broker): protocol
// header, Connection.Start/StartOk, Tune/TuneOk + Open/OpenOk (refused for a share with
// Connection.Close 530, §1.4.2.7), Channel.Open/OpenOk, Basic.Qos for consumers, then exchanges —
// Exchange.Declare, Queue.Declare, Queue.Bind, Basic.Consume (each refused for a share: the broker
// closes the channel with 403/404/405/406 instead of the -Ok, and the client reopens another),
// Basic.Publish and Basic.Deliver with content header and body frames (bodies split at frame-max),
// Basic.Ack, Basic.Get/GetOk/GetEmpty, heartbeats — then Channel.Close, Connection.Close, FIN.
//
// Expected records (README "AMQP 0-9-1"): synchronous methods pair with their -Ok per channel;
// a broker's error Close answers the pending request with its reply code (status from README's
// reply-code table: 403-406 and 530 client_error) and is itself a request answered by Close-Ok;
// the protocol header, Basic.Publish, Basic.Deliver, Basic.Ack, content header and body frames and
// heartbeats are one-way.
#include <algorithm>
#include <array>
#include <utility>

#include "tools/gen/proto_amqp.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t {
  kNProtocolHeader, kNStart, kNTune, kNOpen, kNConnClose, kNChOpen, kNChClose, kNExDeclare, kNQDeclare, kNQBind,
  kNQos, kNConsume, kNPublish, kNDeliver, kNAck, kNGet, kNContentHeader, kNContentBody, kNHeartbeat,
};
constexpr std::array<std::string_view, 19> kNames = {
    "Protocol-Header", "Connection.Start", "Connection.Tune",  "Connection.Open", "Connection.Close",
    "Channel.Open",    "Channel.Close",    "Exchange.Declare", "Queue.Declare",   "Queue.Bind",
    "Basic.Qos",       "Basic.Consume",    "Basic.Publish",    "Basic.Deliver",   "Basic.Ack",
    "Basic.Get",       "Content-Header",   "Content-Body",     "Heartbeat"};

enum Kind : uint8_t {
  kHeader, kStart, kStartOk, kTune, kTuneOkOpen, kOpenOk, kConnCloseErr, kConnCloseOkC, kChOpen, kChOpenOk, kQos,
  kQosOk, kExDeclare, kExDeclareOk, kQDeclare, kQDeclareOk, kQBind, kQBindOk, kConsume, kConsumeOk, kChCloseErr,
  kChCloseOkC, kPublish, kDeliver, kAck, kGet, kGetOk, kGetEmpty, kHeartbeatC, kHeartbeatS, kChClose, kChCloseOkS,
  kConnClose, kConnCloseOkS,
};

// Conv fields: pid[0] = channel; id = last delivery tag; aux = reply code of the pending error
// (0: the request succeeds); step = Name of the pending synchronous request; size = body bytes.
constexpr uint8_t kConsuming = 1, kConsumerClient = 2, kQosDone = 4;

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;
constexpr uint32_t kFrameMax = 131072;  // RabbitMQ's default, agreed in Tune/TuneOk
constexpr uint32_t kMaxBody = kFrameMax - 8;  // frame-max counts the 7-byte header and frame-end

// README's reply-code table, for codes the broker sends: whose fault each code is per the spec
// (311 content-too-large, 320 connection-forced, 506 resource-error, 541 internal-error are the
// server's; 501-505 blame the sender of the bad frame, the client when the broker closes).
Status status_of(uint32_t code) {
  if (code < 300) return Status::kOk;
  switch (code) {
    case 311:
    case 320:
    case 506:
    case 541: return Status::kServerError;
    case 312: case 313: case 402: case 403: case 404: case 405: case 406:
    case 501: case 502: case 503: case 504: case 505: case 530: case 540: return Status::kClientError;
    default: return code >= 400 && code < 500 ? Status::kClientError : Status::kServerError;
  }
}

uint32_t body_frames(uint32_t size) { return (size + kMaxBody - 1) / kMaxBody; }

// A synchronous request: refused (with one of `codes`) for a share.
template <std::size_t N>
void plan_request(Conv& c, Env& e, Kind k, Name n, const std::array<uint16_t, N>& codes) {
  c.step = n;
  c.aux = refuse(c, e) ? codes[below(c.rng, N)] : 0;
  plan(c, kC, k);
}

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) {
    if (c.rst) return finish(c, kC, true);
    return plan(c, kC, kChClose);
  }
  const bool consuming = (c.flags & kConsuming) != 0;
  const uint32_t r = below(c.rng, 100);
  if (r < 40) {
    c.size = payload_size(c, e);
    return plan(c, kC, kPublish);
  }
  if (r < 58 && consuming) {
    c.size = payload_size(c, e);
    ++c.id;
    return plan(c, kS, kDeliver);
  }
  if (r < 66) return plan_request(c, e, kQDeclare, kNQDeclare, std::array<uint16_t, 3>{404, 405, 406});
  if (r < 71) return plan_request(c, e, kExDeclare, kNExDeclare, std::array<uint16_t, 2>{403, 406});
  if (r < 76) return plan_request(c, e, kQBind, kNQBind, std::array<uint16_t, 2>{404, 403});
  if (r < 84 && !consuming) return plan_request(c, e, kConsume, kNConsume, std::array<uint16_t, 2>{404, 403});
  if (r < 92) {
    c.step = kNGet;
    c.aux = 0;
    c.size = payload_size(c, e);
    return plan(c, kC, kGet);
  }
  plan(c, r < 96 ? kC : kS, r < 96 ? kHeartbeatC : kHeartbeatS);
}

// --- encoding --------------------------------------------------------------------------------

std::string_view vhost(const Conv& c) { return c.serial % 5 == 0 ? "/prod" : "/"; }

Text<48> queue_name(const Conv& c) {
  Text<48> t;
  t.add("q.").hex(c.serial & 0xFFFFFF, 6).add(".").num(c.pid[0]);
  return t;
}

Text<32> exchange_name(const Conv& c) {
  Text<32> t;
  t.add("ex.events.").num(c.serial % 16);
  return t;
}

Text<64> routing_key(Rng& r) {
  static constexpr std::string_view kA[] = {"orders", "payments", "users", "metrics"};
  static constexpr std::string_view kB[] = {"eu", "us", "ap"};
  static constexpr std::string_view kC3[] = {"created", "updated", "deleted"};
  Text<64> t;
  t.add(kA[r.below(4)]).add(".").add(kB[r.below(3)]).add(".").add(kC3[r.below(3)]);
  return t;
}

Text<200> reply_text(const Conv& c, uint32_t code) {
  Text<200> t;
  const Text<48> q = queue_name(c);
  const Text<32> x = exchange_name(c);
  const bool on_exchange = c.step == kNExDeclare;
  switch (code) {
    case amqp::kAccessRefused:
      t.add("ACCESS_REFUSED - access to ").add(on_exchange ? "exchange '" : "queue '");
      t.add(on_exchange ? x.view() : q.view()).add("' in vhost '").add(vhost(c)).add("' refused for user 'guest'");
      break;
    case amqp::kNotFound:
      if (c.step == kNQBind) {
        t.add("NOT_FOUND - no exchange '").add(x.view());
      } else {
        t.add("NOT_FOUND - no queue '").add(q.view());
      }
      t.add("' in vhost '").add(vhost(c)).add("'");
      break;
    case amqp::kResourceLocked:
      t.add("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '").add(q.view());
      t.add("' in vhost '").add(vhost(c)).add("'");
      break;
    case amqp::kPreconditionFailed:
      t.add("PRECONDITION_FAILED - inequivalent arg 'durable' for ").add(on_exchange ? "exchange '" : "queue '");
      t.add(on_exchange ? x.view() : q.view()).add("' in vhost '").add(vhost(c));
      t.add("': received 'true' but current is 'false'");
      break;
    case amqp::kNotAllowed:
      t.add("NOT_ALLOWED - access to vhost '").add(vhost(c)).add("' refused for user 'guest'");
      break;
    default: t.add("Goodbye"); break;
  }
  return t;
}

// The failing method's class and method ids, which Close carries (§1.4.2.5, §1.5.2.5).
std::pair<uint16_t, uint16_t> failing_method(uint8_t name) {
  switch (name) {
    case kNExDeclare: return {amqp::kClassExchange, 10};
    case kNQDeclare: return {amqp::kClassQueue, 10};
    case kNQBind: return {amqp::kClassQueue, 20};
    case kNConsume: return {amqp::kClassBasic, 20};
    case kNOpen: return {amqp::kClassConnection, 40};
    default: return {0, 0};
  }
}

// Content header + body frames of one message (§4.2.6).
void content(const Conv& c, const Env& e, Rng& r, Writer& w) {
  const Text<64> trace = traceparent(r);
  Text<24> msg_id;
  msg_id.add("msg-").hex(r.next(), 12);
  const std::array<amqp::Field, 2> headers = {{{"traceparent", 'S', trace.view()}, {"x-retry", 'I', {}, 0}}};
  amqp::Properties p;
  p.content_type = "application/json";
  p.delivery_mode = static_cast<uint8_t>(r.chance(0.5) ? 2 : 1);
  p.has_headers = r.chance(0.4);
  p.headers = std::span(headers.data(), r.chance(0.75) ? 2 : 1);
  p.message_id = msg_id.view();
  p.timestamp = 1700000000 + c.serial % 100000;
  p.app_id = "l7tap-gen";
  const uint16_t ch = c.pid[0];
  amqp::content_header(w, ch, c.size, p);
  const std::span<const uint8_t> body = payload(e, r, c.size);
  for (std::size_t off = 0; off < body.size(); off += kMaxBody)
    amqp::content_body(w, ch, body.subspan(off, std::min<std::size_t>(kMaxBody, body.size() - off)));
}

void encode_start(Writer& w) {
  static constexpr std::array<amqp::Field, 6> kCaps = {{{"publisher_confirms", 't', {}, 1},
                                                        {"exchange_exchange_bindings", 't', {}, 1},
                                                        {"basic.nack", 't', {}, 1},
                                                        {"consumer_cancel_notify", 't', {}, 1},
                                                        {"connection.blocked", 't', {}, 1},
                                                        {"authentication_failure_close", 't', {}, 1}}};
  static constexpr std::array<amqp::Field, 6> kServer = {
      {{"capabilities", 'F', {}, 0, kCaps.data(), kCaps.size()},
       {"cluster_name", 'S', "rabbit@mq-1.internal"},
       {"copyright", 'S', "Copyright (c) 2007-2023 VMware, Inc. or its affiliates."},
       {"platform", 'S', "Erlang/OTP 25.3.2"},
       {"product", 'S', "RabbitMQ"},
       {"version", 'S', "3.12.4"}}};
  amqp::connection_start(w, kServer, "AMQPLAIN PLAIN", "en_US");
}

void encode_start_ok(const Conv& c, Writer& w) {
  static constexpr std::array<amqp::Field, 3> kCaps = {{{"publisher_confirms", 't', {}, 1},
                                                        {"consumer_cancel_notify", 't', {}, 1},
                                                        {"connection.blocked", 't', {}, 1}}};
  Text<32> name;
  name.add("gen-").hex(client_key(0, c.serial), 8);
  const std::array<amqp::Field, 4> client = {{{"product", 'S', "l7tap-gen"},
                                              {"platform", 'S', "C++"},
                                              {"capabilities", 'F', {}, 0, kCaps.data(), kCaps.size()},
                                              {"connection_name", 'S', name.view()}}};
  amqp::connection_start_ok(w, client, "PLAIN", std::string_view("\0guest\0guest", 12), "en_US");
}

}  // namespace

std::span<const std::string_view> amqp_names() { return kNames; }

void amqp_start(Conv& c, Env&) {
  if (chance(c.rng, 0.4)) c.flags |= kConsumerClient;
  c.pid[0] = 1;
  plan(c, kC, kHeader);
}

void amqp_encode(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  const uint16_t ch = c.pid[0];
  const Text<48> q = queue_name(c);
  switch (c.kind) {
    case kHeader: return amqp::protocol_header(w);
    case kStart: return encode_start(w);
    case kStartOk: return encode_start_ok(c, w);
    case kTune: return amqp::connection_tune(w, 2047, kFrameMax, 60);
    case kTuneOkOpen:  // clients send TuneOk and Open back to back
      amqp::connection_tune_ok(w, 2047, kFrameMax, 60);
      return amqp::connection_open(w, vhost(c));
    case kOpenOk: return amqp::connection_open_ok(w);
    case kConnCloseErr:
    case kChCloseErr: {
      const auto [cls, mth] = failing_method(c.step);
      const Text<200> text = reply_text(c, c.aux);
      if (c.kind == kConnCloseErr) return amqp::connection_close(w, static_cast<uint16_t>(c.aux), text.view(), cls, mth);
      return amqp::channel_close(w, ch, static_cast<uint16_t>(c.aux), text.view(), cls, mth);
    }
    case kConnCloseOkC:
    case kConnCloseOkS: return amqp::connection_close_ok(w);
    case kChOpen: return amqp::channel_open(w, ch);
    case kChOpenOk: return amqp::channel_open_ok(w, ch);
    case kQos: return amqp::basic_qos(w, ch, static_cast<uint16_t>(10 + r.below(200)));
    case kQosOk: return amqp::basic_qos_ok(w, ch);
    case kExDeclare:
      return amqp::exchange_declare(w, ch, exchange_name(c).view(), "topic", c.aux != amqp::kPreconditionFailed);
    case kExDeclareOk: return amqp::exchange_declare_ok(w, ch);
    case kQDeclare:
      // A passive declare checks that the queue exists: what meets 404 NOT_FOUND.
      return amqp::queue_declare(w, ch, q.view(), true, c.aux == amqp::kNotFound, c.aux == amqp::kResourceLocked);
    case kQDeclareOk: return amqp::queue_declare_ok(w, ch, q.view(), r.below(1000), r.below(3));
    case kQBind: return amqp::queue_bind(w, ch, q.view(), exchange_name(c).view(), routing_key(r).view());
    case kQBindOk: return amqp::queue_bind_ok(w, ch);
    case kConsume: {
      Text<32> tag;
      tag.add("ctag-").num(c.serial % 100000);
      return amqp::basic_consume(w, ch, q.view(), tag.view(), false);
    }
    case kConsumeOk: {
      Text<32> tag;
      tag.add("ctag-").num(c.serial % 100000);
      return amqp::basic_consume_ok(w, ch, tag.view());
    }
    case kChCloseOkC:
    case kChCloseOkS: return amqp::channel_close_ok(w, ch);
    case kPublish:
      amqp::basic_publish(w, ch, r.chance(0.3) ? std::string_view() : std::string_view("amq.topic"),
                          routing_key(r).view());
      return content(c, e, r, w);
    case kDeliver: {
      Text<32> tag;
      tag.add("ctag-").num(c.serial % 100000);
      amqp::basic_deliver(w, ch, tag.view(), c.id, false, "amq.topic", routing_key(r).view());
      return content(c, e, r, w);
    }
    case kAck: return amqp::basic_ack(w, ch, c.id);
    case kGet: return amqp::basic_get(w, ch, q.view(), false);
    case kGetOk:
      amqp::basic_get_ok(w, ch, c.id, false, "amq.topic", routing_key(r).view(), r.below(100));
      return content(c, e, r, w);
    case kGetEmpty: return amqp::basic_get_empty(w, ch);
    case kHeartbeatC:
    case kHeartbeatS: return amqp::heartbeat(w);
    case kChClose: return amqp::channel_close(w, ch, amqp::kReplySuccess, "Goodbye");
    case kConnClose: return amqp::connection_close(w, amqp::kReplySuccess, "Normal shutdown");
    default: return;
  }
}

void amqp_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kAmqp;
  auto content_records = [&](Name method) {
    expect(e, p, method);
    expect(e, p, kNContentHeader);
    expect(e, p, kNContentBody, Status::kOk, RecordType::kSession, body_frames(c.size));
  };
  switch (c.kind) {
    case kHeader:
      expect(e, p, kNProtocolHeader);
      return plan(c, kS, kStart);
    case kStart: return plan(c, kC, kStartOk);
    case kStartOk:
      expect(e, p, kNStart);
      return plan(c, kS, kTune);
    case kTune:
      c.step = kNOpen;
      c.aux = refuse(c, e) ? amqp::kNotAllowed : 0;
      return plan(c, kC, kTuneOkOpen);
    case kTuneOkOpen:
      expect(e, p, kNTune);
      if (abort_after_request(c, e, kNOpen)) return;
      return plan(c, kS, c.aux != 0 ? kConnCloseErr : kOpenOk);
    case kOpenOk:
      expect(e, p, kNOpen);
      return plan(c, kC, kChOpen);
    case kConnCloseErr:  // answers Connection.Open; is itself a request answered by Close-Ok
      expect(e, p, kNOpen, status_of(c.aux));
      return plan(c, kC, kConnCloseOkC);
    case kConnCloseOkC:
      expect(e, p, kNConnClose, status_of(c.aux));
      return finish(c, kS);  // the peer that sent Close closes the socket once it has Close-Ok
    case kChOpen:
      if (abort_after_request(c, e, kNChOpen)) return;
      return plan(c, kS, kChOpenOk);
    case kChOpenOk:
      expect(e, p, kNChOpen);
      if ((c.flags & (kConsumerClient | kQosDone)) == kConsumerClient) {
        c.flags |= kQosDone;
        return plan(c, kC, kQos);
      }
      return next_exchange(c, e);
    case kQos:
      if (abort_after_request(c, e, kNQos)) return;
      return plan(c, kS, kQosOk);
    case kQosOk:
      expect(e, p, kNQos);
      return next_exchange(c, e);
    case kExDeclare:
    case kQDeclare:
    case kQBind:
    case kConsume:
      if (abort_after_request(c, e, c.step)) return;
      if (c.aux != 0) return plan(c, kS, kChCloseErr);
      return plan(c, kS, static_cast<uint8_t>(c.kind + 1));  // the -Ok follows its request in Kind
    case kExDeclareOk:
    case kQDeclareOk:
    case kQBindOk:
    case kConsumeOk:
      expect(e, p, c.step);
      if (c.kind == kConsumeOk) c.flags |= kConsuming;
      return next_exchange(c, e);
    case kChCloseErr:
      expect(e, p, c.step, status_of(c.aux));
      return plan(c, kC, kChCloseOkC);
    case kChCloseOkC:
      // The channel is gone with its consumer; the client goes on on a new one.
      expect(e, p, kNChClose, status_of(c.aux));
      c.aux = 0;
      c.flags &= static_cast<uint8_t>(~kConsuming);
      c.pid[0] = static_cast<uint16_t>(c.pid[0] % 2047 + 1);
      return plan(c, kC, kChOpen);
    case kPublish:
      content_records(kNPublish);
      return next_exchange(c, e);
    case kDeliver:
      content_records(kNDeliver);
      return plan(c, kC, kAck);
    case kAck:
      expect(e, p, kNAck);
      return next_exchange(c, e);
    case kGet:
      if (abort_after_request(c, e, kNGet)) return;
      if (chance(c.rng, 0.3)) return plan(c, kS, kGetEmpty);
      ++c.id;
      return plan(c, kS, kGetOk);
    case kGetOk:
      expect(e, p, kNGet);
      expect(e, p, kNContentHeader);
      expect(e, p, kNContentBody, Status::kOk, RecordType::kSession, body_frames(c.size));
      return next_exchange(c, e);
    case kGetEmpty:
      expect(e, p, kNGet);
      return next_exchange(c, e);
    case kHeartbeatC:
    case kHeartbeatS:
      expect(e, p, kNHeartbeat);
      return next_exchange(c, e);
    case kChClose: return plan(c, kS, kChCloseOkS);
    case kChCloseOkS:
      expect(e, p, kNChClose);
      return plan(c, kC, kConnClose);
    case kConnClose: return plan(c, kS, kConnCloseOkS);
    case kConnCloseOkS:
      expect(e, p, kNConnClose);
      return finish(c, kC);
    default: return;
  }
}

}  // namespace gen::detail
