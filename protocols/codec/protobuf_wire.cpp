#include "protocols/codec/protobuf_wire.hpp"

#include <array>

namespace l7tap::pb {
namespace detail {

namespace {

enum class Step : uint8_t { kMore, kDone, kOverflow };

// Adds byte i of a varint. The 10th byte lands at bit 63: anything above 1 would be bits 64..,
// and varints encode 64-bit integers (spec, "Base 128 Varints"). libprotobuf drops those bits; a
// passive reader should not report a value that was never written.
inline Step varint_byte(uint64_t b, size_t i, uint64_t& result) {
  result |= (b & 0x7f) << (7 * i);
  if (b >= 0x80) return Step::kMore;
  return i == kMaxVarintBytes - 1 && b > 1 ? Step::kOverflow : Step::kDone;
}

// Decodes up to `n` bytes at p; kMore means all n had the continuation bit. `v` is only
// written on kDone.
inline Step decode_bytes(const uint8_t* p, size_t n, uint64_t& v, size_t& used) {
  uint64_t result = 0;
  for (size_t i = 0; i < n; ++i) {
    const Step step = varint_byte(p[i], i, result);
    if (step == Step::kMore) continue;
    if (step == Step::kDone) v = result;
    used = i + 1;
    return step;
  }
  return Step::kMore;
}

}  // namespace

const uint8_t* parse_varint_slow(const uint8_t* p, const uint8_t* end, uint64_t& v, Status& st) {
  const auto avail = static_cast<size_t>(end - p);
  size_t used = 0;
  const Step step = decode_bytes(p, avail < kMaxVarintBytes ? avail : kMaxVarintBytes, v, used);
  switch (step) {
    case Step::kDone:
      return p + used;
    case Step::kOverflow:
      st = Status::kVarintOverflow;
      return nullptr;
    case Step::kMore:
      break;
  }
  // Every byte had the continuation bit: 10 of them is too long, fewer is a cut varint.
  st = avail >= kMaxVarintBytes ? Status::kVarintTooLong : Status::kTruncatedValue;
  return nullptr;
}

}  // namespace detail

namespace {

// Decodes and checks the tag at p into f.number / f.type. Returns the byte after it, or nullptr
// with st = kTruncatedHeader, a varint error, kFieldNumberZero / kFieldNumberTooLarge, or
// kInvalidWireType (then f.number is set and f.type holds the raw 6 or 7).
const uint8_t* parse_tag(const uint8_t* p, const uint8_t* end, Field& f, Status& st) {
  uint64_t tag = 0;
  const uint8_t* e = detail::parse_varint(p, end, tag, st);
  if (e == nullptr) {
    if (st == Status::kTruncatedValue) st = Status::kTruncatedHeader;
    return nullptr;
  }
  // With field numbers capped at 2^29-1 the tag fits in 32 bits: a larger varint can only mean a
  // number out of range. (libprotobuf keeps the tag's low 32 bits and reads some other field.)
  const uint64_t number = tag >> 3;
  if (number == 0) {
    st = Status::kFieldNumberZero;
    return nullptr;
  }
  if (number > kMaxFieldNumber) {
    st = Status::kFieldNumberTooLarge;
    return nullptr;
  }
  f.number = static_cast<uint32_t>(number);
  f.type = static_cast<WireType>(tag & 7);
  if ((tag & 7) > static_cast<uint64_t>(WireType::kI32)) {
    st = Status::kInvalidWireType;
    return nullptr;
  }
  return e;
}

template <typename T>
const uint8_t* parse_fixed(const uint8_t* v, const uint8_t* end, Field& f, Status& st) {
  if (static_cast<size_t>(end - v) < sizeof(T)) {
    st = Status::kTruncatedValue;
    f.bytes = {v, static_cast<size_t>(end - v)};
    return nullptr;
  }
  f.value = detail::load_le<T>(v);
  f.bytes = {v, sizeof(T)};
  return v + sizeof(T);
}

// A LEN value: its length prefix is part of the header (without it nothing of the value can be
// located), then the payload, of which a cut buffer holds a prefix.
const uint8_t* parse_len(const uint8_t* v, const uint8_t* end, Field& f, Status& st) {
  uint64_t len = 0;
  const uint8_t* payload = detail::parse_varint(v, end, len, st);
  if (payload == nullptr) {
    if (st == Status::kTruncatedValue) st = Status::kTruncatedHeader;
    return nullptr;
  }
  f.value = len;
  if (len > kMaxLength) {
    st = Status::kLengthTooLarge;
    return nullptr;
  }
  const auto avail = static_cast<size_t>(end - payload);
  if (len > avail) {
    st = Status::kTruncatedValue;
    f.bytes = {payload, avail};
    return nullptr;
  }
  f.bytes = {payload, static_cast<size_t>(len)};
  return payload + len;
}

// The value of a VARINT, I64, I32 or LEN field whose tag ends at v.
const uint8_t* parse_value(const uint8_t* v, const uint8_t* end, Field& f, Status& st) {
  switch (f.type) {
    case WireType::kVarint: {
      const uint8_t* e = detail::parse_varint(v, end, f.value, st);
      f.bytes = {v, static_cast<size_t>((e != nullptr ? e : end) - v)};
      return e;
    }
    case WireType::kI64:
      return parse_fixed<uint64_t>(v, end, f, st);
    case WireType::kI32:
      return parse_fixed<uint32_t>(v, end, f, st);
    case WireType::kLen:
      return parse_len(v, end, f, st);
    default:
      st = Status::kInvalidWireType;  // groups are handled by the callers
      return nullptr;
  }
}

// A failed group: a cut anywhere inside it (a nested tag, length or value) is a cut of the group's
// value, whose present part is [body, end).
const uint8_t* group_failed(const uint8_t* body, const uint8_t* end, Field& f, Status& st) {
  f.value = 0;
  if (is_truncation(st)) {
    st = Status::kTruncatedValue;
    f.bytes = {body, static_cast<size_t>(end - body)};
  } else {
    f.bytes = {};
  }
  return nullptr;
}

// Skips the body of the group f (its SGROUP tag ends at `body`) up to and including the matching
// EGROUP (spec, "Groups": "Group field numbers need to match up"). Nested groups are tracked on a
// fixed stack, so hostile nesting costs neither recursion nor allocation.
const uint8_t* scan_group(const uint8_t* body, const uint8_t* end, Field& f, Status& st) {
  std::array<uint32_t, kMaxGroupDepth> open;
  uint32_t depth = 0;
  open[depth++] = f.number;
  Field inner;
  const uint8_t* p = body;
  for (;;) {
    const uint8_t* const tag_start = p;
    p = parse_tag(p, end, inner, st);
    if (p == nullptr) return group_failed(body, end, f, st);
    if (inner.type == WireType::kSGroup) {
      if (depth == kMaxGroupDepth) {
        st = Status::kGroupTooDeep;
        return group_failed(body, end, f, st);
      }
      open[depth++] = inner.number;
    } else if (inner.type == WireType::kEGroup) {
      if (inner.number != open[depth - 1]) {
        st = Status::kGroupMismatch;
        return group_failed(body, end, f, st);
      }
      if (--depth == 0) {
        f.bytes = {body, static_cast<size_t>(tag_start - body)};
        f.value = f.bytes.size();
        return p;
      }
    } else {
      p = parse_value(p, end, inner, st);
      if (p == nullptr) return group_failed(body, end, f, st);
    }
  }
}

const uint8_t* parse_field(const uint8_t* p, const uint8_t* end, Field& f, Status& st) {
  const uint8_t* v = parse_tag(p, end, f, st);
  if (v == nullptr) return nullptr;
  switch (f.type) {
    case WireType::kSGroup:
      return scan_group(v, end, f, st);
    case WireType::kEGroup:
      st = Status::kUnexpectedEndGroup;
      return nullptr;
    default:
      return parse_value(v, end, f, st);
  }
}

struct Utf8Rule {
  uint8_t length;     // bytes in the sequence; 0: not a valid lead byte
  uint8_t second_lo;  // allowed range of the second byte (the others are 0x80..0xBF)
  uint8_t second_hi;
};

// Well-formed sequences per lead byte (Unicode 15, table 3-7): the narrowed second-byte ranges
// exclude overlong forms (E0, F0), UTF-16 surrogates (ED) and code points above U+10FFFF (F4).
Utf8Rule utf8_rule(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Checks the multi-byte sequence at s[i]; returns its length, 0 if invalid, or -1 if cut by the end.
int utf8_sequence(std::span<const uint8_t> s, size_t i) {
  const Utf8Rule rule = utf8_rule(s[i]);
  if (rule.length == 0) return 0;
  for (size_t k = 1; k < rule.length; ++k) {
    if (i + k == s.size()) return -1;
    const uint8_t c = s[i + k];
    const uint8_t lo = k == 1 ? rule.second_lo : 0x80;
    const uint8_t hi = k == 1 ? rule.second_hi : 0xBF;
    if (c < lo || c > hi) return 0;
  }
  return rule.length;
}

}  // namespace

Status read_varint(std::span<const uint8_t> in, uint64_t& value, size_t& length) {
  Status st = Status::kOk;
  const uint8_t* e = detail::parse_varint(in.data(), in.data() + in.size(), value, st);
  if (e == nullptr) return st;
  length = static_cast<size_t>(e - in.data());
  return Status::kOk;
}

Status Reader::next_slow(Field& f) {
  if (status_ != Status::kOk) return status_;
  if (p_ == end_) return status_ = Status::kEnd;
  f = Field{};
  f.offset = offset();
  Status st = Status::kOk;
  const uint8_t* e = parse_field(p_, end_, f, st);
  if (e == nullptr) {
    f.size = is_truncation(st) ? size() - f.offset : 0;
    return status_ = st;
  }
  f.size = static_cast<size_t>(e - p_);
  p_ = e;
  return Status::kOk;
}

Status Reader::skip(uint32_t max_fields) {
  Field scratch;
  for (uint32_t i = 0; i < max_fields; ++i) {
    const Status st = next(scratch);
    if (st != Status::kOk) return st;
  }
  return Status::kOk;
}

Found find(std::span<const uint8_t> msg, uint32_t number, Occurrence which) {
  Found out;
  Reader r(msg);
  Field f;
  Status st;
  while ((st = r.next(f)) == Status::kOk) {
    if (f.number != number) continue;
    out.field = f;
    out.found = true;
    if (which == Occurrence::kFirst) {
      out.status = Status::kOk;
      return out;
    }
  }
  out.status = st;
  return out;
}

Utf8 check_utf8(std::span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const int n = utf8_sequence(s, i);
    if (n == 0) return Utf8::kInvalid;
    if (n < 0) return Utf8::kIncomplete;
    i += static_cast<size_t>(n);
  }
  return Utf8::kValid;
}

std::string_view status_name(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kEnd:
      return "end";
    case Status::kTruncatedHeader:
      return "truncated_header";
    case Status::kTruncatedValue:
      return "truncated_value";
    case Status::kVarintTooLong:
      return "varint_too_long";
    case Status::kVarintOverflow:
      return "varint_overflow";
    case Status::kFieldNumberZero:
      return "field_number_zero";
    case Status::kFieldNumberTooLarge:
      return "field_number_too_large";
    case Status::kInvalidWireType:
      return "invalid_wire_type";
    case Status::kLengthTooLarge:
      return "length_too_large";
    case Status::kUnexpectedEndGroup:
      return "unexpected_end_group";
    case Status::kGroupMismatch:
      return "group_mismatch";
    case Status::kGroupTooDeep:
      return "group_too_deep";
  }
  return "unknown";
}

}  // namespace l7tap::pb
