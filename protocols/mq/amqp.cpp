#include "protocols/mq/amqp.hpp"

#include <array>
#include <string_view>

#include "protocols/core/byte_reader.hpp"
#include "protocols/core/fixed_string.hpp"
#include "protocols/core/trace_context.hpp"
#include "protocols/mq/amqp_methods.hpp"

namespace l7tap {
namespace {

using amqp::ArgLayout;
using amqp::MethodInfo;
using amqp::MethodRole;

constexpr uint8_t kFrameEnd = 0xCE;
constexpr std::size_t kFrameHeaderSize = 7;  // type, channel, payload size
constexpr std::size_t kFrameOverhead = 8;    // header + frame-end octet

enum FrameType : uint8_t { kMethodFrame = 1, kHeaderFrame = 2, kBodyFrame = 3, kHeartbeatFrame = 8 };

// A body frame still incomplete and larger than this is logged from its header and the rest of it
// skipped instead of buffered: bodies carry nothing we report.
constexpr uint64_t kSkipBodyAbove = 1024;
// Bound on a frame's size while frame-max is not known yet (the connection was picked up
// mid-stream, or Tune said "no limit"): RabbitMQ's own limit is far below this.
constexpr uint64_t kMaxFrameUnknown = 64ull << 20;
// Offsets tried per parse call when looking for frames again after a gap or a refused length.
constexpr std::size_t kResyncScan = 4096;
// Frames plausible_frames walks at most (a long run of them is as convincing as all of them).
constexpr int kFramesChecked = 16;
// A probe of a mid-stream flow believes a frame only up to this size.
constexpr uint32_t kProbeMaxFrame = 1u << 20;

// Protocol headers: 0-9-1, and the older 0-9 / 0-8 forms RabbitMQ also accepts (their framing
// and the methods we read are the same).
struct ProtocolHeader {
  std::array<uint8_t, 8> bytes;
  std::string_view version;
};
constexpr std::array<ProtocolHeader, 3> kProtocolHeaders{{
    {{'A', 'M', 'Q', 'P', 0, 0, 9, 1}, "v0.9.1"},
    {{'A', 'M', 'Q', 'P', 1, 1, 0, 9}, "v0.9"},
    {{'A', 'M', 'Q', 'P', 1, 1, 8, 0}, "v0.8"},
}};
constexpr std::string_view kDefaultVersion = "v0.9.1";

// -1: not a protocol header we parse; 0: a prefix of one (need more bytes); else index + 1.
int match_protocol_header(std::span<const uint8_t> d) {
  bool prefix = false;
  for (std::size_t i = 0; i < kProtocolHeaders.size(); ++i) {
    const auto& h = kProtocolHeaders[i].bytes;
    std::size_t n = d.size() < h.size() ? d.size() : h.size();
    bool same = true;
    for (std::size_t k = 0; k < n && same; ++k) same = d[k] == h[k];
    if (!same) continue;
    if (n == h.size()) return static_cast<int>(i) + 1;
    prefix = true;
  }
  return prefix ? 0 : -1;
}

std::string_view shortstr(ByteReader& r) { return r.str(r.u8()); }

// Fields read from a method's arguments.
struct MethodArgs {
  std::string_view exchange, routing_key, queue, reply_text, vhost;
  uint16_t reply_code = 0;
  bool has_reply = false;
  bool no_wait = false;
  uint32_t frame_max = 0;
  bool has_frame_max = false;
};

// Reads the arguments of `m` from `args` (which may be a prefix of them when the frame was too
// large to buffer: every read is bounds-checked, what was read before running out stays valid).
MethodArgs read_args(const MethodInfo& m, std::span<const uint8_t> args) {
  MethodArgs a;
  ByteReader r(args);
  auto bit = [&r](int n) { return ((r.u8() >> n) & 1) != 0; };
  switch (m.args) {
    case ArgLayout::kNone:
      // Connection.Tune / TuneOk: channel-max short, frame-max long, heartbeat short.
      if (m.class_id == amqp::kClassConnection && (m.method_id == 30 || m.method_id == 31)) {
        r.be16();
        a.frame_max = r.be32();
        a.has_frame_max = r.ok();
      }
      break;
    case ArgLayout::kConnectionOpen: a.vhost = shortstr(r); break;
    case ArgLayout::kClose:
      a.reply_code = r.be16();
      a.has_reply = r.ok();
      a.reply_text = shortstr(r);
      break;
    case ArgLayout::kExchangeDeclare:
      r.be16();
      a.exchange = shortstr(r);
      shortstr(r);  // type
      a.no_wait = bit(4);
      break;
    case ArgLayout::kExchangeDelete:
      r.be16();
      a.exchange = shortstr(r);
      a.no_wait = bit(1);
      break;
    case ArgLayout::kExchangeBind:
      // The binding routes what is published to `source` with `routing-key`: report that address.
      r.be16();
      shortstr(r);  // destination
      a.exchange = shortstr(r);
      a.routing_key = shortstr(r);
      a.no_wait = bit(0);
      break;
    case ArgLayout::kQueueDeclare:
      r.be16();
      a.queue = shortstr(r);
      a.no_wait = bit(4);
      break;
    case ArgLayout::kQueueBind:
    case ArgLayout::kQueueUnbind:
      r.be16();
      a.queue = shortstr(r);
      a.exchange = shortstr(r);
      a.routing_key = shortstr(r);
      if (m.args == ArgLayout::kQueueBind) a.no_wait = bit(0);
      break;
    case ArgLayout::kQueuePurge:
      r.be16();
      a.queue = shortstr(r);
      a.no_wait = bit(0);
      break;
    case ArgLayout::kQueueDelete:
      r.be16();
      a.queue = shortstr(r);
      a.no_wait = bit(2);
      break;
    case ArgLayout::kQueueDeclareOk: a.queue = shortstr(r); break;
    case ArgLayout::kBasicConsume:
      r.be16();
      a.queue = shortstr(r);
      shortstr(r);  // consumer-tag
      a.no_wait = bit(3);
      break;
    case ArgLayout::kBasicCancel:
      shortstr(r);  // consumer-tag
      a.no_wait = bit(0);
      break;
    case ArgLayout::kBasicPublish:
      r.be16();
      a.exchange = shortstr(r);
      a.routing_key = shortstr(r);
      break;
    case ArgLayout::kBasicReturn:
      a.reply_code = r.be16();
      a.has_reply = r.ok();
      a.reply_text = shortstr(r);
      a.exchange = shortstr(r);
      a.routing_key = shortstr(r);
      break;
    case ArgLayout::kBasicDeliver:
      shortstr(r);  // consumer-tag
      r.skip(9);    // delivery-tag, redelivered
      a.exchange = shortstr(r);
      a.routing_key = shortstr(r);
      break;
    case ArgLayout::kBasicGet:
      r.be16();
      a.queue = shortstr(r);
      break;
    case ArgLayout::kBasicGetOk:
      r.skip(9);  // delivery-tag, redelivered
      a.exchange = shortstr(r);
      a.routing_key = shortstr(r);
      break;
    case ArgLayout::kConfirmSelect: a.no_wait = bit(0); break;
  }
  if (!r.ok()) a.no_wait = false;  // truncated before the bits: assume the reply will come
  return a;
}

// "exchange.routing_key" when the method names either, else the queue.
void set_address(L7Fields& f, Field field, const MethodArgs& a) {
  if (!a.exchange.empty() || !a.routing_key.empty()) {
    f.set(field, a.exchange);
    f.append(field, ".");
    f.append(field, a.routing_key);
  } else {
    f.set(field, a.queue);
  }
}

// Skips one field value of type `t` (RabbitMQ's field types, which differ from the 0-9-1 spec's
// table for 's' — a signed 16-bit integer there, see RabbitMQ's 0-9-1 errata — plus the spec's
// 'U' and 'L'). Tables and arrays are length-prefixed, so nothing nests. Returns false for an
// unknown type (the rest of the table cannot be walked).
bool skip_field_value(ByteReader& r, uint8_t t) {
  switch (t) {
    case 't': case 'b': case 'B': r.skip(1); return true;
    case 's': case 'u': case 'U': r.skip(2); return true;
    case 'I': case 'i': case 'f': r.skip(4); return true;
    case 'D': r.skip(5); return true;
    case 'l': case 'L': case 'd': case 'T': r.skip(8); return true;
    case 'V': return true;
    case 'S': case 'x': case 'A': case 'F': r.skip(r.be32()); return true;
    default: return false;
  }
}

// Offers every string header of a content header's `headers` table to the trace-context helper.
// `props` starts at the property flags (may be a prefix of the properties).
void read_content_properties(std::span<const uint8_t> props, const ParserOptions* options, L7Fields& f) {
  ByteReader r(props);
  uint16_t flags = r.be16();
  // More flag words follow while bit 0 is set; Basic's 14 properties fit in the first one.
  for (uint16_t w = flags; r.ok() && (w & 1) != 0;) w = r.be16();
  if (!r.ok()) return;
  if (flags & 0x8000) shortstr(r);  // content-type
  if (flags & 0x4000) shortstr(r);  // content-encoding
  if ((flags & 0x2000) == 0 || !r.ok()) return;
  uint32_t table_len = r.be32();
  if (!r.ok()) return;
  // A table cut short (frame larger than the buffer) is walked as far as it goes.
  std::span<const uint8_t> rest = r.rest();
  ByteReader t(rest.subspan(0, table_len < rest.size() ? table_len : rest.size()));
  while (t.remaining() != 0) {
    std::string_view key = shortstr(t);
    uint8_t type = t.u8();
    if (!t.ok()) return;
    if (type == 'S' || type == 'x') {
      std::string_view value = t.str(t.be32());
      if (!t.ok()) return;
      apply_trace_header(key, value, options, f);
    } else if (!skip_field_value(t, type) || !t.ok()) {
      return;
    }
  }
}

class AmqpParser final : public Parser {
 public:
  explicit AmqpParser(const ParserEnv&) {}
  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override;
  bool on_gap(Dir dir) override {
    resync_[static_cast<int>(dir)] = true;
    return true;
  }
  bool plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) override;

