#include "protocols/mq/openwire.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "protocols/core/byte_reader.hpp"
#include "protocols/core/trace_context.hpp"
#include "protocols/mq/openwire_commands.hpp"

namespace l7tap {
namespace openwire {
namespace {

// Nested objects inside nested objects: real commands go 4 deep (dispatch → message → id →
// producer id); the bound keeps recursion (and a hostile stack) small.
constexpr int kMaxDepth = 12;
// Version assumed before (or without) a WireFormatInfo: the newest marshallers.
constexpr uint32_t kNewestVersion = 12;
constexpr std::string_view kMagic = "ActiveMQ";

enum Type : uint8_t {
  kWireFormatInfo = 1,
  kBrokerInfo = 2,
  kConnectionInfo = 3,
  kSessionInfo = 4,
  kConsumerInfo = 5,
  kProducerInfo = 6,
  kKeepAliveInfo = 10,
  kConnectionError = 16,
  kMessageDispatch = 21,
  kMessageAck = 22,
  kResponse = 30,
  kExceptionResponse = 31,
  kIntegerResponse = 34,
};

bool is_response(uint8_t t) { return t >= kResponse && t <= kIntegerResponse; }
// A command type (data structure types 100 and up are only ever nested).
bool is_command(uint8_t t) { return t < 100 && !type_name(t).empty(); }

// A boolean stream (BooleanStream.java): bit i of the command is bit (i % 8) of byte i / 8.
struct Bits {
  const uint8_t* p = nullptr;
  uint32_t nbits = 0;
  uint32_t pos = 0;
};

// Walks the fields of one command in either encoding. Bounded: every step consumes bytes or bits,
// nesting is capped, and nothing is allocated. Names found along the way are views into the
// command's bytes or the destination cache; they are copied once, into the Found they belong to.
class Walker {
 public:
  // The field lists of `f.version` are picked here, once per command, not per nested object.
  Walker(std::span<const uint8_t> data, const Format& f, DestinationCache* cache, Found* inner)
      : d_(data), f_(f), types_(type_table(f.version)), cache_(cache), inner_(inner) {}

  Walk status() const { return st_; }
  std::size_t pos() const { return pos_; }
  const Bits& bits() const { return bits_; }
  const TypeSpec* spec(uint8_t type) const { return types_[type]; }

