#include "protocols/mq/rocketmq.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

#include "protocols/codec/json_string.hpp"
#include "protocols/core/byte_reader.hpp"
#include "protocols/core/trace_context.hpp"
#include "protocols/mq/rocketmq_codes.hpp"

namespace l7tap {
namespace rocketmq {
namespace {

// MessageDecoder.MESSAGE_MAGIC_CODE / MESSAGE_MAGIC_CODE_V2 (V2: the topic length takes 2 bytes).
constexpr uint32_t kMagicV1 = static_cast<uint32_t>(-626843481);
constexpr uint32_t kMagicV2 = static_cast<uint32_t>(-626843477);
// MessageSysFlag: born / store host given as IPv6 (16 bytes instead of 4).
constexpr uint32_t kBornHostV6 = 1u << 4;
constexpr uint32_t kStoreHostV6 = 1u << 5;
// LanguageCode goes up to RUST (12).
constexpr uint8_t kMaxLanguage = 12;
// Nesting accepted inside a JSON header (extFields is one level down; nothing goes deeper).
constexpr int kMaxJsonDepth = 8;
// Scratch for unescaping one JSON extFields key / value (longer ones are truncated).
constexpr std::size_t kKeyScratch = 128;
constexpr std::size_t kValueScratch = 4096;
// extFields entries accepted in a ROCKETMQ header (see walk_binary_ext).
constexpr int kMaxExtEntries = 256;

// RequestCode values the parser treats specially.
enum RequestCode : int32_t {
  kSendMessage = 10,
  kSendMessageV2 = 310,
  kSendBatchMessage = 320,
  kSendReplyMessage = 324,
  kSendReplyMessageV2 = 325,
};

uint32_t be32_at(std::span<const uint8_t> d, std::size_t at) {
  return (uint32_t{d[at]} << 24) | (uint32_t{d[at + 1]} << 16) | (uint32_t{d[at + 2]} << 8) | d[at + 3];
}

// Every JSON token starts with a byte above ' ': one comparison for the usual case (fastjson
// writes no blanks).
bool is_ws(char c) {
  return static_cast<unsigned char>(c) <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

// Eight bytes at a time (SWAR): header strings and message bodies are mostly plain text, and a
// byte-by-byte loop with three comparisons per byte was a good part of the parser's cost.
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;
constexpr bool kSwar = std::endian::native == std::endian::little;
uint64_t load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}
// High bit set in each byte of x equal to c / below c (c <= 0x80). A borrow can also mark bytes
// above a marked one, never below: the lowest marked byte is exact, which is all callers use
// (or they re-check the word byte by byte).
uint64_t bytes_equal(uint64_t x, char c) {
  const uint64_t y = x ^ (kOnes * static_cast<uint8_t>(c));
  return (y - kOnes) & ~y & kHighs;
}
uint64_t bytes_below(uint64_t x, uint8_t c) { return (x - kOnes * c) & ~x & kHighs; }

// The offset, from i, of the first byte that ends the plain run of a JSON string: '"', '\\' or a
// control character; s.size() when there is none.
[[gnu::always_inline]] inline std::size_t string_stop(std::string_view s, std::size_t i) {
  if constexpr (kSwar) {
    for (; i + 8 <= s.size(); i += 8) {
      const uint64_t x = load8(s.data() + i);
      const uint64_t m = bytes_equal(x, '"') | bytes_equal(x, '\\') | bytes_below(x, 0x20);
      if (m != 0) return i + static_cast<std::size_t>(std::countr_zero(m) / 8);
    }
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c < 0x20) return i;
  }
  return s.size();
}

// A bounded cursor over JSON text: what RocketMQ's JSON headers need (fastjson output: an object
// of numbers, strings and the extFields object of strings), with any other value skipped.
struct JsonCursor {
  std::string_view s;
  std::size_t i = 0;

