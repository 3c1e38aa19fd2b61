#include "protocols/mq/mqtt.hpp"

#include <algorithm>
#include <array>

#include "protocols/core/byte_reader.hpp"
#include "protocols/core/fixed_string.hpp"
#include "protocols/core/trace_context.hpp"

// Record mapping (../shared/spec/mq-protocols.md, MQTT):
//  - request_type = packet type name; version = CONNECT protocol level (kept per flow);
//    request_domain = CONNECT client id (or CONNACK v5 Assigned Client Identifier, which only fills
//    a session whose CONNECT had an empty id); request_resource = endpoint = PUBLISH topic;
//    SUBSCRIBE / UNSUBSCRIBE: request_resource = every topic filter, comma-separated (whole filters
//    within the cap), endpoint = the first; request_id = packet identifier where there is one.
//  - request_length / response_length = the fixed header's Remaining Length (variable header +
//    payload, without the 2..5 fixed-header bytes). The reference sample counts it that way:
//    a 43-byte CONNECT on the wire is logged as 41, a 4-byte CONNACK as 2, a 268-byte PUBLISH
//    (3-byte fixed header) as 265.
//  - response_code: CONNACK return / reason code; the 5.0 reason code of every other ack,
//    DISCONNECT and AUTH (0 where the packet omits it, which the spec defines as Success);
//    the first failure code of a SUBACK (3.1.1 only carries codes for CONNACK and SUBACK).
//  - Pairing: see the pair_class constants in mqtt.hpp; acks pair by packet identifier, CONNECT and
//    PINGREQ FIFO. QoS 0 PUBLISH, DISCONNECT and AUTH are one-way. PUBLISH travels both ways; its
//    ack comes from the other side, which is what the engine pairs with.

namespace l7tap {
namespace mqtt {
namespace {

enum : uint8_t {
  kConnect = 1,
  kConnack,
  kPublish,
  kPuback,
  kPubrec,
  kPubrel,
  kPubcomp,
  kSubscribe,
  kSuback,
  kUnsubscribe,
  kUnsuback,
  kPingreq,
  kPingresp,
  kDisconnect,
  kAuth,
};

constexpr std::array<std::string_view, 16> kTypeNames = {
    "",       "CONNECT", "CONNACK",     "PUBLISH", "PUBACK",      "PUBREC",  "PUBREL",   "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"};

// ---- Fixed header ---------------------------------------------------------------------------

enum class Decode : uint8_t { kOk, kNeedMore, kBad };

struct FixedHeader {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint8_t header_len = 0;  // 2..5
  uint32_t remaining = 0;
};

// Flags of the first byte are fixed per packet type (3.1.1 §2.2.2, 5.0 §2.1.3); PUBLISH's are
// DUP/QoS/RETAIN where QoS 3 is malformed.
bool flags_valid(uint8_t type, uint8_t flags) {
  switch (type) {
    case 0: return false;
    case kPublish: return ((flags >> 1) & 3) != 3;
    case kPubrel:
    case kSubscribe:
    case kUnsubscribe: return flags == 2;
    default: return flags == 0;
  }
}

// Remaining Length: Variable Byte Integer of 1..4 bytes, minimally encoded.
Decode read_fixed_header(std::span<const uint8_t> d, FixedHeader& h) {
  if (d.empty()) return Decode::kNeedMore;
  h.type = d[0] >> 4;
  h.flags = d[0] & 0x0f;
  if (!flags_valid(h.type, h.flags)) return Decode::kBad;
  uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (1 + i >= d.size()) return Decode::kNeedMore;
    const uint8_t b = d[1 + i];
    v |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) return Decode::kBad;  // non-minimal encoding
      h.remaining = v;
      h.header_len = static_cast<uint8_t>(2 + i);
      return Decode::kOk;
    }
  }
  return Decode::kBad;
}

// ---- Reason codes ---------------------------------------------------------------------------

// Who is at fault for a 5.0 reason code ≥ 0x80, from the requester's point of view (the ack's
// sender is the responder):
//   server_error: 0x80 Unspecified error, 0x83 Implementation specific error, 0x88 Server
//     unavailable, 0x89 Server busy, 0x8B Server shutting down, 0x98 Administrative action,
//     0x9C Use another server, 0x9D Server moved — the broker cannot or will not serve.
//   client_error: everything else — 0x81 Malformed packet, 0x82 Protocol error, 0x84 Unsupported
//     protocol version, 0x85 Client identifier not valid, 0x86 Bad user name or password,
//     0x87 Not authorized, 0x8A Banned, 0x8C Bad authentication method, 0x8D Keep alive timeout,
//     0x8E Session taken over, 0x8F Topic filter invalid, 0x90 Topic name invalid, 0x91/0x92
//     Packet identifier in use / not found, 0x93 Receive maximum exceeded, 0x94 Topic alias
//     invalid, 0x95 Packet too large, 0x96 Message rate too high, 0x97 Quota exceeded, 0x99
//     Payload format invalid, 0x9A/0x9B/0x9E/0xA1/0xA2 a feature the server announced as not
//     supported was used anyway, 0x9F Connection rate exceeded, 0xA0 Maximum connect time — the
//     request (or the client's behaviour) is what the responder rejects.
// A DISCONNECT sent by the client blames the server for the codes that describe a bad packet
// received from it (0x81, 0x82, 0x93, 0x94, 0x95); its other codes are the client's own.
// 3.1.1 CONNACK (spec table 3.1): 1 unacceptable protocol version, 2 identifier rejected,
// 4 bad user name or password, 5 not authorized → client_error; 3 server unavailable → server_error.
// 3.1.1 SUBACK 0x80 "Failure" is read like 5.0's 0x80 Unspecified error → server_error.
ResponseStatus status_v5(uint8_t code) {
  if (code < 0x80) return ResponseStatus::kOk;
  switch (code) {
    case 0x80: case 0x83: case 0x88: case 0x89: case 0x8B: case 0x98: case 0x9C: case 0x9D:
      return ResponseStatus::kServerError;
    default: return ResponseStatus::kClientError;
  }
}

