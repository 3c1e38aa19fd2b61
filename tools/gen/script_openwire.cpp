// OpenWire conversations (an ActiveMQ JMS client and broker): each side's WireFormatInfo (tight
// encoding with the marshalling cache for most clients, loose for a share, the cache off for a
// share), BrokerInfo, ConnectionInfo (refused for a share with an ExceptionResponse, after which
// the client closes), SessionInfo, then exchanges — ProducerInfo before the first send, text and
// bytes messages sent synchronously (answered by a Response, or refused by an ExceptionResponse)
// or asynchronously (one-way), some with a JMSCorrelationID and a traceparent property;
// ConsumerInfo, then MessageDispatch + MessageAck deliveries; KeepAliveInfo asking for an answer —
// then RemoveInfo (answered) and ShutdownInfo.
//
// Expected records (README "OpenWire"): WireFormatInfo, BrokerInfo, SessionInfo, async sends,
// MessageDispatch, MessageAck and ShutdownInfo are sessions of their own; commands with
// responseRequired pair with the Response carrying their command id (ExceptionResponse: server
// error); a KeepAliveInfo asking for an answer pairs with the peer's KeepAliveInfo.
#include <array>

#include "tools/gen/proto_openwire.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t {
  kNWireFormat, kNBroker, kNConnection, kNSession, kNProducer, kNConsumer, kNText, kNBytes,
  kNDispatch, kNAck, kNKeepAlive, kNRemove, kNShutdown,
};
constexpr std::array<std::string_view, 13> kNames = {
    "WireFormatInfo", "BrokerInfo",           "ConnectionInfo",  "SessionInfo", "ProducerInfo",
    "ConsumerInfo",   "ActiveMQTextMessage", "ActiveMQBytesMessage", "MessageDispatch", "MessageAck",
    "KeepAliveInfo",  "RemoveInfo",          "ShutdownInfo"};

enum Kind : uint8_t {
  kClientWfi, kServerWfi, kBrokerInfo, kConnInfo, kConnResponse, kSessionInfo, kProducerInfo, kConsumerInfo,
  kSend, kSendResponse, kDispatch, kAck, kKeepAlive, kKeepAliveReply, kRemove, kRemoveResponse, kShutdown,
  kInfoResponse,
};

// Conv fields: id = command id of the client's command in flight (the client numbers its commands
// from 1); aux = 1 when the broker refuses it; size = payload bytes; step = message shape (bit 0:
// bytes message, bit 1: traceparent, bit 2: correlation id); pid[0] = the command being answered
// (kInfoResponse: ProducerInfo or ConsumerInfo); flags as below.
constexpr uint8_t kTight = 1, kCache = 2, kProducer = 4, kConsumer = 8, kSync = 16, kClientDest = 32,
                  kServerDest = 64;

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;

openwire::Format format(const Conv& c) {
  openwire::Format f;
  f.tight = (c.flags & kTight) != 0;
  f.cache = (c.flags & kCache) != 0;
  return f;
}

Text<48> connection_id(const Conv& c) {
  Text<48> t;
  t.add("ID:gen-").hex(client_key(0, c.serial), 8).add("-").num(c.serial % 100000).add("-1:1");
  return t;
}

Text<48> queue_name(const Conv& c) {
  static constexpr std::string_view kQueues[] = {"orders", "payments", "audit.events", "inventory.updates"};
  Text<48> t;
  t.add(kQueues[c.serial % 4]).add(".").num(c.serial % 50);
  return t;
}

// The conversation's destination, in the cache of the side that sends it (fresh the first time).
openwire::Dest dest(const Conv& c, const Text<48>& name, Dir d) {
  const bool client = d == kC;
  const uint8_t sent = client ? kClientDest : kServerDest;
  return openwire::Dest{false, name.view(), static_cast<uint16_t>(client ? 5 : 7), (c.flags & sent) == 0};
}

void next_exchange(Conv& c, Env& e);

