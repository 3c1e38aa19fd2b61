#include "protocols/mq/nats.hpp"

#include <algorithm>
#include <cstring>

#include "protocols/codec/json_string.hpp"
#include "protocols/core/byte_reader.hpp"
#include "protocols/core/trace_context.hpp"

namespace l7tap {
namespace nats {
namespace {

struct VerbSpelling {
  std::string_view text;  // upper case, as on the wire (verbs are case-insensitive)
  Verb verb;
};
constexpr std::array<VerbSpelling, 12> kVerbs{{
    {"INFO", Verb::kInfo},
    {"CONNECT", Verb::kConnect},
    {"PUB", Verb::kPub},
    {"HPUB", Verb::kHpub},
    {"SUB", Verb::kSub},
    {"UNSUB", Verb::kUnsub},
    {"MSG", Verb::kMsg},
    {"HMSG", Verb::kHmsg},
    {"PING", Verb::kPing},
    {"PONG", Verb::kPong},
    {"+OK", Verb::kOk},
    {"-ERR", Verb::kErr},
}};
constexpr std::size_t kMaxVerbLen = 7;

// Payload sizes above this are not NATS (servers cap max_payload far below it): framing is lost.
constexpr uint64_t kMaxPayload = 0x7fffffff;

char upper(uint8_t c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); }
bool is_blank(uint8_t c) { return c == ' ' || c == '\t'; }

// A verb of at most 8 bytes as one little-endian word, upper-cased: a complete token is matched
// by comparing words, not byte by byte against every spelling.
constexpr uint64_t verb_word(std::string_view s) {
  uint64_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) w |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  return w;
}
constexpr std::array<uint64_t, kVerbs.size()> kVerbWords = [] {
  std::array<uint64_t, kVerbs.size()> w{};
  for (std::size_t i = 0; i < kVerbs.size(); ++i) w[i] = verb_word(kVerbs[i].text);
  return w;
}();

// Case-insensitive: is `tok` exactly (full) or the beginning of (!full) a verb's spelling?
bool verb_match(std::span<const uint8_t> tok, std::string_view spelling, bool full) {
  if (tok.size() > spelling.size() || (full && tok.size() != spelling.size())) return false;
  for (std::size_t i = 0; i < tok.size(); ++i)
    if (upper(tok[i]) != spelling[i]) return false;
  return true;
}

// Splits control-line arguments on spaces/tabs; returns the count (toks.size() + 1 when too many).
std::size_t split_args(std::string_view args, std::array<std::string_view, 5>& toks) {
  std::size_t n = 0, i = 0;
  while (i < args.size()) {
    while (i < args.size() && is_blank(static_cast<uint8_t>(args[i]))) ++i;
    if (i == args.size()) break;
    std::size_t start = i;
    while (i < args.size() && !is_blank(static_cast<uint8_t>(args[i]))) ++i;
    if (n == toks.size()) return n + 1;
    toks[n++] = args.substr(start, i - start);
  }
  return n;
}

bool parse_size(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxPayload) return false;
  out = v;
  return true;
}

