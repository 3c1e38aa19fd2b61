// libFuzzer target for the protobuf wire reader (protocols/codec/protobuf_wire): the input is one
// message, walked field by field and into every LEN value and group as an embedded message (up to
// 8 levels), as packed varints and packed fixed values.
//
// Checks, besides memory safety: fields come back to back and inside the buffer, each with the
// size its wire type implies; skip() moves exactly as next() does; a status is sticky; after an
// error the reader stays at the failing field's first byte; find() picks the first / last
// occurrence that iteration saw; check_utf8 agrees with an independent UTF-8 check.
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocols/codec/protobuf_wire.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace l7tap;

bool inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_utf8(std::span<const uint8_t> s) {
  const pb::Utf8 u = pb::check_utf8(s);
  FUZZ_CHECK((u == pb::Utf8::kValid) == fuzz::valid_utf8(pb::as_string_view(s)));
}

void walk(std::span<const uint8_t> buf, int depth) {
  pb::Reader r(buf);
  pb::Reader skipper(buf);
  pb::Field f;
  pb::Status st;
  std::size_t end = 0;  // where the previous field ended
  uint32_t first_number = 0;
  std::size_t first_at = 0, last_at = 0;
  while ((st = r.next(f)) == pb::Status::kOk) {
    FUZZ_CHECK(f.offset == end);
    FUZZ_CHECK(f.offset + f.size <= buf.size() && r.offset() == f.offset + f.size);
    FUZZ_CHECK(inside(f.bytes, buf));
    FUZZ_CHECK(f.number >= 1 && f.number <= pb::kMaxFieldNumber);
    switch (f.type) {
      case pb::WireType::kVarint: {
        uint64_t v = 0;
        std::size_t n = 0;
        FUZZ_CHECK(pb::read_varint(f.bytes, v, n) == pb::Status::kOk);
        FUZZ_CHECK(v == f.value && n == f.bytes.size() && n >= 1 && n <= pb::kMaxVarintBytes);
        break;
      }
      case pb::WireType::kI64:
        FUZZ_CHECK(f.bytes.size() == 8);
        break;
      case pb::WireType::kI32:
        FUZZ_CHECK(f.bytes.size() == 4 && f.value <= 0xffffffffu);
        break;
      case pb::WireType::kLen:
        FUZZ_CHECK(f.value == f.bytes.size() && f.missing() == 0);
        check_utf8(f.bytes);
        break;
      case pb::WireType::kSGroup:
        FUZZ_CHECK(f.value == f.bytes.size());
        break;
      case pb::WireType::kEGroup:
        FUZZ_CHECK(false);  // an end tag is never a field of its own
    }
    FUZZ_CHECK(skipper.skip(1) == pb::Status::kOk && skipper.offset() == r.offset());
    if (first_number == 0) {
      first_number = f.number;
      first_at = f.offset;
    }
    if (f.number == first_number) last_at = f.offset;
    end = r.offset();

    if (depth < 8 && (f.type == pb::WireType::kLen || f.type == pb::WireType::kSGroup)) {
      walk(f.bytes, depth + 1);
      if (f.type == pb::WireType::kLen) {
        pb::PackedVarints pv(f.bytes);
        uint64_t v;
        std::size_t count = 0;
        while (pv.next(v)) ++count;
        FUZZ_CHECK(count <= f.bytes.size() && pv.status() != pb::Status::kOk);
        pb::PackedFixed32 p32(f.bytes);
        uint32_t x;
        count = 0;
        while (p32.next(x)) ++count;
        FUZZ_CHECK(count == p32.count());
        FUZZ_CHECK(p32.status() == (f.bytes.size() % 4 == 0 ? pb::Status::kEnd : pb::Status::kTruncatedValue));
      }
    }
  }
  // The status sticks, and the reader stays where the last whole field ended.
  FUZZ_CHECK(st != pb::Status::kOk && r.status() == st && r.next(f) == st);
  FUZZ_CHECK(r.offset() == end);
  FUZZ_CHECK(skipper.skip(1) == st && skipper.offset() == end);
  if (pb::is_error(st)) {
    FUZZ_CHECK(f.offset == end);
    FUZZ_CHECK(inside(f.bytes, buf));
  } else {
    FUZZ_CHECK(st == pb::Status::kEnd && end == buf.size());
  }
  if (first_number != 0) {
    const pb::Found first = pb::find(buf, first_number, pb::Occurrence::kFirst);
    FUZZ_CHECK(first.found && first.field.offset == first_at && first.status == pb::Status::kOk);
    const pb::Found last = pb::find(buf, first_number, pb::Occurrence::kLast);
    FUZZ_CHECK(last.found && last.field.offset == last_at && last.status == st);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> buf(data, size);
  walk(buf, 0);
  check_utf8(buf);
  return 0;
}
