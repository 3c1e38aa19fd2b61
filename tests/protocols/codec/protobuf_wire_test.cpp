// Protobuf wire reader tests. Reference bytes come from libprotobuf itself (generated messages from
// wire_test_messages.proto, CodedOutputStream for hand-built fields) and decoding is cross-checked
// against libprotobuf's UnknownFieldSet parser; only the malformed inputs libprotobuf cannot write
// are spelled out as bytes, following https://protobuf.dev/programming-guides/encoding/.
#include "protocols/codec/protobuf_wire.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/wire_format_lite.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "wire_test_messages.pb.h"

namespace l7tap::pb {
namespace {

using Bytes = std::vector<uint8_t>;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;
using l7tap_pbtest::BaseCommand;
using l7tap_pbtest::MessageIdData;
using l7tap_pbtest::Scalars;

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
Bytes serialize(const google::protobuf::MessageLite& m) { return to_bytes(m.SerializeAsString()); }

// Bytes written by libprotobuf's low-level encoder.
Bytes encode(const std::function<void(CodedOutputStream&)>& write) {
  std::string s;
  {
    google::protobuf::io::StringOutputStream zs(&s);
    CodedOutputStream out(&zs);
    write(out);
  }
  return to_bytes(s);
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::span<const uint8_t> span_of(const Bytes& b) { return {b.data(), b.size()}; }

// All the top-level fields of `b` and the status that ended the walk.
struct Walk {
  std::vector<Field> fields;
  Status status = Status::kOk;
  Field last;  // the field handed out with the final status
  size_t offset = 0;
};

Walk walk(std::span<const uint8_t> b) {
  Walk w;
  Reader r(b);
  Field f;
  Status st;
  while ((st = r.next(f)) == Status::kOk) w.fields.push_back(f);
  w.status = st;
  w.last = f;
  w.offset = r.offset();
  return w;
}

// The one field of `b`, which must be well-formed.
Field only_field(const Bytes& b) {
  Walk w = walk(span_of(b));
  EXPECT_EQ(w.status, Status::kEnd);
  EXPECT_EQ(w.fields.size(), 1u);
  return w.fields.empty() ? Field{} : w.fields[0];
}

Field found(std::span<const uint8_t> msg, uint32_t number) {
  Found r = find(msg, number);
  EXPECT_TRUE(r.found) << "field " << number;
  EXPECT_EQ(r.status, Status::kEnd);
  return r.field;
}

std::span<const uint8_t> as_span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// --- varints -------------------------------------------------------------------------------------

TEST(ProtobufVarint, EveryLengthFromOneToTenBytes) {
  for (int len = 1; len <= 10; ++len) {
    // The largest value of `len` bytes and the smallest, plus max uint64 for 10 bytes.
    const uint64_t hi = len == 10 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << (7 * len)) - 1;
    const uint64_t lo = len == 1 ? 0 : uint64_t{1} << (7 * (len - 1));
    for (uint64_t v : {lo, hi}) {
      Bytes b = encode([&](CodedOutputStream& o) { o.WriteVarint64(v); });
      ASSERT_EQ(b.size(), static_cast<size_t>(len)) << v;
      uint64_t got = 0;
      size_t used = 0;
      EXPECT_EQ(read_varint(span_of(b), got, used), Status::kOk);
      EXPECT_EQ(got, v);
      EXPECT_EQ(used, b.size());
    }
  }
}

TEST(ProtobufVarint, MaxUint64IsTenBytesEndingInOne) {
  const Bytes b{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  uint64_t v = 0;
  size_t used = 0;
  ASSERT_EQ(read_varint(span_of(b), v, used), Status::kOk);
  EXPECT_EQ(v, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(used, 10u);
}

TEST(ProtobufVarint, NonCanonicalPaddingIsAccepted) {
  const Bytes b{0x81, 0x80, 0x80, 0x00};  // 1 written in four bytes
  uint64_t v = 0;
  size_t used = 0;
  ASSERT_EQ(read_varint(span_of(b), v, used), Status::kOk);
  EXPECT_EQ(v, 1u);
  EXPECT_EQ(used, 4u);
}

TEST(ProtobufVarint, OverflowAndTooLong) {
  uint64_t v = 0;
  size_t used = 0;
  const Bytes overflow{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  EXPECT_EQ(read_varint(span_of(overflow), v, used), Status::kVarintOverflow);
  const Bytes too_long{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  EXPECT_EQ(read_varint(span_of(too_long), v, used), Status::kVarintTooLong);
  // Ten continuation bytes are too long even when the buffer ends right after them.
  EXPECT_EQ(read_varint(std::span(too_long).first(10), v, used), Status::kVarintTooLong);
}

TEST(ProtobufVarint, CutAtEveryByteIsTruncated) {
  const Bytes b = encode([](CodedOutputStream& o) { o.WriteVarint64(std::numeric_limits<uint64_t>::max()); });
  for (size_t k = 0; k < b.size(); ++k) {
    auto prefix = std::make_unique<uint8_t[]>(k);  // exact-size heap copy: ASan sees any overread
    std::copy_n(b.begin(), k, prefix.get());
    uint64_t v = 0;
    size_t used = 0;
    EXPECT_EQ(read_varint({prefix.get(), k}, v, used), Status::kTruncatedValue) << k;
  }
}

// --- tags and wire types -------------------------------------------------------------------------

TEST(ProtobufWire, EveryWireTypeFromCodedOutputStream) {
  const Bytes b = encode([](CodedOutputStream& o) {
    o.WriteTag(WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT));
    o.WriteVarint64(300);
    o.WriteTag(WireFormatLite::MakeTag(2, WireFormatLite::WIRETYPE_FIXED64));
    o.WriteLittleEndian64(0x0102030405060708ull);
    o.WriteTag(WireFormatLite::MakeTag(3, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    o.WriteVarint32(5);
    o.WriteString("hello");
    o.WriteTag(WireFormatLite::MakeTag(4, WireFormatLite::WIRETYPE_START_GROUP));
    o.WriteTag(WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT));
    o.WriteVarint64(7);
    o.WriteTag(WireFormatLite::MakeTag(4, WireFormatLite::WIRETYPE_END_GROUP));
    o.WriteTag(WireFormatLite::MakeTag(5, WireFormatLite::WIRETYPE_FIXED32));
    o.WriteLittleEndian32(0xdeadbeef);
  });
  Walk w = walk(span_of(b));
  ASSERT_EQ(w.status, Status::kEnd);
  ASSERT_EQ(w.fields.size(), 5u);
  EXPECT_EQ(w.fields[0].number, 1u);
  EXPECT_EQ(w.fields[0].type, WireType::kVarint);
  EXPECT_EQ(w.fields[0].value, 300u);
  EXPECT_EQ(w.fields[0].bytes.size(), 2u);  // the varint's own bytes
  EXPECT_EQ(w.fields[1].type, WireType::kI64);
  EXPECT_EQ(w.fields[1].as_fixed64(), 0x0102030405060708ull);
  EXPECT_EQ(w.fields[2].type, WireType::kLen);
  EXPECT_EQ(w.fields[2].as_string(), "hello");
  EXPECT_EQ(w.fields[2].value, 5u);
  EXPECT_EQ(w.fields[2].missing(), 0u);
  EXPECT_EQ(w.fields[3].type, WireType::kSGroup);
  EXPECT_EQ(w.fields[3].number, 4u);
  EXPECT_EQ(w.fields[3].bytes.size(), 2u);  // body: tag 1 + varint 7
  EXPECT_EQ(w.fields[3].size, 4u);          // start tag, body, end tag
  EXPECT_EQ(w.offset, b.size());
  // Offsets and sizes tile the buffer.
  size_t at = 0;
  for (const Field& f : w.fields) {
    EXPECT_EQ(f.offset, at);
    at += f.size;
  }
  EXPECT_EQ(at, b.size());
  EXPECT_EQ(w.fields[4].type, WireType::kI32);
  EXPECT_EQ(w.fields[4].as_fixed32(), 0xdeadbeefu);
}

TEST(ProtobufWire, FieldNumberBoundaries) {
  for (uint32_t number : {1u, 15u, 16u, 2047u, 2048u, kMaxFieldNumber}) {
    const Bytes b = encode([&](CodedOutputStream& o) {
      o.WriteTag(WireFormatLite::MakeTag(static_cast<int>(number), WireFormatLite::WIRETYPE_VARINT));
      o.WriteVarint64(1);
    });
    Field f = only_field(b);
    EXPECT_EQ(f.number, number);
    EXPECT_EQ(f.value, 1u);
  }
  // 2^29-1 needs a five-byte tag.
  Scalars m;
  m.set_max_number(42);
  const Bytes b = serialize(m);
  EXPECT_EQ(b.size(), 6u);
  EXPECT_EQ(found(span_of(b), kMaxFieldNumber).as_uint32(), 42u);
}

TEST(ProtobufWire, FieldNumberZeroAndTooLarge) {
  EXPECT_EQ(walk(span_of(Bytes{0x00, 0x01})).status, Status::kFieldNumberZero);
  EXPECT_EQ(walk(span_of(Bytes{0x80, 0x00, 0x01})).status, Status::kFieldNumberZero);  // padded 0
  // 2^29 << 3 = 2^32: a tag that does not fit the uint32 the spec defines.
  const Bytes big{0x80, 0x80, 0x80, 0x80, 0x10, 0x01};
  EXPECT_EQ(walk(span_of(big)).status, Status::kFieldNumberTooLarge);
  const Bytes huge_tag{0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
  EXPECT_EQ(walk(span_of(huge_tag)).status, Status::kFieldNumberTooLarge);
}

TEST(ProtobufWire, InvalidWireTypesSixAndSeven) {
  for (uint8_t wt : {6, 7}) {
    const Bytes ok_then_bad{0x08, 0x01, static_cast<uint8_t>((3 << 3) | wt), 0x00};
    Walk w = walk(span_of(ok_then_bad));
    EXPECT_EQ(w.status, Status::kInvalidWireType);
    ASSERT_EQ(w.fields.size(), 1u);
    EXPECT_EQ(w.last.number, 3u);  // the number is known: it helps a diagnostic
    EXPECT_EQ(static_cast<int>(w.last.type), wt);
    EXPECT_EQ(w.last.offset, 2u);
    EXPECT_EQ(w.offset, 2u);
  }
}

TEST(ProtobufWire, EmptyBufferAndDefaultReaderEndCleanly) {
  EXPECT_EQ(walk({}).status, Status::kEnd);
  Reader r;
  Field f;
  EXPECT_EQ(r.next(f), Status::kEnd);
}

TEST(ProtobufWire, StatusIsSticky) {
  const Bytes b{0x08, 0x01, 0x00, 0x08, 0x02};
  Reader r(span_of(b));
  Field f;
  ASSERT_EQ(r.next(f), Status::kOk);
  EXPECT_EQ(r.next(f), Status::kFieldNumberZero);
  EXPECT_EQ(r.next(f), Status::kFieldNumberZero);
  EXPECT_EQ(r.status(), Status::kFieldNumberZero);
  EXPECT_EQ(r.offset(), 2u);
  EXPECT_EQ(r.remaining().size(), 3u);
}

TEST(ProtobufWire, LengthAboveInt32IsRejected) {
  // A length of 2^31 with no payload: beyond the spec's int32 size whatever the buffer holds.
  const Bytes b{0x0a, 0x80, 0x80, 0x80, 0x80, 0x08};
  Walk w = walk(span_of(b));
  EXPECT_EQ(w.status, Status::kLengthTooLarge);
  EXPECT_EQ(w.last.value, uint64_t{1} << 31);
  google::protobuf::UnknownFieldSet ufs;
  EXPECT_FALSE(ufs.ParseFromArray(b.data(), static_cast<int>(b.size())));
}

// --- scalar types through generated code ---------------------------------------------------------

TEST(ProtobufScalars, EveryTypeDecodesToWhatLibprotobufWrote) {
  Scalars m;
  m.set_f_int32(-123456);
  m.set_f_int64(-9876543210123LL);
  m.set_f_uint32(4000000000u);
  m.set_f_uint64(18000000000000000000ull);
  m.set_f_sint32(-2147483647 - 1);
  m.set_f_sint64(std::numeric_limits<int64_t>::min());
  m.set_f_bool(true);
  m.set_f_enum(Scalars::KIND_NEGATIVE);
  m.set_f_fixed32(0xfeedface);
  m.set_f_sfixed32(-42);
  m.set_f_float(3.25f);
  m.set_f_fixed64(0x0123456789abcdefull);
  m.set_f_sfixed64(-4242424242424242LL);
  m.set_f_double(-2.5e300);
  m.set_f_string("h\xc3\xa9llo");
  m.set_f_bytes(std::string("\x00\xff\x10", 3));
  const Bytes b = serialize(m);
  const auto s = span_of(b);

  EXPECT_EQ(found(s, 1).as_int32(), -123456);
  EXPECT_EQ(found(s, 2).as_int64(), -9876543210123LL);
  EXPECT_EQ(found(s, 3).as_uint32(), 4000000000u);
  EXPECT_EQ(found(s, 4).as_uint64(), 18000000000000000000ull);
  EXPECT_EQ(found(s, 5).as_sint32(), -2147483647 - 1);
  EXPECT_EQ(found(s, 6).as_sint64(), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(found(s, 7).as_bool());
  EXPECT_EQ(found(s, 8).as_enum(), -5);
  EXPECT_EQ(found(s, 9).as_fixed32(), 0xfeedfaceu);
  EXPECT_EQ(found(s, 10).as_sfixed32(), -42);
  EXPECT_EQ(found(s, 11).as_float(), 3.25f);
  EXPECT_EQ(found(s, 12).as_fixed64(), 0x0123456789abcdefull);
  EXPECT_EQ(found(s, 13).as_sfixed64(), -4242424242424242LL);
  EXPECT_EQ(found(s, 14).as_double(), -2.5e300);
  EXPECT_EQ(found(s, 15).as_string(), "h\xc3\xa9llo");
  EXPECT_TRUE(is_valid_utf8(found(s, 15).bytes));
  EXPECT_EQ(found(s, 16).as_string(), std::string_view("\x00\xff\x10", 3));
  EXPECT_EQ(found(s, 9).type, WireType::kI32);
  EXPECT_EQ(found(s, 14).type, WireType::kI64);
}

TEST(ProtobufScalars, NegativeInt32IsATenByteVarint) {
  for (int32_t v : {-1, -2, std::numeric_limits<int32_t>::min()}) {
    Scalars m;
    m.set_f_int32(v);
    Field f = only_field(serialize(m));
    EXPECT_EQ(f.bytes.size(), 10u) << v;  // sign-extended to 64 bits
    EXPECT_EQ(f.as_int32(), v);
    EXPECT_EQ(f.as_int64(), v);  // the same bits read as int64
  }
  Scalars m;
  m.set_f_int32(std::numeric_limits<int32_t>::max());
  EXPECT_EQ(only_field(serialize(m)).bytes.size(), 5u);
  // The five-byte form (0xFFFFFFFF) also reads as -1: only the low 32 bits count.
  Field five = only_field(Bytes{0x08, 0xff, 0xff, 0xff, 0xff, 0x0f});
  EXPECT_EQ(five.as_int32(), -1);
  Scalars reparsed;
  ASSERT_TRUE(reparsed.ParseFromArray("\x08\xff\xff\xff\xff\x0f", 6));
  EXPECT_EQ(reparsed.f_int32(), -1);
}

TEST(ProtobufScalars, NegativeInt64AndEnum) {
  Scalars m;
  m.set_f_int64(-1);
  m.set_f_enum(Scalars::KIND_NEGATIVE);
  const Bytes b = serialize(m);
  EXPECT_EQ(found(span_of(b), 2).as_int64(), -1);
  EXPECT_EQ(found(span_of(b), 2).bytes.size(), 10u);
  EXPECT_EQ(found(span_of(b), 8).bytes.size(), 10u);
}

TEST(ProtobufScalars, ZigZagMatchesTheSpecAndLibprotobuf) {
  // The spec's table.
  EXPECT_EQ(decode_zigzag32(0), 0);
  EXPECT_EQ(decode_zigzag32(1), -1);
  EXPECT_EQ(decode_zigzag32(2), 1);
  EXPECT_EQ(decode_zigzag32(3), -2);
  EXPECT_EQ(decode_zigzag32(0x7ffffffe), 0x3fffffff);
  EXPECT_EQ(decode_zigzag32(0x7fffffff), -0x40000000);
  EXPECT_EQ(decode_zigzag32(0xfffffffe), 0x7fffffff);
  EXPECT_EQ(decode_zigzag32(0xffffffff), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(decode_zigzag64(0xfffffffffffffffe), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(decode_zigzag64(0xffffffffffffffff), std::numeric_limits<int64_t>::min());
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const auto v64 = static_cast<int64_t>(rng());
    const auto v32 = static_cast<int32_t>(rng());
    EXPECT_EQ(decode_zigzag64(WireFormatLite::ZigZagEncode64(v64)), v64);
    EXPECT_EQ(decode_zigzag32(WireFormatLite::ZigZagEncode32(v32)), v32);
  }
}

TEST(ProtobufScalars, BoolIsAnyNonZeroVarint) {
  EXPECT_FALSE(decode_bool(0));
  EXPECT_TRUE(decode_bool(1));
  EXPECT_TRUE(decode_bool(300));
  Scalars m;
  ASSERT_TRUE(m.ParseFromArray("\x38\xac\x02", 3));  // f_bool = 300
  EXPECT_TRUE(m.f_bool());
}

TEST(ProtobufScalars, FloatSpecialValues) {
  Scalars m;
  m.set_f_float(-std::numeric_limits<float>::infinity());
  m.set_f_double(std::numeric_limits<double>::quiet_NaN());
  const Bytes b = serialize(m);
  EXPECT_EQ(found(span_of(b), 11).as_float(), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(found(span_of(b), 14).as_double()));
}

// --- nesting, repeated, packed -------------------------------------------------------------------

TEST(ProtobufNested, SubMessagesAsReaders) {
  Scalars m;
  m.set_f_int32(1);
  Scalars* c = m.mutable_child();
  c->set_f_string("inner");
  c->mutable_child()->set_f_sint64(-77);
  const Bytes b = serialize(m);
  Field child = found(span_of(b), 17);
  ASSERT_EQ(child.type, WireType::kLen);
  EXPECT_EQ(found(child.bytes, 15).as_string(), "inner");
  Field grandchild = found(child.bytes, 17);
  Reader r = grandchild.as_message();
  Field f;
  ASSERT_EQ(r.next(f), Status::kOk);
  EXPECT_EQ(f.number, 6u);
  EXPECT_EQ(f.as_sint64(), -77);
  EXPECT_EQ(r.next(f), Status::kEnd);
}

TEST(ProtobufPacked, PackedVarintsAndFixedMatchWhatWasWritten) {
  Scalars m;
  std::vector<int32_t> ints{
      0, 1, -1, 127, 128, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  std::vector<int64_t> sints{0, -1, 1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  std::vector<uint32_t> fixeds{0, 1, 0xffffffff, 0x12345678};
  std::vector<double> doubles{0.0, -1.5, 1e-300, 6.02e23};
  for (auto v : ints) m.add_packed_int32(v);
  for (auto v : sints) m.add_packed_sint64(v);
  for (auto v : fixeds) m.add_packed_fixed32(v);
  for (auto v : doubles) m.add_packed_double(v);
  const Bytes b = serialize(m);

  std::vector<int32_t> got_ints;
  PackedVarints pi(found(span_of(b), 18).bytes);
  for (uint64_t v; pi.next(v);) got_ints.push_back(decode_int32(v));
  EXPECT_EQ(pi.status(), Status::kEnd);
  EXPECT_EQ(got_ints, ints);

  std::vector<int64_t> got_sints;
  PackedVarints ps(found(span_of(b), 19).bytes);
  for (uint64_t v; ps.next(v);) got_sints.push_back(decode_zigzag64(v));
  EXPECT_EQ(got_sints, sints);

  std::vector<uint32_t> got_fixeds;
  PackedFixed32 pf(found(span_of(b), 20).bytes);
  EXPECT_EQ(pf.count(), fixeds.size());
  for (uint32_t v; pf.next(v);) got_fixeds.push_back(v);
  EXPECT_EQ(pf.status(), Status::kEnd);
  EXPECT_EQ(got_fixeds, fixeds);

  std::vector<double> got_doubles;
  PackedFixed64 pd(found(span_of(b), 21).bytes);
  for (uint64_t v; pd.next(v);) got_doubles.push_back(decode_double(v));
  EXPECT_EQ(got_doubles, doubles);
}

TEST(ProtobufPacked, CutPayloadsReportTruncation) {
  Scalars m;
  m.add_packed_int32(-1);  // 10 bytes
  m.add_packed_int32(5);
  m.add_packed_fixed32(1);
  m.add_packed_fixed32(2);
  const Bytes b = serialize(m);
  auto ints = found(span_of(b), 18).bytes;
  PackedVarints pi(ints.first(ints.size() - 2));  // cut inside the first element
  uint64_t v;
  EXPECT_FALSE(pi.next(v));
  EXPECT_EQ(pi.status(), Status::kTruncatedValue);
  auto fixed = found(span_of(b), 20).bytes;
  PackedFixed32 pf(fixed.first(6));
  uint32_t x;
  EXPECT_TRUE(pf.next(x));
  EXPECT_EQ(x, 1u);
  EXPECT_FALSE(pf.next(x));
  EXPECT_EQ(pf.status(), Status::kTruncatedValue);
  EXPECT_EQ(pf.count(), 1u);
}

TEST(ProtobufPacked, UnpackedRepeatedIsOneFieldPerElement) {
  Scalars m;
  for (int v : {3, -4, 5}) m.add_unpacked_int32(v);
  const Bytes b = serialize(m);
  Walk w = walk(span_of(b));
  ASSERT_EQ(w.fields.size(), 3u);
  EXPECT_EQ(w.fields[1].as_int32(), -4);
  for (const Field& f : w.fields) EXPECT_EQ(f.type, WireType::kVarint);
}

// --- find: first and last occurrence -------------------------------------------------------------

TEST(ProtobufFind, LastOneWinsLikeLibprotobuf) {
  Scalars a;
  a.set_f_uint64(1);
  a.set_f_string("first");
  Scalars b;
  b.set_f_uint64(2);
  b.set_f_string("second");
  const Bytes both = concat(serialize(a), serialize(b));  // concatenation = merge (spec)
  Scalars merged;
  ASSERT_TRUE(merged.ParseFromArray(both.data(), static_cast<int>(both.size())));
  Found last = find(span_of(both), 4);
  Found first = find(span_of(both), 4, Occurrence::kFirst);
  EXPECT_EQ(last.field.as_uint64(), merged.f_uint64());
  EXPECT_EQ(last.field.as_uint64(), 2u);
  EXPECT_EQ(first.field.as_uint64(), 1u);
  EXPECT_EQ(first.status, Status::kOk);
  EXPECT_EQ(find(span_of(both), 15).field.as_string(), merged.f_string());
  Found none = find(span_of(both), 99);
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.status, Status::kEnd);
}

TEST(ProtobufFind, ErrorAfterAMatchIsReported) {
  const Bytes b{0x08, 0x01, 0x08, 0x02, 0x0f};  // field 1 twice, then wire type 7
  Found f = find(span_of(b), 1);
  EXPECT_TRUE(f.found);
  EXPECT_EQ(f.field.value, 2u);
  EXPECT_EQ(f.status, Status::kInvalidWireType);
  Found first = find(span_of(b), 1, Occurrence::kFirst);
  EXPECT_EQ(first.status, Status::kOk);
  EXPECT_EQ(first.field.value, 1u);
}

// --- groups --------------------------------------------------------------------------------------

TEST(ProtobufGroups, GeneratedNestedGroupIsOneFieldWithItsExtent) {
  Scalars m;
  m.set_f_int32(5);
  m.mutable_grp()->set_a(-3);
  m.mutable_grp()->set_b("in group");
  m.mutable_grp()->mutable_inner()->set_c(99);
  m.set_f_bool(true);
  const Bytes b = serialize(m);
  Walk w = walk(span_of(b));
  ASSERT_EQ(w.status, Status::kEnd);
  ASSERT_EQ(w.fields.size(), 3u);
  const Field& g = w.fields[2];  // fields are written in number order: 1, 7, 23
  ASSERT_EQ(g.type, WireType::kSGroup);
  EXPECT_EQ(g.number, 23u);
  EXPECT_EQ(g.offset + g.size, b.size());
  // Body: a = -3, b = "in group", Inner group (start tag 26, c = 99, end tag 26).
  EXPECT_EQ(found(g.bytes, 24).as_int32(), -3);
  EXPECT_EQ(found(g.bytes, 25).as_string(), "in group");
  Field inner = found(g.bytes, 26);
  EXPECT_EQ(inner.type, WireType::kSGroup);
  EXPECT_EQ(found(inner.bytes, 27).as_uint64(), 99u);
  EXPECT_EQ(g.value, g.bytes.size());
  // Two-byte start tag (23 << 3 | 3 = 187) and end tag (188) around the body.
  EXPECT_EQ(g.size, g.bytes.size() + 4);
}

Bytes group_tag(uint32_t number, bool start) {
  return encode([&](CodedOutputStream& o) {
    o.WriteTag(WireFormatLite::MakeTag(
        static_cast<int>(number), start ? WireFormatLite::WIRETYPE_START_GROUP : WireFormatLite::WIRETYPE_END_GROUP));
  });
}

// `depth` groups nested inside one another, numbered 1..depth, each holding a varint.
Bytes nested_groups(uint32_t depth) {
  Bytes b;
  for (uint32_t i = 1; i <= depth; ++i) b = concat(concat(b, group_tag(i, true)), Bytes{0x08, 0x01});
  for (uint32_t i = depth; i >= 1; --i) b = concat(b, group_tag(i, false));
  return b;
}

TEST(ProtobufGroups, DeepNestingUpToTheLimitLikeLibprotobuf) {
  const Bytes at_limit = nested_groups(kMaxGroupDepth);
  const Bytes too_deep = nested_groups(kMaxGroupDepth + 1);
  Walk ok = walk(span_of(at_limit));
  EXPECT_EQ(ok.status, Status::kEnd);
  ASSERT_EQ(ok.fields.size(), 1u);
  google::protobuf::UnknownFieldSet u;
  EXPECT_TRUE(u.ParseFromArray(at_limit.data(), static_cast<int>(at_limit.size())));
  EXPECT_FALSE(u.ParseFromArray(too_deep.data(), static_cast<int>(too_deep.size())));
  Walk deep = walk(span_of(too_deep));
  EXPECT_EQ(deep.status, Status::kGroupTooDeep);
  EXPECT_EQ(deep.last.number, 1u);
  EXPECT_EQ(deep.offset, 0u);
}

TEST(ProtobufGroups, MismatchedAndStrayEndGroups) {
  // SGROUP 1, SGROUP 2, EGROUP 1: the inner group is closed by the wrong number.
  const Bytes mismatch = concat(concat(group_tag(1, true), group_tag(2, true)), group_tag(1, false));
  EXPECT_EQ(walk(span_of(mismatch)).status, Status::kGroupMismatch);
  const Bytes stray = concat(Bytes{0x08, 0x01}, group_tag(4, false));
  Walk w = walk(span_of(stray));
  EXPECT_EQ(w.status, Status::kUnexpectedEndGroup);
  EXPECT_EQ(w.fields.size(), 1u);
  EXPECT_EQ(w.last.number, 4u);
  google::protobuf::UnknownFieldSet ufs;
  EXPECT_FALSE(ufs.ParseFromArray(mismatch.data(), static_cast<int>(mismatch.size())));
}

TEST(ProtobufGroups, CutGroupIsATruncatedValueWithItsPrefix) {
  const Bytes full = nested_groups(3);
  for (size_t k = 1; k < full.size(); ++k) {
    Walk w = walk(std::span(full).first(k));
    EXPECT_EQ(w.status, Status::kTruncatedValue) << k;
    EXPECT_EQ(w.last.type, WireType::kSGroup);
    EXPECT_EQ(w.last.bytes.size(), k - 1);  // everything after the one-byte start tag
    EXPECT_EQ(w.last.size, k);
  }
}

TEST(ProtobufGroups, ErrorInsideAGroupIsReported) {
  const Bytes b = concat(concat(group_tag(1, true), Bytes{0x0f, 0x00}), group_tag(1, false));
  EXPECT_EQ(walk(span_of(b)).status, Status::kInvalidWireType);
}

// --- Pulsar-like BaseCommand ---------------------------------------------------------------------

TEST(ProtobufPulsar, ConnectCommand) {
  BaseCommand cmd;
  cmd.set_type(BaseCommand::CONNECT);
  cmd.mutable_connect()->set_client_version("Pulsar-Java-v3.2.0");
  cmd.mutable_connect()->set_protocol_version(21);
  cmd.mutable_connect()->set_auth_method_name("token");
  const Bytes b = serialize(cmd);
  const auto s = span_of(b);
  EXPECT_EQ(find(s, 1, Occurrence::kFirst).field.as_enum(), 2);  // CONNECT: a probe reads this first
  Field connect = found(s, 2);
  EXPECT_EQ(found(connect.bytes, 1).as_string(), "Pulsar-Java-v3.2.0");
  EXPECT_EQ(found(connect.bytes, 4).as_int32(), 21);
  EXPECT_EQ(found(connect.bytes, 5).as_string(), "token");
}

TEST(ProtobufPulsar, SendAndReceiptWithNegativeDefaults) {
  BaseCommand send;
  send.set_type(BaseCommand::SEND);
  send.mutable_send()->set_producer_id(3);
  send.mutable_send()->set_sequence_id(1234567890123ull);
  send.mutable_send()->set_num_messages(10);
  const Bytes sb = serialize(send);
  EXPECT_EQ(found(span_of(sb), 1).as_enum(), 6);
  Field body = found(span_of(sb), 6);
  EXPECT_EQ(found(body.bytes, 1).as_uint64(), 3u);
  EXPECT_EQ(found(body.bytes, 2).as_uint64(), 1234567890123ull);
  EXPECT_EQ(found(body.bytes, 3).as_int32(), 10);

  BaseCommand receipt;
  receipt.set_type(BaseCommand::SEND_RECEIPT);
  receipt.mutable_send_receipt()->set_producer_id(3);
  receipt.mutable_send_receipt()->set_sequence_id(1234567890123ull);
  MessageIdData* id = receipt.mutable_send_receipt()->mutable_message_id();
  id->set_ledgerid(812);
  id->set_entryid(0);
  id->set_partition(-1);  // written explicitly: a 10-byte varint
  const Bytes rb = serialize(receipt);
  Field msg_id = found(found(span_of(rb), 7).bytes, 3);
  EXPECT_EQ(found(msg_id.bytes, 1).as_uint64(), 812u);
  EXPECT_EQ(found(msg_id.bytes, 2).as_uint64(), 0u);
  EXPECT_EQ(found(msg_id.bytes, 3).as_int32(), -1);
  EXPECT_FALSE(find(msg_id.bytes, 4).found);
}

TEST(ProtobufPulsar, PrefixOfALargeCommandStillYieldsItsFields) {
  // A CONNECT whose auth_data is large: a passive observer may hold only the first bytes.
  BaseCommand cmd;
  cmd.set_type(BaseCommand::CONNECT);
  cmd.mutable_connect()->set_client_version("Pulsar-CPP-v3.4.2");
  cmd.mutable_connect()->set_auth_data(std::string(5000, 'x'));
  cmd.mutable_connect()->set_protocol_version(20);
  const Bytes b = serialize(cmd);
  const Bytes prefix(b.begin(), b.begin() + 64);
  Walk top = walk(span_of(prefix));
  ASSERT_EQ(top.fields.size(), 1u);  // type
  EXPECT_EQ(top.fields[0].as_enum(), 2);
  ASSERT_EQ(top.status, Status::kTruncatedValue);
  EXPECT_EQ(top.last.number, 2u);
  EXPECT_EQ(top.last.value + top.last.offset + 3, b.size());  // claimed length: the whole command
  EXPECT_EQ(top.last.missing(), b.size() - prefix.size());
  // The connect prefix: client_version whole, auth_data cut.
  Walk connect = walk(top.last.bytes);
  ASSERT_EQ(connect.fields.size(), 1u);
  EXPECT_EQ(connect.fields[0].as_string(), "Pulsar-CPP-v3.4.2");
  EXPECT_EQ(connect.status, Status::kTruncatedValue);
  EXPECT_EQ(connect.last.number, 3u);
  EXPECT_EQ(connect.last.value, 5000u);
  EXPECT_EQ(std::string(connect.last.as_string()), std::string(connect.last.bytes.size(), 'x'));
}

// --- truncation at every byte --------------------------------------------------------------------

Scalars rich_message() {
  Scalars m;
  m.set_f_int32(-7);
  m.set_f_uint64(1ull << 40);
  m.set_f_fixed32(17);
  m.set_f_double(0.5);
  m.set_f_string("a string of some length");
  m.mutable_child()->set_f_sint32(-300);
  m.mutable_child()->set_f_string("child");
  m.add_packed_int32(1);
  m.add_packed_int32(-1);
  m.add_packed_int32(300);
  m.add_packed_double(2.0);
  m.add_unpacked_int32(4);
  m.mutable_grp()->set_a(1);
  m.mutable_grp()->mutable_inner()->set_c(2);
  m.set_f_fixed64(3);
  m.set_max_number(9);
  return m;
}

bool same_field(const Field& a, const Field& b) {
  return a.number == b.number && a.type == b.type && a.value == b.value && a.offset == b.offset && a.size == b.size &&
         std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
}

TEST(ProtobufTruncation, EveryPrefixOfAMultiFieldMessage) {
  const Bytes full = serialize(rich_message());
  Walk whole = walk(span_of(full));
  ASSERT_EQ(whole.status, Status::kEnd);
  ASSERT_GE(whole.fields.size(), 12u);
  for (size_t k = 0; k < full.size(); ++k) {
    auto copy = std::make_unique<uint8_t[]>(k);  // exact size: an overread is an ASan error
    std::copy_n(full.begin(), k, copy.get());
    Walk w = walk({copy.get(), k});
    // Every field wholly inside the prefix is decoded exactly as from the full buffer.
    size_t whole_fields = 0;
    while (whole_fields < whole.fields.size() &&
           whole.fields[whole_fields].offset + whole.fields[whole_fields].size <= k)
      ++whole_fields;
    ASSERT_EQ(w.fields.size(), whole_fields) << "prefix " << k;
    for (size_t i = 0; i < whole_fields; ++i) EXPECT_TRUE(same_field(w.fields[i], whole.fields[i])) << k;
    if (whole_fields == whole.fields.size() || whole.fields[whole_fields].offset == k) {
      EXPECT_EQ(w.status, Status::kEnd) << k;
      continue;
    }
    // The cut field: header (tag, and a LEN's length) or value, and what is present of it.
    const Field& cut = whole.fields[whole_fields];
    const size_t header = static_cast<size_t>(cut.bytes.data() - (full.data() + cut.offset));
    EXPECT_EQ(w.offset, cut.offset) << k;
    EXPECT_EQ(w.last.offset, cut.offset) << k;
    EXPECT_EQ(w.last.size, k - cut.offset) << k;
    if (k - cut.offset < header) {
      EXPECT_EQ(w.status, Status::kTruncatedHeader) << k;
      continue;
    }
    ASSERT_EQ(w.status, Status::kTruncatedValue) << k;
    EXPECT_EQ(w.last.number, cut.number);
    EXPECT_EQ(w.last.type, cut.type);
    EXPECT_EQ(w.last.bytes.size(), k - cut.offset - header) << k;
    EXPECT_TRUE(std::equal(w.last.bytes.begin(), w.last.bytes.end(), cut.bytes.begin())) << k;
    if (cut.type == WireType::kLen) {
      EXPECT_EQ(w.last.value, cut.value) << k;  // the claimed length
      EXPECT_EQ(w.last.missing(), cut.value - w.last.bytes.size());
    }
  }
}

// --- skip ----------------------------------------------------------------------------------------

TEST(ProtobufSkip, BoundedSkipOfUnknownFields) {
  Bytes many;
  for (int i = 0; i < 1000; ++i) many = concat(many, Bytes{0x10, 0x01});  // field 2, unknown
  many = concat(many, Bytes{0x08, 0x2a});                                 // field 1 = 42
  Reader r(span_of(many));
  int calls = 0;
  Status st;
  while ((st = r.skip(64)) == Status::kOk) ++calls;
  EXPECT_EQ(st, Status::kEnd);
  EXPECT_EQ(calls, 15);  // 1001 fields: 15 full batches of 64, then the end inside the 16th
  Reader r2(span_of(many));
  EXPECT_EQ(r2.skip(1000), Status::kOk);
  Field f;
  ASSERT_EQ(r2.next(f), Status::kOk);
  EXPECT_EQ(f.value, 42u);
  const Bytes bad{0x08, 0x01, 0x07};
  Reader r3(span_of(bad));
  EXPECT_EQ(r3.skip(10), Status::kFieldNumberZero);
  EXPECT_EQ(r3.offset(), 2u);
}

// --- UTF-8 ---------------------------------------------------------------------------------------

TEST(ProtobufUtf8, ValidInvalidAndIncomplete) {
  EXPECT_EQ(check_utf8(as_span("")), Utf8::kValid);
  EXPECT_EQ(check_utf8(as_span("plain ascii")), Utf8::kValid);
  EXPECT_EQ(check_utf8(as_span("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf")), Utf8::kValid);
  EXPECT_EQ(check_utf8(as_span("\xc0\xaf")), Utf8::kInvalid);          // overlong '/'
  EXPECT_EQ(check_utf8(as_span("\xe0\x80\xaf")), Utf8::kInvalid);      // overlong, 3 bytes
  EXPECT_EQ(check_utf8(as_span("\xed\xa0\x80")), Utf8::kInvalid);      // surrogate U+D800
  EXPECT_EQ(check_utf8(as_span("\xf4\x90\x80\x80")), Utf8::kInvalid);  // U+110000
  EXPECT_EQ(check_utf8(as_span("\xf5\x80\x80\x80")), Utf8::kInvalid);
  EXPECT_EQ(check_utf8(as_span("a\x80")), Utf8::kInvalid);          // stray continuation
  EXPECT_EQ(check_utf8(as_span("\xc3\x28")), Utf8::kInvalid);       // missing continuation
  EXPECT_EQ(check_utf8(as_span("ok\xe2\x82")), Utf8::kIncomplete);  // cut euro sign
  EXPECT_EQ(check_utf8(as_span("ok\xf0")), Utf8::kIncomplete);
  EXPECT_FALSE(is_valid_utf8(as_span("ok\xf0")));
}

TEST(ProtobufStatus, NamesAreDistinct) {
  std::vector<std::string_view> names;
  for (int s = 0; s <= static_cast<int>(Status::kGroupTooDeep); ++s) {
    const std::string_view n = status_name(static_cast<Status>(s));
    EXPECT_NE(n, "unknown");
    EXPECT_EQ(std::count(names.begin(), names.end(), n), 0) << n;
    names.push_back(n);
  }
  EXPECT_TRUE(is_truncation(Status::kTruncatedHeader));
  EXPECT_FALSE(is_error(Status::kEnd));
  EXPECT_TRUE(is_error(Status::kGroupMismatch));
}

// --- hostile input and differential checks against libprotobuf -----------------------------------

// Compares our decode of `b` with libprotobuf's UnknownFieldSet parse, groups recursively.
::testing::AssertionResult same_as_libprotobuf(std::span<const uint8_t> b, const google::protobuf::UnknownFieldSet& u) {
  Walk w = walk(b);
  if (w.status != Status::kEnd) return ::testing::AssertionFailure() << "reader: " << status_name(w.status);
  if (w.fields.size() != static_cast<size_t>(u.field_count()))
    return ::testing::AssertionFailure() << w.fields.size() << " fields vs " << u.field_count();
  for (size_t i = 0; i < w.fields.size(); ++i) {
    const Field& f = w.fields[i];
    const auto& uf = u.field(static_cast<int>(i));
    if (f.number != static_cast<uint32_t>(uf.number()))
      return ::testing::AssertionFailure() << "number " << f.number << " vs " << uf.number();
    bool same = false;
    switch (uf.type()) {
      case google::protobuf::UnknownField::TYPE_VARINT:
        same = f.type == WireType::kVarint && f.value == uf.varint();
        break;
      case google::protobuf::UnknownField::TYPE_FIXED32:
        same = f.type == WireType::kI32 && f.value == uf.fixed32();
        break;
      case google::protobuf::UnknownField::TYPE_FIXED64:
        same = f.type == WireType::kI64 && f.value == uf.fixed64();
        break;
      case google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED:
        same = f.type == WireType::kLen && f.as_string() == uf.length_delimited();
        break;
      case google::protobuf::UnknownField::TYPE_GROUP:
        if (f.type != WireType::kSGroup) break;
        if (auto r = same_as_libprotobuf(f.bytes, uf.group()); !r) return r;
        same = true;
        break;
    }
    if (!same) return ::testing::AssertionFailure() << "field " << i << " (number " << f.number << ") differs";
  }
  return ::testing::AssertionSuccess();
}

bool libprotobuf_parses(std::span<const uint8_t> b, google::protobuf::UnknownFieldSet& u) {
  return u.ParseFromArray(b.data(), static_cast<int>(b.size()));
}

// Where libprotobuf 3.21 is laxer than the spec, and so than this reader (see
// LibprotobufDropsHighBits below): it keeps the low 64 bits of a varint whose 10th byte exceeds 1,
// and the low 32 bits of a tag or of a LEN length. Any other disagreement fails the tests.
bool stricter_than_libprotobuf(Status s) {
  return s == Status::kVarintOverflow || s == Status::kFieldNumberTooLarge || s == Status::kLengthTooLarge;
}

void check_against_libprotobuf(std::span<const uint8_t> b) {
  // Exact-size heap copy: an overread past the span is an ASan error.
  auto copy = std::make_unique<uint8_t[]>(b.size());
  std::copy(b.begin(), b.end(), copy.get());
  const std::span<const uint8_t> s{copy.get(), b.size()};
  Walk w = walk(s);
  ASSERT_LE(w.fields.size(), s.size());  // every field costs at least one byte: bounded work
  if (w.status == Status::kEnd)
    EXPECT_EQ(w.offset, s.size());
  else
    EXPECT_TRUE(is_error(w.status));
  google::protobuf::UnknownFieldSet u;
  const bool lib_ok = libprotobuf_parses(s, u);
  if (lib_ok && w.status != Status::kEnd) {
    EXPECT_TRUE(stricter_than_libprotobuf(w.status))
        << "libprotobuf accepts, reader says " << status_name(w.status) << " at " << w.offset;
  } else if (lib_ok) {
    EXPECT_TRUE(same_as_libprotobuf(s, u));
  } else {
    EXPECT_NE(w.status, Status::kEnd) << "reader accepts what libprotobuf rejects";
  }
}

TEST(ProtobufHostile, LibprotobufDropsHighBits) {
  // Field 1 = 1 with the tag 8 + 2^32: libprotobuf reads field 1, the spec has no such tag.
  const Bytes tag{0x88, 0x80, 0x80, 0x80, 0x10, 0x01};
  google::protobuf::UnknownFieldSet u;
  ASSERT_TRUE(libprotobuf_parses(span_of(tag), u));
  EXPECT_EQ(u.field(0).number(), 1);
  EXPECT_EQ(walk(span_of(tag)).status, Status::kFieldNumberTooLarge);
  // A varint with bit 64 set: libprotobuf reads 2^63-1, the value written was not a uint64.
  const Bytes overflow{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  google::protobuf::UnknownFieldSet u2;
  ASSERT_TRUE(libprotobuf_parses(span_of(overflow), u2));
  EXPECT_EQ(u2.field(0).varint(), 0x7fffffffffffffffull);
  EXPECT_EQ(walk(span_of(overflow)).status, Status::kVarintOverflow);
  // A LEN length of 2^40: libprotobuf reads an empty payload.
  const Bytes length{0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20};
  google::protobuf::UnknownFieldSet u3;
  ASSERT_TRUE(libprotobuf_parses(span_of(length), u3));
  EXPECT_EQ(u3.field(0).length_delimited(), "");
  EXPECT_EQ(walk(span_of(length)).status, Status::kLengthTooLarge);
}

// The premises of the choice written at the top of protobuf_wire.hpp: what CodedInputStream
// reports for the cases a passive parser must tell apart, next to what this reader reports.
uint32_t coded_read_tag(const Bytes& b) {
  google::protobuf::io::CodedInputStream in(b.data(), static_cast<int>(b.size()));
  return in.ReadTag();
}

TEST(ProtobufVsCodedInputStream, CasesItDoesNotTellApart) {
  const Bytes empty, cut_tag{0x80}, zero_tag{0x00, 0x01}, wire_type_6{0x0e, 0x01};
  EXPECT_EQ(coded_read_tag(empty), 0u);
  EXPECT_EQ(coded_read_tag(cut_tag), 0u);
  EXPECT_EQ(coded_read_tag(zero_tag), 0u);
  EXPECT_EQ(coded_read_tag(wire_type_6), 14u);  // handed back: the caller must check
  EXPECT_EQ(walk(span_of(empty)).status, Status::kEnd);
  EXPECT_EQ(walk(span_of(cut_tag)).status, Status::kTruncatedHeader);
  EXPECT_EQ(walk(span_of(zero_tag)).status, Status::kFieldNumberZero);
  EXPECT_EQ(walk(span_of(wire_type_6)).status, Status::kInvalidWireType);

  const Bytes oversized_tag{0x88, 0x80, 0x80, 0x80, 0x10, 0x01};
  EXPECT_EQ(coded_read_tag(oversized_tag), 8u);  // field 1, VARINT
  EXPECT_EQ(walk(span_of(oversized_tag)).status, Status::kFieldNumberTooLarge);

  // A cut LEN value: Skip() fails; the reader hands out the prefix and the claimed length.
  const Bytes cut_len{0x0a, 0x05, 'a', 'b'};
  google::protobuf::io::CodedInputStream in(cut_len.data(), static_cast<int>(cut_len.size()));
  uint32_t len = 0;
  ASSERT_EQ(in.ReadTag(), 10u);
  ASSERT_TRUE(in.ReadVarint32(&len));
  EXPECT_FALSE(in.Skip(static_cast<int>(len)));
  Walk w = walk(span_of(cut_len));
  EXPECT_EQ(w.status, Status::kTruncatedValue);
  EXPECT_EQ(w.last.value, 5u);
  EXPECT_EQ(w.last.as_string(), "ab");
}

TEST(ProtobufHostile, RandomGarbage) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 200000; ++i) {
    Bytes b(rng() % 48);
    for (auto& c : b) c = static_cast<uint8_t>(rng());
    check_against_libprotobuf(span_of(b));
    if (::testing::Test::HasFailure()) FAIL() << "input " << i;
  }
}

TEST(ProtobufHostile, MutatedRealMessages) {
  std::mt19937 rng(99);
  const std::vector<Bytes> seeds = {serialize(rich_message()), nested_groups(5)};
  for (int i = 0; i < 100000; ++i) {
    Bytes b = seeds[static_cast<size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      const size_t at = rng() % b.size();
      switch (rng() % 4) {
        case 0:
          b[at] = static_cast<uint8_t>(rng());
          break;
        case 1:
          b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          b.erase(b.begin() + static_cast<long>(at));
          break;
        default:
          b.insert(b.begin() + static_cast<long>(at), static_cast<uint8_t>(rng()));
          break;
      }
    }
    check_against_libprotobuf(span_of(b));
    if (::testing::Test::HasFailure()) FAIL() << "mutation " << i;
  }
}

TEST(ProtobufHostile, ValidMessagesMatchLibprotobuf) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    Scalars m;
    if (rng() & 1) m.set_f_int32(static_cast<int32_t>(rng()));
    if (rng() & 1) m.set_f_sint64(static_cast<int64_t>(rng()));
    if (rng() & 1) m.set_f_fixed64(rng());
    if (rng() & 1) m.set_f_string(std::string(rng() % 300, 's'));
    for (uint64_t n = rng() % 20; n > 0; --n) m.add_packed_int32(static_cast<int32_t>(rng()));
    if (rng() & 1) m.mutable_grp()->mutable_inner()->set_c(rng() >> (rng() % 64));
    if (rng() & 1) m.mutable_child()->set_f_uint64(rng() >> (rng() % 64));
    if (rng() & 1) m.set_max_number(static_cast<uint32_t>(rng()));
    const Bytes b = serialize(m);
    google::protobuf::UnknownFieldSet u;
    ASSERT_TRUE(libprotobuf_parses(span_of(b), u));
    ASSERT_TRUE(same_as_libprotobuf(span_of(b), u)) << i;
  }
}

}  // namespace
}  // namespace l7tap::pb