ResponseStatus status_disconnect(uint8_t code, Dir dir) {
  if (code < 0x80) return ResponseStatus::kOk;
  if (dir == Dir::kToServer) {
    switch (code) {
      case 0x81: case 0x82: case 0x93: case 0x94: case 0x95: return ResponseStatus::kServerError;
      default: return ResponseStatus::kClientError;
    }
  }
  return status_v5(code);
}

ResponseStatus status_connack_v3(uint8_t code) {
  if (code == 0) return ResponseStatus::kOk;
  return code == 3 ? ResponseStatus::kServerError : ResponseStatus::kClientError;
}

std::string_view connack_v3_name(uint8_t code) {
  switch (code) {
    case 1: return "Connection Refused, unacceptable protocol version";
    case 2: return "Connection Refused, identifier rejected";
    case 3: return "Connection Refused, Server unavailable";
    case 4: return "Connection Refused, bad user name or password";
    case 5: return "Connection Refused, not authorized";
    default: return {};
  }
}

// The reason codes each 5.0 packet may carry (5.0 §3.x "Reason Code" tables). Checked when
// validating strictly (probe, resync, version inference); a known 5.0 flow accepts any code.
bool reason_allowed(uint8_t type, uint8_t c) {
  switch (type) {
    case kConnack:
      if (c == 0) return true;
      if (c < 0x80 || c > 0x9f) return false;
      switch (c) {
        case 0x8b: case 0x8d: case 0x8e: case 0x8f: case 0x91: case 0x92: case 0x93: case 0x94:
        case 0x96: case 0x98: case 0x9e: return false;
        default: return true;
      }
    case kPuback:
    case kPubrec:
      switch (c) {
        case 0x00: case 0x10: case 0x80: case 0x83: case 0x87: case 0x90: case 0x91: case 0x97:
        case 0x99: return true;
        default: return false;
      }
    case kPubrel:
    case kPubcomp: return c == 0x00 || c == 0x92;
    case kSuback:
      switch (c) {
        case 0x00: case 0x01: case 0x02: case 0x80: case 0x83: case 0x87: case 0x8f: case 0x91:
        case 0x97: case 0x9e: case 0xa1: case 0xa2: return true;
        default: return false;
      }
    case kUnsuback:
      switch (c) {
        case 0x00: case 0x11: case 0x80: case 0x83: case 0x87: case 0x8f: case 0x91: return true;
        default: return false;
      }
    case kDisconnect:
      if (c == 0x00 || c == 0x04) return true;
      if (c < 0x80 || c > 0xa2) return false;
      switch (c) {
        case 0x84: case 0x85: case 0x86: case 0x88: case 0x8a: case 0x8c: case 0x91: case 0x92:
          return false;
        default: return true;
      }
    case kAuth: return c == 0x00 || c == 0x18 || c == 0x19;
    default: return false;
  }
}

// ---- Properties (5.0 §2.2.2) ----------------------------------------------------------------

enum class PropType : uint8_t { kNone, kByte, kTwo, kFour, kVbi, kString, kBinary, kPair };

PropType prop_type(uint8_t id) {
  switch (id) {
    case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2a:
      return PropType::kByte;
    case 0x13: case 0x21: case 0x22: case 0x23: return PropType::kTwo;
    case 0x02: case 0x11: case 0x18: case 0x27: return PropType::kFour;
    case 0x0b: return PropType::kVbi;
    case 0x03: case 0x08: case 0x12: case 0x15: case 0x1a: case 0x1c: case 0x1f:
      return PropType::kString;
    case 0x09: case 0x16: return PropType::kBinary;
    case 0x26: return PropType::kPair;
    default: return PropType::kNone;
  }
}

constexpr uint64_t bits(std::initializer_list<int> ids) {
  uint64_t m = 0;
  for (int i : ids) m |= uint64_t{1} << i;
  return m;
}
// Which properties each packet may carry (5.0 §2.2.2.2 table).
constexpr uint64_t kPropsConnect = bits({0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27});
constexpr uint64_t kPropsWill = bits({0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26});
constexpr uint64_t kPropsConnack = bits({0x11, 0x12, 0x13, 0x15, 0x16, 0x1a, 0x1c, 0x1f, 0x21, 0x22,
                                         0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a});
constexpr uint64_t kPropsPublish = bits({0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x23, 0x26});
constexpr uint64_t kPropsAck = bits({0x1f, 0x26});
constexpr uint64_t kPropsSubscribe = bits({0x0b, 0x26});
constexpr uint64_t kPropsUnsubscribe = bits({0x26});
constexpr uint64_t kPropsDisconnect = bits({0x11, 0x1c, 0x1f, 0x26});
constexpr uint64_t kPropsAuth = bits({0x15, 0x16, 0x1f, 0x26});

// What the record uses from a property block.
struct Props {
  std::string_view reason_string;
  std::string_view assigned_client_id;
  uint16_t topic_alias = 0;
};

// Cursor over the available bytes of one packet body. `complete` = the whole body is there;
// otherwise running out of bytes means "need more" rather than "malformed".
class Cursor {
 public:
  Cursor(std::span<const uint8_t> body, bool complete, bool strict)
      : r_(body), complete_(complete), strict_(strict) {}

  ByteReader& r() { return r_; }
  bool complete() const { return complete_; }
  bool strict() const { return strict_; }
  void bad() { bad_ = true; }
  bool failed() const { return bad_ || !r_.ok(); }
  Decode result() const {
    if (bad_) return Decode::kBad;
    if (!r_.ok()) return complete_ ? Decode::kBad : Decode::kNeedMore;
    return Decode::kOk;
  }