  void ws() {
    while (i < s.size() && is_ws(s[i])) ++i;
  }
  // eat / at look for the byte before skipping blanks: fastjson writes none.
  bool eat(char c) {
    if (!at(c)) return false;
    ++i;
    return true;
  }
  bool at(char c) {
    if (i < s.size() && s[i] == c) return true;
    ws();
    return i < s.size() && s[i] == c;
  }
  // A string: its raw body (still escaped) and whether it holds backslashes. Inlined: most header
  // strings are a few bytes long, and a call's overhead was most of their cost.
  [[gnu::always_inline]] bool string(std::string_view& raw, bool& escaped) {
    if (!at('"')) return false;
    const std::size_t start = ++i;
    bool esc = false;
    std::size_t k = start;
    for (;;) {
      k = string_stop(s, k);
      if (k >= s.size() || (s[k] != '"' && s[k] != '\\')) {  // cut short, or a raw control character
        i = k;
        return false;
      }
      if (s[k] == '"') break;
      esc = true;
      k += 2;  // the escaped character, whatever it is (checked when unescaped)
    }
    raw = {s.data() + start, k - start};
    escaped = esc;
    i = k + 1;
    return true;
  }
  // After an opening quote at i: whether the key `name` and its closing quote follow. A shortcut
  // for the members a header always has; true only where string() would return the same key.
  bool key_is(std::string_view name) {
    if (s.size() - i < name.size() + 2 || std::memcmp(s.data() + i + 1, name.data(), name.size()) != 0 ||
        s[i + 1 + name.size()] != '"')
      return false;
    i += name.size() + 2;
    return true;
  }
  bool integer(int64_t& v) {
    ws();
    const bool neg = i < s.size() && s[i] == '-';
    if (neg) ++i;
    const std::size_t start = i;
    uint64_t x = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (i - start >= 18) return false;  // beyond any int the header holds
      x = x * 10 + static_cast<uint64_t>(s[i] - '0');
      ++i;
    }
    if (i == start) return false;
    if (i < s.size() && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) return false;
    v = neg ? -static_cast<int64_t>(x) : static_cast<int64_t>(x);
    return true;
  }
  bool literal(std::string_view w) {
    ws();
    if (s.substr(i, w.size()) != w) return false;
    i += w.size();
    return true;
  }
  bool skip_value(int depth) {
    ws();
    if (i >= s.size()) return false;
    const char c = s[i];
    if (c == '"') {
      std::string_view raw;
      bool esc = false;
      return string(raw, esc);
    }
    if (c == '{' || c == '[') {
      if (depth >= kMaxJsonDepth) return false;
      const char close = c == '{' ? '}' : ']';
      ++i;
      if (eat(close)) return true;
      for (;;) {
        if (c == '{') {
          std::string_view key;
          bool esc = false;
          if (!string(key, esc) || !eat(':')) return false;
        }
        if (!skip_value(depth + 1)) return false;
        if (eat(',')) continue;
        return eat(close);
      }
    }
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    const std::size_t start = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '+' || s[i] == '.' ||
                            s[i] == 'e' || s[i] == 'E'))
      ++i;
    return i > start;
  }
};

// Walks a JSON extFields object (the cursor at its '{', one level below the header object):
// calls on(entry) for each member whose value is a string; other values are skipped, as deep as
// skip_value allows them at that level. False when the object is malformed.
template <class F>
bool walk_json_ext(JsonCursor& j, F&& on) {
  if (!j.eat('{')) return false;
  if (j.eat('}')) return true;
  for (;;) {
    std::string_view key, value;
    bool kesc = false, vesc = false;
    if (!j.string(key, kesc) || !j.eat(':')) return false;
    if (j.at('"')) {
      if (!j.string(value, vesc)) return false;
      on(ExtEntry{key.data(), value.data(), static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size()),
                  kesc, vesc});
    } else if (!j.skip_value(2)) {
      return false;
    }
    if (j.eat(',')) continue;
    return j.eat('}');
  }
}

// Walks a ROCKETMQ extFields map: entries of key (2 B length) and value (4 B length). Headers
// hold a few dozen fields at most; the bound keeps the search for a frame start (every offset of a
// resynchronising stream may be tried) linear in the bytes.
template <class F>
bool walk_binary_ext(std::span<const uint8_t> bytes, F&& on) {
  ByteReader r(bytes);
  for (int n = 0; r.ok() && r.remaining() != 0; ++n) {
    if (n == kMaxExtEntries) return false;
    const auto klen = static_cast<int16_t>(r.be16());
    if (klen < 0) return false;
    const std::string_view key = r.str(static_cast<std::size_t>(klen));
    const auto vlen = static_cast<int32_t>(r.be32());
    if (vlen < 0) return false;
    const std::string_view value = r.str(static_cast<std::size_t>(vlen));
    if (!r.ok()) return false;
    on(ExtEntry{key.data(), value.data(), static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size()),
                false, false});
  }
  return r.ok();
}

