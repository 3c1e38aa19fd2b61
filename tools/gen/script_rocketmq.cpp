// RocketMQ conversations (a producer/consumer client and a broker, remoting protocol): the client
// starts with HEART_BEAT, then exchanges — SEND_MESSAGE_V2 (short field names) or SEND_MESSAGE
// with message properties (UNIQ_KEY, a `traceparent` on a share), PULL_MESSAGE answered with a
// stored message (FOUND) or PULL_NOT_FOUND, one-way UPDATE_CONSUMER_OFFSET, GET_ROUTEINFO_BY_TOPIC
// (JSON route data), HEART_BEAT, and the broker asking the client GET_CONSUMER_RUNNING_INFO — then
// the client closes the connection. A conversation uses one serialization for all its headers:
// JSON (most) or ROCKETMQ binary. A share of requests is refused (TOPIC_NOT_EXIST, SYSTEM_BUSY,
// SERVICE_NOT_AVAILABLE, SUBSCRIPTION_NOT_EXIST).
//
// Expected records (README "RocketMQ"): each request pairs with its response by opaque (a
// session with the response code's status); the one-way UPDATE_CONSUMER_OFFSET is a session of
// its own (status ok).
#include <array>

#include "tools/gen/proto_rocketmq.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t { kNHeartBeat, kNSendV2, kNSend, kNPull, kNUpdateOffset, kNRoute, kNRunningInfo };
constexpr std::array<std::string_view, 7> kNames = {"HEART_BEAT",     "SEND_MESSAGE_V2",        "SEND_MESSAGE",
                                                    "PULL_MESSAGE",   "UPDATE_CONSUMER_OFFSET", "GET_ROUTEINFO_BY_TOPIC",
                                                    "GET_CONSUMER_RUNNING_INFO"};

enum Kind : uint8_t {
  kHeartBeat, kHeartBeatResp, kSendV2, kSend, kSendResp, kPull, kPullResp, kOffset, kRoute, kRouteResp, kRunInfo,
  kRunInfoResp,
};

// RequestCode / ResponseCode values used here.
constexpr int32_t kCodeSendMessage = 10, kCodePullMessage = 11, kCodeUpdateOffset = 15, kCodeHeartBeat = 34,
                  kCodeRoute = 105, kCodeRunningInfo = 307, kCodeSendMessageV2 = 310;
constexpr uint32_t kSuccess = 0, kSystemBusy = 2, kServiceNotAvailable = 14, kTopicNotExist = 17,
                   kPullNotFound = 19, kSubscriptionNotExist = 24;

// Conv fields: id = the client's last opaque; pid[1] = the broker's last opaque; pid[0] = the
// MQVersion of the client; aux = code of the pending response; step = topic/queue selector;
// size = payload bytes; flags as below.
constexpr uint8_t kBinary = 1, kTrace = 2, kSentV2 = 4;

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;

Status status_of(uint32_t code) {
  switch (code) {
    case kSuccess:
    case kPullNotFound: return Status::kOk;
    case kTopicNotExist:
    case kSubscriptionNotExist: return Status::kClientError;
    default: return Status::kServerError;
  }
}

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) return finish(c, kC, c.rst);
  const uint32_t r = below(c.rng, 100);
  c.step = static_cast<uint8_t>(below(c.rng, 256));
  c.aux = kSuccess;
  if (r < 35) {
    ++c.id;
    c.size = payload_size(c, e);
    if (refuse(c, e)) {
      static constexpr uint32_t kRefusals[] = {kTopicNotExist, kSystemBusy, kServiceNotAvailable};
      c.aux = kRefusals[below(c.rng, 3)];
    }
    return plan(c, kC, chance(c.rng, 0.7) ? kSendV2 : kSend);
  }
  if (r < 65) {
    ++c.id;
    c.size = payload_size(c, e);
    if (refuse(c, e)) {
      c.aux = kSubscriptionNotExist;
    } else if (chance(c.rng, 0.3)) {
      c.aux = kPullNotFound;
    }
    return plan(c, kC, kPull);
  }
  if (r < 75) {
    ++c.id;
    return plan(c, kC, kOffset);
  }
  if (r < 85) {
    ++c.id;
    if (refuse(c, e)) c.aux = kTopicNotExist;
    return plan(c, kC, kRoute);
  }
  if (r < 93) {
    ++c.id;
    return plan(c, kC, kHeartBeat);
  }
  ++c.pid[1];
  plan(c, kS, kRunInfo);
}

// --- encoding --------------------------------------------------------------------------------

rocketmq::Serialization serialization(const Conv& c) {
  return (c.flags & kBinary) != 0 ? rocketmq::Serialization::kRocketMq : rocketmq::Serialization::kJson;
}