// Validates the arguments of a complete control line and fills the payload sizes.
bool decode_args(Frame& f) {
  // INFO and CONNECT carry one JSON object and -ERR a quoted text: nothing to split (the JSON of
  // INFO/CONNECT is hundreds of bytes, and splitting it was most of a NATS flow's parse time).
  switch (f.verb) {
    case Verb::kInfo:
    case Verb::kConnect: return !f.args.empty() && f.args.front() == '{';
    case Verb::kErr: return true;
    default: break;
  }
  std::array<std::string_view, 5> t{};
  const std::size_t n = split_args(f.args, t);
  auto sized = [&](std::size_t size_tok) {  // PUB / MSG: one size
    f.has_payload = true;
    return parse_size(t[size_tok], f.payload_len);
  };
  auto hsized = [&](std::size_t hdr_tok) {  // HPUB / HMSG: header size, total size
    f.has_payload = true;
    return parse_size(t[hdr_tok], f.header_len) && parse_size(t[hdr_tok + 1], f.payload_len) &&
           f.header_len <= f.payload_len;
  };
  switch (f.verb) {
    case Verb::kInfo:
    case Verb::kConnect:
    case Verb::kErr:
      return false;  // handled above
    case Verb::kPing:
    case Verb::kPong:
    case Verb::kOk:
      return n == 0;
    case Verb::kPub:  // PUB <subject> [reply-to] <#bytes>
      if (n != 2 && n != 3) return false;
      f.subject = t[0];
      return sized(n - 1);
    case Verb::kHpub:  // HPUB <subject> [reply-to] <#header bytes> <#total bytes>
      if (n != 3 && n != 4) return false;
      f.subject = t[0];
      return hsized(n - 2);
    case Verb::kSub:  // SUB <subject> [queue group] <sid>
      if (n != 2 && n != 3) return false;
      f.subject = t[0];
      return true;
    case Verb::kUnsub: {  // UNSUB <sid> [max_msgs]
      if (n != 1 && n != 2) return false;
      uint64_t max = 0;
      return n == 1 || parse_size(t[1], max);
    }
    case Verb::kMsg:  // MSG <subject> <sid> [reply-to] <#bytes>
      if (n != 3 && n != 4) return false;
      f.subject = t[0];
      return sized(n - 1);
    case Verb::kHmsg:  // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
      if (n != 4 && n != 5) return false;
      f.subject = t[0];
      return hsized(n - 2);
  }
  return false;
}