  uint8_t u8() { return r_.u8(); }
  uint16_t u16() { return r_.be16(); }
  // UTF-8 Encoded String / Binary Data: 2-byte length then bytes.
  std::string_view str() {
    const uint16_t n = r_.be16();
    return r_.str(n);
  }
  uint32_t vbi() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const uint8_t b = r_.u8();
      if (!r_.ok()) return 0;
      v |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) bad_ = true;
        return v;
      }
    }
    bad_ = true;
    return 0;
  }

  // A property block: length then properties, every one bounds-checked inside the block.
  // User properties go to `fields` through the trace-context helper when `fields` is set.
  void properties(uint64_t allowed, Props& p, L7Fields* fields, const ParserOptions* options) {
    const uint32_t len = vbi();
    if (failed()) return;
    ByteReader b(r_.bytes(len));
    if (!r_.ok()) return;  // block not all here (or longer than the packet)
    while (b.ok() && b.remaining() != 0) {
      const uint8_t id = b.u8();  // identifiers are VBIs, all of them below 128
      const PropType t = prop_type(id);
      if (t == PropType::kNone || (strict_ && (allowed & (uint64_t{1} << id)) == 0)) {
        bad_ = true;
        return;
      }
      switch (t) {
        case PropType::kByte: b.u8(); break;
        case PropType::kTwo: {
          const uint16_t v = b.be16();
          if (id == 0x23) p.topic_alias = v;
          break;
        }
        case PropType::kFour: b.be32(); break;
        case PropType::kVbi: {
          int i = 0;
          while (b.ok() && (b.u8() & 0x80) != 0 && ++i < 4) {}
          if (i == 4) bad_ = true;
          break;
        }
        case PropType::kString:
        case PropType::kBinary: {
          const std::string_view s = b.str(b.be16());
          if (id == 0x1f) p.reason_string = s;
          if (id == 0x12) p.assigned_client_id = s;
          break;
        }
        case PropType::kPair: {
          const std::string_view k = b.str(b.be16());
          const std::string_view v = b.str(b.be16());
          if (b.ok() && fields != nullptr) apply_trace_header(k, v, options, *fields);
          break;
        }
        case PropType::kNone: break;
      }
    }
    if (!b.ok()) bad_ = true;  // a property overruns its block
  }

 private:
  ByteReader r_;
  bool complete_;
  bool strict_;
  bool bad_ = false;
};

// Topic names / filters as a strict check sees them: not empty, no NUL or control characters;
// names carry no wildcards.
bool plausible_topic(std::string_view t, bool filter) {
  if (t.empty()) return false;
  for (char ch : t) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
    if (!filter && (c == '+' || c == '#')) return false;
  }
  return true;
}

// ---- Packet decoding ------------------------------------------------------------------------

struct DecodeIn {
  const FixedHeader* h = nullptr;
  std::span<const uint8_t> body;  // available bytes of the body (a prefix when !complete)
  bool complete = true;
  uint8_t level = 0;  // 3, 4 or 5 (CONNECT decides its own)
  bool strict = false;
  Dir dir = Dir::kToServer;
  const ParserOptions* options = nullptr;
};

struct DecodeOut {
  uint8_t connect_level = 0;  // CONNECT: the level it announces
  std::string_view topic;     // PUBLISH topic as sent (may be empty with a topic alias)
  uint16_t topic_alias = 0;
};

void set_response(Message& m, const FixedHeader& h, uint32_t pair_class) {
  m.role = MsgRole::kResponse;
  m.pair_class = pair_class;
  m.fields.set_response_length(h.remaining);
}
void set_request(Message& m, const FixedHeader& h, MsgRole role, uint32_t pair_class) {
  m.role = role;
  m.pair_class = pair_class;
  m.fields.set_request_length(h.remaining);
}
void set_id(Message& m, uint16_t pid) {
  m.has_id = true;
  m.id = pid;
  m.fields.set_request_id(pid);
}
// response_code/status/exception from a 5.0 reason code (or a 3.1.1 code already mapped).
void set_outcome(Message& m, uint8_t code, ResponseStatus st, std::string_view reason_string,
                 std::string_view code_name) {
  m.fields.set_response_code(code);
  m.fields.response_status = st;
  if (st == ResponseStatus::kClientError || st == ResponseStatus::kServerError)
    m.fields.set(Field::kResponseException, !reason_string.empty() ? reason_string : code_name);
}

Decode decode_connect(const DecodeIn& in, Message& m, DecodeOut& out) {
  Cursor c(in.body, in.complete, in.strict);
  set_request(m, *in.h, MsgRole::kRequest, kClassConnect);
  const std::string_view name = c.str();
  if (c.failed()) return c.result();
  if (name != "MQTT" && name != "MQIsdp") return Decode::kBad;
  // Bit 7 of the level is set by bridges (mosquitto "try_private"); the level is the low bits.
  const uint8_t level = c.u8() & 0x7f;
  const uint8_t flags = c.u8();
  c.u16();  // keep alive
  if (c.failed()) return c.result();
  if (level < 3 || level > 5) return Decode::kBad;
  if (in.strict && (name == "MQIsdp") != (level == 3)) return Decode::kBad;
  out.connect_level = level;
  m.fields.set(Field::kVersion, version_name(level));
  const bool will = (flags & 0x04) != 0;
  const uint8_t will_qos = (flags >> 3) & 3;
  if (level >= 4 && (flags & 0x01) != 0) return Decode::kBad;  // reserved bit
  if (will_qos == 3 || (!will && (will_qos != 0 || (flags & 0x20) != 0))) return Decode::kBad;
  if (in.strict && level == 4 && (flags & 0xc0) == 0x40) return Decode::kBad;  // password w/o user
  Props p;
  if (level == 5) c.properties(kPropsConnect, p, &m.fields, in.options);
  const std::string_view client_id = c.str();
  if (c.failed()) return c.result();
  m.fields.set(Field::kRequestDomain, client_id);
  if (!c.complete()) return Decode::kOk;  // the rest (will, credentials) is not logged
  if (will) {
    if (level == 5) {
      Props wp;
      c.properties(kPropsWill, wp, nullptr, in.options);  // the will message's, not this packet's
    }
    c.str();  // will topic
    c.str();  // will payload
  }
  if (flags & 0x80) c.str();  // user name
  if (flags & 0x40) c.str();  // password
  if (in.strict && c.r().remaining() != 0) c.bad();
  return c.result();
}