  bool u8(uint8_t& v) {
    if (!need(1)) return false;
    v = d_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (!need(2)) return false;
    v = static_cast<uint16_t>((d_[pos_] << 8) | d_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (!need(4)) return false;
    v = (uint32_t{d_[pos_]} << 24) | (uint32_t{d_[pos_ + 1]} << 16) | (uint32_t{d_[pos_ + 2]} << 8) | d_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool skip(std::size_t n) {
    if (!need(n)) return false;
    pos_ += n;
    return true;
  }

  // BooleanStream.unmarshal: a length byte (0xC0: one more length byte; 0x80: a 16-bit length).
  // Becomes the stream the tight encoding's booleans are read from.
  bool bool_stream() {
    uint8_t a = 0;
    if (!u8(a)) return false;
    uint32_t len = a;
    if (a == 0xC0) {
      uint8_t b = 0;
      if (!u8(b)) return false;
      len = b;
    } else if (a == 0x80) {
      uint16_t s = 0;
      if (!u16(s)) return false;
      if (s & 0x8000) return bad();  // a negative Java short
      len = s;
    }
    if (!need(len)) return false;
    bits_.p = d_.data() + pos_;
    bits_.nbits = len * 8;
    bits_.pos = 0;
    pos_ += len;
    return true;
  }

  // The fields of data structure `t`. Tags land in `tgt` (nullptr: not reported); the physical name
  // of a destination goes to `name`. The fixed-size kinds are read in this loop: a call per field
  // cost more than reading most fields.
  bool fields(const TypeSpec& t, Found* tgt, std::string_view* name, int depth) {
    for (const FieldSpec& fs : t.list()) {
      switch (fs.kind) {
        case Kind::kInt: {
          if (!need(4)) return false;
          if (tgt != nullptr && fs.tag != Tag::kNone) {
            const uint8_t* p = d_.data() + pos_;
            const int64_t v = static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                                                   (uint32_t{p[2]} << 8) | p[3]);
            if (fs.tag == Tag::kCommandId) tgt->command_id = v;
            if (fs.tag == Tag::kCorrelationId) tgt->correlation_id = v;
            if (fs.tag == Tag::kWireVersion) tgt->wire_version = v;
          }
          pos_ += 4;
          break;
        }
        case Kind::kShort:
        case Kind::kChar:
          if (!skip(2)) return false;
          break;
        case Kind::kByte:
          if (!skip(1)) return false;
          break;
        case Kind::kBool: {
          bool v = false;
          if (!flag(v)) return false;
          if (tgt != nullptr && fs.tag == Tag::kResponseRequired) tgt->response_required = v;
          break;
        }
        case Kind::kLong:
          if (!long_value()) return false;
          break;
        case Kind::kString: {
          std::string_view s;
          if (!string(s)) return false;
          if (fs.tag == Tag::kPhysicalName && name != nullptr) *name = s;
          if (tgt != nullptr) {
            if (fs.tag == Tag::kJmsCorrelationId) tgt->jms_correlation_id = s.substr(0, kMaxJmsCorrelationId);
            if (fs.tag == Tag::kBrokerUrl) tgt->broker_url = s;
          }
          break;
        }
        case Kind::kCached:
        case Kind::kNested:
          if (!object(fs, tgt, depth)) return false;
          break;
        case Kind::kNestedArray:
          if (!array(false, depth)) return false;
          break;
        case Kind::kCachedArray:
          if (!array(true, depth)) return false;
          break;
        case Kind::kBytes: {
          std::span<const uint8_t> b;
          if (!byte_array(b)) return false;
          if (tgt != nullptr && fs.tag == Tag::kProperties) tgt->properties = b;
          break;
        }
        case Kind::kConst: {
          if (!need(fs.n)) return false;
          if (tgt != nullptr && fs.tag == Tag::kMagic)
            tgt->magic_ok = as_chars(d_.subspan(pos_, fs.n)) == kMagic.substr(0, fs.n);
          pos_ += fs.n;
          break;
        }
        case Kind::kThrowable: {
          std::string_view msg;
          if (!throwable(tgt != nullptr ? &msg : nullptr, depth)) return false;
          if (tgt != nullptr && fs.tag == Tag::kException && !msg.empty()) {
            tgt->exception = msg.substr(0, kMaxException);
            tgt->has_exception = true;
          }
          break;
        }
        default:
          return bad();
      }
    }
    return true;
  }

 private:
  bool need(std::size_t n) {
    if (d_.size() - pos_ < n) {
      st_ = Walk::kShort;
      return false;
    }
    return true;
  }
  bool bad() {
    st_ = Walk::kBad;
    return false;
  }

  // A boolean: a bit of the stream (tight; decode_command reads the stream first) or a byte (loose).
  bool flag(bool& v) {
    if (f_.tight) {
      if (bits_.pos >= bits_.nbits) return bad();
      v = ((bits_.p[bits_.pos >> 3] >> (bits_.pos & 7)) & 1) != 0;
      ++bits_.pos;
      return true;
    }
    uint8_t b = 0;
    if (!u8(b)) return false;
    if (f_.strict && b > 1) return bad();
    v = b != 0;
    return true;
  }

  bool string(std::string_view& out) {
    out = {};
    bool present = false;
    if (!flag(present)) return false;
    if (!present) return true;
    if (f_.tight) {
      bool ascii = false;  // ascii: a signed short length; else writeUTF's unsigned one
      if (!flag(ascii)) return false;
      uint16_t len = 0;
      if (!u16(len)) return false;
      if (ascii && (len & 0x8000)) return bad();
      if (!need(len)) return false;
      out = as_chars(d_.subspan(pos_, len));
      pos_ += len;
      return true;
    }
    uint16_t len = 0;
    if (!u16(len) || !need(len)) return false;
    out = as_chars(d_.subspan(pos_, len));
    pos_ += len;
    return true;
  }

  bool long_value() {
    if (!f_.tight) return skip(8);
    bool wide = false, nonzero_small = false;
    if (!flag(wide) || !flag(nonzero_small)) return false;
    if (wide) return skip(nonzero_small ? 8 : 4);
    return skip(nonzero_small ? 2 : 0);
  }

  bool byte_array(std::span<const uint8_t>& out) {
    out = {};
    bool present = false;
    if (!flag(present)) return false;
    if (!present) return true;
    uint32_t len = 0;
    if (!u32(len)) return false;
    if (len & 0x80000000u) return bad();
    if (!need(len)) return false;
    out = d_.subspan(pos_, len);
    pos_ += len;
    return true;
  }

  // A nested or cached field of a structure. MessageDispatch.message of the command itself is
  // reported (as `inner`). The destination name is copied into the target right away: a view into
  // the cache would not survive a later cache update in the same command.
  bool object(const FieldSpec& fs, Found* tgt, int depth) {
    Found* sub = fs.tag == Tag::kMessage && tgt != nullptr && depth == 0 ? inner_ : nullptr;
    std::string_view dest;
    const bool ok = fs.kind == Kind::kCached ? cached(sub, &dest, depth) : nested(sub, &dest, depth);
    if (!ok) return false;
    if (tgt != nullptr && fs.tag == Tag::kDestination && !dest.empty()) {
      tgt->destination = dest;
      tgt->has_destination = true;
    }
    return true;
  }

  bool nested(Found* tgt, std::string_view* name, int depth) {
    if (depth >= kMaxDepth) return bad();
    bool present = false;
    if (!flag(present)) return false;
    if (!present) return true;
    uint8_t type = 0;
    if (!u8(type)) return false;
    const TypeSpec* spec = types_[type];
    if (spec == nullptr) return bad();
    if (f_.tight && marshall_aware(type)) {
      // OpenWireFormat.tightUnmarshalNestedObject: a marshall-aware object may come in its own
      // cached marshalled form: size, type, its own boolean stream, fields.
      bool own_form = false;
      if (!flag(own_form)) return false;
      if (own_form) {
        const Bits outer = bits_;
        if (!skip(5) || !bool_stream()) return false;
        const bool ok = fields(*spec, tgt, name, depth + 1);
        bits_ = outer;
        return ok;
      }
    }
    return fields(*spec, tgt, name, depth + 1);
  }

  bool cached(Found* tgt, std::string_view* name, int depth) {
    if (!f_.cache) return nested(tgt, name, depth);
    bool fresh = false;
    uint16_t index = 0;
    if (!flag(fresh) || !u16(index)) return false;
    if (!fresh) {
      if (name != nullptr && cache_ != nullptr) *name = cache_->get(index);
      return true;
    }
    std::string_view local;
    if (!nested(tgt, &local, depth)) return false;
    if (cache_ != nullptr) {
      if (local.empty()) {
        cache_->erase(index);
      } else {
        cache_->put(index, local);
      }
    }
    if (name != nullptr) *name = local;
    return true;
  }

  bool array(bool of_cached, int depth) {
    bool present = false;
    if (!flag(present)) return false;
    if (!present) return true;
    uint16_t n = 0;
    if (!u16(n)) return false;
    if (n & 0x8000) return bad();
    for (uint32_t i = 0; i < n; ++i) {
      if (!(of_cached ? cached(nullptr, nullptr, depth) : nested(nullptr, nullptr, depth))) return false;
    }
    return true;
  }

  bool throwable(std::string_view* message, int depth) {
    if (depth >= kMaxDepth) return bad();
    bool present = false;
    if (!flag(present)) return false;
    if (!present) return true;
    std::string_view clazz, text;
    if (!string(clazz) || !string(text)) return false;
    if (message != nullptr) *message = text.empty() ? clazz : text;
    if (!f_.stack_trace) return true;
    uint16_t n = 0;
    if (!u16(n)) return false;
    if (n & 0x8000) return bad();
    for (uint32_t i = 0; i < n; ++i) {
      std::string_view s;
      if (!string(s) || !string(s) || !string(s) || !skip(4)) return false;
    }
    return throwable(nullptr, depth + 1);  // the cause
  }

  std::span<const uint8_t> d_;
  std::size_t pos_ = 0;
  Format f_;
  const TypeTable& types_;
  Bits bits_;  // the boolean stream in force (tight encoding)
  DestinationCache* cache_;
  Found* inner_;
  Walk st_ = Walk::kOk;
};

// MarshallingSupport primitive-map value types.
enum Prim : uint8_t {
  kNull = 0,
  kBoolean = 1,
  kByteT = 2,
  kCharT = 3,
  kShortT = 4,
  kInteger = 5,
  kLongT = 6,
  kDouble = 7,
  kFloat = 8,
  kStringT = 9,
  kByteArray = 10,
  kMap = 11,
  kList = 12,
  kBigString = 13,
};

using Visit = void (*)(void* arg, std::string_view key, uint8_t type, std::span<const uint8_t> value);

bool skip_value(ByteReader& r, uint8_t type, int depth, std::span<const uint8_t>& value);

// MarshallingSupport.unmarshalPrimitiveMap: count (-1: null), then key (writeUTF) and typed value.
bool walk_map(ByteReader& r, int depth, Visit visit, void* arg) {
  if (depth > 4) return false;
  const uint32_t n = r.be32();
  if (!r.ok()) return false;
  if (n & 0x80000000u) return true;  // null map
  for (uint32_t i = 0; i < n; ++i) {
    const uint16_t klen = r.be16();
    if (!r.has(klen)) return false;
    const std::string_view key = as_chars(r.rest().first(klen));
    r.skip(klen);
    const uint8_t type = r.u8();
    std::span<const uint8_t> value;
    if (!r.ok() || !skip_value(r, type, depth, value)) return false;
    if (visit != nullptr && depth == 0) visit(arg, key, type, value);
  }
  return true;
}

bool skip_value(ByteReader& r, uint8_t type, int depth, std::span<const uint8_t>& value) {
  auto take = [&](std::size_t n) {
    if (!r.has(n)) return false;
    value = r.rest().first(n);
    r.skip(n);
    return true;
  };
  switch (type) {
    case kNull: return true;
    case kBoolean:
    case kByteT: return take(1);
    case kCharT:
    case kShortT: return take(2);
    case kInteger:
    case kFloat: return take(4);
    case kLongT:
    case kDouble: return take(8);
    case kStringT: {
      const uint16_t n = r.be16();
      return r.ok() && take(n);
    }
    case kByteArray:
    case kBigString: {
      const uint32_t n = r.be32();
      return r.ok() && (n & 0x80000000u) == 0 && take(n);
    }
    case kMap: return walk_map(r, depth + 1, nullptr, nullptr);
    case kList: {
      if (depth > 4) return false;
      const uint32_t n = r.be32();
      if (!r.ok() || (n & 0x80000000u)) return false;
      for (uint32_t i = 0; i < n; ++i) {
        const uint8_t t = r.u8();
        std::span<const uint8_t> v;
        if (!r.ok() || !skip_value(r, t, depth + 1, v)) return false;
      }
      return true;
    }
    default: return false;
  }
}

bool key_is(std::string_view key, std::string_view want) { return key == want; }

// BooleanStream.marshal writes just the bytes its bits need, unused bits zero.
bool exact_bits(const Bits& bs) {
  const uint32_t bytes = bs.nbits / 8;
  if (bytes != (bs.pos + 7) / 8) return false;
  if (bs.pos % 8 != 0 && (bs.p[bs.pos / 8] >> (bs.pos % 8)) != 0) return false;
  return true;
}

}  // namespace

void DestinationCache::put(uint16_t index, std::string_view name) {
  for (std::size_t i = 0; i < used_; ++i) {
    if (slots_[i].index == index) {
      slots_[i].name = name;
      return;
    }
  }
  std::size_t at = used_;
  if (used_ < kSlots) {
    ++used_;
  } else {
    at = next_;
    next_ = static_cast<uint8_t>((next_ + 1) % kSlots);
  }
  slots_[at].index = index;
  slots_[at].name = name;
}

void DestinationCache::erase(uint16_t index) {
  for (std::size_t i = 0; i < used_; ++i) {
    if (slots_[i].index == index) {
      slots_[i] = slots_[used_ - 1];
      --used_;
      return;
    }
  }
}

std::string_view DestinationCache::get(uint16_t index) const {
  for (std::size_t i = 0; i < used_; ++i)
    if (slots_[i].index == index) return slots_[i].name.view();
  return {};
}

Walk decode_command(std::span<const uint8_t> body, const Format& f, DestinationCache* cache, Command& out,
                    std::size_t& used) {
  Walker w(body, f, cache, &out.inner);
  uint8_t type = 0;
  used = 0;
  if (!w.u8(type)) return Walk::kShort;
  out.type = type;
  if (type == 0) {  // NULL_TYPE: OpenWireFormat reads nothing more
    used = 1;
    return Walk::kOk;
  }
  const TypeSpec* spec = w.spec(type);
  if (spec == nullptr) return Walk::kBad;
  out.has_inner = type == kMessageDispatch;
  if (f.tight && !w.bool_stream()) return w.status();
  w.fields(*spec, &out.top, nullptr, 0);
  used = w.pos();
  if (w.status() == Walk::kOk && f.strict && f.tight && !exact_bits(w.bits())) return Walk::kBad;
  return w.status();
}

void read_wire_prefs(std::span<const uint8_t> props, WireFormatPrefs& p) {
  ByteReader r(props);
  walk_map(
      r, 0,
      [](void* arg, std::string_view key, uint8_t type, std::span<const uint8_t> v) {
        auto& q = *static_cast<WireFormatPrefs*>(arg);
        if (type != kBoolean || v.size() != 1) return;
        const bool on = v[0] != 0;
        if (key_is(key, "TightEncodingEnabled")) q.tight = on;
        if (key_is(key, "CacheEnabled")) q.cache = on;
        if (key_is(key, "StackTraceEnabled")) q.stack_trace = on;
        if (key_is(key, "SizePrefixDisabled")) q.size_prefix_disabled = on;
      },
      &p);
}

bool for_each_string_property(std::span<const uint8_t> map,
                              void (*fn)(void* arg, std::string_view key, std::string_view value), void* arg) {
  struct Ctx {
    void (*fn)(void*, std::string_view, std::string_view);
    void* arg;
  } ctx{fn, arg};
  ByteReader r(map);
  return walk_map(
      r, 0,
      [](void* a, std::string_view key, uint8_t type, std::span<const uint8_t> v) {
        if (type != kStringT && type != kBigString) return;
        auto* c = static_cast<Ctx*>(a);
        c->fn(c->arg, key, as_chars(v));
      },
      &ctx);
}

namespace {

// The encodings tried on a flow picked up without its WireFormatInfos, most common first.
constexpr Format kGuesses[] = {
    {kNewestVersion, true, true, true, false, true},
    {kNewestVersion, true, false, true, false, true},
    {kNewestVersion, false, true, true, false, true},
    {kNewestVersion, false, false, true, false, true},
};

// A size prefix a command could have: at least the type byte, below the limit.
bool sane_size(uint32_t size, uint64_t max_message) { return size >= 1 && size <= max_message && size < 0x80000000u; }

// Does `body` (a whole size-prefixed command) decode exactly under some encoding?
bool decodes_exactly(std::span<const uint8_t> body, uint32_t version) {
  if (body.empty() || !is_command(body[0])) return false;
  for (Format f : kGuesses) {
    if (version != 0) f.version = version;
    if (body[0] == kWireFormatInfo) f.tight = false;
    Command c;
    std::size_t used = 0;
    if (decode_command(body, f, nullptr, c, used) == Walk::kOk && used == body.size()) return true;
  }
  return false;
}

}  // namespace

ProbeVerdict probe(Dir, std::span<const uint8_t> data) {
  // A size prefix below 64 MiB starts with a byte of at most 3.
  if (!data.empty() && data[0] > 3) return ProbeVerdict::kNo;
  if (data.size() < 5) return ProbeVerdict::kMaybe;
  const uint32_t size = (uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) | (uint32_t{data[2]} << 8) | data[3];
  if (!sane_size(size, 64u << 20)) return ProbeVerdict::kNo;
  if (data[4] == kWireFormatInfo) {
    // The first command of every connection: "ActiveMQ" magic right after the type.
    const std::size_t n = std::min<std::size_t>(data.size() - 5, kMagic.size());
    if (as_chars(data.subspan(5, n)) != kMagic.substr(0, n)) return ProbeVerdict::kNo;
    return n == kMagic.size() ? ProbeVerdict::kYes : ProbeVerdict::kMaybe;
  }
  // Picked up mid-stream: a whole command that decodes exactly.
  if (!is_command(data[4])) return ProbeVerdict::kNo;
  if (data.size() - 4 < size) return size <= 64 * 1024 ? ProbeVerdict::kMaybe : ProbeVerdict::kNo;
  return decodes_exactly(data.subspan(4, size), 0) ? ProbeVerdict::kYes : ProbeVerdict::kNo;
}

}  // namespace openwire

using openwire::Command;
using openwire::Format;
using openwire::Walk;

namespace {
// Pairing classes: a command answered by a Response (by id), and KeepAliveInfo (in order).
enum PairClass : uint32_t { kCommand = 1, kKeepAlive = 2 };

// Commands only a client (the side that opened the connection) sends, and only a broker sends.
bool client_only(uint8_t t) {
  return t == openwire::kConnectionInfo || t == openwire::kSessionInfo || t == openwire::kConsumerInfo ||
         t == openwire::kProducerInfo || t == openwire::kMessageAck;
}
bool broker_only(uint8_t t) { return t == openwire::kMessageDispatch; }

// `v` in decimal, in `buf` (as "%lld" would print it; std::to_chars: snprintf cost more than
// decoding a small command).
template <typename Int>
std::string_view decimal(Int v, char (&buf)[24]) {
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, static_cast<std::size_t>(res.ptr - buf)};
}

void apply_properties(std::span<const uint8_t> props, const ParserOptions* options, L7Fields& fl) {
  if (props.empty()) return;
  struct Ctx {
    const ParserOptions* options;
    L7Fields* fl;
  } c{options, &fl};
  openwire::for_each_string_property(
      props,
      [](void* a, std::string_view key, std::string_view value) {
        auto* x = static_cast<Ctx*>(a);
        apply_trace_header(key, value, x->options, *x->fl);
      },
      &c);
}

}  // namespace

Format OpenWireParser::format(Dir dir) const {
  const int d = static_cast<int>(dir);
  if (has_prefs_[0] && has_prefs_[1]) {
    const auto& a = prefs_[0];
    const auto& b = prefs_[1];
    Format f;
    f.version = std::min(a.version, b.version);
    f.tight = a.tight && b.tight;
    f.cache = a.cache && b.cache;
    f.stack_trace = a.stack_trace && b.stack_trace;
    f.size_prefix_disabled = a.size_prefix_disabled && b.size_prefix_disabled;
    return f;
  }
  if (guessed_[d]) return guess_[d];
  // Before negotiation: OpenWireFormat's defaults (loose, size prefix, no cache).
  Format f;
  f.version = has_prefs_[d] ? prefs_[d].version : openwire::kNewestVersion;
  f.stack_trace = true;
  return f;
}

// `f`: format(dir), which the caller has at hand.
Walk OpenWireParser::decode_framed(Dir dir, Format f, std::span<const uint8_t> body, Command& cmd) {
  const int d = static_cast<int>(dir);
  std::size_t used = 0;
  if (!body.empty() && body[0] == openwire::kWireFormatInfo && !(has_prefs_[0] && has_prefs_[1])) {
    f.tight = false;  // sent before negotiation, in the default format
    f.cache = false;
    return openwire::decode_command(body, f, &cache_[d], cmd, used);
  }
  const bool negotiated = has_prefs_[0] && has_prefs_[1];
  if (!negotiated && !guessed_[d] && !body.empty()) {
    // The pair of WireFormatInfos was not seen: find the encoding in use (with this side's
    // version when its WireFormatInfo was seen).
    for (Format g : openwire::kGuesses) {
      if (has_prefs_[d]) g.version = prefs_[d].version;
      Command probe_cmd;
      if (openwire::decode_command(body, g, nullptr, probe_cmd, used) == Walk::kOk && used == body.size()) {
        guessed_[d] = true;
        guess_[d] = g;
        guess_[d].strict = false;
        f = guess_[d];
        break;
      }
    }
  }
  return openwire::decode_command(body, f, &cache_[d], cmd, used);
}

void OpenWireParser::emit(Dir dir, const Command& cmd, uint32_t size, ParseContext& ctx) {
  const int d = static_cast<int>(dir);
  const int peer = static_cast<int>(opposite(dir));
  if ((client_only(cmd.type) && dir == Dir::kToClient) || (broker_only(cmd.type) && dir == Dir::kToServer))
    ctx.report_reversed();
  Message msg;
  L7Fields& fl = msg.fields;
  const openwire::Found& top = cmd.top;
  const openwire::Found& src = cmd.has_inner && cmd.inner.command_id >= 0 ? cmd.inner : top;

  std::string_view name = openwire::type_name(cmd.type);
  char unknown[16];
  if (name.empty()) {
    int n = std::snprintf(unknown, sizeof unknown, "Unknown(%u)", static_cast<unsigned>(cmd.type));
    name = std::string_view(unknown, static_cast<std::size_t>(n));
  }
  fl.set(Field::kRequestType, name);

  char b[24];  // a version in decimal

  if (cmd.type == openwire::kWireFormatInfo) {
    if (top.wire_version >= 0) {
      fl.set(Field::kVersion, decimal(top.wire_version, b));
      prefs_[d] = openwire::WireFormatPrefs{};
      prefs_[d].version = static_cast<uint32_t>(top.wire_version);
      openwire::read_wire_prefs(top.properties, prefs_[d]);
      has_prefs_[d] = true;
    }
  } else if (has_prefs_[0] || has_prefs_[1]) {
    // The negotiated version (format()), else that of the side whose WireFormatInfo was seen.
    uint32_t v = has_prefs_[d] ? prefs_[d].version : prefs_[peer].version;
    if (has_prefs_[0] && has_prefs_[1]) v = std::min(prefs_[0].version, prefs_[1].version);
    fl.set(Field::kVersion, decimal(v, b));
  }

  if (openwire::is_response(cmd.type)) {
    msg.role = MsgRole::kResponse;
    msg.pair_class = kCommand;
    msg.has_id = true;
    msg.id = static_cast<uint64_t>(top.correlation_id);
    fl.set_response_length(size);
    fl.response_status = ResponseStatus::kOk;
  } else if (cmd.type == openwire::kKeepAliveInfo && top.response_required) {
    msg.role = MsgRole::kRequest;
    msg.pair_class = kKeepAlive;
    ++keepalive_asked_[d];
    fl.set_request_length(size);
  } else if (cmd.type == openwire::kKeepAliveInfo && keepalive_asked_[peer] > 0) {
    // InactivityMonitor answers a KeepAliveInfo that asks for it with one that does not.
    --keepalive_asked_[peer];
    msg.role = MsgRole::kResponse;
    msg.pair_class = kKeepAlive;
    fl.set_response_length(size);
    fl.response_status = ResponseStatus::kOk;
  } else if (top.response_required) {
    msg.role = MsgRole::kRequest;
    msg.pair_class = kCommand;
    msg.has_id = true;
    msg.id = static_cast<uint64_t>(top.command_id);
    fl.set_request_length(size);
  } else {
    msg.role = MsgRole::kOneWay;
    fl.set_request_length(size);
    fl.response_status = ResponseStatus::kOk;
  }
  if (top.has_exception) {
    fl.set(Field::kResponseException, top.exception);
    fl.response_status = ResponseStatus::kServerError;
  }
  if (!openwire::is_response(cmd.type) && src.command_id > 0) fl.set_request_id(static_cast<uint64_t>(src.command_id));
  if (cmd.type == openwire::kBrokerInfo) fl.set(Field::kRequestDomain, top.broker_url);
  const openwire::Found& dest_src = top.has_destination ? top : src;
  if (dest_src.has_destination) {
    fl.set(Field::kRequestResource, dest_src.destination.view());
    fl.set(Field::kEndpoint, dest_src.destination.view());
  }
  if (!src.jms_correlation_id.empty()) fl.set(Field::kXRequestId, src.jms_correlation_id);
  apply_properties(src.properties, ctx.options, fl);
  bad_streak_ = 0;
  ctx.emit(msg);
}

ParseResult OpenWireParser::parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  ParseResult r;
  const int d = static_cast<int>(dir);
  const uint64_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  std::size_t pos = 0;
  if (resync_[d]) {
    // After a gap: the next position where whole, well-formed commands start.
    const Format f = format(dir);
    if (f.size_prefix_disabled) {
      r.error = true;  // no framing to find again
      return r;
    }
    // Bounded: at most kResyncScan offsets and kResyncWork bytes decoded per call; what was
    // scanned without success is dropped, and the scan goes on with the next bytes.
    constexpr std::size_t kResyncScan = 16 * 1024;
    constexpr uint64_t kResyncWork = 1u << 20;
    std::size_t at = 0;
    uint64_t work = 0;
    bool found = false;
    for (; at + 5 <= data.size() && at < kResyncScan && work < kResyncWork; ++at) {
      const auto rest = data.subspan(at);
      const uint32_t size = (uint32_t{rest[0]} << 24) | (uint32_t{rest[1]} << 16) | (uint32_t{rest[2]} << 8) | rest[3];
      if (!openwire::sane_size(size, ctx.max_message) || !openwire::is_command(rest[4])) continue;
      const uint64_t total = uint64_t{size} + 4;
      if (total > rest.size()) {
        if (total <= cap) break;  // a candidate still arriving: look again with more bytes
        continue;                 // too large to verify: not a place to restart
      }
      work += size;
      if (!openwire::decodes_exactly(rest.subspan(4, size), f.version)) continue;
      // The next command (if its header is there) must look like one too.
      const auto next = rest.subspan(static_cast<std::size_t>(total));
      if (next.size() >= 5) {
        const uint32_t n = (uint32_t{next[0]} << 24) | (uint32_t{next[1]} << 16) | (uint32_t{next[2]} << 8) | next[3];
        if (!openwire::sane_size(n, ctx.max_message) || !openwire::is_command(next[4])) continue;
      }
      found = true;
      break;
    }
    if (!found) {
      r.consumed = static_cast<uint32_t>(at);
      return r;
    }
    pos = at;
    resync_[d] = false;
  }
  while (pos < data.size()) {
    std::span<const uint8_t> rest = data.subspan(pos);
    const Format f = format(dir);
    Command cmd;
    if (f.size_prefix_disabled) {
      std::size_t used = 0;
      Walk w = openwire::decode_command(rest, f, &cache_[d], cmd, used);
      if (w == Walk::kShort) {
        if (rest.size() >= cap) {  // a command too large to buffer cannot be framed without a size
          r.consumed = static_cast<uint32_t>(pos);
          r.error = true;
          return r;
        }
        break;
      }
      if (w == Walk::kBad) {  // unknown type or malformed: nothing tells where the next command starts
        r.consumed = static_cast<uint32_t>(pos);
        r.error = true;
        return r;
      }
      emit(dir, cmd, static_cast<uint32_t>(used), ctx);
      pos += used;
      continue;
    }
    if (rest.size() < 4) break;
    const uint32_t size = (uint32_t{rest[0]} << 24) | (uint32_t{rest[1]} << 16) | (uint32_t{rest[2]} << 8) | rest[3];
    if (size == 0 || size >= 0x80000000u) {
      r.consumed = static_cast<uint32_t>(pos);
      r.error = true;
      return r;
    }
    if (size > ctx.max_message) {
      r.consumed = static_cast<uint32_t>(pos);
      r.oversize = true;
      return r;
    }
    const uint64_t total = uint64_t{size} + 4;
    if (total <= rest.size()) {
      decode_framed(dir, f, rest.subspan(4, size), cmd);
      emit(dir, cmd, size, ctx);
      pos += static_cast<std::size_t>(total);
      continue;
    }
    if (total <= cap) {
      r.need = total;
      break;
    }
    // Larger than the buffer: decode the prefix we can hold, skip the rest.
    if (rest.size() < cap) break;
    decode_framed(dir, f, rest.subspan(4), cmd);
    emit(dir, cmd, size, ctx);
    r.consumed = static_cast<uint32_t>(data.size());
    r.skip = total - rest.size();
    return r;
  }
  r.consumed = static_cast<uint32_t>(pos);
  return r;
}