 private:
  enum class FrameVerdict { kOk, kUnknownMethod, kBad };

  // Messages live on the stack (only their small header is initialised, nothing per flow).
  void start(Message& m, uint64_t frame_len) {
    m.fields.set(Field::kVersion, version_);
    if (!vhost_.empty()) m.fields.set(Field::kRequestDomain, vhost_);
    m.fields.set_request_length(static_cast<uint32_t>(frame_len));
  }
  void emit_one_way(std::string_view type, uint64_t frame_len, ParseContext& ctx) {
    Message msg;
    start(msg, frame_len);
    msg.fields.set(Field::kRequestType, type);
    ctx.emit(msg);
  }
  FrameVerdict on_method(Dir dir, uint16_t channel, std::span<const uint8_t> payload, uint64_t frame_len,
                         ParseContext& ctx);
  void on_content_header(std::span<const uint8_t> payload, uint64_t frame_len, ParseContext& ctx);
  uint64_t max_frame() const { return frame_max_ != 0 ? frame_max_ : kMaxFrameUnknown; }

  // Synchronous requests still waiting for their reply, per channel and sending direction, so a
  // Channel.Close / Connection.Close carrying an error can answer them (the broker reports a failed
  // method by closing the channel instead of sending its -Ok). Only channels with something
  // pending take a slot; when all slots are busy a channel goes untracked (it then just is not
  // answered by an error Close, as without this table).
  struct PendingSlot {
    uint16_t channel = 0;
    std::array<uint8_t, 2> count{};  // by Dir of the request
    bool used() const { return count[0] != 0 || count[1] != 0; }
  };
  static constexpr std::size_t kPendingSlots = 8;
  PendingSlot* pending_slot(uint16_t channel, bool create) {
    PendingSlot* free_slot = nullptr;
    for (PendingSlot& s : pending_) {
      if (s.used() && s.channel == channel) return &s;
      if (!s.used() && free_slot == nullptr) free_slot = &s;
    }
    if (!create || free_slot == nullptr) return nullptr;
    free_slot->channel = channel;
    return free_slot;
  }
  void answer_pending_with_close(Dir dir, uint16_t channel, uint64_t frame_len, const L7Fields& close,
                                 ParseContext& ctx);