// Keeps the entries a walk finds in the header's table (the first kExtSlots; all are counted).
struct ExtCollector {
  Header& h;
  void operator()(const ExtEntry& e) {
    if (h.ext_count < kExtSlots) h.ext_entries[h.ext_count] = e;
    ++h.ext_count;
  }
};

// The members of a JSON header the parser reads.
enum class Member : uint8_t { kOther, kCode, kFlag, kOpaque, kVersion, kRemark, kExtFields };

Member member_of(std::string_view key) {
  if (key == "code") return Member::kCode;
  if (key == "flag") return Member::kFlag;
  if (key == "opaque") return Member::kOpaque;
  if (key == "version") return Member::kVersion;
  if (key == "remark") return Member::kRemark;
  if (key == "extFields") return Member::kExtFields;
  return Member::kOther;
}

// Reads a member's key (still escaped: "c\u006fde" is not "code"). The keys fastjson writes are
// matched in place, without a general string scan; any other key is read as a JSON string.
bool read_member(JsonCursor& j, Member& m) {
  if (!j.at('"')) return false;
  const char first = j.i + 1 < j.s.size() ? j.s[j.i + 1] : '\0';
  const auto known = [&](std::string_view name, Member as) {
    if (!j.key_is(name)) return false;
    m = as;
    return true;
  };
  switch (first) {
    case 'c': if (known("code", Member::kCode)) return true; break;
    case 'e': if (known("extFields", Member::kExtFields)) return true; break;
    case 'f': if (known("flag", Member::kFlag)) return true; break;
    case 'l': if (known("language", Member::kOther)) return true; break;
    case 'o': if (known("opaque", Member::kOpaque)) return true; break;
    case 'r': if (known("remark", Member::kRemark)) return true; break;
    case 's': if (known("serializeTypeCurrentRPC", Member::kOther)) return true; break;
    case 'v': if (known("version", Member::kVersion)) return true; break;
    default: break;
  }
  std::string_view key;
  bool esc = false;
  if (!j.string(key, esc)) return false;
  m = member_of(key);
  return true;
}

bool decode_json_header(std::span<const uint8_t> bytes, Header& h) {
  JsonCursor j{as_chars(bytes)};
  if (!j.eat('{')) return false;
  bool have_code = false, have_flag = false, have_opaque = false;
  auto int32_in = [&](int64_t& v) { return j.integer(v) && v >= INT32_MIN && v <= INT32_MAX; };
  if (!j.eat('}')) {
    for (;;) {
      Member key = Member::kOther;
      if (!read_member(j, key) || !j.eat(':')) return false;
      int64_t v = 0;
      if (key == Member::kCode) {
        if (!int32_in(v)) return false;
        h.code = static_cast<int32_t>(v);
        have_code = true;
      } else if (key == Member::kFlag) {
        if (!int32_in(v)) return false;
        h.flag = static_cast<uint32_t>(static_cast<int32_t>(v));
        have_flag = true;
      } else if (key == Member::kOpaque) {
        if (!int32_in(v)) return false;
        h.opaque = static_cast<uint32_t>(static_cast<int32_t>(v));  // Java int: wraps negative
        have_opaque = true;
      } else if (key == Member::kVersion) {
        if (!int32_in(v)) return false;
        h.version = static_cast<int32_t>(v);
      } else if (key == Member::kRemark && j.at('"')) {
        if (!j.string(h.remark, h.remark_escaped)) return false;
      } else if (key == Member::kExtFields && j.at('{')) {
        // Validated and its string entries collected in this one pass; a later extFields
        // object replaces an earlier one.
        const std::size_t start = j.i;
        h.ext_count = 0;
        if (!walk_json_ext(j, ExtCollector{h})) return false;
        h.ext = bytes.subspan(start, j.i - start);
      } else if (j.at('"')) {  // the usual other members: "language", "serializeTypeCurrentRPC"
        std::string_view raw;
        bool esc = false;
        if (!j.string(raw, esc)) return false;
      } else if (!j.skip_value(1)) {
        return false;
      }
      if (j.eat(',')) continue;
      if (j.eat('}')) break;
      return false;
    }
  }
  j.ws();
  return j.i == j.s.size() && have_code && have_flag && have_opaque;
}

