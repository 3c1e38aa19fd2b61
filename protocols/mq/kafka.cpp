#include "protocols/mq/kafka.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>
#include <vector>

#include "protocols/core/byte_reader.hpp"
#include "protocols/core/trace_context.hpp"
#include "protocols/mq/kafka_tables.hpp"

namespace l7tap {
namespace {

// Above Kafka's default socket.request.max.bytes (100 MiB); ASCII text (HTTP, NATS, ...) or a TLS
// record read as a size prefix is far larger.
constexpr uint32_t kMaxRequestSize = 128u << 20;
// Fetch responses are bounded by fetch.max.bytes (default 50 MiB) but brokers may be tuned up.
constexpr uint32_t kMaxResponseSize = 1u << 30;
// Clients and brokers newer than our table may use a few newer versions; the header layout of a
// newer version is known (flexible), only its body is not decoded.
constexpr int kVersionSlack = 3;
// Smallest request: header v0 (api_key, api_version, correlation_id).
constexpr uint32_t kMinRequestSize = 8;
constexpr std::string_view kNotInspected = "Type not yet inspected by l7tap";
// Bound on the record headers scanned for trace context.
constexpr int64_t kMaxHeadersScanned = 64;

enum ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kControlledShutdown = 7,
  kJoinGroup = 11,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kApiVersions = 18,
};

bool is_flexible(const KafkaApiInfo& api, int version) {
  return api.first_flexible >= 0 && version >= api.first_flexible;
}

// Request header v0 (no client_id) is used only by ControlledShutdown v0.
bool has_client_id(int key, int version) { return !(key == kControlledShutdown && version == 0); }

// Response header v1 (tagged fields after the correlation id) for flexible versions, except
// ApiVersions: its response always uses header v0 so that a client can read the error of a version
// the broker does not support.
bool response_header_flexible(int key, const KafkaApiInfo& api, int version) {
  return key != kApiVersions && is_flexible(api, version);
}

// Reads Kafka's types in either encoding: classic (int16 string / int32 array and bytes lengths,
// -1 = null) or flexible (unsigned varint length + 1, 0 = null; tagged fields end each structure).
class KafkaReader {
 public:
  KafkaReader(std::span<const uint8_t> d, bool flexible) : r_(d), flex_(flexible) {}

  ByteReader& raw() { return r_; }
  bool ok() const { return r_.ok(); }
  bool flexible() const { return flex_; }
  int8_t i8() { return static_cast<int8_t>(r_.u8()); }
  int16_t i16() { return static_cast<int16_t>(r_.be16()); }
  int32_t i32() { return static_cast<int32_t>(r_.be32()); }
  int64_t i64() { return static_cast<int64_t>(r_.be64()); }
  void skip(std::size_t n) { r_.skip(n); }

  // (Nullable) string; null reads as empty.
  std::string_view string() {
    int64_t n = flex_ ? compact_length() : i16();
    if (n <= 0) return {};
    return r_.str(static_cast<std::size_t>(n));
  }
  // Array element count; -1 for a null array.
  int64_t array_len() { return flex_ ? compact_length() : i32(); }
  // (Nullable) bytes/records: returns what is present of them, which may be less than their
  // declared size when decoding the prefix of a large message (nothing after them is read then).
  std::span<const uint8_t> bytes_prefix() {
    int64_t n = flex_ ? compact_length() : i32();
    if (n <= 0 || !r_.ok()) return {};
    std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(n), r_.remaining());
    return r_.bytes(take);
  }
  // Tagged fields at the end of a structure (flexible versions only).
  void tagged_fields() {
    if (!flex_) return;
    uint64_t count = r_.uvarint();
    for (uint64_t i = 0; i < count && r_.ok(); ++i) {
      r_.uvarint();  // tag
      uint64_t size = r_.uvarint();
      if (size > r_.remaining()) return r_.fail();
      r_.skip(static_cast<std::size_t>(size));
    }
  }

 private:
  int64_t compact_length() {
    uint64_t n = r_.uvarint();
    if (!r_.ok() || n > 0x7fffffffu) return r_.fail(), -1;
    return static_cast<int64_t>(n) - 1;
  }
  ByteReader r_;
  bool flex_;
};