Decode decode_connack(const DecodeIn& in, Message& m, DecodeOut&) {
  Cursor c(in.body, in.complete, in.strict);
  set_response(m, *in.h, kClassConnect);
  if (in.level != 5) {
    if (in.h->remaining != 2) return Decode::kBad;
    const uint8_t ack = c.u8();
    const uint8_t code = c.u8();
    if (c.failed()) return c.result();
    // 3.1 had the first byte reserved; 3.1.1 uses bit 0 (session present), the rest must be 0.
    if ((in.level == 4 || in.strict) && (ack & 0xfe) != 0) return Decode::kBad;
    if (code > 5) return Decode::kBad;
    set_outcome(m, code, status_connack_v3(code), {}, connack_v3_name(code));
    return Decode::kOk;
  }
  const uint8_t ack = c.u8();
  const uint8_t code = c.u8();
  if (c.failed()) return c.result();
  if ((ack & 0xfe) != 0) return Decode::kBad;
  if (in.strict && !reason_allowed(kConnack, code)) return Decode::kBad;
  Props p;
  if (in.h->remaining > 2) c.properties(kPropsConnack, p, &m.fields, in.options);
  if (c.failed()) return c.result();
  if (!p.assigned_client_id.empty()) m.fields.set(Field::kRequestDomain, p.assigned_client_id);
  set_outcome(m, code, status_v5(code), p.reason_string, reason_code_name(code));
  if (in.strict && c.r().remaining() != 0) return Decode::kBad;
  return Decode::kOk;
}

Decode decode_publish(const DecodeIn& in, Message& m, DecodeOut& out) {
  Cursor c(in.body, in.complete, in.strict);
  const uint8_t qos = (in.h->flags >> 1) & 3;
  set_request(m, *in.h, qos == 0 ? MsgRole::kOneWay : MsgRole::kRequest,
              qos == 1 ? kClassPublishQos1 : kClassPublishQos2);
  const std::string_view topic = c.str();
  uint16_t pid = 0;
  if (qos > 0) pid = c.u16();
  if (c.failed()) return c.result();
  if (qos > 0) {
    if (pid == 0) return Decode::kBad;
    set_id(m, pid);
  }
  if (!topic.empty()) {
    m.fields.set(Field::kRequestResource, topic);
    m.fields.set(Field::kEndpoint, topic);
  }
  Props p;
  if (in.level == 5) c.properties(kPropsPublish, p, &m.fields, in.options);
  if (c.failed()) return c.result();
  out.topic = topic;
  out.topic_alias = p.topic_alias;
  if (in.strict) {
    // Only a 5.0 PUBLISH may leave the topic empty, and then it must name a topic alias.
    if (topic.empty() ? p.topic_alias == 0 : !plausible_topic(topic, false)) return Decode::kBad;
  } else if (topic.empty() && in.level != 5) {
    return Decode::kBad;
  }
  return Decode::kOk;
}

// PUBACK, PUBREC, PUBREL, PUBCOMP: packet id, then (5.0) an optional reason code and properties.
Decode decode_pub_ack(const DecodeIn& in, Message& m, DecodeOut&) {
  Cursor c(in.body, in.complete, in.strict);
  const uint8_t t = in.h->type;
  switch (t) {
    case kPuback: set_response(m, *in.h, kClassPublishQos1); break;
    case kPubrec: set_response(m, *in.h, kClassPublishQos2); break;
    case kPubrel: set_request(m, *in.h, MsgRole::kRequest, kClassPubrel); break;
    default: set_response(m, *in.h, kClassPubrel); break;
  }
  if (in.level != 5 && in.h->remaining != 2) return Decode::kBad;
  const uint16_t pid = c.u16();
  if (c.failed()) return c.result();
  if (pid == 0) return Decode::kBad;
  set_id(m, pid);
  if (in.level != 5) {
    if (t != kPubrel) m.fields.response_status = ResponseStatus::kOk;
    return Decode::kOk;
  }
  // 5.0 §3.4.2.1: remaining length 2 means reason code 0x00 (Success) and no properties.
  uint8_t code = 0;
  Props p;
  if (in.h->remaining >= 3) code = c.u8();
  if (in.h->remaining >= 4) c.properties(kPropsAck, p, &m.fields, in.options);
  if (c.failed()) return c.result();
  if (in.strict && (!reason_allowed(t, code) || c.r().remaining() != 0)) return Decode::kBad;
  if (t != kPubrel) set_outcome(m, code, status_v5(code), p.reason_string, reason_code_name(code));
  return Decode::kOk;
}