  std::array<PendingSlot, kPendingSlots> pending_{};
  FixedString<FieldCaps::cap(Field::kRequestDomain)> vhost_;
  std::string_view version_ = kDefaultVersion;
  uint32_t frame_max_ = 0;                 // negotiated by Connection.Tune/TuneOk; 0 = unknown
  std::array<bool, 2> resync_{};           // after a gap: drop bytes until a frame checks out
};

void AmqpParser::answer_pending_with_close(Dir dir, uint16_t channel, uint64_t frame_len, const L7Fields& close,
                                           ParseContext& ctx) {
  PendingSlot* s = pending_slot(channel, false);
  if (s == nullptr) return;
  uint8_t& n = s->count[static_cast<int>(opposite(dir))];
  for (; n != 0; --n) {
    Message msg;
    start(msg, frame_len);
    L7Fields& f = msg.fields;
    f.set(Field::kRequestType, close.get(Field::kRequestType));
    f.set_response_code(close.response_code);
    f.response_status = close.response_status;
    f.set(Field::kResponseException, close.get(Field::kResponseException));
    f.has_request_length = false;
    f.request_length = 0;
    f.set_response_length(static_cast<uint32_t>(frame_len));
    msg.role = MsgRole::kResponse;
    msg.pair_class = channel;
    ctx.emit(msg);
  }
}

AmqpParser::FrameVerdict AmqpParser::on_method(Dir dir, uint16_t channel, std::span<const uint8_t> payload,
                                               uint64_t frame_len, ParseContext& ctx) {
  ByteReader r(payload);
  uint16_t class_id = r.be16();
  uint16_t method_id = r.be16();
  if (!r.ok()) return FrameVerdict::kBad;  // a method frame holds at least its ids
  const MethodInfo* m = amqp::find_method(class_id, method_id);
  if (m == nullptr) return FrameVerdict::kUnknownMethod;
  const MethodArgs a = read_args(*m, r.rest());

  if (m->args == ArgLayout::kConnectionOpen) vhost_ = a.vhost;
  if (a.has_frame_max) frame_max_ = a.frame_max;

  Message msg;
  start(msg, frame_len);
  L7Fields& f = msg.fields;
  f.set(Field::kRequestType, m->name);
  set_address(f, Field::kRequestResource, a);
  set_address(f, Field::kEndpoint, a);
  if (a.has_reply) {
    f.set_response_code(a.reply_code);
    f.response_status = amqp_reply_status(a.reply_code, dir);
    if (f.response_status == ResponseStatus::kOk)
      f.set(Field::kResponseResult, a.reply_text);
    else
      f.set(Field::kResponseException, a.reply_text);
  }
  switch (m->role) {
    case MethodRole::kRequest:
      // A synchronous method sent with no-wait gets no reply: waiting for one would pair the
      // channel's next reply with the wrong request.
      msg.role = a.no_wait ? MsgRole::kOneWay : MsgRole::kRequest;
      break;
    case MethodRole::kResponse:
      msg.role = MsgRole::kResponse;
      f.has_request_length = false;
      f.request_length = 0;
      f.set_response_length(static_cast<uint32_t>(frame_len));
      break;
    case MethodRole::kOneWay: msg.role = MsgRole::kOneWay; break;
  }
  msg.pair_class = channel;

  if (a.has_reply && m->args == ArgLayout::kClose && f.response_status != ResponseStatus::kOk) {
    // The error ends the peer's pending requests on this channel: the Close is their reply. It
    // is logged as such first, then as the Close request it also is (answered by Close-Ok).
    answer_pending_with_close(dir, channel, frame_len, f, ctx);
  }
  ctx.emit(msg);

  if (msg.role == MsgRole::kRequest) {
    if (PendingSlot* s = pending_slot(channel, true); s != nullptr && s->count[static_cast<int>(dir)] != 0xff)
      ++s->count[static_cast<int>(dir)];
  } else if (msg.role == MsgRole::kResponse) {
    if (PendingSlot* s = pending_slot(channel, false); s != nullptr && s->count[static_cast<int>(opposite(dir))] != 0)
      --s->count[static_cast<int>(opposite(dir))];
  }
  if (class_id == amqp::kClassChannel && method_id == 41) {
    // Channel closed: nothing more can be answered on it.
    if (PendingSlot* s = pending_slot(channel, false)) s->count = {};
  } else if (class_id == amqp::kClassConnection && method_id == 51) {
    // Connection closed: the vhost ends with it (kept on the Close-Ok itself), and every channel.
    vhost_.clear();
    pending_ = {};
  }
  return FrameVerdict::kOk;
}

void AmqpParser::on_content_header(std::span<const uint8_t> payload, uint64_t frame_len, ParseContext& ctx) {
  Message msg;
  start(msg, frame_len);
  msg.fields.set(Field::kRequestType, "Content-Header");
  ByteReader r(payload);
  uint16_t class_id = r.be16();
  r.skip(10);  // weight (always 0), body size
  if (r.ok() && class_id == amqp::kClassBasic) read_content_properties(r.rest(), ctx.options, msg.fields);
  ctx.emit(msg);
}

// Whole frames that check out (type, size within the limits, frame-end octet, a known method or
// content class), the last one possibly incomplete. Body frames have no structure to check: at
// least one method, content header or heartbeat frame must be among them.
bool AmqpParser::plausible_frames(Dir, std::span<const uint8_t> data, uint64_t max_message) {
  std::size_t off = 0;
  bool structured = false;
  for (int n = 0; n < kFramesChecked && data.size() - off >= kFrameHeaderSize; ++n) {
    ByteReader r(data.subspan(off));
    const uint8_t type = r.u8();
    const uint16_t channel = r.be16();
    const uint32_t size = r.be32();
    const uint64_t total = kFrameOverhead + size;
    if (total > std::min(max_frame(), max_message)) return false;
    switch (type) {
      case kMethodFrame: {
        const uint16_t class_id = r.be16();
        const uint16_t method_id = r.be16();
        if (!r.ok() || size < 4 || amqp::find_method(class_id, method_id) == nullptr) return false;
        break;
      }
      case kHeaderFrame: {
        const uint16_t class_id = r.be16();
        if (!r.ok() || size < 14 || !amqp::known_class(class_id)) return false;
        break;
      }
      case kBodyFrame: break;
      case kHeartbeatFrame:
        if (size != 0 || channel != 0) return false;
        break;
      default: return false;
    }
    structured = structured || type != kBodyFrame;
    if (data.size() - off < total) return structured;
    if (data[off + total - 1] != kFrameEnd) return false;
    off += total;
  }
  return structured;
}

ParseResult AmqpParser::parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  ParseResult res;
  bool& resync = resync_[static_cast<int>(dir)];
  const uint64_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  std::size_t pos = 0;
  // Framing lost: an error, except while resynchronising after a gap or a refused length, where
  // the bytes up to the next place whole frames start (plausible_frames, a bounded scan) are
  // dropped: the gap or refusal was already counted.
  auto lost = [&]() {
    if (resync) {
      const std::size_t limit = std::min(data.size(), pos + 1 + kResyncScan);
      std::size_t at = pos + 1;
      while (at < limit && !plausible_frames(dir, data.subspan(at), ctx.max_message)) ++at;
      res.consumed = static_cast<uint32_t>(at);
    } else {
      res.error = true;
    }
    return res;
  };