// Decimal text of v.
struct IntText {
  char buf[24];
  std::size_t len;
  explicit IntText(int64_t v) {
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    len = static_cast<std::size_t>(res.ptr - buf);
  }
  std::string_view view() const { return {buf, len}; }
};

// endpoint = "$topic-$partition"; request_domain = topic.
void set_topic_partition(L7Fields& f, std::string_view topic, int32_t partition) {
  f.set(Field::kRequestDomain, topic);
  f.set(Field::kEndpoint, topic);
  f.append(Field::kEndpoint, "-");
  f.append(Field::kEndpoint, IntText(partition).view());
}

// request_resource = "$topic-$partition:$offset".
void set_resource(L7Fields& f, std::string_view topic, int32_t partition, int64_t offset) {
  f.set(Field::kRequestResource, topic);
  f.append(Field::kRequestResource, "-");
  f.append(Field::kRequestResource, IntText(partition).view());
  f.append(Field::kRequestResource, ":");
  f.append(Field::kRequestResource, IntText(offset).view());
}

void set_error(L7Fields& f, int16_t code) {
  f.set_response_code(code);
  if (code == 0) {
    f.response_status = ResponseStatus::kOk;
    return;
  }
  // The protocol's errors are reported by the broker; nothing in them says "bad request" the way
  // HTTP 4xx does, so every non-zero code counts as a server error.
  f.response_status = ResponseStatus::kServerError;
  f.set(Field::kResponseException, kafka_error_description(code));
}

// Offers the headers of the first record of a records field (record batch, magic 2) to the trace
// context. Message sets (magic 0/1) carry no headers; compressed batches are not inflated.
void scan_first_record_headers(std::span<const uint8_t> records, const ParserOptions* opts, L7Fields& f) {
  // Both message sets and record batches start with offset(8) and size(4); the magic byte is at
  // offset 16 in both (after crc in v0/v1, after partition_leader_epoch in v2).
  if (records.size() < 17 || records[16] < 2) return;
  ByteReader r(records);
  r.skip(8 + 4 + 4 + 1 + 4);  // base_offset, batch_length, partition_leader_epoch, magic, crc
  uint16_t attributes = r.be16();
  // lastOffsetDelta, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence.
  r.skip(4 + 8 + 8 + 8 + 2 + 4);
  int32_t count = static_cast<int32_t>(r.be32());
  if (!r.ok() || count <= 0) return;
  if ((attributes & 0x07) != 0) return;  // compression codec
  if ((attributes & 0x20) != 0) return;  // control batch (transaction markers)
  r.svarint();                           // record length
  r.u8();                                // attributes
  r.svarint();                           // timestamp delta
  r.svarint();                           // offset delta
  int64_t key_len = r.svarint();
  if (key_len > 0) r.skip(static_cast<std::size_t>(key_len));
  int64_t value_len = r.svarint();
  if (value_len > 0) r.skip(static_cast<std::size_t>(value_len));
  int64_t headers = r.svarint();
  if (!r.ok()) return;
  for (int64_t i = 0; i < headers && i < kMaxHeadersScanned; ++i) {
    int64_t klen = r.svarint();
    if (!r.ok() || klen < 0 || static_cast<uint64_t>(klen) > r.remaining()) return;
    std::string_view key = r.str(static_cast<std::size_t>(klen));
    int64_t vlen = r.svarint();
    if (!r.ok()) return;
    std::string_view value;
    if (vlen > 0) {
      if (static_cast<uint64_t>(vlen) > r.remaining()) return;
      value = r.str(static_cast<std::size_t>(vlen));
    }
    apply_trace_header(key, value, opts, f);
  }
}

// ---- request bodies --------------------------------------------------------------------------

