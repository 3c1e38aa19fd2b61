// Pulsar conversations (a client and a broker, PulsarApi.proto): CONNECT (protocol version 19-21,
// through a proxy for a share: proxy_to_broker_url) and CONNECTED (the broker's version, 17-19),
// then exchanges — PARTITIONED_METADATA and LOOKUP (refused for a share: ServiceNotReady,
// TopicNotFound), PRODUCER (ProducerBusy), SEND of one message or of a batch, with a traceparent
// property on a share, in the message metadata or in one message of the batch (SEND_RECEIPT, or
// SEND_ERROR PersistenceError / TopicTerminatedError), SUBSCRIBE (ConsumerBusy) then FLOW,
// MESSAGE deliveries (traceparent on a share) each ACKed, PING/PONG from either side,
// CLOSE_PRODUCER / CLOSE_CONSUMER answered by SUCCESS — then the client closes the connection.
//
// Expected records (README "Pulsar"): requests and their responses pair (CONNECT/CONNECTED and
// PING/PONG in order, the rest by request_id or producer and sequence id) into sessions whose
// status is the error's (client_error: TopicNotFound, ProducerBusy, ConsumerBusy,
// TopicTerminatedError; server_error: ServiceNotReady, PersistenceError); FLOW, MESSAGE and ACK
// are sessions of their own.
#include <array>

#include "tools/gen/proto_pulsar.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t {
  kNConnect, kNPartitioned, kNLookup, kNProducer, kNSend, kNSubscribe, kNFlow, kNMessage, kNAck, kNPing,
  kNCloseProducer, kNCloseConsumer,
};
constexpr std::array<std::string_view, 12> kNames = {
    "CONNECT", "PARTITIONED_METADATA", "LOOKUP", "PRODUCER", "SEND", "SUBSCRIBE", "FLOW", "MESSAGE", "ACK", "PING",
    "CLOSE_PRODUCER", "CLOSE_CONSUMER",
};

enum Kind : uint8_t {
  kConnect, kConnected, kPartitioned, kPartitionedResp, kLookup, kLookupResp, kProducer, kProducerOk, kError,
  kSend, kReceipt, kSendError, kSubscribe, kSuccess, kFlow, kMessage, kAck, kPingC, kPongS, kPingS, kPongC,
  kCloseProducer, kCloseConsumer,
};

// Conv fields: version = the client's protocol version; id = the next request_id (the pending
// request's is id - 1); pid[0] = producer id, pid[1] = consumer id (the open ones, or the next);
// step = the SEND's sequence id; aux = ServerError + 1 of the pending refusal (0 = none); size =
// payload bytes; flags as below (kForConsumer: the pending PRODUCER / SUBSCRIBE / CLOSE_* request
// is the consumer's).
constexpr uint8_t kProxy = 1, kProducerOpen = 2, kConsumerOpen = 4, kClosing = 8, kForConsumer = 16;

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;

int32_t server_version(const Conv& c) { return static_cast<int32_t>(17 + c.serial % 3); }

Text<96> topic(const Conv& c, bool consumer) {
  Text<96> t;
  if (consumer) {
    t.add("persistent://tenant-").num(c.serial % 7).add("/events/user-").num(c.serial % 50);
  } else {
    t.add("persistent://public/default/orders-").num(c.serial % 50);
  }
  return t;
}

Text<32> producer_name(const Conv& c) {
  Text<32> t;
  t.add("standalone-").num(c.serial % 10).add("-").num(c.pid[0]);
  return t;
}

// Plans a request of the client; `refusal` is the ServerError the broker answers with when this
// request is refused (counted towards the error share).
void request(Conv& c, Env& e, Kind k, int refusal) {
  c.aux = refusal >= 0 && refuse(c, e) ? static_cast<uint32_t>(refusal) + 1 : 0;
  if (k == kProducer || k == kCloseProducer) c.flags &= static_cast<uint8_t>(~kForConsumer);
  if (k == kSubscribe || k == kCloseConsumer) c.flags |= kForConsumer;
  if (k == kCloseProducer || k == kCloseConsumer) c.flags |= kClosing;
  ++c.id;
  plan(c, kC, k);
}

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) return finish(c, kC, c.rst);
  const bool producing = (c.flags & kProducerOpen) != 0;
  const bool consuming = (c.flags & kConsumerOpen) != 0;
  const uint32_t r = below(c.rng, 100);
  if (r < 8) return request(c, e, kPartitioned, pulsar::kServiceNotReady);
  if (r < 16) return request(c, e, kLookup, pulsar::kTopicNotFound);
  if (r < 24 && !producing) return request(c, e, kProducer, pulsar::kProducerBusy);
  if (r < 52 && producing) {
    c.size = payload_size(c, e);
    ++c.step;
    const int refusal = chance(c.rng, 0.5) ? pulsar::kPersistenceError : pulsar::kTopicTerminatedError;
    --c.id;  // SEND has no request_id
    return request(c, e, kSend, refusal);
  }
  if (r < 60 && !consuming) return request(c, e, kSubscribe, pulsar::kConsumerBusy);
  if (r < 78 && consuming) {
    c.size = payload_size(c, e);
    ++c.step;
    return plan(c, kS, kMessage);
  }
  if (r < 82 && producing) return request(c, e, kCloseProducer, -1);
  if (r < 85 && consuming) return request(c, e, kCloseConsumer, -1);
  if (r < 93) return request(c, e, kPingC, -1);
  plan(c, kS, kPingS);
}