void teardown(Conv& c) {
  ++c.id;
  plan(c, kC, kRemove);
}

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) return teardown(c);
  const uint32_t r = below(c.rng, 100);
  c.aux = 0;
  if (r < 50) {
    ++c.id;
    if ((c.flags & kProducer) == 0) {
      if (refuse(c, e)) c.aux = 1;
      return plan(c, kC, kProducerInfo);
    }
    c.size = payload_size(c, e);
    c.step = static_cast<uint8_t>(below(c.rng, 8));
    if (chance(c.rng, 0.6)) {
      c.flags |= kSync;
      if (refuse(c, e)) c.aux = 1;
    } else {
      c.flags &= static_cast<uint8_t>(~kSync);
    }
    return plan(c, kC, kSend);
  }
  if (r < 60 && (c.flags & kConsumer) == 0) {
    ++c.id;
    if (refuse(c, e)) c.aux = 1;
    return plan(c, kC, kConsumerInfo);
  }
  if (r < 85 && (c.flags & kConsumer) != 0) {
    c.size = payload_size(c, e);
    c.step = static_cast<uint8_t>(below(c.rng, 8));
    return plan(c, kS, kDispatch);
  }
  plan(c, kC, kKeepAlive);
}

openwire::Msg message_of(const Conv& c, Rng& r, const Env& e, const Text<48>& conn, const openwire::Dest& d,
                         std::span<const openwire::Property> props, const Text<64>& corr) {
  openwire::Msg m;
  m.type = (c.step & 1) != 0 ? 24 : 28;
  m.command_id = static_cast<int32_t>(c.id);
  m.response_required = (c.flags & kSync) != 0;
  m.connection_id = conn.view();
  m.sequence = c.id;
  m.dest = d;
  if ((c.step & 4) != 0) m.correlation_id = corr.view();
  if ((c.step & 2) != 0) m.properties = props;
  m.body = payload(e, r, c.size);
  return m;
}

}  // namespace

std::span<const std::string_view> openwire_names() { return kNames; }

void openwire_start(Conv& c, Env&) {
  if (chance(c.rng, 0.75)) c.flags |= kTight;
  if (chance(c.rng, 0.8)) c.flags |= kCache;
  c.version = static_cast<uint8_t>(chance(c.rng, 0.3) ? 11 : 12);
  plan(c, kC, kClientWfi);
}

void openwire_encode(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  const openwire::Format f = format(c);
  const Text<48> conn = connection_id(c);
  const Text<48> q = queue_name(c);
  switch (c.kind) {
    case kClientWfi:
      return openwire::wire_format_info(w, c.version, (c.flags & kTight) != 0, (c.flags & kCache) != 0, false);
    case kServerWfi: return openwire::wire_format_info(w, 12, true, true, false);
    case kBrokerInfo: {
      Text<48> url;
      url.add("tcp://mq-").num(c.tcp.server_ip()[c.tcp.ipv6() ? 15 : 3]).add(":").num(c.tcp.server_port());
      Text<48> id;
      id.add("ID:broker-").hex(c.serial * 0x9E3779B97F4A7C15ull, 12);
      return openwire::broker_info(w, f, id.view(), url.view(), "amq-gen");
    }
    case kConnInfo: {
      Text<32> client;
      client.add("gen-client-").num(c.serial % 1000);
      return openwire::connection_info(w, f, static_cast<int32_t>(c.id), conn.view(), client.view(), "svc");
    }
    case kSessionInfo: return openwire::session_info(w, f, static_cast<int32_t>(c.id), conn.view(), 1);
    case kProducerInfo:
      return openwire::producer_info(w, f, static_cast<int32_t>(c.id), conn.view(), 1, 1, dest(c, q, kC));
    case kConsumerInfo:
      return openwire::consumer_info(w, f, static_cast<int32_t>(c.id), conn.view(), 1, 1, dest(c, q, kC));
    case kSend:
    case kDispatch: {
      const Text<64> trace = traceparent(r);
      Text<64> corr;
      corr.add("gen-corr-").hex(r.next(), 12);
      const std::array<openwire::Property, 2> props = {{{"traceparent", trace.view()}, {"app", "l7tap-gen"}}};
      if (c.kind == kSend) return openwire::message(w, f, message_of(c, r, e, conn, dest(c, q, kC), props, corr));
      openwire::Msg m = message_of(c, r, e, conn, dest(c, q, kS), props, corr);
      m.response_required = false;
      return openwire::message_dispatch(w, f, 0, 1, dest(c, q, kS), m);
    }
    case kAck: return openwire::message_ack(w, f, static_cast<int32_t>(c.id), conn.view(), 1, dest(c, q, kC), 1);
    case kKeepAlive: return openwire::keep_alive_info(w, f, true);
    case kKeepAliveReply: return openwire::keep_alive_info(w, f, false);
    case kRemove: return openwire::remove_info(w, f, static_cast<int32_t>(c.id), true, conn.view());
    case kShutdown: return openwire::shutdown_info(w, f, static_cast<int32_t>(c.id));
    case kConnResponse:
    case kSendResponse:
    case kInfoResponse:
    case kRemoveResponse:
      if (c.aux != 0) {
        const bool conn_refused = c.kind == kConnResponse;
        return openwire::exception_response(
            w, f, static_cast<int32_t>(c.id),
            conn_refused ? "java.lang.SecurityException" : "javax.jms.ResourceAllocationException",
            conn_refused ? "User name [svc] or password is invalid." : "Usage Manager Memory Limit reached");
      }
      return openwire::response(w, f, static_cast<int32_t>(c.id));
    default: return;
  }
}

