// Protobuf wire reader (protocols/codec/protobuf_wire.hpp) against libprotobuf's
// google::protobuf::io::CodedInputStream, decoding the same bytes the same way: walk every field,
// descend into the sub-messages and packed fields the message's schema declares, sum every value
// (a LEN payload counts its length and first byte) so nothing is optimised away. Both sums are
// checked equal before timing. Built by tests/protocols/codec/meson.build:
//
//   ninja -C build-codec protobuf_wire_bench
//   build-codec/tests/protocols/codec/protobuf_wire_bench --benchmark_repetitions=5
//
// Messages (encoded by libprotobuf from tests/protocols/codec/wire_test_messages.proto):
//   small   a Pulsar-like BaseCommand SEND (type + CommandSend {producer_id, sequence_id, num_messages})
//   wide    50 fields: uint64, sint32, fixed64, string, fixed32 in turn, tags of one and two bytes
//   packed  64 KiB of packed repeated uint32 / fixed64 / sint32 / double
#include <benchmark/benchmark.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "protocols/codec/protobuf_wire.hpp"
#include "wire_test_messages.pb.h"

namespace {

using google::protobuf::io::CodedInputStream;
using l7tap::pb::WireType;

// What a parser knows about a message: which LEN fields (by number, below 64) to decode further.
struct Schema {
  uint64_t messages = 0;       // embedded message, decoded with `child`
  uint64_t packed_varint = 0;  // packed varints
  uint64_t packed_fixed32 = 0;
  uint64_t packed_fixed64 = 0;
  const Schema* child = nullptr;
};

constexpr uint64_t bit(uint32_t number) { return uint64_t{1} << number; }

const Schema kFlat{};
const Schema kBaseCommand{bit(2) | bit(6) | bit(7), 0, 0, 0, &kFlat};
const Schema kPackedBlob{0, bit(1) | bit(3), 0, bit(2) | bit(4), nullptr};

uint64_t payload_sum(std::span<const uint8_t> b) { return b.size() + (b.empty() ? 0 : b[0]); }

// --- our reader ----------------------------------------------------------------------------------

uint64_t walk_ours(std::span<const uint8_t> msg, const Schema& s);

template <typename Packed, typename T>
uint64_t sum_packed(std::span<const uint8_t> payload) {
  Packed p(payload);
  uint64_t sum = 0;
  for (T v; p.next(v);) sum += v;
  return sum;
}

uint64_t len_ours(const l7tap::pb::Field& f, const Schema& s) {
  const uint64_t b = f.number < 64 ? bit(f.number) : 0;
  if (s.messages & b) return walk_ours(f.bytes, *s.child);
  if (s.packed_varint & b) return sum_packed<l7tap::pb::PackedVarints, uint64_t>(f.bytes);
  if (s.packed_fixed64 & b) return sum_packed<l7tap::pb::PackedFixed64, uint64_t>(f.bytes);
  if (s.packed_fixed32 & b) return sum_packed<l7tap::pb::PackedFixed32, uint32_t>(f.bytes);
  return payload_sum(f.bytes);
}

uint64_t walk_ours(std::span<const uint8_t> msg, const Schema& s) {
  uint64_t sum = 0;
  l7tap::pb::Reader r(msg);
  l7tap::pb::Field f;
  while (r.next(f) == l7tap::pb::Status::kOk) {
    sum += f.type == WireType::kLen ? len_ours(f, s) : f.value;
  }
  return sum;
}

// --- CodedInputStream ----------------------------------------------------------------------------

uint64_t walk_cis(CodedInputStream& in, const Schema& s);

template <typename T, bool (CodedInputStream::*read)(T*)>
uint64_t sum_packed_cis(CodedInputStream& in, uint32_t len) {
  const auto limit = in.PushLimit(static_cast<int>(len));
  uint64_t sum = 0;
  T v;
  while (in.BytesUntilLimit() > 0 && (in.*read)(&v)) sum += v;
  in.PopLimit(limit);
  return sum;
}

// A string or bytes payload: looked at in place (no copy), then skipped.
uint64_t payload_sum_cis(CodedInputStream& in, uint32_t len) {
  const void* data = nullptr;
  int avail = 0;
  uint64_t sum = len;
  if (len > 0 && in.GetDirectBufferPointer(&data, &avail)) sum += *static_cast<const uint8_t*>(data);
  in.Skip(static_cast<int>(len));
  return sum;
}

uint64_t len_cis(CodedInputStream& in, uint32_t number, uint32_t len, const Schema& s) {
  const uint64_t b = number < 64 ? bit(number) : 0;
  if (s.messages & b) {
    const auto limit = in.PushLimit(static_cast<int>(len));
    const uint64_t sum = walk_cis(in, *s.child);
    in.PopLimit(limit);
    return sum;
  }
  if (s.packed_varint & b) return sum_packed_cis<uint64_t, &CodedInputStream::ReadVarint64>(in, len);
  if (s.packed_fixed64 & b) return sum_packed_cis<uint64_t, &CodedInputStream::ReadLittleEndian64>(in, len);
  if (s.packed_fixed32 & b) return sum_packed_cis<uint32_t, &CodedInputStream::ReadLittleEndian32>(in, len);
  return payload_sum_cis(in, len);
}

uint64_t walk_cis(CodedInputStream& in, const Schema& s) {
  uint64_t sum = 0;
  while (const uint32_t tag = in.ReadTag()) {
    uint64_t v64 = 0;
    uint32_t v32 = 0;
    switch (static_cast<WireType>(tag & 7)) {
      case WireType::kVarint:
        if (!in.ReadVarint64(&v64)) return sum;
        sum += v64;
        break;
      case WireType::kI64:
        if (!in.ReadLittleEndian64(&v64)) return sum;
        sum += v64;
        break;
      case WireType::kI32:
        if (!in.ReadLittleEndian32(&v32)) return sum;
        sum += v32;
        break;
      case WireType::kLen:
        if (!in.ReadVarint32(&v32)) return sum;
        sum += len_cis(in, tag >> 3, v32, s);
        break;
      default:
        return sum;  // the benchmark messages have no groups
    }
  }
  return sum;
}

uint64_t walk_cis(const std::string& msg, const Schema& s) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(msg.data()), static_cast<int>(msg.size()));
  return walk_cis(in, s);
}