Text<48> topic(const Conv& c) {
  static constexpr std::string_view kTopics[] = {"orders", "payments", "TopicTest", "audit-log"};
  Text<48> t;
  t.add(kTopics[c.step % 4]);
  if ((c.step & 4) != 0) t.add("-").num(c.serial % 100);
  return t;
}
Text<48> group(const Conv& c, std::string_view kind) {
  Text<48> t;
  t.add(kind).add("-group-").num(c.serial % 20);
  return t;
}
Text<8> queue_id(const Conv& c) {
  Text<8> t;
  t.num((c.step >> 3) % 8);
  return t;
}

// Message properties "key\1value\2...": the id the producer gives each message, a trace context
// on a share, tags.
Text<256> properties(const Conv& c, Rng& r) {
  Text<256> p;
  if ((c.flags & kTrace) != 0) p.add("traceparent\x01").add(traceparent(r).view()).add("\x02");
  p.add("UNIQ_KEY\x01").hex(r.next(), 16).hex(r.next(), 16).add("\x02WAIT\x01true\x02TAGS\x01Tag");
  p.num(c.step % 3);
  return p;
}

rocketmq::Command cmd(const Conv& c, int32_t code, uint32_t opaque, uint32_t flag) {
  rocketmq::Command k;
  k.code = code;
  k.version = c.pid[0];
  k.opaque = opaque;
  k.flag = flag;
  return k;
}

void encode_send(const Conv& c, const Env& e, Writer& w, bool v2) {
  Rng r{c.unit_seed};
  const Text<48> t = topic(c), g = group(c, "producer");
  const Text<8> q = queue_id(c);
  const Text<256> p = properties(c, r);
  Text<32> born;
  born.num(1700000000000ull + c.serial);
  rocketmq::Command k = cmd(c, v2 ? kCodeSendMessageV2 : kCodeSendMessage, c.id, 0);
  if (v2) {
    const std::array<rocketmq::ExtField, 12> ext = {{{"a", g.view()}, {"b", t.view()}, {"c", "TBW102"}, {"d", "4"},
                                                     {"e", q.view()}, {"f", "0"}, {"g", born.view()}, {"h", "0"},
                                                     {"i", p.view()}, {"j", "0"}, {"k", "false"}, {"m", "false"}}};
    k.ext = ext;
    return rocketmq::command(w, serialization(c), k, payload(e, r, c.size));
  }
  const std::array<rocketmq::ExtField, 10> ext = {{{"producerGroup", g.view()}, {"topic", t.view()},
                                                   {"defaultTopic", "TBW102"}, {"defaultTopicQueueNums", "4"},
                                                   {"queueId", q.view()}, {"sysFlag", "0"}, {"bornTimestamp", born.view()},
                                                   {"flag", "0"}, {"properties", p.view()}, {"reconsumeTimes", "0"}}};
  k.ext = ext;
  rocketmq::command(w, serialization(c), k, payload(e, r, c.size));
}

void encode_send_resp(const Conv& c, Writer& w) {
  Rng r{c.unit_seed};
  rocketmq::Command k = cmd(c, static_cast<int32_t>(c.aux), c.id, rocketmq::kFlagResponse);
  if (c.aux != kSuccess) {
    const Text<48> t = topic(c);
    Text<128> remark;
    if (c.aux == kTopicNotExist) {
      remark.add("topic[").add(t.view()).add("] not exist, apply first please!");
    } else if (c.aux == kSystemBusy) {
      remark.add("[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while");
    } else {
      remark.add("service not available now. It may be caused by one of the following reasons");
    }
    k.remark = remark.view();
    return rocketmq::command(w, serialization(c), k);
  }
  Text<40> msg_id;
  msg_id.add("0AC80001").add("00002A9F").hex(r.next(), 16);
  const Text<8> q = queue_id(c);
  Text<24> offset;
  offset.num(c.serial % 100000);
  const std::array<rocketmq::ExtField, 5> ext = {{{"queueId", q.view()}, {"TRACE_ON", "true"},
                                                  {"MSG_REGION", "DefaultRegion"}, {"msgId", msg_id.view()},
                                                  {"queueOffset", offset.view()}}};
  k.ext = ext;
  rocketmq::command(w, serialization(c), k);
}