// SUBSCRIBE / UNSUBSCRIBE: packet id, (5.0) properties, then ≥ 1 topic filters (with an options
// byte each for SUBSCRIBE).
Decode decode_subscribe(const DecodeIn& in, Message& m, DecodeOut&) {
  Cursor c(in.body, in.complete, in.strict);
  const bool sub = in.h->type == kSubscribe;
  set_request(m, *in.h, MsgRole::kRequest, sub ? kClassSubscribe : kClassUnsubscribe);
  const uint16_t pid = c.u16();
  if (c.failed()) return c.result();
  if (pid == 0) return Decode::kBad;
  set_id(m, pid);
  Props p;
  if (in.level == 5)
    c.properties(sub ? kPropsSubscribe : kPropsUnsubscribe, p, &m.fields, in.options);
  if (c.failed()) return c.result();
  // request_resource lists every filter, comma-separated, as far as whole filters fit under the
  // field's cap (a filter cut short would read as another, real filter). endpoint keeps the first
  // one: it is a metric label, and a list there would make every combination its own series.
  bool first = true;
  while (first || c.r().remaining() != 0) {
    const std::string_view filter = c.str();
    const uint8_t opts = sub ? c.u8() : 0;
    // A body cut short by the framework's buffer (a huge SUBSCRIBE): keep the filters read so far.
    if (c.failed()) return !first && !c.complete() ? Decode::kOk : c.result();
    if (filter.empty() || (in.strict && !plausible_topic(filter, true))) return Decode::kBad;
    // Options: 3.1.1 has QoS in bits 0-1 and the rest reserved; 5.0 adds No Local, Retain As
    // Published and Retain Handling (bits 2-5; handling 3 is malformed), bits 6-7 reserved.
    if ((opts & 3) == 3) return Decode::kBad;
    if (in.level == 5 ? ((opts & 0xc0) != 0 || ((opts >> 4) & 3) == 3) : (opts & 0xfc) != 0)
      return Decode::kBad;
    if (first) {
      m.fields.set(Field::kRequestResource, filter);
      m.fields.set(Field::kEndpoint, filter);
      first = false;
    } else if (m.fields.get(Field::kRequestResource).size() + 1 + filter.size() <=
               FieldCaps::cap(Field::kRequestResource)) {
      m.fields.append(Field::kRequestResource, ",");
      m.fields.append(Field::kRequestResource, filter);
    }
  }
  return c.result();
}

// SUBACK / UNSUBACK: packet id, (5.0) properties, reason codes (one per filter; 3.1.1 UNSUBACK
// has none).
Decode decode_sub_ack(const DecodeIn& in, Message& m, DecodeOut&) {
  Cursor c(in.body, in.complete, in.strict);
  const bool sub = in.h->type == kSuback;
  set_response(m, *in.h, sub ? kClassSubscribe : kClassUnsubscribe);
  if (!sub && in.level != 5 && in.h->remaining != 2) return Decode::kBad;
  const uint16_t pid = c.u16();
  if (c.failed()) return c.result();
  if (pid == 0) return Decode::kBad;
  set_id(m, pid);
  Props p;
  if (in.level == 5) c.properties(kPropsAck, p, &m.fields, in.options);
  if (c.failed()) return c.result();
  m.fields.response_status = ResponseStatus::kOk;
  if (!sub && in.level != 5) return Decode::kOk;
  if (c.r().remaining() == 0) return c.complete() ? Decode::kBad : Decode::kNeedMore;
  int first_code = -1;
  int first_failure = -1;
  for (const uint8_t code : c.r().rest()) {
    if (in.level != 5 ? (code > 2 && code != 0x80) : (in.strict && !reason_allowed(in.h->type, code)))
      return Decode::kBad;
    if (first_code < 0) first_code = code;
    if (code >= 0x80 && first_failure < 0) first_failure = code;
  }
  if (!c.complete()) return Decode::kNeedMore;
  if (first_failure >= 0) {
    const auto code = static_cast<uint8_t>(first_failure);
    set_outcome(m, code, status_v5(code), p.reason_string,
                in.level == 5 ? reason_code_name(code) : std::string_view("Failure"));
  } else if (in.level == 5) {
    set_outcome(m, static_cast<uint8_t>(first_code), ResponseStatus::kOk, {}, {});
  }
  return Decode::kOk;
}

Decode decode_empty(const DecodeIn& in, Message& m, DecodeOut&) {
  if (in.h->type == kPingreq) {
    set_request(m, *in.h, MsgRole::kRequest, kClassPing);
  } else {
    set_response(m, *in.h, kClassPing);
    m.fields.response_status = ResponseStatus::kOk;
  }
  return in.h->remaining == 0 ? Decode::kOk : Decode::kBad;
}

// DISCONNECT and AUTH: one-way; 5.0 gives them an optional reason code and properties.
Decode decode_disconnect_auth(const DecodeIn& in, Message& m, DecodeOut&) {
  Cursor c(in.body, in.complete, in.strict);
  const bool disc = in.h->type == kDisconnect;
  set_request(m, *in.h, MsgRole::kOneWay, in.h->type);
  if (in.level != 5) return disc && in.h->remaining == 0 ? Decode::kOk : Decode::kBad;
  uint8_t code = 0;
  Props p;
  if (in.h->remaining >= 1) code = c.u8();
  if (in.h->remaining >= 2) c.properties(disc ? kPropsDisconnect : kPropsAuth, p, &m.fields, in.options);
  if (c.failed()) return c.result();
  if (in.strict && (!reason_allowed(in.h->type, code) || c.r().remaining() != 0)) return Decode::kBad;
  const ResponseStatus st = disc ? status_disconnect(code, in.dir) : status_v5(code);
  set_outcome(m, code, st, p.reason_string, reason_code_name(code));
  return Decode::kOk;
}

// request_type is the packet's own name on every message, responses included (a response with
// no request is logged under its own name; in a session the request's name wins).
Decode decode_body(const DecodeIn& in, Message& m, DecodeOut& out) {
  m.fields.set(Field::kRequestType, kTypeNames[in.h->type]);
  switch (in.h->type) {
    case kConnect: return decode_connect(in, m, out);
    case kConnack: return decode_connack(in, m, out);
    case kPublish: return decode_publish(in, m, out);
    case kPuback:
    case kPubrec:
    case kPubrel:
    case kPubcomp: return decode_pub_ack(in, m, out);
    case kSubscribe:
    case kUnsubscribe: return decode_subscribe(in, m, out);
    case kSuback:
    case kUnsuback: return decode_sub_ack(in, m, out);
    case kPingreq:
    case kPingresp: return decode_empty(in, m, out);
    case kDisconnect:
    case kAuth: return decode_disconnect_auth(in, m, out);
    default: return Decode::kBad;
  }
}

