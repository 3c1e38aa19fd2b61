#include "protocols/mq/zmtp.hpp"

#include <algorithm>
#include <cstring>

#include "protocols/core/byte_reader.hpp"
#include "protocols/core/trace_context.hpp"

namespace l7tap {
namespace zmtp {
namespace {

constexpr uint8_t kMore = 0x01;
constexpr uint8_t kLong = 0x02;
constexpr uint8_t kCommand = 0x04;

bool is_alpha(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
// mechanism-char (spec 23): "A"-"Z" | DIGIT | "-" | "_" | "." | "+" (then NUL padding).
bool is_mechanism_char(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_' || c == '.' || c == '+';
}
// Metadata property name-char: ALPHA | DIGIT | "-" | "_" | "." | "+".
bool is_name_char(uint8_t c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.' || c == '+'; }

std::string_view chars(std::span<const uint8_t> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

SocketType socket_type_of(std::string_view name) {
  struct Entry {
    std::string_view name;
    SocketType type;
  };
  static constexpr Entry kTypes[] = {
      {"REQ", SocketType::kReq},   {"REP", SocketType::kRep},   {"DEALER", SocketType::kDealer},
      {"ROUTER", SocketType::kRouter}, {"PUB", SocketType::kPub}, {"SUB", SocketType::kSub},
      {"XPUB", SocketType::kXPub}, {"XSUB", SocketType::kXSub}, {"PUSH", SocketType::kPush},
      {"PULL", SocketType::kPull}, {"PAIR", SocketType::kPair},
  };
  for (const Entry& e : kTypes)
    if (e.name == name) return e.type;
  return name.empty() ? SocketType::kUnknown : SocketType::kOther;
}

Scan scan_greeting(std::span<const uint8_t> d, Greeting& g) {
  const std::size_t n = d.size();
  if (n >= 1 && d[0] != 0xff) return Scan::kBad;
  if (n >= 10 && d[9] != 0x7f) return Scan::kBad;
  // ZMTP 1.0/2.0 peers send a lower major version; their framing differs and is not decoded.
  if (n >= 11 && d[10] != 3) return Scan::kBad;
  // The mechanism: at least one name character, then NUL padding only.
  const std::size_t mech_end = std::min(n, kMechanismOffset + kMechanismSize);
  std::size_t name_len = 0;
  bool padding = false;
  for (std::size_t i = kMechanismOffset; i < mech_end; ++i) {
    const uint8_t c = d[i];
    if (c == 0) {
      if (i == kMechanismOffset) return Scan::kBad;
      padding = true;
    } else if (padding || !is_mechanism_char(c)) {
      return Scan::kBad;
    } else {
      ++name_len;
    }
  }
  if (n > 32 && d[32] > 1) return Scan::kBad;  // as-server is 0 or 1
  if (n < kGreetingSize) return Scan::kNeedMore;
  g.major = d[10];
  g.minor = d[11];
  g.as_server = d[32] == 1;
  g.mechanism_name = chars(d.subspan(kMechanismOffset, name_len));
  g.mechanism = g.mechanism_name == "NULL"    ? Mechanism::kNull
                : g.mechanism_name == "PLAIN" ? Mechanism::kPlain
                : g.mechanism_name == "CURVE" ? Mechanism::kCurve
                                              : Mechanism::kOther;
  return Scan::kOk;
}

Scan scan_frame_header(std::span<const uint8_t> d, FrameHeader& h) {
  h = FrameHeader{};
  if (d.empty()) return Scan::kNeedMore;
  const uint8_t flags = d[0];
  // Bits 7-3 are reserved (zero); a command is never part of a multipart message.
  if ((flags & 0xf8) != 0 || ((flags & kCommand) != 0 && (flags & kMore) != 0)) return Scan::kBad;
  h.more = (flags & kMore) != 0;
  h.command = (flags & kCommand) != 0;
  h.long_size = (flags & kLong) != 0;
  h.header_len = h.long_size ? 9 : 2;
  if (d.size() < h.header_len) return Scan::kNeedMore;
  ByteReader r(d.subspan(1));
  h.body_len = h.long_size ? r.be64() : r.u8();
  return Scan::kOk;
}

bool decode_command(std::span<const uint8_t> body, uint64_t body_len, Command& c) {
  if (body.empty() || body_len == 0) return false;
  const uint8_t n = body[0];
  static constexpr uint8_t kRror[] = {'R', 'R', 'O', 'R'};
  if (n == 0x5e && body.size() >= 5 && body_len >= 5 && std::memcmp(body.data() + 1, kRror, 4) == 0) {
    c.name = "ERROR";
    c.data = body.subspan(5);
    return true;
  }
  if (n == 0 || 1u + n > body_len || body.size() < 1u + n) return false;
  const auto name = body.subspan(1, n);
  for (uint8_t ch : name)
    if (!is_alpha(ch)) return false;
  c.name = chars(name);
  c.data = body.subspan(1u + n);
  return true;
}

ProbeVerdict probe(Dir, std::span<const uint8_t> data) {
  Greeting g;
  switch (scan_greeting(data, g)) {
    case Scan::kBad: return ProbeVerdict::kNo;
    case Scan::kOk: return ProbeVerdict::kYes;
    case Scan::kNeedMore: break;
  }
  // Signature, major version 3 and a well-formed mechanism name: no other protocol starts so.
  // Fewer bytes wait: peers send the signature alone first and the rest once they see the other's.
  return data.size() >= kMechanismOffset + kMechanismSize ? ProbeVerdict::kYes : ProbeVerdict::kMaybe;
}

}  // namespace zmtp

using zmtp::Command;
using zmtp::FrameHeader;
using zmtp::Greeting;
using zmtp::Mechanism;
using zmtp::Scan;
using zmtp::SocketType;

namespace {
// REQ/REP is strict lock-step (and DEALER → REP is answered in order): replies pair in order.
constexpr uint32_t kReqRepClass = 1;
// Bytes of a frame too large to buffer that are decoded before skipping the rest: a command name
// (at most 255 bytes), the start of its metadata, a subscription.
constexpr uint64_t kPrefix = 1024;
constexpr uint32_t kMaxBadStreak = 16;

uint32_t clamp32(uint64_t v) { return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX)); }

void put_version(L7Fields& f, uint8_t major, uint8_t minor) {
  char buf[8];
  std::size_t n = 0;
  auto put_num = [&](uint8_t v) {
    if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) buf[n++] = static_cast<char>('0' + (v / 10) % 10);
    buf[n++] = static_cast<char>('0' + v % 10);
  };
  put_num(major);
  buf[n++] = '.';
  put_num(minor);
  f.set(Field::kVersion, std::string_view(buf, n));
}
}  // namespace

void ZmtpParser::set_version(L7Fields& f) const {
  const Side& a = side_[0];
  const Side& b = side_[1];
  // Peers speak the lower of the two versions (ZMTP 3.1 falls back to 3.0 for a 3.0 peer).
  const auto older = [](const Side& x, const Side& y) {
    return x.major < y.major || (x.major == y.major && x.minor <= y.minor);
  };
  const Side* v = a.major == 0 ? &b : b.major == 0 ? &a : older(a, b) ? &a : &b;
  if (v->major != 0) put_version(f, v->major, v->minor);
}

int ZmtpParser::reqrep_role(Dir dir) const {
  const SocketType me = side_[static_cast<int>(dir)].socket;
  const SocketType peer = side_[static_cast<int>(opposite(dir))].socket;
  // REQ talks to REP or ROUTER, DEALER to REP: REQ (or DEALER facing REP) asks, REP/ROUTER answers.
  if (me == SocketType::kReq || (peer == SocketType::kRep && me != SocketType::kRep)) return 1;
  if (me == SocketType::kRep || peer == SocketType::kReq) return -1;
  return 0;
}

void ZmtpParser::emit_greeting(Dir dir, const Greeting& g, ParseContext& ctx) {
  Side& s = side_[static_cast<int>(dir)];
  s.major = g.major;
  s.minor = g.minor;
  s.mechanism = g.mechanism;
  Message msg;
  L7Fields& f = msg.fields;
  msg.role = MsgRole::kOneWay;
  f.set(Field::kRequestType, "Greeting");
  put_version(f, g.major, g.minor);
  f.set_request_length(zmtp::kGreetingSize);
  f.set_attribute("mechanism", g.mechanism_name);
  bad_streak_ = 0;
  ctx.emit(msg);
}

void ZmtpParser::read_metadata(Dir dir, std::span<const uint8_t> data, const ParserOptions* options,
                               L7Fields& fields) {
  // property = name-size name value-size(4 octets, network order) value
  ByteReader r(data);
  while (r.remaining() != 0) {
    const uint8_t name_len = r.u8();
    const std::string_view name = r.str(name_len);
    if (!r.ok() || name_len == 0) return;
    for (char c : name)
      if (!zmtp::is_name_char(static_cast<uint8_t>(c))) return;  // not metadata (or encrypted)
    const uint32_t value_len = r.be32();
    if (!r.ok()) return;
    // A value cut by the end of a large frame's prefix is used as far as it goes.
    const std::string_view value = r.str(std::min<std::size_t>(value_len, r.remaining()));
    if (zmtp::iequals(name, "Socket-Type")) {
      side_[static_cast<int>(dir)].socket = zmtp::socket_type_of(value);
      fields.set_attribute("socket_type", value);
    } else {
      apply_trace_header(name, value, options, fields);
    }
  }
}

void ZmtpParser::on_command(Dir dir, const FrameHeader& h, const Command& c, ParseContext& ctx) {
  const Side& s = side_[static_cast<int>(dir)];
  const Mechanism mech = s.mechanism != Mechanism::kUnknown ? s.mechanism
                                                            : side_[static_cast<int>(opposite(dir))].mechanism;
  Message msg;
  L7Fields& f = msg.fields;
  msg.role = MsgRole::kOneWay;
  f.set(Field::kRequestType, "Command");
  set_version(f);
  f.set_request_length(clamp32(h.body_len));
  f.set_attribute("command", c.name);
  if (c.name == "ERROR") {
    // error-reason = OCTET 0*255VCHAR. The server side refusing (authentication, mechanism) is a
    // server error, as DeepFlow logs it; an ERROR the client side sends is a client error.
    ByteReader r(c.data);
    const uint8_t len = r.u8();
    const std::span<const uint8_t> rest = r.rest();
    f.set(Field::kResponseException, zmtp::chars(rest.first(std::min<std::size_t>(len, rest.size()))));
    f.response_status = dir == Dir::kToClient ? ResponseStatus::kServerError : ResponseStatus::kClientError;
  } else if (mech != Mechanism::kCurve && (c.name == "READY" || c.name == "INITIATE")) {
    // CURVE boxes the metadata of both: only NULL and PLAIN show it.
    read_metadata(dir, c.data, ctx.options, f);
  } else if (mech != Mechanism::kCurve && (c.name == "SUBSCRIBE" || c.name == "CANCEL")) {
    f.set(Field::kRequestDomain, zmtp::chars(c.data));
    f.set(Field::kRequestResource, zmtp::chars(c.data));
  }
  ctx.emit(msg);
}

void ZmtpParser::on_message_frame(Dir dir, const FrameHeader& h, std::span<const uint8_t> body, ParseContext& ctx) {
  Side& s = side_[static_cast<int>(dir)];
  const bool delimiter = h.more && h.body_len == 0;
  const bool first = !s.in_message;
  s.in_message = h.more;
  const int role = reqrep_role(dir);
  if (role != 0) {
    // One record per multipart message: requests pair with the reply that follows.
    if (first) s.part_bytes = 0;
    s.part_bytes += h.body_len;
    if (h.more) return;
    Message msg;
    L7Fields& f = msg.fields;
    msg.role = role > 0 ? MsgRole::kRequest : MsgRole::kResponse;
    msg.pair_class = kReqRepClass;
    f.set(Field::kRequestType, "Message");
    set_version(f);
    if (role > 0)
      f.set_request_length(clamp32(s.part_bytes));
    else
      f.set_response_length(clamp32(s.part_bytes));
    s.part_bytes = 0;
    ctx.emit(msg);
    return;
  }
  if (delimiter) return;  // the empty envelope delimiter of REQ/REP-style messages carries nothing
  Message msg;
  L7Fields& f = msg.fields;
  msg.role = MsgRole::kOneWay;
  f.set(Field::kRequestType, "Message");
  set_version(f);
  f.set_request_length(clamp32(h.body_len));
  // ZMTP 3.0 subscriptions: a SUB/XSUB peer sends a one-frame message, 1 (subscribe) or 0 (cancel)
  // then the subscription.
  if (first && !h.more && (s.socket == SocketType::kSub || s.socket == SocketType::kXSub) && !body.empty() &&
      body[0] <= 1) {
    f.set(Field::kRequestDomain, zmtp::chars(body.subspan(1)));
    f.set(Field::kRequestResource, zmtp::chars(body.subspan(1)));
  }
  ctx.emit(msg);
}

ParseResult ZmtpParser::parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  ParseResult r;
  Side& s = side_[static_cast<int>(dir)];
  const uint64_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  if (data.empty()) return r;
  if (!s.started) {
    s.started = true;
    // No greeting: a flow picked up mid-connection. Frames from the first segment that is whole
    // frames on.
    if (data[0] != 0xff) s.greeted = s.resync = true;
  }
  if (s.resync) {
    // Frames carry no marker: parsing resumes only at a segment that is, beyond doubt, whole frames.
    if (!plausible_frames(dir, data, ctx.max_message)) {
      r.consumed = static_cast<uint32_t>(data.size());
      return r;
    }
    s.resync = false;
    s.in_message = false;
    s.part_bytes = 0;
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::span<const uint8_t> rest = data.subspan(pos);
    if (!s.greeted) {
      Greeting g;
      const Scan sc = zmtp::scan_greeting(rest, g);
      if (sc == Scan::kBad) {
        r.consumed = static_cast<uint32_t>(pos);
        r.error = true;
        return r;
      }
      if (sc == Scan::kNeedMore) {
        r.need = zmtp::kGreetingSize;
        break;
      }
      emit_greeting(dir, g, ctx);
      s.greeted = true;
      pos += zmtp::kGreetingSize;
      continue;
    }
    FrameHeader h;
    const Scan sc = zmtp::scan_frame_header(rest, h);
    if (sc == Scan::kBad) {
      r.consumed = static_cast<uint32_t>(pos);
      r.error = true;
      return r;
    }
    if (sc == Scan::kNeedMore) {
      r.need = h.header_len;
      break;
    }
    if (h.body_len > ctx.max_message - std::min<uint64_t>(ctx.max_message, h.header_len)) {
      r.consumed = static_cast<uint32_t>(pos);
      r.oversize = true;
      return r;
    }
    const uint64_t total = h.header_len + h.body_len;
    const bool whole = total <= rest.size();
    if (!whole && total <= cap) {  // wait for the whole frame, without being called before it is there
      r.need = total;
      break;
    }
    // Too large to buffer: decode from a prefix, then skip the rest of the body.
    const uint64_t want = std::min<uint64_t>(h.header_len + std::min(h.body_len, kPrefix), cap);
    if (!whole && rest.size() < want) {
      r.need = want;
      break;
    }
    const auto body_avail = static_cast<std::size_t>(std::min<uint64_t>(h.body_len, rest.size() - h.header_len));
    const std::span<const uint8_t> body = rest.subspan(h.header_len, body_avail);
    if (h.command) {
      Command c;
      if (!zmtp::decode_command(body, h.body_len, c)) {
        r.consumed = static_cast<uint32_t>(pos);
        r.error = true;
        return r;
      }
      on_command(dir, h, c, ctx);
    } else {
      on_message_frame(dir, h, body, ctx);
    }
    bad_streak_ = 0;
    if (!whole) {
      r.consumed = static_cast<uint32_t>(data.size());
      r.skip = total - rest.size();
      return r;
    }
    pos += static_cast<std::size_t>(total);
  }
  r.consumed = static_cast<uint32_t>(pos);
  return r;
}

// Whole frames with valid headers (reserved bits zero, long sizes only above 255, command names of
// letters), at least one of them not empty; the last one may be cut by the end of the data. A run
// of zero bytes (which reads as empty frames) does not qualify.
bool ZmtpParser::plausible_frames(Dir, std::span<const uint8_t> data, uint64_t max_message) {
  std::size_t off = 0;
  uint32_t whole = 0, non_empty = 0;
  while (off < data.size()) {
    const std::span<const uint8_t> rest = data.subspan(off);
    FrameHeader h;
    const Scan sc = zmtp::scan_frame_header(rest, h);
    if (sc == Scan::kBad) return false;
    if (sc == Scan::kNeedMore) break;
    if (h.body_len > max_message || (h.long_size && h.body_len <= 0xff)) return false;
    if (!h.more && h.body_len == 0) return false;
    const std::size_t avail = rest.size() - h.header_len;
    if (h.command) {
      Command c;
      const auto body = rest.subspan(h.header_len, static_cast<std::size_t>(std::min<uint64_t>(h.body_len, avail)));
      if (!zmtp::decode_command(body, h.body_len, c)) return false;
    }
    if (h.body_len > avail) break;  // cut by the end of the data
    off += h.header_len + static_cast<std::size_t>(h.body_len);
    ++whole;
    if (h.body_len != 0) ++non_empty;
  }
  return whole != 0 && non_empty != 0;
}

bool ZmtpParser::on_gap(Dir dir) {
  Side& s = side_[static_cast<int>(dir)];
  s.started = s.greeted = s.resync = true;
  s.in_message = false;
  s.part_bytes = 0;
  ++bad_streak_;
  return bad_streak_ <= kMaxBadStreak;
}

namespace {

// The signature (0xFF, 8 padding bytes, 0x7F) fits the 10 bytes peers send first.
constexpr std::string_view kSignatures[] = {"^\\xff.{8}\\x7f"};
// No registered port: 5555 is the one the ZeroMQ guide's examples use (a hint only; detection works
// from the greeting on any port).
constexpr uint16_t kPorts[] = {5555};

// Signature (libzmq pads with the 1.0-style length 1), version 3.1, mechanism NULL and its 16 NUL
// bytes of padding, as-server 0, 31 bytes of filler.
#define ZMTP_GREETING_NULL                  \
  "\xff\0\0\0\0\0\0\0\x01\x7f" "\x03\x01" \
  "NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0" \
  "\0" \
  "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0" "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
// REQ: greeting, READY (Socket-Type REQ), a request [delimiter]["hello"].
constexpr char kClient[] = ZMTP_GREETING_NULL
    "\x04\x19\x05READY\x0bSocket-Type\0\0\0\x03REQ"
    "\x01\x00\x00\x05hello";
// REP: greeting, READY (Socket-Type REP), the reply [delimiter]["world"].
constexpr char kServer[] = ZMTP_GREETING_NULL
    "\x04\x19\x05READY\x0bSocket-Type\0\0\0\x03REP"
    "\x01\x00\x00\x05world";
#undef ZMTP_GREETING_NULL

constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToServer, std::string_view(kClient, sizeof(kClient) - 1)},
    {Dir::kToClient, std::string_view(kServer, sizeof(kServer) - 1)},
};

}  // namespace

const ProtocolDescriptor kZmtpDescriptor{
    "zmtp", kTcp, kSignatures, kPorts, &zmtp::probe, parser_factory<ZmtpParser>(), kFuzzSamples,
    // libzmq accepts any size by default (ZMQ_MAXMSGSIZE -1); larger declared sizes are taken as
    // garbage.
    256ull << 20,
};

}  // namespace l7tap