// Size-prefixed commands of a known type that decode exactly, the last one possibly cut.
bool OpenWireParser::plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) {
  const Format f = format(dir);
  if (f.size_prefix_disabled) return false;
  std::size_t off = 0, whole = 0;
  while (off + 5 <= data.size() && whole < 16) {
    const auto rest = data.subspan(off);
    const uint32_t size = (uint32_t{rest[0]} << 24) | (uint32_t{rest[1]} << 16) | (uint32_t{rest[2]} << 8) | rest[3];
    if (!openwire::sane_size(size, max_message) || !openwire::is_command(rest[4])) return false;
    if (uint64_t{size} + 4 > rest.size()) return whole != 0;
    if (!openwire::decodes_exactly(rest.subspan(4, size), f.version)) return false;
    off += size + 4;
    ++whole;
  }
  return whole != 0;
}

bool OpenWireParser::on_gap(Dir dir) {
  const int d = static_cast<int>(dir);
  resync_[d] = true;
  // Cache indexes refer to objects we may have missed.
  cache_[d].clear();
  keepalive_asked_[d] = 0;
  ++bad_streak_;
  return bad_streak_ <= 16 && !format(dir).size_prefix_disabled;
}

namespace {

constexpr std::string_view kSignatures[] = {
    // WireFormatInfo, the first command of each side: size, type 1, "ActiveMQ".
    "^[\\s\\S]{4}\\x01ActiveMQ",
    // Mid-stream: a size below 64 MiB and a known command type; the probe decodes it.
    "^[\\x00-\\x03][\\s\\S]{3}[\\x02-\\x22\\x28\\x32\\x34-\\x37\\x3c\\x3d\\x41\\x5a-\\x5c]",
};
constexpr uint16_t kPorts[] = {61616};

// Loose WireFormatInfo of each side (tight encoding off), a ConnectionInfo-less ShutdownInfo asking
// for a response, and the Response.
constexpr char kClientBytes[] =
    "\x00\x00\x00\x3e" "\x01" "ActiveMQ" "\x00\x00\x00\x0c" "\x01\x00\x00\x00\x2c"
    "\x00\x00\x00\x02" "\x00\x14" "TightEncodingEnabled" "\x01\x00" "\x00\x0c" "CacheEnabled" "\x01\x00"
    "\x00\x00\x00\x06" "\x0b" "\x00\x00\x00\x01" "\x01";
constexpr char kServerBytes[] =
    "\x00\x00\x00\x3e" "\x01" "ActiveMQ" "\x00\x00\x00\x0c" "\x01\x00\x00\x00\x2c"
    "\x00\x00\x00\x02" "\x00\x14" "TightEncodingEnabled" "\x01\x00" "\x00\x0c" "CacheEnabled" "\x01\x00"
    "\x00\x00\x00\x0a" "\x1e" "\x00\x00\x00\x00" "\x00" "\x00\x00\x00\x01";
constexpr FuzzSample kFuzzSamples[] = {
    {Dir::kToServer, std::string_view(kClientBytes, sizeof kClientBytes - 1)},
    {Dir::kToClient, std::string_view(kServerBytes, sizeof kServerBytes - 1)},
};

}  // namespace

const ProtocolDescriptor kOpenWireDescriptor{
    "openwire", kTcp, kSignatures, kPorts, &openwire::probe, parser_factory<OpenWireParser>(), kFuzzSamples,
    // OpenWireFormat.maxFrameSize defaults to Long.MAX_VALUE; brokers cap frames at 100 MiB
    // (TransportConnector maxFrameSize is commonly set to 104857600).
    100ull << 20,
};

}  // namespace l7tap