void openwire_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kOpenWire;
  switch (c.kind) {
    case kClientWfi:
      expect(e, p, kNWireFormat);
      return plan(c, kS, kServerWfi);
    case kServerWfi:
      expect(e, p, kNWireFormat);
      return plan(c, kS, kBrokerInfo);
    case kBrokerInfo:
      expect(e, p, kNBroker);
      c.id = 1;
      c.aux = refuse(c, e) ? 1 : 0;
      return plan(c, kC, kConnInfo);
    case kConnInfo:
      if (abort_after_request(c, e, kNConnection)) return;
      return plan(c, kS, kConnResponse);
    case kConnResponse:
      expect(e, p, kNConnection, c.aux != 0 ? Status::kServerError : Status::kOk);
      if (c.aux != 0) return finish(c, kC);  // the client gives up the connection
      ++c.id;
      return plan(c, kC, kSessionInfo);
    case kSessionInfo:
      expect(e, p, kNSession);
      return next_exchange(c, e);
    case kProducerInfo:
    case kConsumerInfo:
      c.flags |= kClientDest;
      c.pid[0] = c.kind;
      if (abort_after_request(c, e, c.kind == kProducerInfo ? kNProducer : kNConsumer)) return;
      return plan(c, kS, kInfoResponse);
    case kInfoResponse: {
      const bool producer = c.pid[0] == kProducerInfo;
      expect(e, p, producer ? kNProducer : kNConsumer, c.aux != 0 ? Status::kServerError : Status::kOk);
      if (c.aux == 0) c.flags |= producer ? kProducer : kConsumer;
      return next_exchange(c, e);
    }
    case kSend: {
      c.flags |= kClientDest;
      const uint8_t name = (c.step & 1) != 0 ? kNBytes : kNText;
      if ((c.flags & kSync) == 0) {
        expect(e, p, name);
        return next_exchange(c, e);
      }
      c.pid[0] = name;
      if (abort_after_request(c, e, name)) return;
      return plan(c, kS, kSendResponse);
    }
    case kSendResponse:
      expect(e, p, static_cast<uint8_t>(c.pid[0]), c.aux != 0 ? Status::kServerError : Status::kOk);
      return next_exchange(c, e);
    case kDispatch:
      c.flags |= kServerDest;
      expect(e, p, kNDispatch);
      ++c.id;
      return plan(c, kC, kAck);
    case kAck:
      expect(e, p, kNAck);
      return next_exchange(c, e);
    case kKeepAlive:
      if (abort_after_request(c, e, kNKeepAlive)) return;
      return plan(c, kS, kKeepAliveReply);
    case kKeepAliveReply:
      expect(e, p, kNKeepAlive);
      return next_exchange(c, e);
    case kRemove:
      c.aux = 0;
      if (c.rst) {
        expect(e, p, kNRemove, Status::kUnknown, RecordType::kRequest);
        return finish(c, kC, true);
      }
      return plan(c, kS, kRemoveResponse);
    case kRemoveResponse:
      expect(e, p, kNRemove);
      ++c.id;
      return plan(c, kC, kShutdown);
    case kShutdown:
      expect(e, p, kNShutdown);
      return finish(c, kC);
    default: return;
  }
}

}  // namespace gen::detail