// Scans the JSON string starting at json[i] == '"'; returns the index just past its closing quote,
// or npos when unterminated. `escaped` tells whether it contains backslashes.
std::size_t skip_json_string(std::string_view json, std::size_t i, bool& escaped) {
  escaped = false;
  for (++i; i < json.size(); ++i) {
    if (json[i] == '\\') {
      escaped = true;
      ++i;
    } else if (json[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The text of a NATS -ERR, without the single quotes the server puts around it.
std::string_view err_text(std::string_view args) {
  if (args.size() >= 2 && args.front() == '\'' && args.back() == '\'') return args.substr(1, args.size() - 2);
  return args;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && upper(static_cast<uint8_t>(hay[i + k])) == upper(static_cast<uint8_t>(needle[k]))) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// -ERR texts (nats-server, client.go/errors.go): the server blames its own capacity or state for
// a few; every other error rejects what the client sent or is (unknown operation, authorization,
// permissions, invalid subject, payload/control-line limits, TLS required, stale connection).
ResponseStatus err_status(std::string_view text) {
  static constexpr std::array<std::string_view, 5> kServerSide{"maximum connections exceeded",
                                                               "maximum account active connections exceeded",
                                                               "slow consumer", "shutting down", "internal"};
  for (auto s : kServerSide)
    if (icontains(text, s)) return ResponseStatus::kServerError;
  return ResponseStatus::kClientError;
}

bool looks_like_tls(std::span<const uint8_t> d) { return d.size() >= 2 && d[0] == 0x16 && d[1] == 0x03; }

}  // namespace

std::string_view verb_name(Verb v) {
  switch (v) {
    case Verb::kInfo:
      return "INFO";
    case Verb::kConnect:
      return "CONNECT";
    case Verb::kPub:
      return "PUB";
    case Verb::kHpub:
      return "HPUB";
    case Verb::kSub:
      return "SUB";
    case Verb::kUnsub:
      return "UNSUB";
    case Verb::kMsg:
      return "MSG";
    case Verb::kHmsg:
      return "HMSG";
    case Verb::kPing:
      return "PING";
    case Verb::kPong:
      return "PONG";
    case Verb::kOk:
      return "OK";
    case Verb::kErr:
      return "ERR";
  }
  return "";
}

Scan scan_frame(std::span<const uint8_t> data, Frame& f) {
  f = Frame{};
  // The verb: up to the first blank or line end.
  std::size_t tok_end = 0;
  while (tok_end < data.size() && tok_end <= kMaxVerbLen && !is_blank(data[tok_end]) && data[tok_end] != '\r' &&
         data[tok_end] != '\n')
    ++tok_end;
  auto tok = data.first(std::min(tok_end, data.size()));
  const bool tok_complete = tok_end < data.size() && tok_end <= kMaxVerbLen;
  if (!tok_complete) {
    if (tok_end > kMaxVerbLen) return Scan::kBad;
    for (const auto& v : kVerbs)
      if (verb_match(tok, v.text, false)) return Scan::kNeedMore;
    return Scan::kBad;
  }
  uint64_t word = 0;  // the token upper-cased (tok_end <= kMaxVerbLen here)
  for (std::size_t i = 0; i < tok.size(); ++i) word |= uint64_t{static_cast<uint8_t>(upper(tok[i]))} << (8 * i);
  bool known = false;
  for (std::size_t v = 0; v < kVerbWords.size(); ++v) {
    if (kVerbWords[v] == word) {
      f.verb = kVerbs[v].verb;
      known = true;
      break;
    }
  }
  if (!known) return Scan::kBad;

  // The rest of the control line: printable bytes (UTF-8 allowed), tabs, and CR only before LF.
  // INFO and CONNECT lines carry hundreds of bytes of JSON: eight bytes are checked at a time for
  // any byte below 0x20 or equal to 0x7f, and only a word holding one goes through the byte loop.
  std::size_t i = tok_end;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
    const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
    const uint64_t x = w ^ (kOnes * 0x7f);
    const uint64_t del = (x - kOnes) & ~x & kHigh;
    if ((below_space | del) != 0) break;
  }
  for (; i < data.size(); ++i) {
    const uint8_t c = data[i];
    if (c == '\n') break;
    if (c == '\r') {
      if (i + 1 < data.size() && data[i + 1] != '\n') return Scan::kBad;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) return Scan::kBad;
  }
  if (i == data.size()) return Scan::kNeedMore;
  f.line_len = static_cast<uint32_t>(i + 1);
  std::size_t content_end = (i > tok_end && data[i - 1] == '\r') ? i - 1 : i;
  std::string_view args = as_chars(data.subspan(tok_end, content_end - tok_end));
  while (!args.empty() && is_blank(static_cast<uint8_t>(args.front()))) args.remove_prefix(1);
  while (!args.empty() && is_blank(static_cast<uint8_t>(args.back()))) args.remove_suffix(1);
  f.args = args;
  if (!decode_args(f)) return Scan::kBad;
  f.total = f.line_len + (f.has_payload ? f.payload_len + 2 : 0);
  return Scan::kFrame;
}

int json_string_field(std::string_view json, std::string_view key, std::span<char> out) {
  int depth = 0;
  for (std::size_t i = 0; i < json.size();) {
    const char c = json[i];
    if (c == '{' || c == '[') {
      ++depth;
      ++i;
    } else if (c == '}' || c == ']') {
      --depth;
      ++i;
    } else if (c == '"') {
      bool esc = false;
      std::size_t end = skip_json_string(json, i, esc);
      if (end == std::string_view::npos) return -1;
      std::string_view name = json.substr(i + 1, end - i - 2);
      i = end;
      std::size_t j = i;
      while (j < json.size() && (json[j] == ' ' || json[j] == '\t' || json[j] == '\r' || json[j] == '\n')) ++j;
      if (j >= json.size() || json[j] != ':') continue;  // a value, not a member name
      if (depth != 1 || esc || name != key) continue;
      for (++j; j < json.size() && (json[j] == ' ' || json[j] == '\t' || json[j] == '\r' || json[j] == '\n');) ++j;
      if (j >= json.size() || json[j] != '"') return -1;
      std::size_t vend = skip_json_string(json, j, esc);
      if (vend == std::string_view::npos) return -1;
      return static_cast<int>(unescape_json(json.substr(j + 1, vend - j - 2), out));
    } else {
      ++i;
    }
  }
  return -1;
}

ProbeVerdict probe(Dir, std::span<const uint8_t> data) {
  // Every complete message at the start must be well-formed NATS; one is enough to say yes.
  bool seen = false;
  for (int k = 0; k < 8 && !data.empty(); ++k) {
    Frame f;
    Scan s = scan_frame(data, f);
    if (s == Scan::kBad) return ProbeVerdict::kNo;
    if (s == Scan::kNeedMore) {
      if (seen) return ProbeVerdict::kYes;
      // A control line that goes on and on is not NATS (servers cap it at 4 KiB by default;
      // INFO/CONNECT carry JSON and may be longer).
      return data.size() > 64 * 1024 ? ProbeVerdict::kNo : ProbeVerdict::kMaybe;
    }
    if (f.total > data.size()) return ProbeVerdict::kYes;  // payload still to come
    if (f.has_payload && (data[f.total - 2] != '\r' || data[f.total - 1] != '\n')) return ProbeVerdict::kNo;
    seen = true;
    data = data.subspan(static_cast<std::size_t>(f.total));
  }
  return seen ? ProbeVerdict::kYes : ProbeVerdict::kMaybe;
}

}  // namespace nats

using nats::Frame;
using nats::Scan;
using nats::Verb;

namespace {
// INFO/CONNECT and PING/PONG pair within their class. A CONNECT answers the newest INFO its peer
// sent (id = that side's latest INFO number; a server may resend INFO). PONGs answer PINGs in
// order: NATS peers process a connection's commands in sequence, so pipelined PINGs ("PING PING"
// then "PONG PONG", as clients send when flushing) pair first with first (FIFO, no id).
enum PairClass : uint32_t { kInfoConnect = 1, kPingPong = 2 };
}  // namespace

void NatsParser::learn_info(std::string_view json) {
  std::array<char, FieldCaps::cap(Field::kRequestDomain)> buf{};
  int n = nats::json_string_field(json, "version", std::span<char>(buf.data(), FieldCaps::cap(Field::kVersion)));
  if (n >= 0) version_ = std::string_view(buf.data(), static_cast<std::size_t>(n));
  n = nats::json_string_field(json, "server_name", std::span<char>(buf.data(), buf.size()));
  if (n >= 0) server_name_ = std::string_view(buf.data(), static_cast<std::size_t>(n));
}

void NatsParser::apply_headers(std::span<const uint8_t> block, const ParserOptions* options, L7Fields& fields) {
  // "NATS/1.0[ status [description]]\r\n" then "Key: Value\r\n" lines, then an empty line.
  std::string_view s = as_chars(block);
  bool first = true;
  while (!s.empty()) {
    std::size_t e = s.find('\n');
    if (e == std::string_view::npos) break;  // a partial line (header block cut by a skip)
    std::string_view line = s.substr(0, e);
    s.remove_prefix(e + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      first = false;
      if (line.substr(0, 5) != "NATS/") return;  // not a header block we understand
      continue;
    }
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    apply_trace_header(line.substr(0, colon), value, options, fields);
  }
}

void NatsParser::emit(Dir dir, const Frame& f, std::span<const uint8_t> avail, ParseContext& ctx) {
  Message msg;  // on the stack: only its small header is initialised
  L7Fields& fl = msg.fields;
  const int d = static_cast<int>(dir);
  const int peer = static_cast<int>(opposite(dir));
  const uint32_t size = static_cast<uint32_t>(std::min<uint64_t>(f.total, UINT32_MAX));
  // INFO comes only from servers; CONNECT, PUB, HPUB, SUB and UNSUB only from clients. Either seen
  // the other way proves the flow's guessed orientation wrong.
  const bool server_verb = f.verb == Verb::kInfo;
  const bool client_verb = f.verb == Verb::kConnect || f.verb == Verb::kPub || f.verb == Verb::kHpub ||
                           f.verb == Verb::kSub || f.verb == Verb::kUnsub;
  if ((server_verb && dir == Dir::kToServer) || (client_verb && dir == Dir::kToClient)) ctx.report_reversed();
  switch (f.verb) {
    case Verb::kInfo:
      learn_info(f.args);
      msg.role = MsgRole::kRequest;
      msg.pair_class = kInfoConnect;
      msg.has_id = true;
      msg.id = ++info_seq_[d];
      fl.set_request_length(size);
      break;
    case Verb::kConnect:
      msg.role = MsgRole::kResponse;
      msg.pair_class = kInfoConnect;
      msg.has_id = true;
      msg.id = info_seq_[peer];  // answers the newest INFO; 0 (none seen) pairs with nothing
      fl.set_response_length(size);
      break;
    case Verb::kPing:
      msg.role = MsgRole::kRequest;
      msg.pair_class = kPingPong;
      fl.set_request_length(size);
      break;
    case Verb::kPong:
      msg.role = MsgRole::kResponse;
      msg.pair_class = kPingPong;
      fl.set_response_length(size);
      break;
    case Verb::kErr: {
      msg.role = MsgRole::kOneWay;
      std::string_view text = nats::err_text(f.args);
      fl.set(Field::kResponseException, text);
      fl.response_status = nats::err_status(text);
      fl.set_request_length(size);
      break;
    }
    default:
      msg.role = MsgRole::kOneWay;
      fl.set_request_length(size);
      break;
  }
  fl.set(Field::kRequestType, nats::verb_name(f.verb));
  fl.set(Field::kVersion, version_.view());
  fl.set(Field::kRequestDomain, server_name_.view());
  if (!f.subject.empty()) {
    fl.set(Field::kRequestResource, f.subject);
    fl.set(Field::kEndpoint, f.subject.substr(0, f.subject.find('.')));
  }
  if ((f.verb == Verb::kHpub || f.verb == Verb::kHmsg) && avail.size() > f.line_len) {
    std::size_t hdr = static_cast<std::size_t>(std::min<uint64_t>(f.header_len, avail.size() - f.line_len));
    apply_headers(avail.subspan(f.line_len, hdr), ctx.options, fl);
  }
  bad_streak_ = 0;
  ctx.emit(msg);
}

ParseResult NatsParser::parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  ParseResult r;
  const int d = static_cast<int>(dir);
  const uint64_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  std::size_t pos = 0;
  if (drop_line_[d]) {
    const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(data.data(), '\n', data.size()));
    if (nl == nullptr) {
      r.consumed = static_cast<uint32_t>(data.size());
      return r;
    }
    pos = static_cast<std::size_t>(nl - data.data()) + 1;
    drop_line_[d] = false;
  }
  while (pos < data.size()) {
    std::span<const uint8_t> rest = data.subspan(pos);
    Frame f;
    Scan s = nats::scan_frame(rest, f);
    if (resync_[d]) {
      if (s == Scan::kBad) {
        // Not at a message start: drop through the end of this line and look again.
        const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(rest.data(), '\n', rest.size()));
        pos = nl == nullptr ? data.size() : pos + static_cast<std::size_t>(nl - rest.data()) + 1;
        continue;
      }
      if (s == Scan::kFrame) resync_[d] = false;
    }
    if (s == Scan::kNeedMore) break;
    if (s == Scan::kBad) {
      if (nats::looks_like_tls(rest)) give_up_ = true;  // the connection switched to TLS after INFO
      r.consumed = static_cast<uint32_t>(pos);
      r.error = true;
      return r;
    }
    if (f.total > ctx.max_message) {  // garbage, not a message: resync after its control line
      r.consumed = static_cast<uint32_t>(pos);
      drop_line_[d] = true;  // the driver resumes inside this line (an HPUB's tail reads as a PUB)
      r.oversize = true;
      return r;
    }
    if (f.total <= rest.size()) {
      if (f.has_payload && (rest[f.total - 2] != '\r' || rest[f.total - 1] != '\n')) {
        r.consumed = static_cast<uint32_t>(pos);
        r.error = true;  // the payload size does not match the stream: framing is lost
        return r;
      }
      emit(dir, f, rest.first(static_cast<std::size_t>(f.total)), ctx);
      pos += static_cast<std::size_t>(f.total);
      continue;
    }
    if (f.total <= cap) {  // wait for the rest of the message, without being called again before
      r.need = f.total;
      break;
    }
    // Too large to buffer: decode from the prefix, waiting for as much of the header block as
    // the buffer can hold, then skip the remainder of the message.
    const uint64_t want = std::min<uint64_t>(f.line_len + f.header_len, cap);
    if (rest.size() < want) break;
    emit(dir, f, rest, ctx);
    r.consumed = static_cast<uint32_t>(data.size());
    r.skip = f.total - rest.size();
    return r;
  }
  r.consumed = static_cast<uint32_t>(pos);
  return r;
}

