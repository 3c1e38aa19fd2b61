// Kafka conversations (a producer or a consumer client and one broker): ApiVersions (v0-3; a
// refusal with UNSUPPORTED_VERSION is retried in v0, as clients do), Metadata (v1-9), then Produce
// (v3-9, record batches with headers, a share carrying `traceparent`; acks 0, 1 or -1) and Fetch
// (v4-11, record batches in the response), then the client closes the connection. Like
// librdkafka (max.in.flight), a producer sometimes has 2-3 Produce requests in flight before the
// first response.
//
// Expected records (README "Kafka"): every request with a response is a session paired by
// correlation id; its status is server_error for a non-zero error_code (ApiVersions, Produce,
// Fetch), ok otherwise; Metadata is "named only" (ok). Produce with acks=0 is one-way.
#include <array>

#include "tools/gen/proto_kafka.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t { kNApiVersions, kNMetadata, kNProduce, kNFetch };
constexpr std::array<std::string_view, 4> kNames = {"ApiVersions", "Metadata", "Produce", "Fetch"};

enum Kind : uint8_t { kApiReq, kApiResp, kMetaReq, kMetaResp, kProduceReq, kProduceResp, kFetchReq, kFetchResp };

// Conv fields: version = ApiVersions version; pid[0] = Produce version | Fetch version << 8;
// pid[1] = Metadata version; id = correlation id of the first request in flight; aux = the error
// code each response carries, one byte per request in flight; step = records in a batch; flags =
// acks (0, 1, 2 for -1) | kConsumer | requests in flight - 1 (2 bits) | which one (2 bits).
constexpr uint8_t kAcksMask = 3, kConsumer = 4, kDepthShift = 3, kIndexShift = 5;

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;

constexpr std::array<int16_t, 5> kProduceErrors = {kafka::err::kNotLeaderOrFollower, kafka::err::kRequestTimedOut,
                                                   kafka::err::kMessageTooLarge, kafka::err::kUnknownTopicOrPartition,
                                                   kafka::err::kNotEnoughReplicas};
constexpr std::array<int16_t, 3> kFetchErrors = {kafka::err::kOffsetOutOfRange, kafka::err::kNotLeaderOrFollower,
                                                 kafka::err::kUnknownTopicOrPartition};
constexpr std::array<std::string_view, 6> kTopics = {"orders", "payments", "clicks", "metrics", "events", "logs"};
constexpr std::array<kafka::ApiVersionRange, 6> kApis = {{{kafka::kProduce, 0, 9},
                                                          {kafka::kFetch, 0, 11},
                                                          {2 /* ListOffsets */, 0, 5},
                                                          {kafka::kMetadata, 0, 9},
                                                          {11 /* JoinGroup */, 0, 5},
                                                          {kafka::kApiVersions, 0, 3}}};

int16_t produce_version(const Conv& c) { return static_cast<int16_t>(c.pid[0] & 0xFF); }
int16_t fetch_version(const Conv& c) { return static_cast<int16_t>(c.pid[0] >> 8); }
int16_t acks(const Conv& c) {
  const int a = c.flags & kAcksMask;
  return static_cast<int16_t>(a == 2 ? -1 : a);
}
std::string_view topic(const Conv& c) { return kTopics[c.serial % kTopics.size()]; }
int32_t partition(const Conv& c) { return static_cast<int32_t>((c.serial >> 3) % 6); }

Status status_of(uint32_t error) { return error == 0 ? Status::kOk : Status::kServerError; }

uint32_t depth(const Conv& c) { return 1 + ((c.flags >> kDepthShift) & 3); }
uint32_t index(const Conv& c) { return (c.flags >> kIndexShift) & 3; }
void set_index(Conv& c, uint32_t i) {
  c.flags = static_cast<uint8_t>((c.flags & ~(3 << kIndexShift)) | i << kIndexShift);
}
// The error code of the response to the request in flight that the current unit is about.
int16_t error_of(const Conv& c) { return static_cast<int16_t>((c.aux >> (8 * index(c))) & 0xFF); }

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) return finish(c, kC, c.rst);
  ++c.id;
  c.aux = 0;
  c.flags &= static_cast<uint8_t>(kAcksMask | kConsumer);  // one request in flight, the first
  const bool consumer = (c.flags & kConsumer) != 0;
  const uint32_t r = below(c.rng, 100);
  if (r < 5) return plan(c, kC, kMetaReq);
  if (consumer ? r >= 85 : r < 85) {
    const uint32_t a = below(c.rng, 10);
    c.flags = static_cast<uint8_t>((c.flags & ~kAcksMask) | (a == 0 ? 0 : a < 5 ? 1 : 2));
    c.size = payload_size(c, e);
    c.step = static_cast<uint8_t>(c.size <= 2000 && chance(c.rng, 0.2) ? 2 + below(c.rng, 2) : 1);
    const uint32_t n = acks(c) != 0 && c.size <= 2000 && chance(c.rng, 0.3) ? 2 + below(c.rng, 2) : 1;
    c.flags = static_cast<uint8_t>(c.flags | (n - 1) << kDepthShift);
    for (uint32_t i = 0; i < n && acks(c) != 0; ++i)
      if (refuse(c, e)) c.aux |= static_cast<uint32_t>(kProduceErrors[below(c.rng, kProduceErrors.size())]) << (8 * i);
    return plan(c, kC, kProduceReq);
  }
  c.size = payload_size(c, e);
  c.step = static_cast<uint8_t>(c.size <= 2000 ? 1 + below(c.rng, 3) : 1);
  if (refuse(c, e)) c.aux = static_cast<uint16_t>(kFetchErrors[below(c.rng, kFetchErrors.size())]);
  plan(c, kC, kFetchReq);
}