  while (pos < data.size()) {
    std::span<const uint8_t> rest = data.subspan(pos);
    if (rest[0] == 'A') {
      int h = match_protocol_header(rest);
      if (h < 0) return lost();
      if (h == 0) break;
      version_ = kProtocolHeaders[static_cast<std::size_t>(h - 1)].version;
      if (dir == Dir::kToClient) ctx.report_reversed();  // only clients send the protocol header
      emit_one_way("Protocol-Header", kProtocolHeaders[0].bytes.size(), ctx);
      pos += kProtocolHeaders[0].bytes.size();
      resync = false;
      res.consumed = static_cast<uint32_t>(pos);
      continue;
    }
    const uint8_t type = rest[0];
    if (type != kMethodFrame && type != kHeaderFrame && type != kBodyFrame && type != kHeartbeatFrame)
      return lost();
    if (rest.size() < kFrameHeaderSize) {
      res.need = kFrameHeaderSize;
      break;
    }
    ByteReader hr(rest);
    hr.u8();
    const uint16_t channel = hr.be16();
    const uint32_t size = hr.be32();
    const uint64_t total = kFrameOverhead + size;
    if (total > ctx.max_message && !resync) {  // garbage, not a frame: the driver resynchronises
      res.consumed = static_cast<uint32_t>(pos);
      res.oversize = true;
      return res;
    }
    if (total > max_frame()) return lost();
    if (type == kHeartbeatFrame && (size != 0 || channel != 0)) return lost();

    if (rest.size() >= total) {
      if (rest[total - 1] != kFrameEnd) return lost();
      std::span<const uint8_t> payload = rest.subspan(kFrameHeaderSize, size);
      switch (type) {
        case kMethodFrame: {
          FrameVerdict v = on_method(dir, channel, payload, total, ctx);
          // An unknown method in an intact frame is skipped; while resynchronising it is taken
          // as a sign that this is not a frame boundary.
          if (v == FrameVerdict::kBad || (v == FrameVerdict::kUnknownMethod && resync)) return lost();
          break;
        }
        case kHeaderFrame:
          if (size < 14) return lost();  // class, weight, body size, property flags
          on_content_header(payload, total, ctx);
          break;
        case kBodyFrame: emit_one_way("Content-Body", total, ctx); break;
        default: emit_one_way("Heartbeat", total, ctx); break;
      }
      pos += total;
      resync = false;
      res.consumed = static_cast<uint32_t>(pos);
      continue;
    }

    // Incomplete frame. Wait for the rest unless it can never be buffered whole (or is a body,
    // whose bytes we do not need): then log it from what we have and skip the remainder.
    const bool body_skip = type == kBodyFrame && total > kSkipBodyAbove && !resync;
    const bool too_big = total > cap && rest.size() >= cap;
    if (!body_skip && !too_big) {
      res.need = total;  // the driver holds the bytes without calling again until the frame is whole
      break;
    }
    std::span<const uint8_t> payload = rest.subspan(kFrameHeaderSize);
    switch (type) {
      case kMethodFrame:
        if (on_method(dir, channel, payload, total, ctx) != FrameVerdict::kOk) return lost();
        break;
      case kHeaderFrame: on_content_header(payload, total, ctx); break;
      default: emit_one_way("Content-Body", total, ctx); break;
    }
    resync = false;
    res.consumed = static_cast<uint32_t>(data.size());
    res.skip = total - rest.size();
    return res;
  }
  return res;
}