// Whole messages (control line, payload and its CRLF), the last one possibly incomplete after a
// complete control line.
bool NatsParser::plausible_frames(Dir, std::span<const uint8_t> data, uint64_t max_message) {
  std::size_t off = 0, whole = 0;
  while (off < data.size()) {
    const std::span<const uint8_t> rest = data.subspan(off);
    Frame f;
    const Scan s = nats::scan_frame(rest, f);
    if (s == Scan::kBad || f.total > max_message) return false;
    if (s == Scan::kNeedMore) return whole != 0;
    if (f.total > rest.size()) return true;  // a complete, sane control line
    if (f.has_payload && (rest[f.total - 2] != '\r' || rest[f.total - 1] != '\n')) return false;
    off += static_cast<std::size_t>(f.total);
    ++whole;
  }
  return whole != 0;
}

bool NatsParser::on_gap(Dir dir) {
  resync_[static_cast<int>(dir)] = true;
  ++bad_streak_;
  // A flow that keeps failing (or turned into TLS) is not worth more attempts.
  return !give_up_ && bad_streak_ <= 16;
}

namespace {

// Hyperscan prefilters (case-insensitive verbs); nats::probe validates the whole control line.
constexpr std::string_view kSignatures[] = {
    "^(?i)(INFO|CONNECT)[ \\t]+\\{",
    "^(?i)H?(PUB|MSG)[ \\t]+[^ \\t\\r\\n]",
    "^(?i)(UN)?SUB[ \\t]+[^ \\t\\r\\n]",
    "^(?i)(PING|PONG|\\+OK)[ \\t]*\\r?\\n",
    "^(?i)-ERR[ \\t]",
};
constexpr uint16_t kPorts[] = {4222};

// INFO, CONNECT, SUB, PUB with a payload, the MSG it causes, PING/PONG.
constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToClient, "INFO {\"server_id\":\"x\",\"version\":\"2.9.0\",\"server_name\":\"n1\"}\r\n"},
    {Dir::kToServer, "CONNECT {\"verbose\":false}\r\nSUB a.b 1\r\nPUB a.b 5\r\nhello\r\nPING\r\n"},
    {Dir::kToClient, "MSG a.b 1 5\r\nhello\r\nPONG\r\n"},
};

}  // namespace

const ProtocolDescriptor kNatsDescriptor{
    "nats", kTcp, kSignatures, kPorts, &nats::probe, parser_factory<NatsParser>(), kFuzzSamples,
    // The server's max_payload is 1 MiB by default and 64 MiB at most.
    64ull << 20,
};

}  // namespace l7tap