// Decodes one packet at `level`; with the level unknown (a flow picked up after its CONNECT),
// tries 3.1.1 and then 5.0, whose layouts differ by the property blocks. `inferred` tells that
// only the 5.0 layout fits. AUTH exists only in 5.0.
Decode decode_any_level(DecodeIn in, Message& m, DecodeOut& out, bool& inferred_v5) {
  inferred_v5 = false;
  if (in.level != 0 || in.h->type == kConnect) return decode_body(in, m, out);
  if (in.h->type != kAuth) {
    in.level = 4;
    const Decode d = decode_body(in, m, out);
    if (d != Decode::kBad) return d;
    m.reset();
    out = DecodeOut{};
  }
  in.level = 5;
  // Inferring a version from one packet: validate it strictly.
  in.strict = true;
  const Decode d = decode_body(in, m, out);
  inferred_v5 = d == Decode::kOk;
  return d;
}

// Strict validation of the complete packet at the start of `d` (probe and resync). Returns the
// packet size, 0 when it is not (yet) a valid complete packet, and sets `need_more`.
std::size_t valid_packet_at(std::span<const uint8_t> d, uint8_t level, bool& need_more) {
  need_more = false;
  FixedHeader h;
  const Decode f = read_fixed_header(d, h);
  if (f != Decode::kOk) {
    need_more = f == Decode::kNeedMore;
    return 0;
  }
  const std::size_t total = std::size_t{h.header_len} + h.remaining;
  if (d.size() < total) {
    need_more = true;
    return 0;
  }
  DecodeIn in;
  in.h = &h;
  in.body = d.subspan(h.header_len, h.remaining);
  in.level = level;
  in.strict = true;
  Message m;
  DecodeOut out;
  bool inferred = false;
  return decode_any_level(in, m, out, inferred) == Decode::kOk ? total : 0;
}

// Topic aliases (5.0 §3.3.2.3.4) are per direction; the table is taken from the worker's pool on
// first use only (most flows never use aliases) and bounded (the most recent aliases win).
struct AliasTable {
  static constexpr std::size_t kSlots = 16;
  std::array<uint16_t, kSlots> alias{};
  std::array<FixedString<FieldCaps::cap(Field::kRequestResource)>, kSlots> topic;
  std::size_t used = 0;
  std::size_t next = 0;

  void put(uint16_t a, std::string_view t) {
    for (std::size_t i = 0; i < used; ++i)
      if (alias[i] == a) return topic[i].assign(t);
    const std::size_t i = used < kSlots ? used++ : next;
    next = (i + 1) % kSlots;
    alias[i] = a;
    topic[i].assign(t);
  }
  std::string_view get(uint16_t a) const {
    for (std::size_t i = 0; i < used; ++i)
      if (alias[i] == a) return topic[i].view();
    return {};
  }
};

class MqttParser final : public Parser {
 public:
  explicit MqttParser(const ParserEnv& env) : pool_(env.pool) {}
  ~MqttParser() override {
    drop_aliases(0);
    drop_aliases(1);
  }
  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override;
  bool on_gap(Dir dir) override {
    resync_[static_cast<int>(dir)] = true;
    return true;
  }
  // Whole strictly valid packets from the start, ending at the end of `data` or at a packet
  // whose fixed header is valid and announces a sane length.
  bool plausible_frames(Dir, std::span<const uint8_t> data, uint64_t max_message) override {
    std::size_t off = 0, whole = 0;
    while (off < data.size()) {
      bool need_more = false;
      const std::size_t n = valid_packet_at(data.subspan(off), level_, need_more);
      if (n == 0) {
        FixedHeader h;
        const Decode f = read_fixed_header(data.subspan(off), h);
        const bool sane =
            f == Decode::kNeedMore || (f == Decode::kOk && h.header_len + uint64_t{h.remaining} <= max_message);
        return need_more && sane && whole != 0;
      }
      off += n;
      ++whole;
    }
    return whole != 0;
  }

 private:
  // After a gap or an error: finds where valid packets start again. Returns false when `data`
  // holds no such place (then everything is dropped, or kept when a packet may start at 0).
  bool resync(std::span<const uint8_t> data, std::size_t& start, bool& wait);
  void finish_message(Dir dir, Message& m, const DecodeOut& out);
  AliasTable* aliases(int d, bool create) {
    if (aliases_[d].empty() && create && pool_ != nullptr && aliases_[d].reserve(*pool_, sizeof(AliasTable), 0))
      new (aliases_[d].data) AliasTable();
    return aliases_[d].empty() ? nullptr : reinterpret_cast<AliasTable*>(aliases_[d].data);
  }
  void drop_aliases(int d) {
    if (aliases_[d].empty()) return;
    reinterpret_cast<AliasTable*>(aliases_[d].data)->~AliasTable();
    aliases_[d].free(*pool_);
  }

  BufferPool* pool_;
  uint8_t level_ = 0;  // protocol level of the flow (CONNECT), 0 until known
  std::array<bool, 2> resync_{};
  std::array<PoolBlock, 2> aliases_;  // AliasTable per direction, or empty
};

