// Test helper for protocol parsers: drives a parser through the real StreamDriver (buffering,
// skipping, error handling) and collects the messages it emits.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/core/parser.hpp"
#include "protocols/core/stream_driver.hpp"

namespace l7tap::test {

inline std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

class CollectingSink : public MessageSink {
 public:
  void on_message(Message& m) override { messages.push_back(m); }
  std::vector<Message> messages;
};

class ParserHarness {
 public:
  explicit ParserHarness(std::unique_ptr<Parser> p, ParserOptions opts = {}) : options_(opts) {
    driver_.attach(std::move(p));
  }

  // Feeds `data` in one piece (ts = `ts_us`).
  void feed(Dir dir, std::span<const uint8_t> data, uint64_t ts_us = 1'000'000) {
    ParseContext ctx;
    ctx.sink = &sink_;
    ctx.options = &options_;
    ctx.now_us = ts_us;
    driver_.on_stream_data(dir, data, ctx);
    errors_ += driver_.take_errors();
  }
  void feed(Dir dir, const std::vector<uint8_t>& data, uint64_t ts_us = 1'000'000) {
    feed(dir, std::span<const uint8_t>(data), ts_us);
  }
  // Feeds `data` in chunks of `chunk` bytes (1 = byte by byte), timestamps increasing by 1 µs.
  void feed_split(Dir dir, const std::vector<uint8_t>& data, std::size_t chunk, uint64_t ts_us = 1'000'000) {
    for (std::size_t off = 0; off < data.size(); off += chunk) {
      std::size_t n = std::min(chunk, data.size() - off);
      feed(dir, std::span<const uint8_t>(data.data() + off, n), ts_us++);
    }
  }
  void datagram(Dir dir, const std::vector<uint8_t>& data, uint64_t ts_us = 1'000'000) {
    ParseContext ctx;
    ctx.sink = &sink_;
    ctx.options = &options_;
    ctx.now_us = ts_us;
    driver_.on_datagram(dir, std::span<const uint8_t>(data), ctx);
    errors_ += driver_.take_errors();
  }
  void gap(Dir dir) { driver_.on_gap(dir); }

  std::vector<Message>& messages() { return sink_.messages; }
  uint32_t errors() const { return errors_; }
  bool stopped() const { return driver_.stopped(); }
  ParserOptions& options() { return options_; }

 private:
  ParserOptions options_;
  StreamDriver driver_;
  CollectingSink sink_;
  uint32_t errors_ = 0;
};

}  // namespace l7tap::test