// --- encoding --------------------------------------------------------------------------------

Text<32> client_id(const Conv& c) {
  Text<32> t;
  if ((c.serial & 3) == 0) {
    t.add("rdkafka");
    return t;
  }
  t.add((c.flags & kConsumer) != 0 ? "consumer-" : "producer-").num(1 + c.serial % 64);
  return t;
}

// The records of a produce request or fetch response: `c.step` records of `c.size` bytes, with
// headers (a W3C traceparent on a share).
template <class F>
void with_batch(const Conv& c, const Env& e, Rng& r, int64_t base_offset, F&& use) {
  const Text<64> trace = traceparent(r);
  Text<24> key;
  key.add("key-").num(r.below(100000));
  std::array<kafka::RecordHeader, 2> headers{};
  std::size_t nh = 0;
  if (r.chance(0.3)) headers[nh++] = {"traceparent", trace.bytes()};
  if (r.chance(0.5)) headers[nh++] = {"content-type", as_bytes("application/json")};
  std::array<kafka::Record, 3> records{};
  const bool keyed = r.chance(0.5);
  for (std::size_t i = 0; i < c.step && i < records.size(); ++i) {
    records[i].null_key = !keyed;
    records[i].key = key.bytes();
    records[i].value = payload(e, r, c.size);
    records[i].headers = std::span(headers.data(), nh);
    records[i].timestamp_delta = static_cast<int64_t>(i);
  }
  kafka::RecordBatch b;
  b.base_offset = base_offset;
  b.partition_leader_epoch = base_offset > 0 ? 3 : -1;  // set by the broker
  b.base_timestamp = 1700000000000 + static_cast<int64_t>(c.serial % 100000) * 10 + c.id;
  b.records = std::span(records.data(), c.step < records.size() ? c.step : records.size());
  use(b);
}

}  // namespace

std::span<const std::string_view> kafka_names() { return kNames; }

void kafka_start(Conv& c, Env& e) {
  c.version = static_cast<uint8_t>(chance(c.rng, 0.6) ? 3 : below(c.rng, 3));
  const auto produce = static_cast<uint16_t>(3 + below(c.rng, 7));  // 3..9
  const auto fetch = static_cast<uint16_t>(4 + below(c.rng, 8));    // 4..11
  c.pid[0] = static_cast<uint16_t>(produce | fetch << 8);
  c.pid[1] = static_cast<uint16_t>(1 + below(c.rng, 9));  // Metadata 1..9
  if (chance(c.rng, 0.4)) c.flags |= kConsumer;
  c.id = 1;
  // A broker older than the client refuses ApiVersions v3 (UNSUPPORTED_VERSION, answered in v0).
  c.aux = c.version == 3 && refuse(c, e) ? static_cast<uint16_t>(kafka::err::kUnsupportedVersion) : 0;
  plan(c, kC, kApiReq);
}