void encode_pull(const Conv& c, Writer& w) {
  const Text<48> t = topic(c), g = group(c, "consumer");
  const Text<8> q = queue_id(c);
  Text<24> offset;
  offset.num(c.serial % 100000);
  const std::array<rocketmq::ExtField, 10> ext = {{{"queueId", q.view()}, {"maxMsgNums", "32"}, {"sysFlag", "3"},
                                                   {"suspendTimeoutMillis", "15000"}, {"commitOffset", offset.view()},
                                                   {"topic", t.view()}, {"queueOffset", offset.view()},
                                                   {"expressionType", "TAG"}, {"subVersion", "1733815731448"},
                                                   {"consumerGroup", g.view()}}};
  rocketmq::Command k = cmd(c, kCodePullMessage, c.id, 0);
  k.ext = ext;
  rocketmq::command(w, serialization(c), k);
}

void encode_pull_resp(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  Text<24> next;
  next.num(c.serial % 100000 + 1);
  const std::array<rocketmq::ExtField, 4> ext = {{{"suggestWhichBrokerId", "0"}, {"nextBeginOffset", next.view()},
                                                  {"maxOffset", next.view()}, {"minOffset", "0"}}};
  rocketmq::Command k = cmd(c, static_cast<int32_t>(c.aux), c.id, rocketmq::kFlagResponse);
  if (c.aux == kSubscriptionNotExist) {
    k.remark = "the consumer's subscription not exist";
    return rocketmq::command(w, serialization(c), k);
  }
  k.ext = ext;
  if (c.aux == kPullNotFound) {
    k.remark = "NO_NEW_MSG";
    return rocketmq::command(w, serialization(c), k);
  }
  k.remark = "FOUND";
  const Text<48> t = topic(c);
  const Text<256> p = properties(c, r);
  const std::span<const uint8_t> body = payload(e, r, c.size);
  const uint32_t q = (c.step >> 3) % 8;
  const auto message = [&](Writer& m) { rocketmq::stored_message(m, t.view(), q, c.serial % 100000, body, p.view()); };
  rocketmq::command_head(w, serialization(c), k, measure(message));
  message(w);
}

void encode_offset(const Conv& c, Writer& w) {
  const Text<48> t = topic(c), g = group(c, "consumer");
  const Text<8> q = queue_id(c);
  Text<24> offset;
  offset.num(c.serial % 100000 + 1);
  const std::array<rocketmq::ExtField, 4> ext = {
      {{"consumerGroup", g.view()}, {"topic", t.view()}, {"queueId", q.view()}, {"commitOffset", offset.view()}}};
  rocketmq::Command k = cmd(c, kCodeUpdateOffset, c.id, rocketmq::kFlagOneWay);
  k.ext = ext;
  rocketmq::command(w, serialization(c), k);
}

void encode_route(const Conv& c, Writer& w) {
  const Text<48> t = topic(c);
  const std::array<rocketmq::ExtField, 1> ext = {{{"topic", t.view()}}};
  rocketmq::Command k = cmd(c, kCodeRoute, c.id, 0);
  k.ext = ext;
  rocketmq::command(w, serialization(c), k);
}

void encode_route_resp(const Conv& c, Writer& w) {
  rocketmq::Command k = cmd(c, static_cast<int32_t>(c.aux), c.id, rocketmq::kFlagResponse);
  if (c.aux != kSuccess) {
    const Text<48> t = topic(c);
    Text<128> remark;
    remark.add("No topic route info in name server for the topic: ").add(t.view());
    k.remark = remark.view();
    return rocketmq::command(w, serialization(c), k);
  }
  Text<384> j;
  j.add("{\"brokerDatas\":[{\"brokerAddrs\":{0:\"10.200.5.1:10911\"},\"brokerName\":\"broker-a\",");
  j.add("\"cluster\":\"DefaultCluster\"}],\"filterServerTable\":{},\"queueDatas\":[{\"brokerName\":\"broker-a\",");
  j.add("\"perm\":6,\"readQueueNums\":8,\"topicSynFlag\":0,\"writeQueueNums\":8}]}");
  rocketmq::command(w, serialization(c), k, j.bytes());
}

void encode_heartbeat(const Conv& c, Writer& w) {
  const Text<48> t = topic(c), g = group(c, "consumer"), pg = group(c, "producer");
  const Text<48> ip = client_ip_text(c);
  Text<768> j;
  j.add("{\"clientID\":\"").add(ip.view()).add("@").num(c.serial % 30000).add("\",\"consumerDataSet\":[{");
  j.add("\"consumeFromWhere\":\"CONSUME_FROM_FIRST_OFFSET\",\"consumeType\":\"CONSUME_PASSIVELY\",\"groupName\":\"");
  j.add(g.view()).add("\",\"messageModel\":\"CLUSTERING\",\"subscriptionDataSet\":[{\"classFilterMode\":false,");
  j.add("\"codeSet\":[],\"expressionType\":\"TAG\",\"subString\":\"*\",\"subVersion\":1733815731448,\"tagsSet\":[],");
  j.add("\"topic\":\"").add(t.view()).add("\"}],\"unitMode\":false}],\"producerDataSet\":[{\"groupName\":\"");
  j.add(pg.view()).add("\"}]}");
  rocketmq::command(w, serialization(c), cmd(c, kCodeHeartBeat, c.id, 0), j.bytes());
}