bool decode_binary_header(std::span<const uint8_t> bytes, Header& h) {
  // RocketMQSerializable.rocketMQProtocolDecode: Java shorts and ints, big endian.
  ByteReader r(bytes);
  h.code = static_cast<int16_t>(r.be16());
  h.language = r.u8();
  h.version = static_cast<int16_t>(r.be16());
  h.opaque = r.be32();
  h.flag = r.be32();
  const auto remark_len = static_cast<int32_t>(r.be32());
  if (!r.ok() || remark_len < 0) return false;
  h.remark = r.str(static_cast<std::size_t>(remark_len));
  const auto ext_len = static_cast<int32_t>(r.be32());
  if (!r.ok() || ext_len < 0) return false;
  h.ext = r.bytes(static_cast<std::size_t>(ext_len));
  // The header length is exact: nothing follows the map, and the map's entries fill it.
  return r.ok() && r.remaining() == 0 && walk_binary_ext(h.ext, ExtCollector{h});
}

// Calls v.on_ext(key, value) for each extFields entry whose value is a string, JSON strings
// unescaped into bounded scratch space (truncated past it): from the header's table, or, when the
// map held more entries than it keeps, by walking the map again (decode_header validated it).
template <class V>
void visit_ext(const Header& h, V& v) {
  char key_buf[kKeyScratch];
  char value_buf[kValueScratch];
  auto visit = [&](const ExtEntry& e) {
    std::string_view key{e.key, e.key_len}, value{e.value, e.value_len};
    if (e.key_escaped) key = {key_buf, unescape_json(key, key_buf)};
    if (e.value_escaped) value = {value_buf, unescape_json(value, value_buf)};
    v.on_ext(key, value);
  };
  if (h.ext_count <= kExtSlots) {
    for (uint32_t k = 0; k < h.ext_count; ++k) visit(h.ext_entries[k]);
  } else if (h.serialization == Serialization::kJson) {
    JsonCursor j{as_chars(h.ext)};
    walk_json_ext(j, visit);
  } else {
    walk_binary_ext(h.ext, visit);
  }
}

// Whether the first bytes of a body are text (the response_result cap of them).
bool is_text(std::string_view s) {
  if (s.empty()) return false;
  const std::size_t n = std::min<std::size_t>(s.size(), FieldCaps::cap(Field::kResponseResult));
  auto bad = [](unsigned char c) { return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f; };
  std::size_t k = 0;
  if constexpr (kSwar) {
    // Words without a control character or DEL pass whole; a word with one (a tab, a newline, a
    // binary byte) is checked byte by byte.
    for (; k + 8 <= n; k += 8) {
      const uint64_t x = load8(s.data() + k);
      if ((bytes_below(x, 0x20) | bytes_equal(x, 0x7f)) == 0) continue;
      for (std::size_t b = k; b < k + 8; ++b)
        if (bad(static_cast<unsigned char>(s[b]))) return false;
    }
  }
  for (; k < n; ++k)
    if (bad(static_cast<unsigned char>(s[k]))) return false;
  return true;
}

// The decimal text of v.
struct IntText {
  char buf[24];
  std::size_t len;
  explicit IntText(int64_t v) : len(static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf)) {}
  std::string_view view() const { return {buf, len}; }
};

// Which message key a record has: UNIQ_KEY (the message id) wins over KEY, which wins over a
// configured x_request_id header.
enum class KeyRank : uint8_t { kNone, kOther, kKey, kUniq };

struct PropertyState {
  const ParserOptions* options;
  L7Fields* fields;
  KeyRank key_rank = KeyRank::kNone;
};

// False when apply_trace_header surely ignores the name: no names are configured, and the name,
// already without the blanks it trims (' ', '\t'; '\r' at the end), is neither "traceparent"
// nor "sw8" by length. Most extFields entries (queueId, sysFlag, ...) end here.
bool may_be_trace_header(std::string_view name, const ParserOptions* options) {
  if (options != nullptr && (!options->trace_id_headers.empty() || !options->span_id_headers.empty() ||
                             !options->x_request_id_headers.empty()))
    return true;
  if (name.size() == 11 || name.size() == 3 || name.empty()) return true;
  const char a = name.front(), z = name.back();
  return a == ' ' || a == '\t' || z == ' ' || z == '\t' || z == '\r';
}

void offer_header(std::string_view key, std::string_view value, PropertyState& ps) {
  if (value.empty()) return;
  if (key == "UNIQ_KEY" || key == "KEY") {
    const KeyRank rank = key == "UNIQ_KEY" ? KeyRank::kUniq : KeyRank::kKey;
    if (rank > ps.key_rank) {
      ps.fields->set(Field::kXRequestId, value);
      ps.key_rank = rank;
    }
    return;
  }
  if (!may_be_trace_header(key, ps.options)) return;
  const bool had_xid = ps.fields->has(Field::kXRequestId);
  apply_trace_header(key, value, ps.options, *ps.fields);
  if (!had_xid && ps.fields->has(Field::kXRequestId) && ps.key_rank == KeyRank::kNone) ps.key_rank = KeyRank::kOther;
}