void kafka_encode(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  const Text<32> cid = client_id(c);
  const auto corr = static_cast<int32_t>(c.id + index(c));
  const int16_t error = error_of(c);
  const std::array<std::string_view, 1> topics = {topic(c)};
  switch (c.kind) {
    case kApiReq:
      return kafka::api_versions_request(w, c.version, corr, cid.view(), "librdkafka", "2.3.0");
    case kApiResp:
      // A broker refusing the version answers in version 0, which every client reads.
      return kafka::api_versions_response(w, error != 0 ? 0 : c.version, corr, error, kApis);
    case kMetaReq: {
      kafka::MetadataRequest m;
      m.version = static_cast<int16_t>(c.pid[1]);
      m.correlation_id = corr;
      m.client_id = cid.view();
      m.topics = topics;
      return kafka::metadata_request(w, m);
    }
    case kMetaResp: {
      static constexpr std::array<kafka::Broker, 3> kBrokers = {{{1, "broker-1.kafka.internal", 9092, "rack-a"},
                                                                 {2, "broker-2.kafka.internal", 9092, "rack-b"},
                                                                 {3, "broker-3.kafka.internal", 9092, "rack-c"}}};
      kafka::MetadataResponse m;
      m.version = static_cast<int16_t>(c.pid[1]);
      m.correlation_id = corr;
      m.brokers = kBrokers;
      m.cluster_id = "l7tap-gen-cluster";
      m.controller_id = 1;
      m.topics = topics;
      m.partitions = 6;
      return kafka::metadata_response(w, m);
    }
    case kProduceReq:
      return with_batch(c, e, r, 0, [&](const kafka::RecordBatch& b) {
        kafka::ProduceRequest p;
        p.version = produce_version(c);
        p.correlation_id = corr;
        p.client_id = cid.view();
        p.acks = acks(c);
        p.topic = topic(c);
        p.partition = partition(c);
        p.batch = b;
        kafka::produce_request(w, p);
      });
    case kProduceResp: {
      kafka::ProduceResponse p;
      p.version = produce_version(c);
      p.correlation_id = corr;
      p.topic = topic(c);
      p.partition = partition(c);
      p.error_code = error;
      p.base_offset = error != 0 ? -1 : static_cast<int64_t>(corr) * 3;
      return kafka::produce_response(w, p);
    }
    case kFetchReq: {
      kafka::FetchRequest f;
      f.version = fetch_version(c);
      f.correlation_id = corr;
      f.client_id = cid.view();
      f.topic = topic(c);
      f.partition = partition(c);
      f.fetch_offset = static_cast<int64_t>(c.id) * 3;
      f.rack_id = "rack-a";
      return kafka::fetch_request(w, f);
    }
    case kFetchResp: {
      const int64_t offset = static_cast<int64_t>(c.id) * 3;
      kafka::FetchResponse f;
      f.version = fetch_version(c);
      f.correlation_id = corr;
      f.topic = topic(c);
      f.partition = partition(c);
      f.partition_error = error;
      f.high_watermark = f.last_stable_offset = offset + c.step;
      if (error != 0) return kafka::fetch_response(w, f);
      return with_batch(c, e, r, offset, [&](const kafka::RecordBatch& b) {
        f.records = &b;
        kafka::fetch_response(w, f);
      });
    }
    default: return;
  }
}

void kafka_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kKafka;
  switch (c.kind) {
    case kApiReq:
      if (abort_after_request(c, e, kNApiVersions)) return;
      return plan(c, kS, kApiResp);
    case kApiResp:
      expect(e, p, kNApiVersions, status_of(c.aux));
      ++c.id;
      if (c.aux != 0) {  // retried in version 0
        c.version = 0;
        c.aux = 0;
        return plan(c, kC, kApiReq);
      }
      return plan(c, kC, kMetaReq);
    case kMetaReq:
      if (abort_after_request(c, e, kNMetadata)) return;
      return plan(c, kS, kMetaResp);
    case kMetaResp:
      expect(e, p, kNMetadata);
      return next_exchange(c, e);
    case kProduceReq:
      if (acks(c) == 0) {  // no response: a one-way message
        expect(e, p, kNProduce);
        return next_exchange(c, e);
      }
      if (index(c) + 1 < depth(c)) {  // the next request of the pipeline
        set_index(c, index(c) + 1);
        return plan(c, kC, kProduceReq);
      }
      if (c.rst && c.left == 0) {  // reset with every request of the pipeline unanswered
        expect(e, p, kNProduce, Status::kUnknown, RecordType::kRequest, depth(c));
        return finish(c, kC, true);
      }
      set_index(c, 0);
      return plan(c, kS, kProduceResp);
    case kProduceResp:
      expect(e, p, kNProduce, status_of(static_cast<uint32_t>(error_of(c))));
      if (index(c) + 1 < depth(c)) {  // the broker answers in request order
        set_index(c, index(c) + 1);
        return plan(c, kS, kProduceResp);
      }
      c.id += depth(c) - 1;
      return next_exchange(c, e);
    case kFetchReq:
      if (abort_after_request(c, e, kNFetch)) return;
      return plan(c, kS, kFetchResp);
    case kFetchResp:
      expect(e, p, kNFetch, status_of(static_cast<uint32_t>(error_of(c))));
      return next_exchange(c, e);
    default: return;
  }
}

}  // namespace gen::detail