Status status_of(uint32_t aux) {
  switch (aux - 1) {
    case pulsar::kServiceNotReady:
    case pulsar::kPersistenceError: return Status::kServerError;
    default: return Status::kClientError;
  }
}

// A response was sent for the request named `name`: one session.
void answered(Conv& c, Env& e, uint8_t name) {
  expect(e, Protocol::kPulsar, name, c.aux != 0 ? status_of(c.aux) : Status::kOk);
}

std::string_view error_text(uint32_t aux) {
  switch (aux - 1) {
    case pulsar::kPersistenceError: return "org.apache.bookkeeper.mledger.ManagedLedgerException: write failed";
    case pulsar::kConsumerBusy: return "Exclusive consumer is already connected";
    case pulsar::kServiceNotReady: return "Namespace bundle is being unloaded";
    case pulsar::kTopicNotFound: return "Topic not found";
    case pulsar::kTopicTerminatedError: return "Topic was already terminated";
    case pulsar::kProducerBusy: return "Producer with name 'orders' is already connected to topic";
    default: return "error";
  }
}

pulsar::Metadata meta(const Conv& c, pulsar::Properties props) {
  pulsar::Metadata m;
  m.sequence_id = c.step;
  m.publish_time = 1700000000000ull + c.serial * 1000 + c.step;
  m.properties = props;
  return m;
}

void encode_send(const Conv& c, const Env& e, Rng& r, Writer& w) {
  const Text<64> trace = traceparent(r);
  Text<32> key;
  key.add("order-").num(r.below(100000));
  const std::array<pulsar::KeyValue, 2> props = {{{"key", key.view()}, {"traceparent", trace.view()}}};
  const bool traced = r.chance(0.5);
  const Text<32> name = producer_name(c);
  pulsar::Metadata m = meta(c, std::span(props.data(), 1));
  m.producer_name = name.view();
  if (!r.chance(0.3)) {  // one message
    if (traced) m.properties = props;
    return pulsar::send(w, c.pid[0], m, payload(e, r, c.size));
  }
  // A batch of 2-5 messages sharing the payload size; the trace in one of them.
  std::array<pulsar::BatchEntry, 5> entries{};
  const uint32_t n = 2 + r.below(4);
  const uint32_t traced_one = r.below(n);
  const uint32_t each = c.size / n + 1;
  for (uint32_t i = 0; i < n; ++i) {
    entries[i].properties = std::span(props.data(), traced && i == traced_one ? 2 : 1);
    entries[i].payload = payload(e, r, each);
  }
  pulsar::send_batch(w, c.pid[0], m, std::span(entries.data(), n));
}

void encode_message(const Conv& c, const Env& e, Rng& r, Writer& w) {
  const Text<64> trace = traceparent(r);
  const std::array<pulsar::KeyValue, 1> props = {{{"traceparent", trace.view()}}};
  pulsar::Metadata m = meta(c, r.chance(0.5) ? pulsar::Properties(props) : pulsar::Properties());
  const Text<32> name = producer_name(c);
  m.producer_name = name.view();
  pulsar::message(w, c.pid[1], {100 + c.serial % 1000, c.step}, m, payload(e, r, c.size));
}

}  // namespace

std::span<const std::string_view> pulsar_names() { return kNames; }

void pulsar_start(Conv& c, Env&) {
  c.version = static_cast<uint8_t>(19 + below(c.rng, 3));
  if (chance(c.rng, 0.3)) c.flags |= kProxy;
  c.pid[0] = static_cast<uint16_t>(below(c.rng, 3));
  c.pid[1] = static_cast<uint16_t>(below(c.rng, 3));
  plan(c, kC, kConnect);
}