constexpr std::string_view kSignatures[] = {
    "^AMQP\\x00\\x00\\x09\\x01",
    "^AMQP\\x01\\x01(\\x00\\x09|\\x08\\x00)",
    // Method frame: type 1, channel, size < 16 MiB, a known class id, method id < 256.
    "^\\x01..\\x00...\\x00[\\x0a\\x14\\x1e\\x28\\x32\\x3c\\x55\\x5a]\\x00",
    // Content header of class Basic, weight 0.
    "^\\x02..\\x00...\\x00\\x3c\\x00\\x00",
    "^\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\xce",
};
constexpr uint16_t kPorts[] = {5672};

using namespace std::string_view_literals;
// Protocol header, then Connection.Start (0-9-1, no properties, mechanisms "PLAIN", locales
// "en_US") and a heartbeat.
constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToServer, "AMQP\x00\x00\x09\x01"sv},
    {Dir::kToClient,
     "\x01\x00\x00\x00\x00\x00\x1c\x00\x0a\x00\x0a\x00\x09\x00\x00\x00\x00\x00\x00\x00\x05PLAIN"
     "\x00\x00\x00\x05" "en_US\xce"sv},
    {Dir::kToServer, "\x08\x00\x00\x00\x00\x00\x00\xce"sv},
};

}  // namespace

