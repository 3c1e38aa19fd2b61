// Bounds-checked cursor over a byte span, shared by every parser. Reads past the end never touch
// memory: they set `ok()` to false and return zero/empty, so a parser can read a whole header and
// check once at the end.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace l7tap {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> d) : data_(d) {}

  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  std::span<const uint8_t> rest() const { return ok_ ? data_.subspan(pos_) : std::span<const uint8_t>{}; }
  void fail() { ok_ = false; }

  bool has(std::size_t n) const { return ok_ && data_.size() - pos_ >= n; }
  void skip(std::size_t n) {
    if (!has(n)) return fail();
    pos_ += n;
  }

  uint8_t u8() {
    if (!has(1)) return fail(), 0;
    return data_[pos_++];
  }
  uint16_t be16() { return static_cast<uint16_t>(be(2)); }
  uint32_t be32() { return static_cast<uint32_t>(be(4)); }
  uint64_t be64() { return be(8); }
  uint16_t le16() { return static_cast<uint16_t>(le(2)); }
  uint32_t le32() { return static_cast<uint32_t>(le(4)); }
  uint64_t le64() { return le(8); }

  std::span<const uint8_t> bytes(std::size_t n) {
    if (!has(n)) return fail(), std::span<const uint8_t>{};
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view str(std::size_t n) {
    auto b = bytes(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }

  // Unsigned LEB128 (protobuf varint, Kafka unsigned varint). At most 10 bytes.
  uint64_t uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (!has(1)) return fail(), 0;
      uint8_t b = data_[pos_++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail(), 0;
  }
  // Zig-zag encoded signed varint (Kafka varint / varlong, protobuf sint).
  int64_t svarint() {
    uint64_t u = uvarint();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }

 private:
  uint64_t be(int n) {
    if (!has(static_cast<std::size_t>(n))) return fail(), 0;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  uint64_t le(int n) {
    if (!has(static_cast<std::size_t>(n))) return fail(), 0;
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | data_[pos_ + i];
    pos_ += static_cast<std::size_t>(n);
    return v;
  }

  std::span<const uint8_t> data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

inline std::string_view as_chars(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace l7tap