// --- messages ------------------------------------------------------------------------------------

std::string small_message() {
  l7tap_pbtest::BaseCommand cmd;
  cmd.set_type(l7tap_pbtest::BaseCommand::SEND);
  cmd.mutable_send()->set_producer_id(7);
  cmd.mutable_send()->set_sequence_id(1718123456789ull);
  cmd.mutable_send()->set_num_messages(10);
  return cmd.SerializeAsString();
}

std::string wide_message() {
  l7tap_pbtest::Wide m;
  const auto* desc = m.GetDescriptor();
  const auto* refl = m.GetReflection();
  std::mt19937_64 rng(50);
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* f = desc->field(i);
    switch (f->type()) {
      case google::protobuf::FieldDescriptor::TYPE_UINT64:
        refl->SetUInt64(&m, f, rng() >> (rng() % 64));
        break;
      case google::protobuf::FieldDescriptor::TYPE_SINT32:
        refl->SetInt32(&m, f, static_cast<int32_t>(rng()) >> 8);
        break;
      case google::protobuf::FieldDescriptor::TYPE_FIXED64:
        refl->SetUInt64(&m, f, rng());
        break;
      case google::protobuf::FieldDescriptor::TYPE_FIXED32:
        refl->SetUInt32(&m, f, static_cast<uint32_t>(rng()));
        break;
      default:
        refl->SetString(&m, f, "value-" + std::to_string(rng() % 100000) + "-of-a-string-field");
        break;
    }
  }
  return m.SerializeAsString();
}

std::string packed_message() {
  l7tap_pbtest::PackedBlob m;
  std::mt19937_64 rng(64);
  for (int i = 0; i < 4096; ++i) m.add_ids(static_cast<uint32_t>(rng() % 2000000));
  for (int i = 0; i < 2832; ++i) m.add_stamps(rng());
  for (int i = 0; i < 4096; ++i) m.add_deltas(static_cast<int32_t>(rng() % 2001) - 1000);
  for (int i = 0; i < 2832; ++i) m.add_values(static_cast<double>(rng() % 1000000) / 7.0);
  return m.SerializeAsString();
}

struct Case {
  std::string bytes;
  const Schema* schema;
};

const Case& the_case(int which) {
  static const Case cases[] = {
      {small_message(), &kBaseCommand}, {wide_message(), &kFlat}, {packed_message(), &kPackedBlob}};
  return cases[which];
}

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Both decoders must see the same values, or the comparison means nothing.
void check_same_sums(int which) {
  const Case& c = the_case(which);
  const uint64_t ours = walk_ours(span_of(c.bytes), *c.schema);
  const uint64_t theirs = walk_cis(c.bytes, *c.schema);
  if (ours != theirs) {
    std::fprintf(stderr, "case %d: sums differ (%llu vs %llu)\n", which, static_cast<unsigned long long>(ours),
                 static_cast<unsigned long long>(theirs));
    std::abort();
  }
}

void BM_Ours(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  check_same_sums(which);
  const Case& c = the_case(which);
  for (auto _ : state) benchmark::DoNotOptimize(walk_ours(span_of(c.bytes), *c.schema));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(c.bytes.size()));
  state.SetLabel(std::to_string(c.bytes.size()) + " bytes");
}

void BM_CodedInputStream(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  check_same_sums(which);
  const Case& c = the_case(which);
  for (auto _ : state) benchmark::DoNotOptimize(walk_cis(c.bytes, *c.schema));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(c.bytes.size()));
  state.SetLabel(std::to_string(c.bytes.size()) + " bytes");
}

// Arg: 0 = small, 1 = wide, 2 = packed.
BENCHMARK(BM_Ours)->ArgName("msg")->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_CodedInputStream)->ArgName("msg")->Arg(0)->Arg(1)->Arg(2);

}  // namespace

BENCHMARK_MAIN();