ResponseStatus amqp_reply_status(uint16_t code, Dir sender) {
  // Whose fault each AMQP 0-9-1 reply code is, from what the spec's constants say (amqp0-9-1.xml,
  // plus RabbitMQ's 312 no-route), not from the hundreds digit. The codes that say "the sender of
  // the offending frame" blame the peer of whoever sends the Close: a broker closing with 502
  // means the client sent the bad frame (client_error); a client closing with it, the broker.
  const ResponseStatus peer_of_sender =
      sender == Dir::kToServer ? ResponseStatus::kServerError : ResponseStatus::kClientError;
  switch (code) {
    case 311:  // content-too-large: more than the server can accept at present; retry later
    case 320:  // connection-forced: an operator closed the connection
    case 506:  // resource-error: the server lacked the resources
    case 541:  // internal-error
      return ResponseStatus::kServerError;
    case 312:  // no-route: a mandatory message the exchange cannot route
    case 313:  // no-consumers: an immediate message nobody could take
    case 402:  // invalid-path: unknown virtual host
    case 403:  // access-refused
    case 404:  // not-found
    case 405:  // resource-locked: another client holds the entity
    case 406:  // precondition-failed
    case 530:  // not-allowed: prohibited by the server's settings
    case 540:  // not-implemented: the client used what the server does not implement
      return ResponseStatus::kClientError;
    case 501:  // frame-error: malformed frame
    case 502:  // syntax-error: illegal field values
    case 503:  // command-invalid: invalid sequence of frames
    case 504:  // channel-error: a channel not correctly opened
    case 505:  // unexpected-frame
      return peer_of_sender;
    default:
      break;
  }
  // 200 reply-success (0 from peers that leave it unset); codes the spec does not define: by
  // their class (4xx the requester's, anything else the server's).
  if (code < 300) return ResponseStatus::kOk;
  return code >= 400 && code < 500 ? ResponseStatus::kClientError : ResponseStatus::kServerError;
}