// Returns acks (-1 when not read); acks = 0 means the broker sends no response.
int16_t decode_produce_request(KafkaReader& r, int version, const ParserOptions* opts, L7Fields& f) {
  if (version >= 3) r.string();  // transactional_id
  int16_t acks = r.i16();
  r.i32();  // timeout_ms
  if (!r.ok()) return -1;
  if (r.array_len() <= 0) return acks;
  std::string_view topic = r.string();
  int64_t partitions = r.array_len();
  if (!r.ok()) return acks;
  f.set(Field::kRequestDomain, topic);
  if (partitions <= 0) return acks;
  int32_t partition = r.i32();
  if (!r.ok()) return acks;
  // The offset is only known from the response's base_offset (request_resource is set there).
  set_topic_partition(f, topic, partition);
  scan_first_record_headers(r.bytes_prefix(), opts, f);
  return acks;
}

void decode_fetch_request(KafkaReader& r, int version, L7Fields& f) {
  if (version <= 14) r.i32();  // replica_id (a tagged field from v15)
  r.i32();                     // max_wait_ms
  r.i32();                     // min_bytes
  if (version >= 3) r.i32();   // max_bytes
  if (version >= 4) r.i8();    // isolation_level
  if (version >= 7) {
    r.i32();  // session_id
    r.i32();  // session_epoch
  }
  if (!r.ok() || r.array_len() <= 0) return;
  // From v13 topics are named by id (a UUID): the name is unknown from the request.
  if (version >= 13) return;
  std::string_view topic = r.string();
  int64_t partitions = r.array_len();
  if (!r.ok()) return;
  f.set(Field::kRequestDomain, topic);
  if (partitions <= 0) return;
  int32_t partition = r.i32();
  if (version >= 9) r.i32();  // current_leader_epoch
  int64_t fetch_offset = r.i64();
  if (!r.ok()) return;
  set_topic_partition(f, topic, partition);
  set_resource(f, topic, partition, fetch_offset);
}

void decode_group_request(KafkaReader& r, L7Fields& f) {
  std::string_view group = r.string();
  if (r.ok()) f.set_attribute("group_id", group);
}

// ---- response bodies -------------------------------------------------------------------------

void decode_produce_response(KafkaReader& r, L7Fields& f) {
  if (r.array_len() <= 0) return;
  std::string_view topic = r.string();
  int64_t partitions = r.array_len();
  if (!r.ok() || partitions <= 0) return;
  int32_t partition = r.i32();
  int16_t error = r.i16();
  int64_t base_offset = r.i64();
  if (!r.ok()) return;
  set_topic_partition(f, topic, partition);
  set_resource(f, topic, partition, base_offset);
  set_error(f, error);
}

void decode_fetch_response(KafkaReader& r, int version, const ParserOptions* opts, L7Fields& f) {
  if (version >= 1) r.i32();  // throttle_time_ms
  int16_t top_error = 0;
  if (version >= 7) {
    top_error = r.i16();
    r.i32();  // session_id
  }
  int64_t topics = r.array_len();
  if (!r.ok()) return;
  // A top-level error (v7+) applies to the whole request; otherwise the first partition's error.
  set_error(f, top_error);
  if (topics <= 0) return;
  std::string_view topic;
  if (version >= 13) {
    r.skip(16);  // topic_id
  } else {
    topic = r.string();
  }
  int64_t partitions = r.array_len();
  if (!r.ok() || partitions <= 0) return;
  int32_t partition = r.i32();
  int16_t error = r.i16();
  if (!r.ok()) return;
  if (version <= 12) set_topic_partition(f, topic, partition);
  if (top_error == 0) set_error(f, error);
  r.i64();                    // high_watermark
  if (version >= 4) r.i64();  // last_stable_offset
  if (version >= 5) r.i64();  // log_start_offset
  if (version >= 4) {
    int64_t aborted = r.array_len();
    for (int64_t i = 0; i < aborted && r.ok(); ++i) {
      r.i64();  // producer_id
      r.i64();  // first_offset
      r.tagged_fields();
    }
  }
  if (version >= 11) r.i32();  // preferred_read_replica
  if (!r.ok()) return;
  scan_first_record_headers(r.bytes_prefix(), opts, f);
}

