// Fixed-capacity string stored inline: records cross the worker → control ring by value, so
// nothing in them may point to heap memory. Assignments longer than the capacity are truncated
// (the caps are documented in README.md, "Record field caps").
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace l7tap {

template <std::size_t N>
class FixedString {
 public:
  static constexpr std::size_t kCapacity = N;

  FixedString() = default;
  FixedString(std::string_view s) { assign(s); }  // NOLINT: implicit on purpose

  void assign(std::string_view s) {
    len_ = static_cast<uint16_t>(std::min(s.size(), N));
    if (len_ != 0) std::memcpy(buf_, s.data(), len_);
  }
  FixedString& operator=(std::string_view s) {
    assign(s);
    return *this;
  }
  // Appends as much of s as fits.
  void append(std::string_view s) {
    std::size_t n = std::min(s.size(), N - len_);
    if (n != 0) std::memcpy(buf_ + len_, s.data(), n);
    len_ = static_cast<uint16_t>(len_ + n);
  }
  void clear() { len_ = 0; }

  std::string_view view() const { return {buf_, len_}; }
  operator std::string_view() const { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }
  bool empty() const { return len_ == 0; }
  std::size_t size() const { return len_; }
  bool operator==(std::string_view o) const { return view() == o; }

 private:
  uint16_t len_ = 0;
  char buf_[N];
};

}  // namespace l7tap