ProbeVerdict probe_amqp(Dir, std::span<const uint8_t> data) {
  if (data.empty()) return ProbeVerdict::kMaybe;
  if (data[0] == 'A') {
    int h = match_protocol_header(data);
    return h < 0 ? ProbeVerdict::kNo : h == 0 ? ProbeVerdict::kMaybe : ProbeVerdict::kYes;
  }
  // A flow picked up mid-connection: its first bytes must be one whole, plausible frame.
  const uint8_t type = data[0];
  if (type == kHeartbeatFrame) {
    static constexpr uint8_t kHeartbeat[8] = {8, 0, 0, 0, 0, 0, 0, kFrameEnd};
    std::size_t n = data.size() < 8 ? data.size() : 8;
    for (std::size_t i = 0; i < n; ++i)
      if (data[i] != kHeartbeat[i]) return ProbeVerdict::kNo;
    return n == 8 ? ProbeVerdict::kYes : ProbeVerdict::kMaybe;
  }
  if (type != kMethodFrame && type != kHeaderFrame) return ProbeVerdict::kNo;
  ByteReader r(data);
  r.u8();
  r.be16();
  const uint32_t size = r.be32();
  const uint16_t a = r.be16();
  const uint16_t b = r.be16();
  if (!r.ok()) {
    // Too short to judge: only the size can already rule it out.
    return data.size() >= kFrameHeaderSize && size > kProbeMaxFrame ? ProbeVerdict::kNo : ProbeVerdict::kMaybe;
  }
  if (size > kProbeMaxFrame) return ProbeVerdict::kNo;
  if (type == kMethodFrame && amqp::find_method(a, b) == nullptr) return ProbeVerdict::kNo;
  if (type == kHeaderFrame && (a != amqp::kClassBasic || b != 0 || size < 14)) return ProbeVerdict::kNo;
  if (size < 4) return ProbeVerdict::kNo;
  if (data.size() < kFrameOverhead + size) return ProbeVerdict::kMaybe;
  return data[kFrameHeaderSize + size] == kFrameEnd ? ProbeVerdict::kYes : ProbeVerdict::kNo;
}

const ProtocolDescriptor kAmqpDescriptor{
    "amqp", kTcp, kSignatures, kPorts, &probe_amqp, parser_factory<AmqpParser>(), kFuzzSamples,
    // A frame, not a message (bodies span frames): bounded by the negotiated frame-max, which
    // brokers keep far below this (RabbitMQ: 128 KiB by default).
    64ull << 20,
};

}  // namespace l7tap