bool MqttParser::resync(std::span<const uint8_t> data, std::size_t& start, bool& wait) {
  wait = false;
  // Bounded scan: a gap normally ends at a segment that starts a packet, found at offset 0.
  const std::size_t limit = std::min<std::size_t>(data.size(), 2048);
  for (std::size_t off = 0; off < limit; ++off) {
    // The cheap tests first: a fixed header, the whole packet present, and the packet ending the
    // data or followed by a plausible fixed header; only then the strict decode of its body. (A
    // flow picked up mid-stream scans payload bytes, where ASCII digits pass as PUBLISH headers:
    // decoding every such candidate's body cost 15 % of all instructions in a replay of 100k
    // conversations into a 65k-flow table.)
    FixedHeader h;
    const Decode f = read_fixed_header(data.subspan(off), h);
    if (f != Decode::kOk) {
      if (off == 0 && f == Decode::kNeedMore) wait = true;
      continue;
    }
    const std::size_t total = std::size_t{h.header_len} + h.remaining;
    if (data.size() - off < total) {
      if (off == 0) wait = true;
      continue;
    }
    FixedHeader next;
    if (off + total != data.size() && read_fixed_header(data.subspan(off + total), next) == Decode::kBad) continue;
    bool need_more = false;
    if (valid_packet_at(data.subspan(off), level_, need_more) == total) {
      start = off;
      return true;
    }
  }
  return false;
}

void MqttParser::finish_message(Dir dir, Message& m, const DecodeOut& out) {
  const int d = static_cast<int>(dir);
  if (out.connect_level != 0) {
    level_ = out.connect_level;
    drop_aliases(0);  // a new session starts with no aliases
    drop_aliases(1);
  }
  if (out.topic_alias != 0) {
    if (!out.topic.empty()) {
      // A refused table only costs the alias (the topic of later PUBLISHes using it stays empty).
      if (AliasTable* t = aliases(d, true)) t->put(out.topic_alias, out.topic);
    } else if (AliasTable* table = aliases(d, false)) {
      const std::string_view t = table->get(out.topic_alias);
      m.fields.set(Field::kRequestResource, t);
      m.fields.set(Field::kEndpoint, t);
    }
  }
  if (level_ != 0) m.fields.set(Field::kVersion, version_name(level_));
}

ParseResult MqttParser::parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  ParseResult res;
  const int d = static_cast<int>(dir);
  const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  std::size_t pos = 0;
  if (resync_[d]) {
    bool wait = false;
    if (!resync(data, pos, wait)) {
      // Nothing valid yet: keep the bytes if a packet may be starting at 0, else drop them.
      res.consumed = wait ? 0 : static_cast<uint32_t>(data.size());
      return res;
    }
    resync_[d] = false;
  }
  while (pos < data.size()) {
    const std::span<const uint8_t> rest = data.subspan(pos);
    FixedHeader h;
    const Decode f = read_fixed_header(rest, h);
    if (f == Decode::kBad) {
      res.error = true;
      return res;
    }
    if (f == Decode::kNeedMore) break;
    const std::size_t total = std::size_t{h.header_len} + h.remaining;
    if (total > ctx.max_message) {  // garbage, not a packet: the driver resynchronises
      res.consumed = static_cast<uint32_t>(pos);
      res.oversize = true;
      return res;
    }
    const bool complete = rest.size() >= total;
    if (!complete && total <= cap) {  // the driver keeps the tail until the rest arrives
      res.need = total;
      break;
    }
    DecodeIn in;
    in.h = &h;
    in.body = rest.subspan(h.header_len, std::min<std::size_t>(h.remaining, rest.size() - h.header_len));
    in.complete = complete;
    in.level = level_;
    in.dir = dir;
    in.options = ctx.options;
    Message m;
    DecodeOut out;
    bool inferred_v5 = false;
    const Decode r = decode_any_level(in, m, out, inferred_v5);
    if (r == Decode::kBad) {
      res.error = true;
      return res;
    }
    // Too large to buffer: wait while the fields we log may still arrive within the bound, then
    // log what the prefix holds and skip the rest of the packet.
    if (r == Decode::kNeedMore && rest.size() < cap) break;
    if (inferred_v5) level_ = 5;
    finish_message(dir, m, out);
    // Only clients send CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ: seen travelling kToClient,
    // they prove the flow's orientation (guessed for flows picked up mid-connection) wrong.
    if (dir == Dir::kToClient && (h.type == kConnect || h.type == kSubscribe || h.type == kUnsubscribe ||
                                  h.type == kPingreq))
      ctx.report_reversed();
    ctx.emit(m);
    if (!complete) {
      res.consumed = static_cast<uint32_t>(data.size());
      res.skip = total - rest.size();
      return res;
    }
    pos += total;
  }
  res.consumed = static_cast<uint32_t>(pos);
  return res;
}

}  // namespace

std::string_view version_name(uint8_t level) {
  switch (level) {
    case 3: return "3.1";
    case 4: return "3.1.1";
    case 5: return "5.0";
    default: return {};
  }
}

std::string_view reason_code_name(uint8_t code) {
  switch (code) {
    case 0x00: return "Success";
    case 0x01: return "Granted QoS 1";
    case 0x02: return "Granted QoS 2";
    case 0x04: return "Disconnect with Will Message";
    case 0x10: return "No matching subscribers";
    case 0x11: return "No subscription existed";
    case 0x18: return "Continue authentication";
    case 0x19: return "Re-authenticate";
    case 0x80: return "Unspecified error";
    case 0x81: return "Malformed Packet";
    case 0x82: return "Protocol Error";
    case 0x83: return "Implementation specific error";
    case 0x84: return "Unsupported Protocol Version";
    case 0x85: return "Client Identifier not valid";
    case 0x86: return "Bad User Name or Password";
    case 0x87: return "Not authorized";
    case 0x88: return "Server unavailable";
    case 0x89: return "Server busy";
    case 0x8A: return "Banned";
    case 0x8B: return "Server shutting down";
    case 0x8C: return "Bad authentication method";
    case 0x8D: return "Keep Alive timeout";
    case 0x8E: return "Session taken over";
    case 0x8F: return "Topic Filter invalid";
    case 0x90: return "Topic Name invalid";
    case 0x91: return "Packet Identifier in use";
    case 0x92: return "Packet Identifier not found";
    case 0x93: return "Receive Maximum exceeded";
    case 0x94: return "Topic Alias invalid";
    case 0x95: return "Packet too large";
    case 0x96: return "Message rate too high";
    case 0x97: return "Quota exceeded";
    case 0x98: return "Administrative action";
    case 0x99: return "Payload format invalid";
    case 0x9A: return "Retain not supported";
    case 0x9B: return "QoS not supported";
    case 0x9C: return "Use another server";
    case 0x9D: return "Server moved";
    case 0x9E: return "Shared Subscriptions not supported";
    case 0x9F: return "Connection rate exceeded";
    case 0xA0: return "Maximum connect time";
    case 0xA1: return "Subscription Identifiers not supported";
    case 0xA2: return "Wildcard Subscriptions not supported";
    default: return {};
  }
}