// JoinGroup, LeaveGroup, SyncGroup: throttle_time_ms (from `throttle_from`), then error_code.
void decode_group_response(KafkaReader& r, int version, int throttle_from, L7Fields& f) {
  if (version >= throttle_from) r.i32();
  int16_t error = r.i16();
  if (r.ok()) set_error(f, error);
}

void set_ids(L7Fields& f, uint32_t correlation_id) {
  f.set_request_id(correlation_id);
  f.set(Field::kXRequestId, IntText(correlation_id).view());
}

// Checks a request header; returns false when the bytes cannot be a Kafka request. Needs at least
// 8 bytes after the size prefix.
bool plausible_request_start(std::span<const uint8_t> msg, const KafkaApiInfo** api_out) {
  int key = static_cast<int16_t>((msg[0] << 8) | msg[1]);
  int version = static_cast<int16_t>((msg[2] << 8) | msg[3]);
  const KafkaApiInfo* api = kafka_api(key);
  if (api == nullptr || version < 0 || version > api->max_version + kVersionSlack) return false;
  *api_out = api;
  return true;
}

bool printable(uint8_t c) { return c >= 0x20 && c < 0x7f; }

// Whether `data` (a size prefix onwards) starts like a Kafka request: plausible size, known api key,
// api_version within (a little beyond) the known range, client_id fitting the size and printable,
// small tagged-field count in header v2. `strict` also requires a non-empty client_id, which every
// mainstream client sends; it keeps a response (correlation id, then fields that are mostly zero)
// from passing for a request when the direction of a flow is not known.
ProbeVerdict request_verdict(std::span<const uint8_t> data, bool strict) {
  if (data.size() < 4) return ProbeVerdict::kMaybe;
  const uint32_t size = (uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) | (uint32_t{data[2]} << 8) | data[3];
  if (size < kMinRequestSize || size > kMaxRequestSize) return ProbeVerdict::kNo;
  if (data.size() < 12) return ProbeVerdict::kMaybe;
  const KafkaApiInfo* api = nullptr;
  if (!plausible_request_start(data.subspan(4), &api)) return ProbeVerdict::kNo;
  const int key = static_cast<int16_t>((data[4] << 8) | data[5]);
  const int version = static_cast<int16_t>((data[6] << 8) | data[7]);
  std::size_t pos = 12;
  if (has_client_id(key, version)) {
    if (size < 10) return ProbeVerdict::kNo;
    if (data.size() < 14) return ProbeVerdict::kMaybe;
    const int n = static_cast<int16_t>((data[12] << 8) | data[13]);
    if (n < -1 || (n > 0 && static_cast<uint32_t>(n) > size - 10)) return ProbeVerdict::kNo;
    if (strict && n < 1) return ProbeVerdict::kNo;
    pos = 14;
    // Client ids are printable names ("producer-1", "rdkafka", ...).
    for (int i = 0; i < n; ++i, ++pos) {
      if (pos >= data.size()) return ProbeVerdict::kMaybe;
      if (!printable(data[pos])) return ProbeVerdict::kNo;
    }
  } else if (strict) {
    return ProbeVerdict::kNo;
  }
  if (is_flexible(*api, version)) {
    // Header v2 ends with tagged fields: a small count (clients send 0).
    if (pos >= data.size()) return ProbeVerdict::kMaybe;
    if (data[pos] > 0x10) return ProbeVerdict::kNo;
  }
  return ProbeVerdict::kYes;
}

