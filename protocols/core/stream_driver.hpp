// Feeds one flow's byte streams to its parser: keeps the incomplete tail of each direction
// (bounded by ParserOptions::max_buffered), skips the bodies of messages too large to buffer,
// stamps messages with packet timestamps, and turns parser errors into counted resyncs.
// In-order data goes to the parser straight from the packet when nothing is buffered.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "protocols/core/parser.hpp"

namespace l7tap {

class StreamDriver {
 public:
  StreamDriver() = default;

  void attach(std::unique_ptr<Parser> parser) { parser_ = std::move(parser); }
  bool attached() const { return parser_ != nullptr; }
  // True once the parser gave up on the flow: further data is ignored.
  bool stopped() const { return stopped_; }
  Parser* parser() { return parser_.get(); }

  // A TCP stream chunk (in order). `ctx.now_us` is the packet timestamp.
  void on_stream_data(Dir dir, std::span<const uint8_t> data, ParseContext& ctx);
  // A UDP datagram: parsed on its own, nothing is buffered across datagrams.
  void on_datagram(Dir dir, std::span<const uint8_t> data, ParseContext& ctx);
  // Bytes lost in `dir`.
  void on_gap(Dir dir);

  // Parse errors since the last call (the worker moves them into its counters).
  uint32_t take_errors() {
    uint32_t e = errors_;
    errors_ = 0;
    return e;
  }
  uint32_t take_messages() {
    uint32_t m = messages_;
    messages_ = 0;
    return m;
  }

  void reset();

 private:
  struct Direction {
    std::vector<uint8_t> buf;     // incomplete tail
    uint64_t buf_ts_us = 0;       // timestamp of the first buffered byte
    uint64_t skip = 0;            // bytes still to drop (body of an oversized message)
    uint64_t charged = 0;         // bytes of buf's capacity charged to the budget
  };
  // Small tails keep their storage between messages; a buffer emptied after a large message is
  // freed so idle flows do not sit on memory.
  static constexpr std::size_t kKeepCapacity = 4096;
  class StampingSink;

  // Runs the parser over `data` (repeatedly while it makes progress), keeping what is left.
  void run(Dir dir, std::span<const uint8_t> data, bool from_buffer, ParseContext& ctx);
  void handle_error(Dir dir);
  void feed(Dir dir, std::span<const uint8_t> data, ParseContext& ctx);
  // Charges (or returns) the change in `dir`'s buffer storage to the budget; over budget, the
  // buffer is dropped like a gap.
  void account(Dir dir);

  std::unique_ptr<Parser> parser_;
  MemoryBudget* budget_ = nullptr;
  std::array<Direction, 2> dirs_;
  uint32_t errors_ = 0;
  uint32_t messages_ = 0;
  bool stopped_ = false;
};

}  // namespace l7tap
