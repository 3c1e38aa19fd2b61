#include "protocols/mq/pulsar.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "protocols/codec/protobuf_wire.hpp"
#include "protocols/core/trace_context.hpp"

namespace l7tap {
namespace pulsar {
namespace {

// Brokers accept maxMessageSize (5 MiB by default) plus 10 KiB of framing
// (Commands.MESSAGE_SIZE_FRAME_PADDING); operators raise it. 64 MiB leaves room for that and is
// what the probe and the signature assume.
constexpr uint64_t kMaxFrame = 64ull << 20;

// Magic numbers of the parts after a SEND / MESSAGE command.
constexpr uint8_t kMagicHi = 0x0e;
constexpr uint8_t kMagicCrc = 0x01;     // 0x0e01: CRC32C, metadata size, MessageMetadata, payload
constexpr uint8_t kMagicBroker = 0x02;  // 0x0e02: size, BrokerEntryMetadata (before 0x0e01)

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool has_payload_part(uint64_t type) {
  return type == static_cast<uint64_t>(Type::kSend) || type == static_cast<uint64_t>(Type::kMessage);
}

// KeyValue {key = 1, value = 2} → apply_trace_header.
void apply_key_value(std::span<const uint8_t> kv, const ParserOptions* options, L7Fields& fields) {
  pb::Reader r(kv);
  pb::Field f;
  std::string_view key, value;
  while (r.next(f) == pb::Status::kOk) {
    if (f.type != pb::WireType::kLen) continue;
    if (f.number == 1) key = f.as_string();
    if (f.number == 2) value = f.as_string();
  }
  if (!key.empty()) apply_trace_header(key, value, options, fields);
}

// The messages of a batch: size (4 B) | SingleMessageMetadata {properties = 1, payload_size = 3}
// | payload, `count` times (each step consumes at least 4 bytes: bounded by the bytes present).
void apply_batch(std::span<const uint8_t> p, uint64_t count, const ParserOptions* options, L7Fields& fields) {
  for (uint64_t i = 0; i < count && p.size() >= 4; ++i) {
    const uint32_t n = be32(p.data());
    if (n > p.size() - 4) return;
    pb::Reader r(p.subspan(4, n));
    pb::Field f;
    uint64_t payload_size = 0;
    while (r.next(f) == pb::Status::kOk) {
      if (f.number == 1 && f.type == pb::WireType::kLen) apply_key_value(f.bytes, options, fields);
      if (f.number == 3 && f.type == pb::WireType::kVarint) payload_size = f.value;
    }
    if (payload_size > p.size() - 4 - n) return;
    p = p.subspan(4 + n + static_cast<std::size_t>(payload_size));
  }
}

// The short topic name: after its last '/' ("persistent://public/default/my-topic" → "my-topic").
std::string_view short_topic(std::string_view topic) {
  const std::size_t slash = topic.rfind('/');
  return slash == std::string_view::npos ? topic : topic.substr(slash + 1);
}

}  // namespace

ProbeVerdict frame_verdict(std::span<const uint8_t> d, uint64_t max_frame) {
  if (d.size() < 4) return ProbeVerdict::kMaybe;
  const uint32_t total = be32(d.data());
  if (total < kMinTotalSize || uint64_t{total} + 4 > max_frame) return ProbeVerdict::kNo;
  if (d.size() < 8) return ProbeVerdict::kMaybe;
  const uint32_t cmd = be32(d.data() + 4);
  if (cmd < 4 || cmd > total - 4) return ProbeVerdict::kNo;
  // BaseCommand: type (field 1, varint) first, then the command's own message, whose field
  // number is the type's value, and nothing else.
  if (d.size() < 9) return ProbeVerdict::kMaybe;
  if (d[8] != 0x08) return ProbeVerdict::kNo;
  if (d.size() < 10) return ProbeVerdict::kMaybe;
  const uint8_t type = d[9];
  if (type >= 0x80 || command_info(type) == nullptr) return ProbeVerdict::kNo;
  const uint32_t tag = (uint32_t{type} << 3) | 2;
  std::size_t pos = 10;
  const uint8_t tag_bytes[2] = {static_cast<uint8_t>(tag < 0x80 ? tag : (tag & 0x7f) | 0x80),
                                static_cast<uint8_t>(tag >> 7)};
  const std::size_t tag_len = tag < 0x80 ? 1 : 2;
  for (std::size_t i = 0; i < tag_len; ++i, ++pos) {
    if (d.size() <= pos) return ProbeVerdict::kMaybe;
    if (d[pos] != tag_bytes[i]) return ProbeVerdict::kNo;
  }
  uint64_t len = 0;
  std::size_t len_bytes = 0;
  const pb::Status st = pb::read_varint(d.subspan(pos, std::min<std::size_t>(d.size() - pos, 5)), len, len_bytes);
  if (st == pb::Status::kTruncatedValue && d.size() - pos < 5) return ProbeVerdict::kMaybe;
  if (st != pb::Status::kOk) return ProbeVerdict::kNo;
  pos += len_bytes;
  if (pos - 8 > cmd || len != cmd - (pos - 8)) return ProbeVerdict::kNo;
  // Only SEND and MESSAGE have bytes after the command: at least a magic, checksum and
  // metadata size, starting with a magic number.
  const uint32_t extra = total - 4 - cmd;
  if (extra != 0) {
    if (!has_payload_part(type) || extra < 10) return ProbeVerdict::kNo;
    const std::size_t at = 8 + std::size_t{cmd};
    if (d.size() > at && d[at] != kMagicHi) return ProbeVerdict::kNo;
    if (d.size() > at + 1 && d[at + 1] != kMagicCrc && d[at + 1] != kMagicBroker) return ProbeVerdict::kNo;
  }
  return ProbeVerdict::kYes;
}

ProbeVerdict probe(Dir, std::span<const uint8_t> data) {
  const ProbeVerdict v = frame_verdict(data, kMaxFrame);
  if (v != ProbeVerdict::kYes) return v;
  // When the whole command is there, its own message must be well-formed protobuf too.
  const uint32_t cmd = be32(data.data() + 4);
  if (data.size() >= 8 + std::size_t{cmd}) {
    pb::Reader r(data.subspan(8, cmd));
    pb::Field f;
    r.next(f);  // type
    if (r.next(f) != pb::Status::kOk) return ProbeVerdict::kNo;
    pb::Reader sub = f.as_message();
    while (sub.skip(64) == pb::Status::kOk) {
    }
    if (sub.status() != pb::Status::kEnd) return ProbeVerdict::kNo;
  }
  return ProbeVerdict::kYes;
}

bool decode_command(std::span<const uint8_t> bytes, Command& c) {
  pb::Reader r(bytes);
  pb::Field f;
  if (r.next(f) != pb::Status::kOk || f.number != 1 || f.type != pb::WireType::kVarint) return false;
  c.type = f.value;
  c.info = command_info(c.type);
  if (c.info == nullptr) return false;
  std::span<const uint8_t> sub;
  for (;;) {
    const pb::Status st = r.next(f);
    const bool ours = f.number == c.type && f.type == pb::WireType::kLen;
    if (st == pb::Status::kOk) {
      if (ours) sub = f.bytes;
      continue;
    }
    // A large command cut by the buffer: decode the part that is there.
    if (st == pb::Status::kTruncatedValue && ours) sub = f.bytes;
    break;
  }
  const CommandInfo& info = *c.info;
  const auto type = static_cast<Type>(c.type);
  const bool send_family = type == Type::kSend || type == Type::kSendReceipt || type == Type::kSendError;
  pb::Reader s(sub);
  while (s.next(f) == pb::Status::kOk) {
    const uint32_t n = f.number;
    if (f.type == pb::WireType::kVarint) {
      if (n == info.request_id) {
        c.has_request_id = true;
        c.request_id = f.value;
      } else if (n == info.producer_id) {
        c.has_producer_id = true;
        c.producer_id = f.value;
      } else if (n == info.consumer_id) {
        c.has_consumer_id = true;
        c.consumer_id = f.value;
      } else if (n == info.error) {
        c.has_error = true;
        c.error = f.as_enum();
      } else if (send_family && n == 2) {
        c.has_sequence_id = true;
        c.sequence_id = f.value;
      } else if ((type == Type::kConnect && n == 4) || (type == Type::kConnected && n == 2)) {
        c.protocol_version = f.as_int32();
      } else if (type == Type::kProducerSuccess && n == 6) {
        c.producer_not_ready = f.value == 0;
      } else if (type == Type::kTopicMigrated && n == 1) {
        c.has_resource_id = true;
        c.resource_id = f.value;
      } else if (type == Type::kTopicMigrated && n == 2) {
        c.resource_type = f.as_enum();
      }
    } else if (f.type == pb::WireType::kLen) {
      if (n == info.topic) {
        c.topic = f.as_string();
      } else if (n == info.message) {
        c.error_message = f.as_string();
      } else if (n == info.message_id) {
        c.has_message_id = true;
        c.message_id = f.bytes;
      } else if (type == Type::kConnect && n == 6) {
        c.proxy_url = f.as_string();
      }
    }
  }
  return true;
}

std::size_t format_message_id(std::span<const uint8_t> message_id, std::span<char> out) {
  pb::Reader r(message_id);
  pb::Field f;
  uint64_t ledger = 0, entry = 0;
  int32_t partition = -1, batch = -1;
  bool has_ledger = false, has_entry = false;
  while (r.next(f) == pb::Status::kOk) {
    if (f.type != pb::WireType::kVarint) continue;
    switch (f.number) {
      case 1: ledger = f.value, has_ledger = true; break;
      case 2: entry = f.value, has_entry = true; break;
      case 3: partition = f.as_int32(); break;
      case 4: batch = f.as_int32(); break;
      default: break;
    }
  }
  if (!has_ledger || !has_entry) return 0;
  // Two uint64 and two int32 in decimal and three colons: 20 + 20 + 11 + 11 + 3 bytes at most.
  char buf[72];
  std::size_t len = 0;
  auto put = [&](auto v, bool colon) {
    len = static_cast<std::size_t>(std::to_chars(buf + len, buf + sizeof buf - 1, v).ptr - buf);
    if (colon) buf[len++] = ':';
  };
  put(ledger, true);
  put(entry, true);
  put(partition, true);
  put(batch, false);
  const auto n = std::min(len, out.size());
  std::memcpy(out.data(), buf, n);
  return n;
}

void apply_metadata(std::span<const uint8_t> p, const ParserOptions* options, L7Fields& fields) {
  if (p.size() >= 6 && p[0] == kMagicHi && p[1] == kMagicBroker) {
    const uint32_t n = be32(p.data() + 2);
    if (n > p.size() - 6) return;
    p = p.subspan(6 + n);
  }
  if (p.size() < 10 || p[0] != kMagicHi || p[1] != kMagicCrc) return;
  const uint32_t size = be32(p.data() + 6);
  const bool whole = size <= p.size() - 10;
  pb::Reader r(p.subspan(10, whole ? size : p.size() - 10));
  pb::Field f;
  uint64_t compression = 0, batch = 0;
  bool batched = false;
  while (r.next(f) == pb::Status::kOk) {
    if (f.number == 4 && f.type == pb::WireType::kLen) apply_key_value(f.bytes, options, fields);
    if (f.number == 8 && f.type == pb::WireType::kVarint) compression = f.value;
    if (f.number == 11 && f.type == pb::WireType::kVarint) {
      batched = true;
      batch = f.value;
    }
  }
  // A compressed batch would have to be inflated first: its messages' properties are not read.
  if (batched && compression == 0 && whole) apply_batch(p.subspan(10 + size), batch, options, fields);
}

}  // namespace pulsar

using pulsar::Command;
using pulsar::CommandInfo;

namespace {

// Pair classes: in order (no id) for CONNECT, PING and AUTH; by id for the rest.
enum PairClass : uint32_t { kConnectClass = 1, kRequestIdClass = 2, kSendClass = 3, kPingClass = 4, kAuthClass = 5 };

// Offsets tried per parse call when looking for a frame after a gap or garbage.
constexpr std::size_t kResyncScan = 4096;
// Consecutive failures without a message in between before the flow is given up.
constexpr uint32_t kMaxBadStreak = 16;
constexpr uint32_t kFirstTopicEntries = 4;

using pulsar::be32;

}  // namespace

PulsarParser::PulsarParser(const ParserEnv& env)
    : pool_(env.pool),
      max_topics_(env.options != nullptr && env.options->max_pending != 0 ? env.options->max_pending : 256) {}

PulsarParser::~PulsarParser() {
  if (pool_ != nullptr && !topics_.empty()) topics_.free(*pool_);
}

// The table grows by doubling (a pool block) up to max_pending entries; an id that does not fit
// is counted and not remembered.
void PulsarParser::remember(bool consumer, uint64_t id, std::string_view topic) {
  TopicEntry* t = topics();
  for (uint32_t i = 0; i < topics_n_; ++i) {
    if (t[i].id == id && t[i].consumer == consumer) {
      t[i].len = static_cast<uint8_t>(std::min(topic.size(), sizeof t[i].name));
      std::memcpy(t[i].name, topic.data(), t[i].len);
      return;
    }
  }
  if (topics_n_ == topics_cap_) {
    const uint32_t want = std::min(max_topics_, topics_cap_ == 0 ? kFirstTopicEntries : topics_cap_ * 2);
    if (want <= topics_cap_ || pool_ == nullptr ||
        !topics_.reserve(*pool_, std::size_t{want} * sizeof(TopicEntry), std::size_t{topics_n_} * sizeof(TopicEntry))) {
      ++topics_not_remembered_;
      return;
    }
    topics_cap_ = std::min<uint32_t>(want, topics_.capacity / sizeof(TopicEntry));
    t = topics();
  }
  TopicEntry& e = t[topics_n_++];
  e.id = id;
  e.consumer = consumer ? 1 : 0;
  e.len = static_cast<uint8_t>(std::min(topic.size(), sizeof e.name));
  std::memcpy(e.name, topic.data(), e.len);
}

std::string_view PulsarParser::topic_of(bool consumer, uint64_t id) const {
  const TopicEntry* t = topics();
  for (uint32_t i = 0; i < topics_n_; ++i)
    if (t[i].id == id && t[i].consumer == consumer) return {t[i].name, t[i].len};
  return {};
}

void PulsarParser::forget(bool consumer, uint64_t id) {
  TopicEntry* t = topics();
  for (uint32_t i = 0; i < topics_n_; ++i) {
    if (t[i].id == id && t[i].consumer == consumer) {
      t[i] = t[--topics_n_];
      return;
    }
  }
}

void PulsarParser::emit(Dir dir, std::span<const uint8_t> frame, uint32_t total, ParseContext& ctx) {
  const uint32_t cmd_size = be32(frame.data() + 4);
  const std::size_t cmd_have = std::min<std::size_t>(cmd_size, frame.size() - 8);
  Command c;
  if (!pulsar::decode_command(frame.subspan(8, cmd_have), c)) return;  // (the header was checked)
  const CommandInfo& info = *c.info;
  const auto type = static_cast<pulsar::Type>(c.type);

  // Client-only and server-only commands tell who the client is.
  if (info.sender != pulsar::Sender::kEither) {
    const Dir client = info.sender == pulsar::Sender::kClient ? dir : opposite(dir);
    if (client == Dir::kToClient) ctx.report_reversed();
    client_dir_ = static_cast<int8_t>(client);
  }
  const bool from_server = client_dir_ >= 0 ? static_cast<int8_t>(dir) != client_dir_ : dir == Dir::kToClient;

  Message msg;
  L7Fields& fl = msg.fields;
  switch (info.kind) {
    case pulsar::Kind::kRequest: msg.role = MsgRole::kRequest; break;
    case pulsar::Kind::kResponse: msg.role = MsgRole::kResponse; break;
    case pulsar::Kind::kOneWay: msg.role = MsgRole::kOneWay; break;
  }
  // A broker closes a producer or consumer (topic unloaded, fenced) with CLOSE_PRODUCER /
  // CLOSE_CONSUMER and the client does not answer: a notice, not a request.
  if ((type == pulsar::Type::kCloseProducer || type == pulsar::Type::kCloseConsumer) && from_server)
    msg.role = MsgRole::kOneWay;
  // PRODUCER_SUCCESS with producer_ready = false (waiting for exclusive access) is followed by
  // the one that completes the PRODUCER request.
  if (type == pulsar::Type::kProducerSuccess && c.producer_not_ready) msg.role = MsgRole::kOneWay;
  switch (info.pairing) {
    case pulsar::Pairing::kNone: break;
    case pulsar::Pairing::kConnect: msg.pair_class = kConnectClass; break;
    case pulsar::Pairing::kPing: msg.pair_class = kPingClass; break;
    case pulsar::Pairing::kAuth: msg.pair_class = kAuthClass; break;
    case pulsar::Pairing::kRequestId:
      msg.pair_class = kRequestIdClass;
      msg.has_id = true;
      msg.id = c.request_id;
      break;
    case pulsar::Pairing::kSend:
      // The receipt names the full producer and sequence ids: pair on both, not on the 32-bit
      // request_id made from their low bits.
      msg.pair_class = kSendClass;
      msg.has_id = true;
      msg.id = (c.producer_id * 0x9E3779B97F4A7C15ull) ^ c.sequence_id;
      break;
  }

  fl.set(Field::kRequestType, info.name);
  if (type == pulsar::Type::kConnect && !c.proxy_url.empty()) domain_ = c.proxy_url;
  if ((type == pulsar::Type::kConnect || type == pulsar::Type::kConnected) && c.protocol_version >= 0)
    version_ = version_ < 0 ? c.protocol_version : std::min(version_, c.protocol_version);
  if (version_ >= 0) {
    char buf[16];
    const auto r = std::to_chars(buf, buf + sizeof buf, version_);
    fl.set(Field::kVersion, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  }
  if (!domain_.empty()) fl.set(Field::kRequestDomain, domain_.view());

  std::string_view topic;
  if (!c.topic.empty()) {
    topic = pulsar::short_topic(c.topic);
    if (type == pulsar::Type::kProducer && c.has_producer_id) remember(false, c.producer_id, topic);
    if (type == pulsar::Type::kSubscribe && c.has_consumer_id) remember(true, c.consumer_id, topic);
  } else if (c.has_producer_id) {
    topic = topic_of(false, c.producer_id);
  } else if (c.has_consumer_id) {
    topic = topic_of(true, c.consumer_id);
  } else if (type == pulsar::Type::kTopicMigrated && c.has_resource_id) {
    topic = topic_of(c.resource_type == 1, c.resource_id);
  }
  if (!topic.empty()) {
    fl.set(Field::kRequestResource, topic);
    fl.set(Field::kEndpoint, topic);
  }
  // A closed producer's or consumer's id is not used again on the connection (clients number
  // them upwards; a producer the broker closed is re-created with a new PRODUCER).
  if (type == pulsar::Type::kCloseProducer && c.has_producer_id) forget(false, c.producer_id);
  if (type == pulsar::Type::kCloseConsumer && c.has_consumer_id) forget(true, c.consumer_id);

  if (info.pairing == pulsar::Pairing::kSend) {
    fl.set_request_id(((c.producer_id & 0xffff) << 16) | (c.sequence_id & 0xffff));
  } else if (c.has_request_id) {
    fl.set_request_id(c.request_id);
  }
  if (c.has_error) {
    fl.set_response_code(c.error);
    fl.response_status = pulsar::error_status(c.error);
    fl.set(Field::kResponseException, c.error_message.empty() ? pulsar::error_name(c.error) : c.error_message);
  }
  if (msg.role == MsgRole::kResponse) {
    fl.set_response_length(total);
  } else {
    fl.set_request_length(total);
  }
  if (pulsar::has_payload_part(c.type) && frame.size() > 8 + std::size_t{cmd_size})
    pulsar::apply_metadata(frame.subspan(8 + cmd_size), ctx.options, fl);
  if (c.has_message_id && !fl.has(Field::kXRequestId)) {
    char buf[96];
    const std::size_t n = pulsar::format_message_id(c.message_id, buf);
    if (n != 0) fl.set(Field::kXRequestId, std::string_view(buf, n));
  }
  bad_streak_ = 0;
  ctx.emit(msg);
}

ParseResult PulsarParser::parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  ParseResult res;
  const uint64_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  std::size_t off = 0;
  bool& resync = resync_[static_cast<int>(dir)];
  if (resync) {
    // Not at a frame boundary: look for a header that checks out (sizes, type field, the
    // command's own message). Nothing found: these bytes are dropped and the next segment tried.
    const std::size_t limit = std::min<std::size_t>(data.size(), kResyncScan);
    ProbeVerdict v = ProbeVerdict::kNo;
    while (off < limit && (v = pulsar::frame_verdict(data.subspan(off), ctx.max_message)) == ProbeVerdict::kNo) ++off;
    if (v == ProbeVerdict::kMaybe && data.size() - off < cap) {
      res.consumed = static_cast<uint32_t>(off);  // keep the candidate until it can be checked
      return res;
    }
    if (v != ProbeVerdict::kYes) {
      res.consumed = static_cast<uint32_t>(data.size());
      return res;
    }
    resync = false;
  }
  while (data.size() - off >= 4) {
    const std::span<const uint8_t> rest = data.subspan(off);
    const uint64_t frame = uint64_t{be32(rest.data())} + 4;
    if (frame > ctx.max_message) {  // garbage, not a frame: the driver resynchronises, so do we
      res.consumed = static_cast<uint32_t>(off);
      res.oversize = true;
      resync = true;
      return res;
    }
    const ProbeVerdict v = pulsar::frame_verdict(rest, ctx.max_message);
    if (v == ProbeVerdict::kNo) {
      res.consumed = static_cast<uint32_t>(off);
      res.error = true;
      return res;
    }
    if (v == ProbeVerdict::kMaybe) break;  // the header is not all there yet
    const auto total = static_cast<uint32_t>(frame - 4);
    if (rest.size() >= frame) {
      emit(dir, rest.first(static_cast<std::size_t>(frame)), total, ctx);
      off += static_cast<std::size_t>(frame);
      continue;
    }
    if (frame > cap && rest.size() >= cap) {
      // Larger than the buffer: decode the command and metadata from the prefix, skip the rest.
      emit(dir, rest, total, ctx);
      res.consumed = static_cast<uint32_t>(data.size());
      res.skip = frame - rest.size();
      return res;
    }
    res.need = frame;
    break;
  }
  res.consumed = static_cast<uint32_t>(off);
  return res;
}

bool PulsarParser::on_gap(Dir dir) {
  resync_[static_cast<int>(dir)] = true;
  return ++bad_streak_ <= kMaxBadStreak;
}

// Whole frames whose headers check out, the last one possibly incomplete.
bool PulsarParser::plausible_frames(Dir, std::span<const uint8_t> data, uint64_t max_message) {
  std::size_t off = 0, whole = 0;
  while (off < data.size()) {
    const std::span<const uint8_t> rest = data.subspan(off);
    const ProbeVerdict v = pulsar::frame_verdict(rest, max_message);
    if (v == ProbeVerdict::kNo) return false;
    if (v == ProbeVerdict::kMaybe) return whole != 0;
    const uint64_t frame = uint64_t{be32(rest.data())} + 4;
    if (frame > rest.size()) return true;
    off += static_cast<std::size_t>(frame);
    ++whole;
  }
  return whole != 0;
}

namespace {

// totalSize < 64 MiB, commandSize < 64 MiB, type field first with a type of the table (2..68).
constexpr std::string_view kSignatures[] = {
    "^[\\x00-\\x03][\\x00-\\xff]{3}[\\x00-\\x03][\\x00-\\xff]{3}\\x08[\\x02-\\x28\\x32-\\x44]",
};
constexpr uint16_t kPorts[] = {6650};

using namespace std::string_view_literals;
// CONNECT / CONNECTED (protocol v19), PRODUCER / PRODUCER_SUCCESS, SEND with a traceparent
// property / SEND_RECEIPT, PING / PONG.
constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToServer,
     "\x00\x00\x00\x13\x00\x00\x00\x0f\x08\x02\x12\x0b\x0a\x07gen-1.0 \x13\x00\x00\x00+\x00\x00\x00'\x08\x05*#\x0a\x1dpersistent://public/default/t\x10\x00\x18\x01\x00\x00\x00g\x00\x00\x00\x08\x08\x06" "2\x04\x08\x00\x10\x00\x0e\x01\x00\x00\x00\x00\x00\x00\x00O\x0a\x01p\x10\x00\x18\x01\x22" "F\x0a\x0btraceparent\x12" "700-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01hi\x00\x00\x00\x09\x00\x00\x00\x05\x08\x12\x92\x01\x00"sv},
    {Dir::kToClient,
     "\x00\x00\x00\x12\x00\x00\x00\x0e\x08\x03\x1a\x0a\x0a\x06server\x10\x13\x00\x00\x00\x0f\x00\x00\x00\x0b\x08\x11\x8a\x01\x06\x08\x01\x12\x02p1\x00\x00\x00\x12\x00\x00\x00\x0e\x08\x07:\x0a\x08\x00\x10\x00\x1a\x04\x08\x01\x10\x00\x00\x00\x00\x09\x00\x00\x00\x05\x08\x13\x9a\x01\x00"sv},
};

}  // namespace

const ProtocolDescriptor kPulsarDescriptor{
    "pulsar", kTcp, kSignatures, kPorts, &pulsar::probe, parser_factory<PulsarParser>(), kFuzzSamples, 64ull << 20,
};

}  // namespace l7tap