class KafkaParser final : public Parser {
 public:
  struct Pending {
    uint32_t correlation_id;
    int16_t api_key;
    int16_t api_version;
  };
  static std::size_t pending_capacity(const ParserOptions& o) { return o.max_pending != 0 ? o.max_pending : 256; }
  // Most connections have a few requests in flight (librdkafka's default is 5): the table starts
  // inside the object and moves to a pool block of twice the size when it fills, up to
  // max_pending. So a Kafka flow's state is a few cache lines, not max_pending entries.
  static std::size_t state_size(const ParserOptions&) { return sizeof(KafkaParser); }
  explicit KafkaParser(const ParserEnv& env)
      : pool_(env.pool),
        pending_cap_(static_cast<uint32_t>(pending_capacity(*env.options))),
        pending_size_(std::min(kInlinePending, pending_cap_)) {}
  ~KafkaParser() override {
    if (pool_ != nullptr) grown_.free(*pool_);
  }

  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override {
    const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
    ParseResult res;
    std::size_t off = 0;
    bool& resync = resync_[static_cast<int>(dir)];
    if (resync) {
      // After a length refused as garbage: look in these bytes for where a message starts again.
      // Kafka has no marker; a frame checks out when its header does (see frame_verdict). Nothing
      // found: the bytes are dropped and framing restarts at the next segment (as after a gap).
      const std::size_t limit = std::min<std::size_t>(data.size(), kResyncScan);
      ProbeVerdict v = ProbeVerdict::kNo;
      while (off < limit && (v = frame_verdict(dir, data.subspan(off), ctx.max_message)) == ProbeVerdict::kNo) ++off;
      if (v == ProbeVerdict::kMaybe && data.size() - off < cap) {
        res.consumed = static_cast<uint32_t>(off);  // keep the candidate until it can be checked
        return res;
      }
      resync = false;
      if (v != ProbeVerdict::kYes) {
        res.consumed = static_cast<uint32_t>(data.size());
        return res;
      }
    }
    while (data.size() - off >= 4) {
      std::span<const uint8_t> rest = data.subspan(off);
      const uint32_t size = (uint32_t{rest[0]} << 24) | (uint32_t{rest[1]} << 16) | (uint32_t{rest[2]} << 8) | rest[3];
      const uint64_t total = uint64_t{size} + 4;
      // Bytes that can still come for this message within the buffer bound.
      const bool can_wait = rest.size() < total && rest.size() < cap;
      Role& role = roles_[static_cast<int>(dir)];
      if (role == Role::kUnknown) {
        const Decision decision = decide_role(dir, rest, can_wait);
        if (decision == Decision::kNeedMore) break;
        if (decision == Decision::kNotKafka) {
          res.error = true;
          return res;
        }
        // Kafka requests only ever come from clients.
        if (roles_[static_cast<int>(Dir::kToClient)] == Role::kRequests) ctx.report_reversed();
      }
      if (total > ctx.max_message) {
        // Garbage, not a message: the driver resynchronises, we look for the next frame.
        res.consumed = static_cast<uint32_t>(off);
        res.oversize = true;
        resync = true;
        return res;
      }
      const bool requests = role == Role::kRequests;
      if (requests ? (size < kMinRequestSize || size > kMaxRequestSize) : (size < 4 || size > kMaxResponseSize)) {
        res.error = true;
        return res;
      }
      // Reject a bad request header as soon as it is there, not once the whole size arrived.
      const KafkaApiInfo* api = nullptr;
      if (requests && rest.size() >= 12 && !plausible_request_start(rest.subspan(4), &api)) {
        res.error = true;
        return res;
      }
      std::span<const uint8_t> body;
      uint64_t skip = 0;
      if (rest.size() >= total) {
        body = rest.subspan(4, size);
      } else if (total > cap && rest.size() >= cap) {
        // Too large to buffer whole: decode the prefix, skip the remainder.
        body = rest.subspan(4);
        skip = total - rest.size();
      } else {
        res.need = total;  // wait for the whole message
        break;
      }
      bool ok = requests ? on_request(body, size, ctx) : on_response(body, size, ctx);
      if (!ok) {
        res.error = true;
        return res;
      }
      any_message_ = true;
      off += 4 + body.size();
      if (skip != 0) {
        res.consumed = static_cast<uint32_t>(off);
        res.skip = skip;
        return res;
      }
    }
    res.consumed = static_cast<uint32_t>(off);
    return res;
  }

  // Framing restarts at the next bytes handed over; pending requests stay (their responses may
  // still come in the other direction). Which side sends requests is kept once a message proved
  // it, and decided afresh when the bytes that decided it turned out not to be Kafka.
  bool on_gap(Dir) override {
    if (!any_message_) roles_ = {Role::kUnknown, Role::kUnknown};
    return true;
  }