void encode_run_info(const Conv& c, Writer& w) {
  const Text<48> g = group(c, "consumer");
  Text<64> client;
  client.add(client_ip_text(c).view()).add("@").num(c.serial % 30000);
  const std::array<rocketmq::ExtField, 3> ext = {
      {{"consumerGroup", g.view()}, {"clientId", client.view()}, {"jstackEnable", "false"}}};
  rocketmq::Command k = cmd(c, kCodeRunningInfo, c.pid[1], 0);
  k.ext = ext;
  rocketmq::command(w, serialization(c), k);
}

void encode_run_info_resp(const Conv& c, Writer& w) {
  rocketmq::Command k = cmd(c, kSuccess, c.pid[1], rocketmq::kFlagResponse);
  Text<256> j;
  j.add("{\"properties\":{\"PROP_CONSUME_TYPE\":\"CONSUME_PASSIVELY\",\"PROP_THREADPOOL_CORE_SIZE\":\"20\"},");
  j.add("\"subscriptionSet\":[],\"mqTable\":{},\"statusTable\":{}}");
  rocketmq::command(w, serialization(c), k, j.bytes());
}

}  // namespace

std::span<const std::string_view> rocketmq_names() { return kNames; }

void rocketmq_start(Conv& c, Env&) {
  if (chance(c.rng, 0.2)) c.flags |= kBinary;
  if (chance(c.rng, 0.5)) c.flags |= kTrace;
  static constexpr uint16_t kVersions[] = {293, 399, 401, 453};  // V4_4_0, V4_9_3, V4_9_4, V5_2_0
  c.pid[0] = kVersions[below(c.rng, 4)];
  ++c.id;
  plan(c, kC, kHeartBeat);
}

void rocketmq_encode(const Conv& c, const Env& e, Writer& w) {
  switch (c.kind) {
    case kHeartBeat: return encode_heartbeat(c, w);
    case kHeartBeatResp: return rocketmq::command(w, serialization(c), cmd(c, kSuccess, c.id, rocketmq::kFlagResponse));
    case kSendV2: return encode_send(c, e, w, true);
    case kSend: return encode_send(c, e, w, false);
    case kSendResp: return encode_send_resp(c, w);
    case kPull: return encode_pull(c, w);
    case kPullResp: return encode_pull_resp(c, e, w);
    case kOffset: return encode_offset(c, w);
    case kRoute: return encode_route(c, w);
    case kRouteResp: return encode_route_resp(c, w);
    case kRunInfo: return encode_run_info(c, w);
    case kRunInfoResp: return encode_run_info_resp(c, w);
    default: return;
  }
}

void rocketmq_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kRocketMq;
  switch (c.kind) {
    case kHeartBeat:
      if (abort_after_request(c, e, kNHeartBeat)) return;
      return plan(c, kS, kHeartBeatResp);
    case kHeartBeatResp:
      expect(e, p, kNHeartBeat);
      return next_exchange(c, e);
    case kSendV2:
    case kSend:
      if (abort_after_request(c, e, c.kind == kSendV2 ? kNSendV2 : kNSend)) return;
      c.flags = static_cast<uint8_t>((c.flags & ~kSentV2) | (c.kind == kSendV2 ? kSentV2 : 0));
      return plan(c, kS, kSendResp);
    case kSendResp:
      expect(e, p, (c.flags & kSentV2) != 0 ? kNSendV2 : kNSend, status_of(c.aux));
      return next_exchange(c, e);
    case kPull:
      if (abort_after_request(c, e, kNPull)) return;
      return plan(c, kS, kPullResp);
    case kPullResp:
      expect(e, p, kNPull, status_of(c.aux));
      return next_exchange(c, e);
    case kOffset:
      expect(e, p, kNUpdateOffset);
      return next_exchange(c, e);
    case kRoute:
      if (abort_after_request(c, e, kNRoute)) return;
      return plan(c, kS, kRouteResp);
    case kRouteResp:
      expect(e, p, kNRoute, status_of(c.aux));
      return next_exchange(c, e);
    case kRunInfo: return plan(c, kC, kRunInfoResp);
    case kRunInfoResp:
      expect(e, p, kNRunningInfo);
      return next_exchange(c, e);
    default: return;
  }
}

}  // namespace gen::detail