void pulsar_encode(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  const uint64_t rid = c.id - 1;  // the pending request's id
  switch (c.kind) {
    case kConnect: {
      Text<64> proxy;
      if ((c.flags & kProxy) != 0) proxy.add("broker-").num(c.serial % 5).add(".pulsar.svc:6650");
      return pulsar::connect(w, "Pulsar-CPP-v3.4.2", c.version, proxy.view());
    }
    case kConnected: return pulsar::connected(w, "Pulsar Server3.2.0", server_version(c), 5 * 1024 * 1024);
    case kPartitioned: return pulsar::partitioned_metadata(w, topic(c, false).view(), rid);
    case kPartitionedResp:
      return pulsar::partitioned_metadata_response(w, 0, rid, c.aux != 0 ? static_cast<int32_t>(c.aux - 1) : -1,
                                                   error_text(c.aux));
    case kLookup: return pulsar::lookup(w, topic(c, false).view(), rid);
    case kLookupResp:
      return pulsar::lookup_response(w, "pulsar://localhost:6650", rid,
                                     c.aux != 0 ? static_cast<int32_t>(c.aux - 1) : -1, error_text(c.aux));
    case kProducer: return pulsar::producer(w, topic(c, false).view(), c.pid[0], rid);
    case kProducerOk: return pulsar::producer_success(w, rid, producer_name(c).view());
    case kError: return pulsar::error(w, rid, c.aux - 1, error_text(c.aux));
    case kSend: return encode_send(c, e, r, w);
    case kReceipt: return pulsar::send_receipt(w, c.pid[0], c.step, {100 + c.serial % 1000, c.step});
    case kSendError: return pulsar::send_error(w, c.pid[0], c.step, c.aux - 1, error_text(c.aux));
    case kSubscribe:
      return pulsar::subscribe(w, topic(c, true).view(), "sub-1", r.below(4), c.pid[1], rid);
    case kSuccess: return pulsar::success(w, rid);
    case kFlow: return pulsar::flow(w, c.pid[1], 1000);
    case kMessage: return encode_message(c, e, r, w);
    case kAck: return pulsar::ack(w, c.pid[1], {100 + c.serial % 1000, c.step});
    case kPingC:
    case kPingS: return pulsar::ping(w);
    case kPongS:
    case kPongC: return pulsar::pong(w);
    case kCloseProducer: return pulsar::close_producer(w, c.pid[0], rid);
    case kCloseConsumer: return pulsar::close_consumer(w, c.pid[1], rid);
    default: return;
  }
}

void pulsar_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kPulsar;
  switch (c.kind) {
    case kConnect:
      if (abort_after_request(c, e, kNConnect)) return;
      return plan(c, kS, kConnected);
    case kConnected:
      expect(e, p, kNConnect);
      return next_exchange(c, e);
    case kPartitioned:
      if (abort_after_request(c, e, kNPartitioned)) return;
      return plan(c, kS, kPartitionedResp);
    case kPartitionedResp:
      answered(c, e, kNPartitioned);
      return next_exchange(c, e);
    case kLookup:
      if (abort_after_request(c, e, kNLookup)) return;
      return plan(c, kS, kLookupResp);
    case kLookupResp:
      answered(c, e, kNLookup);
      return next_exchange(c, e);
    case kProducer:
      if (abort_after_request(c, e, kNProducer)) return;
      return plan(c, kS, c.aux != 0 ? kError : kProducerOk);
    case kProducerOk:
      answered(c, e, kNProducer);
      c.flags |= kProducerOpen;
      return next_exchange(c, e);
    case kSubscribe:
      if (abort_after_request(c, e, kNSubscribe)) return;
      return plan(c, kS, c.aux != 0 ? kError : kSuccess);
    case kError:
      // PRODUCER or SUBSCRIBE refused: a retry would use the same id.
      answered(c, e, (c.flags & kForConsumer) != 0 ? kNSubscribe : kNProducer);
      return next_exchange(c, e);
    case kSuccess:
      if ((c.flags & kClosing) != 0) {
        c.flags &= static_cast<uint8_t>(~kClosing);
        if ((c.flags & kForConsumer) == 0) {
          expect(e, p, kNCloseProducer);
          c.flags &= static_cast<uint8_t>(~kProducerOpen);
          ++c.pid[0];  // the next producer gets a new id
        } else {
          expect(e, p, kNCloseConsumer);
          c.flags &= static_cast<uint8_t>(~kConsumerOpen);
          ++c.pid[1];
        }
        return next_exchange(c, e);
      }
      expect(e, p, kNSubscribe);
      c.flags |= kConsumerOpen;
      return plan(c, kC, kFlow);  // the consumer asks for messages
    case kFlow:
      expect(e, p, kNFlow);
      return next_exchange(c, e);
    case kSend:
      if (abort_after_request(c, e, kNSend)) return;
      return plan(c, kS, c.aux != 0 ? kSendError : kReceipt);
    case kReceipt:
    case kSendError:
      answered(c, e, kNSend);
      return next_exchange(c, e);
    case kMessage:
      expect(e, p, kNMessage);
      return plan(c, kC, kAck);
    case kAck:
      expect(e, p, kNAck);
      return next_exchange(c, e);
    case kPingC:
      if (abort_after_request(c, e, kNPing)) return;
      return plan(c, kS, kPongS);
    case kPingS: return plan(c, kC, kPongC);
    case kPongS:
    case kPongC:
      expect(e, p, kNPing);
      return next_exchange(c, e);
    case kCloseProducer:
    case kCloseConsumer:
      if (abort_after_request(c, e, c.kind == kCloseProducer ? kNCloseProducer : kNCloseConsumer)) return;
      return plan(c, kS, kSuccess);
    default: return;
  }
}

}  // namespace gen::detail