  // Whole frames whose headers check out, the last one possibly incomplete (its header checked).
  bool plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) override {
    std::size_t off = 0, checked = 0;
    while (off < data.size()) {
      const ProbeVerdict v = frame_verdict(dir, data.subspan(off), max_message);
      if (v != ProbeVerdict::kYes) return v == ProbeVerdict::kMaybe && checked != 0;
      ++checked;
      const std::span<const uint8_t> f = data.subspan(off);
      off += 4 + ((std::size_t{f[0]} << 24) | (std::size_t{f[1]} << 16) | (std::size_t{f[2]} << 8) | f[3]);
    }
    return checked != 0;
  }

 private:
  // Which side of the flow sends requests. Dir is a guess for flows picked up mid-connection (the
  // side with the higher port counts as client), so a request seen first in kToClient turns the
  // roles around.
  enum class Role : uint8_t { kUnknown, kRequests, kResponses };

  enum class Decision : uint8_t { kDecided, kNeedMore, kNotKafka };

  // Offsets tried per parse call when looking for a frame after a refused length.
  static constexpr std::size_t kResyncScan = 4096;

  // Whether a message of `dir` starts at data[0]: a request header that checks out (known api
  // key and version, non-empty printable client id), or a response whose correlation id is one we wait for;
  // either within the size limits. kMaybe: too few bytes to tell. kNo when the roles are unknown.
  ProbeVerdict frame_verdict(Dir dir, std::span<const uint8_t> data, uint64_t max_message) const {
    const Role role = roles_[static_cast<int>(dir)];
    if (role == Role::kUnknown) return ProbeVerdict::kNo;
    if (data.size() < 4) return ProbeVerdict::kMaybe;
    const uint32_t size = (uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) | (uint32_t{data[2]} << 8) | data[3];
    if (uint64_t{size} + 4 > max_message) return ProbeVerdict::kNo;
    // Strict: a non-empty printable client id, which every mainstream client sends; zeros inside a
    // message body (api key 0, version 0, empty client id) must not pass for a request.
    if (role == Role::kRequests) return request_verdict(data, true);
    if (size < 4 || size > kMaxResponseSize) return ProbeVerdict::kNo;
    if (data.size() < 8) return ProbeVerdict::kMaybe;
    const uint32_t id = (uint32_t{data[4]} << 24) | (uint32_t{data[5]} << 16) | (uint32_t{data[6]} << 8) | data[7];
    for (uint32_t k = 0; k < pending_n_; ++k)
      if (pending_[(pending_head_ + k) % pending_size_].correlation_id == id) return ProbeVerdict::kYes;
    return ProbeVerdict::kNo;
  }

  // Sets roles_ from the first message of `dir` (its first bytes in `rest`).
  Decision decide_role(Dir dir, std::span<const uint8_t> rest, bool can_wait) {
    const int d = static_cast<int>(dir);
    const Role other = roles_[1 - d];
    if (other != Role::kUnknown) {
      roles_[d] = other == Role::kRequests ? Role::kResponses : Role::kRequests;
      return Decision::kDecided;
    }
    const ProbeVerdict v = request_verdict(rest, dir == Dir::kToClient);
    if (v == ProbeVerdict::kMaybe && can_wait) return Decision::kNeedMore;
    if (v == ProbeVerdict::kYes) {
      roles_[d] = Role::kRequests;
      roles_[1 - d] = Role::kResponses;
      return Decision::kDecided;
    }
    // The client side's first message is not a request: not (or not yet in sync with) Kafka.
    if (dir == Dir::kToServer) return Decision::kNotKafka;
    roles_[d] = Role::kResponses;
    roles_[1 - d] = Role::kRequests;
    return Decision::kDecided;
  }

  bool on_request(std::span<const uint8_t> body, uint32_t size, ParseContext& ctx) {
    const KafkaApiInfo* api = nullptr;
    if (body.size() < 8 || !plausible_request_start(body, &api)) return false;
    KafkaReader hdr(body, false);
    const int16_t key = hdr.i16();
    const int16_t version = hdr.i16();
    const uint32_t correlation_id = static_cast<uint32_t>(hdr.i32());
    const bool flexible = is_flexible(*api, version);
    if (has_client_id(key, version)) {
      // client_id is a classic nullable string even in header v2.
      int16_t n = hdr.i16();
      if (!hdr.ok() || n < -1 || (n > 0 && static_cast<uint32_t>(n) > size - 10)) return false;
      if (n > 0) hdr.skip(static_cast<std::size_t>(n));
    }
    Message m;
    m.role = MsgRole::kRequest;
    m.has_id = true;
    m.id = correlation_id;
    L7Fields& f = m.fields;
    f.set(Field::kRequestType, api->name);
    f.set(Field::kVersion, IntText(version).view());
    set_ids(f, correlation_id);
    f.set_request_length(size);
    bool expects_response = true;
    if (hdr.ok() && version <= api->max_version) {
      KafkaReader r(hdr.raw().rest(), flexible);
      if (flexible) r.tagged_fields();  // header v2
      if (r.ok()) {
        switch (key) {
          case kProduce:
            expects_response = decode_produce_request(r, version, ctx.options, f) != 0;
            break;
          case kFetch:
            decode_fetch_request(r, version, f);
            break;
          case kJoinGroup:
          case kLeaveGroup:
          case kSyncGroup:
            decode_group_request(r, f);
            break;
          default:
            break;
        }
      }
    }
    if (expects_response) {
      remember(correlation_id, key, version, ctx);
    } else {
      // Produce with acks=0: the broker never answers.
      m.role = MsgRole::kOneWay;
    }
    ctx.emit(m);
    return true;
  }

  bool on_response(std::span<const uint8_t> body, uint32_t size, ParseContext& ctx) {
    KafkaReader hdr(body, false);
    const uint32_t correlation_id = static_cast<uint32_t>(hdr.i32());
    Message m;
    m.role = MsgRole::kResponse;
    m.has_id = true;
    m.id = correlation_id;
    L7Fields& f = m.fields;
    set_ids(f, correlation_id);
    f.set_response_length(size);
    Pending p{};
    if (take(correlation_id, p)) {
      const KafkaApiInfo* api = kafka_api(p.api_key);
      f.set(Field::kRequestType, api->name);
      f.set(Field::kVersion, IntText(p.api_version).view());
      decode_response(hdr.raw().rest(), p, *api, ctx, f);
    }
    // Without its request a response cannot be decoded: it is logged with its id and size.
    ctx.emit(m);
    return true;
  }

  void decode_response(std::span<const uint8_t> rest, const Pending& p, const KafkaApiInfo& api, ParseContext& ctx,
                       L7Fields& f) {
    const int version = p.api_version;
    if (version > api.max_version) return;  // newer than our table: layout unknown
    KafkaReader r(rest, is_flexible(api, version));
    if (response_header_flexible(p.api_key, api, version)) r.tagged_fields();  // header v1
    if (!r.ok()) return;
    switch (p.api_key) {
      case kProduce:
        decode_produce_response(r, f);
        break;
      case kFetch:
        decode_fetch_response(r, version, ctx.options, f);
        break;
      case kJoinGroup:
        decode_group_response(r, version, 2, f);
        break;
      case kLeaveGroup:
      case kSyncGroup:
        decode_group_response(r, version, 1, f);
        break;
      case kApiVersions: {
        int16_t error = r.i16();
        if (r.ok()) set_error(f, error);
        break;
      }
      default: {
        // Not decoded in depth, but most responses open with an error code (after the throttle
        // time in most versions): report it rather than assume the request succeeded.
        const int at = kafka_top_error_offset(p.api_key, version);
        if (at >= 0) {
          r.skip(static_cast<std::size_t>(at));
          const int16_t error = r.i16();
          if (r.ok()) {
            set_error(f, error);
            break;
          }
        }
        f.set_response_code(-2);
        f.response_status = ResponseStatus::kOk;
        f.set(Field::kResponseException, kNotInspected);
        break;
      }
    }
  }

  // A ring of the requests awaiting a response, oldest first, bounded by max_pending (the oldest
  // is dropped when full).
  void remember(uint32_t correlation_id, int16_t key, int16_t version, ParseContext&) {
    if (pending_n_ == pending_size_ && !grow()) {
      pending_head_ = (pending_head_ + 1) % pending_size_;
      --pending_n_;
    }
    pending_[(pending_head_ + pending_n_) % pending_size_] = {correlation_id, key, version};
    ++pending_n_;
  }

  // A full table doubles into a pool block (up to max_pending); false when it may not or the
  // pool refuses (then the oldest request is forgotten, as at max_pending).
  bool grow() {
    const uint32_t size = std::min(pending_cap_, pending_size_ * 2);
    if (size <= pending_size_ || pool_ == nullptr) return false;
    PoolBlock next;
    if (!next.reserve(*pool_, size * sizeof(Pending), 0)) return false;
    auto* to = reinterpret_cast<Pending*>(next.data);
    for (uint32_t k = 0; k < pending_n_; ++k) to[k] = pending_[(pending_head_ + k) % pending_size_];
    grown_.free(*pool_);
    grown_ = next;
    pending_ = to;
    pending_size_ = size;
    pending_head_ = 0;
    return true;
  }

  bool take(uint32_t correlation_id, Pending& out) {
    // Responses come in request order on a connection: the match is almost always the oldest.
    for (uint32_t k = 0; k < pending_n_; ++k) {
      if (pending_[(pending_head_ + k) % pending_size_].correlation_id != correlation_id) continue;
      out = pending_[(pending_head_ + k) % pending_size_];
      if (k == 0) {
        pending_head_ = (pending_head_ + 1) % pending_size_;
      } else {  // close the hole: move the newer ones back by one
        for (uint32_t j = k; j + 1 < pending_n_; ++j)
          pending_[(pending_head_ + j) % pending_size_] = pending_[(pending_head_ + j + 1) % pending_size_];
      }
      --pending_n_;
      return true;
    }
    return false;
  }

  static constexpr uint32_t kInlinePending = 8;
  BufferPool* pool_;
  uint32_t pending_cap_;               // max_pending
  uint32_t pending_size_ = kInlinePending;  // the table's current size
  uint32_t pending_head_ = 0;
  uint32_t pending_n_ = 0;
  Pending* pending_ = inline_pending_;  // inline_pending_ or grown_'s bytes
  PoolBlock grown_;
  Pending inline_pending_[kInlinePending];
  std::array<Role, 2> roles_{Role::kUnknown, Role::kUnknown};
  std::array<bool, 2> resync_{};  // after a refused length: look for a frame start
  bool any_message_ = false;
};