// Detection. A CONNECT (the first packet of every MQTT connection) is checked field by field.
// A flow picked up later is accepted only on complete packets that all pass the strict checks
// (flags, lengths, reason codes, property ids, topic names) and at least 4 bytes of them, or on a
// PUBLISH whose header checks out; everything else (HTTP, TLS, DNS, ...) fails the first-byte
// flags or the length/structure checks.
ProbeVerdict probe(Dir, std::span<const uint8_t> data) {
  if (data.empty()) return ProbeVerdict::kMaybe;
  FixedHeader h;
  const Decode f = read_fixed_header(data, h);
  if (f == Decode::kBad) return ProbeVerdict::kNo;
  if (f == Decode::kNeedMore) return ProbeVerdict::kMaybe;
  const std::size_t total = std::size_t{h.header_len} + h.remaining;
  const bool complete = data.size() >= total;
  DecodeIn in;
  in.h = &h;
  in.body = data.subspan(h.header_len, std::min<std::size_t>(h.remaining, data.size() - h.header_len));
  in.complete = complete;
  in.strict = true;
  if (h.type == kConnect) {
    // The protocol name must match as far as it is there: "\0\4MQTT" or "\0\6MQIsdp".
    static constexpr std::string_view kNames[] = {std::string_view("\0\4MQTT", 6),
                                                  std::string_view("\0\6MQIsdp", 8)};
    const std::string_view have = as_chars(in.body);
    bool prefix_ok = false;
    for (std::string_view n : kNames)
      prefix_ok |= have.substr(0, n.size()) == n.substr(0, std::min(n.size(), have.size()));
    if (!prefix_ok) return ProbeVerdict::kNo;
    Message m;
    DecodeOut out;
    switch (decode_body(in, m, out)) {
      case Decode::kOk: return ProbeVerdict::kYes;
      case Decode::kNeedMore: return ProbeVerdict::kMaybe;
      case Decode::kBad: return ProbeVerdict::kNo;
    }
    return ProbeVerdict::kNo;
  }
  std::size_t pos = 0;
  std::size_t packets = 0;
  while (pos < data.size()) {
    bool need_more = false;
    const std::size_t n = valid_packet_at(data.subspan(pos), 0, need_more);
    if (n == 0) {
      if (!need_more) return ProbeVerdict::kNo;
      break;
    }
    pos += n;
    ++packets;
  }
  if (packets > 0) return pos >= 4 ? ProbeVerdict::kYes : ProbeVerdict::kMaybe;
  // The first packet is incomplete.
  if (h.type == kPublish && !complete) {
    Message m;
    DecodeOut out;
    bool inferred = false;
    switch (decode_any_level(in, m, out, inferred)) {
      case Decode::kOk: return ProbeVerdict::kYes;
      case Decode::kNeedMore: return data.size() < 64 ? ProbeVerdict::kMaybe : ProbeVerdict::kNo;
      case Decode::kBad: return ProbeVerdict::kNo;
    }
  }
  return total < 64 ? ProbeVerdict::kMaybe : ProbeVerdict::kNo;
}

}  // namespace mqtt

namespace {
// Candidates for probe(): a CONNECT with its protocol name and level (3.1 "MQIsdp" level 3,
// 3.1.1 / 5.0 "MQTT" level 4 / 5, bit 7 set by bridges), and a 3.1.1 CONNACK.
constexpr std::string_view kSignatures[] = {
    "^\\x10[\\x80-\\xff]{0,3}[\\x00-\\x7f]\\x00\\x04MQTT[\\x03-\\x05\\x83-\\x85]",
    "^\\x10[\\x80-\\xff]{0,3}[\\x00-\\x7f]\\x00\\x06MQIsdp[\\x03\\x83]",
    "^\\x20\\x02[\\x00\\x01][\\x00-\\x05]",
};
constexpr uint16_t kPorts[] = {1883};

using namespace std::string_view_literals;
// 3.1.1: CONNECT, CONNACK, PUBLISH QoS 1 "a/b", PUBACK.
constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToServer, "\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00"sv},
    {Dir::kToClient, "\x20\x02\x00\x00"sv},
    {Dir::kToServer, "\x32\x09\x00\x03" "a/b\x00\x01" "hi"sv},
    {Dir::kToClient, "\x40\x02\x00\x01"sv},
};
}  // namespace

const ProtocolDescriptor kMqttDescriptor{
    "mqtt", kTcp, kSignatures, kPorts, &mqtt::probe, parser_factory<mqtt::MqttParser>(), kFuzzSamples,
    // Brokers' packet limits are mostly far below the 256 MiB the encoding allows (EMQX 1 MiB,
    // AWS IoT 128 KiB); 16 MiB keeps every sane PUBLISH and refuses the bogus maxima.
    16ull << 20,
};

}  // namespace l7tap