// Message properties: "key\1value\2key\1value\2..." (MessageDecoder.messageProperties2String).
void apply_properties(std::string_view props, PropertyState& ps) {
  while (!props.empty()) {
    const std::size_t end = std::min(props.find('\x02'), props.size());
    const std::string_view pair = props.substr(0, end);
    props.remove_prefix(std::min(end + 1, props.size()));
    const std::size_t sep = pair.find('\x01');
    if (sep == std::string_view::npos || sep == 0) continue;
    offer_header(pair.substr(0, sep), pair.substr(sep + 1), ps);
  }
}

// SendMessageRequestHeaderV2 (short field names) is the header of these codes.
bool uses_short_names(int32_t code) {
  return code == kSendMessageV2 || code == kSendBatchMessage || code == kSendReplyMessageV2;
}

// Requests only clients send (to a broker or name server); a broker or name server sends its
// requests (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED, GET_CONSUMER_RUNNING_INFO,
// CONSUME_MESSAGE_DIRECTLY, ...) only to clients.
bool client_only_request(int32_t code) {
  switch (code) {
    case 10: case 11: case 12: case 14: case 15: case 34: case 35: case 36: case 37: case 38: case 41:
    case 42: case 105: case 310: case 320: case 324: case 325: case 361: case 200050: case 200051:
    case 200151:
      return true;
    default:
      return false;
  }
}
bool server_only_request(int32_t code) {
  switch (code) {
    case 39: case 40: case 220: case 221: case 307: case 309: case 326:
      return true;
    default:
      return false;
  }
}

// Collects what a request's extFields say.
class RequestExt {
 public:
  RequestExt(int32_t code, PropertyState& ps) : short_names_(uses_short_names(code)), ps_(ps) {}
  void on_ext(std::string_view key, std::string_view value) {
    L7Fields& f = *ps_.fields;
    const bool one = short_names_ && key.size() == 1;
    if (key == "topic" || (one && key[0] == 'b')) {
      f.set(Field::kRequestResource, value);
    } else if (key == "producerGroup" || (one && key[0] == 'a')) {
      f.set(Field::kRequestDomain, value);
      producer_group_ = true;
    } else if (key == "consumerGroup") {
      if (!producer_group_) f.set(Field::kRequestDomain, value);
    } else if (key == "queueId" || (one && key[0] == 'e')) {
      queue_len_ = std::min(value.size(), sizeof queue_id_);
      std::copy_n(value.data(), queue_len_, queue_id_);
    } else if (key == "properties" || (one && key[0] == 'i')) {
      apply_properties(value, ps_);
    } else {
      offer_header(key, value, ps_);
    }
  }
  std::string_view queue_id() const { return {queue_id_, queue_len_}; }

 private:
  bool short_names_;
  bool producer_group_ = false;
  PropertyState& ps_;
  char queue_id_[16];
  std::size_t queue_len_ = 0;
};

// A response's extFields: only trace context / ids.
class ResponseExt {
 public:
  explicit ResponseExt(PropertyState& ps) : ps_(ps) {}
  void on_ext(std::string_view key, std::string_view value) { offer_header(key, value, ps_); }

 private:
  PropertyState& ps_;
};

}  // namespace


bool decode_header(Serialization s, std::span<const uint8_t> bytes, Header& h) {
  // Member by member, not h = Header{}: that would zero the whole entry table, of which only the
  // first ext_count entries are ever read.
  h.serialization = s;
  h.code = 0;
  h.version = -1;
  h.opaque = 0;
  h.flag = 0;
  h.language = 0;
  h.remark = {};
  h.remark_escaped = false;
  h.ext = {};
  h.ext_count = 0;
  return s == Serialization::kJson ? decode_json_header(bytes, h) : decode_binary_header(bytes, h);
}

