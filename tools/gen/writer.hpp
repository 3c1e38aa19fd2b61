// The byte buffer every encoder of the generator appends to.
//
// Three modes:
//  - append: bytes go to the end of a std::vector (tests, hand-made conversations);
//  - window: the writer walks the whole message but materialises only bytes [lo, hi) of it into a
//    caller's buffer. The traffic generator sends a 200 KB message as ~140 TCP segments without
//    ever holding it: for segment k it re-runs the encoder with the window of that segment, so
//    the cost of a segment is its own bytes plus the message's (small) headers, and no
//    per-conversation memory holds message bytes;
//  - counting (window of nothing): only the length, for length prefixes that come first.
//
// Length fields written before their content is known are patched (patch_be16/32); a running
// CRC-32C (crc_start/crc_stop) covers what is written in between, in every mode, for Kafka record
// batches. Nothing here allocates except vector growth in append mode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace gen {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka record batches use it.
// crc32c_extend continues a CRC over more bytes; crc32c(data) = crc32c_extend(0, data).
uint32_t crc32c_extend(uint32_t crc, std::span<const uint8_t> data);
inline uint32_t crc32c(std::span<const uint8_t> data) { return crc32c_extend(0, data); }
// The portable table-driven implementation (crc32c_extend uses SSE4.2 where the CPU has it).
uint32_t crc32c_extend_portable(uint32_t crc, std::span<const uint8_t> data);

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class Writer {
 public:
  // Append mode.
  explicit Writer(std::vector<uint8_t>& out) : vec_(&out), base_(out.size()) {}
  // Window mode: bytes [lo, hi) of the message land at dst[0 .. hi-lo).
  Writer(uint8_t* dst, uint64_t lo, uint64_t hi) : dst_(dst), lo_(lo), hi_(hi) {}
  // Counting mode: nothing is stored.
  static Writer counter() { return Writer(nullptr, 0, 0); }

  // Bytes of the message written so far (its logical length).
  uint64_t pos() const { return pos_; }
  // Whether any byte of [at, at+n) is materialised (always in append mode).
  bool covers(uint64_t at, uint64_t n) const {
    return vec_ != nullptr || (at < hi_ && at + n > lo_);
  }

  void u8(uint8_t v) { put(&v, 1); }
  void be16(uint16_t v) {
    const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    put(b, 2);
  }
  void be32(uint32_t v) {
    const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    put(b, 4);
  }
  void be64(uint64_t v) {
    be32(static_cast<uint32_t>(v >> 32));
    be32(static_cast<uint32_t>(v));
  }
  void bytes(std::span<const uint8_t> b) { put(b.data(), b.size()); }
  void text(std::string_view s) { put(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
  // Decimal ASCII of v (NATS sizes, JSON numbers).
  void decimal(uint64_t v);
  // Unsigned LEB128 varint (Kafka compact lengths, tagged fields); zig-zag varint (record fields).
  void uvarint(uint64_t v);
  void svarint(int64_t v) {
    uvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }

  // Rewrites bytes written earlier at message offset `at`.
  void patch_be16(uint64_t at, uint16_t v);
  void patch_be32(uint64_t at, uint32_t v);

  void crc_start() {
    crc_on_ = true;
    crc_ = 0;
  }
  uint32_t crc_stop() {
    crc_on_ = false;
    return crc_;
  }

 private:
  // The common cases inline: a window wholly before, after or inside the bytes; the rest (append
  // mode, a CRC running, bytes straddling the window's edge) out of line.
  void put(const uint8_t* p, std::size_t n) {
    if (n == 0) return;  // (p may be null then)
    if (vec_ == nullptr && !crc_on_) {
      if (pos_ + n <= lo_ || pos_ >= hi_) {
        pos_ += n;
        return;
      }
      if (pos_ >= lo_ && pos_ + n <= hi_) {
        std::memcpy(dst_ + (pos_ - lo_), p, n);
        pos_ += n;
        return;
      }
    }
    put_slow(p, n);
  }
  void put_slow(const uint8_t* p, std::size_t n);
  void patch(uint64_t at, const uint8_t* p, std::size_t n);

  std::vector<uint8_t>* vec_ = nullptr;
  std::size_t base_ = 0;  // append mode: where this message starts in *vec_
  uint8_t* dst_ = nullptr;
  uint64_t lo_ = 0, hi_ = 0;
  uint64_t pos_ = 0;
  uint32_t crc_ = 0;
  bool crc_on_ = false;
};

// Length of the unsigned varint encoding of v.
inline std::size_t uvarint_size(uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Runs `body(Writer&)` in a counting writer and returns the bytes it writes.
template <class F>
uint64_t measure(F&& body) {
  Writer c = Writer::counter();
  body(c);
  return c.pos();
}

}  // namespace gen