constexpr std::array<std::string_view, 1> kSignatures = {
    // size < 128 MiB, api_key 0..95, api_version 0..31: a first filter, probe() decides.
    "^\\x00[\\x00-\\x07][\\x00-\\xff]{2}\\x00[\\x00-\\x5f]\\x00[\\x00-\\x1f]",
};
constexpr std::array<uint16_t, 1> kPorts = {9092};

using namespace std::string_view_literals;
// ApiVersions v0 request (correlation id 1, client "c") and its response (one api: Produce 0-9).
constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToServer, "\x00\x00\x00\x0b\x00\x12\x00\x00\x00\x00\x00\x01\x00\x01" "c"sv},
    {Dir::kToClient, "\x00\x00\x00\x10\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x09"sv},
};

}  // namespace

ProbeVerdict kafka_probe(Dir dir, std::span<const uint8_t> data) {
  // kToClient is only a guess for flows picked up mid-connection: a request there must look
  // unmistakably like one (see request_verdict).
  return request_verdict(data, dir == Dir::kToClient);
}

const ProtocolDescriptor kKafkaDescriptor{
    "kafka",
    kTcp,
    kSignatures,
    kPorts,
    &kafka_probe,
    ParserFactory{&KafkaParser::state_size,
                  [](void* memory, const ParserEnv& env) -> Parser* { return new (memory) KafkaParser(env); }},
    kFuzzSamples,
    // Requests are capped by the broker's socket.request.max.bytes (100 MiB by default), fetch
    // responses by fetch.max.bytes (50 MiB by default).
    128ull << 20,
};

}  // namespace l7tap