ProbeVerdict frame_start(std::span<const uint8_t> d, uint64_t max_frame) {
  if (d.size() < 4) return ProbeVerdict::kMaybe;
  const uint32_t length = be32_at(d, 0);
  if (length < 4 + kMinBinaryHeader || uint64_t{length} + 4 > max_frame) return ProbeVerdict::kNo;
  if (d.size() < 8) return ProbeVerdict::kMaybe;
  const uint8_t type = d[4];
  const uint32_t hlen = be32_at(d, 4) & 0xffffff;
  if (type > 1 || hlen > length - 4) return ProbeVerdict::kNo;
  const auto s = static_cast<Serialization>(type);
  if (s == Serialization::kJson) {
    if (hlen < kMinJsonHeader) return ProbeVerdict::kNo;
    if (d.size() > 8 && d[8] != '{') return ProbeVerdict::kNo;
    if (d.size() > 9 && d[9] != '"') return ProbeVerdict::kNo;
  } else {
    if (hlen < kMinBinaryHeader) return ProbeVerdict::kNo;
    if (d.size() > 10 && d[10] > kMaxLanguage) return ProbeVerdict::kNo;
    if (d.size() >= 21 && (be32_at(d, 17) & ~(kFlagResponse | kFlagOneWay)) != 0) return ProbeVerdict::kNo;
  }
  if (d.size() < 8 + std::size_t{hlen}) return ProbeVerdict::kMaybe;
  Header h;
  if (!decode_header(s, d.subspan(8, hlen), h)) return ProbeVerdict::kNo;
  // decode_header has validated the extFields map too.
  return (h.flag & ~(kFlagResponse | kFlagOneWay)) == 0 ? ProbeVerdict::kYes : ProbeVerdict::kNo;
}

ProbeVerdict probe(Dir, std::span<const uint8_t> data) {
  const ProbeVerdict v = frame_start(data, kMaxFrame);
  // A JSON header that goes on past 64 KiB without ending is not a RocketMQ header.
  if (v == ProbeVerdict::kMaybe && data.size() > 64 * 1024) return ProbeVerdict::kNo;
  return v;
}

bool decode_stored_message(std::span<const uint8_t> bytes, BodyMessage& m) {
  m = BodyMessage{};
  ByteReader r(bytes);
  r.be32();  // total size
  const uint32_t magic = r.be32();
  if (!r.ok() || (magic != kMagicV1 && magic != kMagicV2)) return false;
  r.skip(4 + 4 + 4 + 8 + 8);  // body crc, queue id, flag, queue offset, physical offset
  const uint32_t sys_flag = r.be32();
  r.skip(8);                                                // born timestamp
  r.skip(((sys_flag & kBornHostV6) != 0 ? 16 : 4) + 4);     // born host, port
  r.skip(8);                                                // store timestamp
  r.skip(((sys_flag & kStoreHostV6) != 0 ? 16 : 4) + 4);    // store host, port
  r.skip(4 + 8);                                            // reconsume times, prepared tx offset
  const auto body_len = static_cast<int32_t>(r.be32());
  if (!r.ok() || body_len < 0) return false;
  // What the bytes hold of each part (a large message is decoded from its prefix).
  const std::size_t body_take = std::min<std::size_t>(static_cast<std::size_t>(body_len), r.remaining());
  m.body = r.str(body_take);
  if (body_take < static_cast<std::size_t>(body_len)) return true;
  const std::size_t topic_len = magic == kMagicV2 ? r.be16() : r.u8();
  if (!r.ok()) return true;
  m.topic = r.str(std::min(topic_len, r.remaining()));
  const auto props_len = static_cast<int16_t>(r.be16());
  if (!r.ok() || props_len <= 0) return true;
  m.properties = r.str(std::min<std::size_t>(static_cast<std::size_t>(props_len), r.remaining()));
  return true;
}

bool decode_batch_message(std::span<const uint8_t> bytes, BodyMessage& m) {
  m = BodyMessage{};
  ByteReader r(bytes);
  const uint32_t total = r.be32();
  const uint32_t magic = r.be32();
  r.skip(4 + 4);  // body crc, flag
  const auto body_len = static_cast<int32_t>(r.be32());
  if (!r.ok() || magic != 0 || body_len < 0 || total < 4 * 5 + 2 + static_cast<uint64_t>(body_len)) return false;
  const std::size_t body_take = std::min<std::size_t>(static_cast<std::size_t>(body_len), r.remaining());
  m.body = r.str(body_take);
  if (body_take < static_cast<std::size_t>(body_len)) return true;
  const auto props_len = static_cast<int16_t>(r.be16());
  if (!r.ok() || props_len <= 0) return true;
  m.properties = r.str(std::min<std::size_t>(static_cast<std::size_t>(props_len), r.remaining()));
  return true;
}

}  // namespace rocketmq

using rocketmq::Header;
using rocketmq::Serialization;

void RocketMqParser::emit(Dir dir, const Header& h, std::span<const uint8_t> body, uint32_t length,
                          ParseContext& ctx) {
  Message msg;
  L7Fields& f = msg.fields;
  rocketmq::PropertyState ps{ctx.options, &f};
  msg.has_id = true;
  msg.id = h.opaque;
  f.set_request_id(h.opaque);
  f.set(Field::kVersion, rocketmq::version_name(h.version));
  rocketmq::BodyMessage bm;
  const bool response = (h.flag & rocketmq::kFlagResponse) != 0;
  if (response) {
    msg.role = MsgRole::kResponse;
    f.set_response_length(length);
    f.set_response_code(h.code);
    f.response_status = rocketmq::response_code_status(h.code);
    if (h.remark_escaped) {
      char buf[FieldCaps::cap(Field::kResponseException)];
      f.set(Field::kResponseException, {buf, unescape_json(h.remark, buf)});
    } else {
      f.set(Field::kResponseException, h.remark);
    }
    if (!f.has(Field::kResponseException) && f.response_status != ResponseStatus::kOk) {
      const std::string_view name = rocketmq::response_code_name(h.code);
      f.set(Field::kResponseException, name.empty() ? std::string_view("UNKNOWN_RESPONSE_CODE") : name);
    }
    rocketmq::ResponseExt ext(ps);
    rocketmq::visit_ext(h, ext);
    // A body of stored messages (pull, query, pop): the first message's properties and body.
    if (rocketmq::decode_stored_message(body, bm)) {
      rocketmq::apply_properties(bm.properties, ps);
      if (rocketmq::is_text(bm.body)) f.set(Field::kResponseResult, bm.body);
    } else if (rocketmq::is_text(as_chars(body))) {
      f.set(Field::kResponseResult, as_chars(body));
    }
  } else {
    const bool one_way = (h.flag & rocketmq::kFlagOneWay) != 0;
    msg.role = one_way ? MsgRole::kOneWay : MsgRole::kRequest;
    f.set_request_length(length);
    const std::string_view name = rocketmq::request_code_name(h.code);
    f.set(Field::kRequestType, name.empty() ? rocketmq::IntText(h.code).view() : name);
    rocketmq::RequestExt ext(h.code, ps);
    rocketmq::visit_ext(h, ext);
    if (f.has(Field::kRequestResource) && !ext.queue_id().empty()) {
      f.set(Field::kEndpoint, f.get(Field::kRequestResource));
      f.append(Field::kEndpoint, "-");
      f.append(Field::kEndpoint, ext.queue_id());
    }
    // Producers' batches and the messages a broker pushes to a consumer carry properties too.
    if ((h.code == rocketmq::kSendBatchMessage && rocketmq::decode_batch_message(body, bm)) ||
        rocketmq::decode_stored_message(body, bm))
      rocketmq::apply_properties(bm.properties, ps);
    if (one_way) {  // nothing answers it: logged as done
      f.set_response_code(0);
      f.response_status = ResponseStatus::kOk;
    }
    if ((dir == Dir::kToClient && rocketmq::client_only_request(h.code)) ||
        (dir == Dir::kToServer && rocketmq::server_only_request(h.code)))
      ctx.report_reversed();
  }
  bad_streak_ = 0;
  ctx.emit(msg);
}

ParseResult RocketMqParser::parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  ParseResult r;
  const int d = static_cast<int>(dir);
  const uint64_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  std::size_t off = 0;
  if (resync_[d]) {
    // Frames carry no magic: look for an offset where a whole, valid header starts.
    for (; off < data.size(); ++off) {
      const ProbeVerdict v = rocketmq::frame_start(data.subspan(off), ctx.max_message);
      if (v == ProbeVerdict::kYes) {
        resync_[d] = false;
        break;
      }
      if (v == ProbeVerdict::kMaybe) {  // decided by bytes still to come
        r.consumed = static_cast<uint32_t>(off);
        return r;
      }
    }
  }
  while (data.size() - off >= 8) {
    const std::span<const uint8_t> rest = data.subspan(off);
    const uint32_t length = rocketmq::be32_at(rest, 0);
    const uint64_t total = uint64_t{length} + 4;
    const uint8_t type = rest[4];
    const uint32_t hlen = rocketmq::be32_at(rest, 4) & 0xffffff;
    if (total > ctx.max_message) {  // garbage, not a frame: the driver resynchronises
      r.consumed = static_cast<uint32_t>(off);
      r.oversize = true;
      resync_[d] = true;
      return r;
    }
    const uint32_t min_header = type == 0 ? rocketmq::kMinJsonHeader : rocketmq::kMinBinaryHeader;
    if (type > 1 || hlen < min_header || uint64_t{hlen} + 4 > length) {
      r.consumed = static_cast<uint32_t>(off);
      r.error = true;
      return r;
    }
    std::span<const uint8_t> frame;
    uint64_t skip = 0;
    if (rest.size() >= total) {
      frame = rest.first(static_cast<std::size_t>(total));
    } else if (total > cap && rest.size() >= cap) {
      frame = rest;  // too large to buffer: decode the prefix, skip the remainder
      skip = total - rest.size();
    } else {
      r.need = total;
      break;
    }
    Header h;
    if (frame.size() >= 8 + std::size_t{hlen}) {
      if (!rocketmq::decode_header(static_cast<Serialization>(type), frame.subspan(8, hlen), h)) {
        r.consumed = static_cast<uint32_t>(off);
        r.error = true;
        return r;
      }
      emit(dir, h, frame.subspan(8 + hlen), length, ctx);
    }
    // A header larger than the buffer cannot be decoded: the frame is skipped unlogged.
    off += frame.size();
    if (skip != 0) {
      r.consumed = static_cast<uint32_t>(off);
      r.skip = skip;
      return r;
    }
  }
  r.consumed = static_cast<uint32_t>(off);
  return r;
}

// Whole frames with valid headers; after at least one, the last may be cut anywhere.
bool RocketMqParser::plausible_frames(Dir, std::span<const uint8_t> data, uint64_t max_message) {
  std::size_t off = 0, checked = 0;
  while (off < data.size()) {
    const ProbeVerdict v = rocketmq::frame_start(data.subspan(off), max_message);
    if (v != ProbeVerdict::kYes) return v == ProbeVerdict::kMaybe && checked != 0;
    ++checked;
    off += std::size_t{rocketmq::be32_at(data, off)} + 4;
  }
  return checked != 0;
}

bool RocketMqParser::on_gap(Dir dir) {
  resync_[static_cast<int>(dir)] = true;
  ++bad_streak_;
  return bad_streak_ <= 16;
}

namespace {

// Length below 16 MiB, then the serialization byte and a 24-bit header length: JSON headers start
// with {" (fastjson writes no blanks); a ROCKETMQ header's language byte is at most 12.
constexpr std::string_view kSignatures[] = {
    "^\\x00[\\x00-\\xff]{3}\\x00[\\x00-\\xff]{3}\\{\"",
    "^\\x00[\\x00-\\xff]{3}\\x01[\\x00-\\xff]{3}[\\x00-\\xff]{2}[\\x00-\\x0c]",
};
constexpr uint16_t kPorts[] = {9876, 10911};

using namespace std::string_view_literals;
// GET_ROUTEINFO_BY_TOPIC (JSON) and its answer; a one-way UPDATE_CONSUMER_OFFSET (ROCKETMQ).
constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToServer,
     "\x00\x00\x00\x7f\x00\x00\x00\x7b"
     "{\"code\":105,\"extFields\":{\"topic\":\"T\"},\"flag\":0,\"language\":\"JAVA\",\"opaque\":7,"
     "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":401}"sv},
    {Dir::kToClient,
     "\x00\x00\x00\x63\x00\x00\x00\x5f"
     "{\"code\":0,\"flag\":1,\"language\":\"JAVA\",\"opaque\":7,\"serializeTypeCurrentRPC\":\"JSON\","
     "\"version\":401}"sv},
    {Dir::kToServer,
     "\x00\x00\x00\x33\x01\x00\x00\x2f\x00\x0f\x00\x01\x91\x00\x00\x00\x08\x00\x00\x00\x02\x00\x00\x00\x00"
     "\x00\x00\x00\x1a\x00\x05topic\x00\x00\x00\x01T\x00\x07queueId\x00\x00\x00\x01"
     "0"sv},
};

}  // namespace

const ProtocolDescriptor kRocketMqDescriptor{
    "rocketmq", kTcp, kSignatures, kPorts, &rocketmq::probe, parser_factory<RocketMqParser>(), kFuzzSamples,
    rocketmq::kMaxFrame,
};

}  // namespace l7tap
