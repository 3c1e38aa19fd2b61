// Feeds one flow's byte streams to its parser: keeps the incomplete tail of each direction
// (bounded by ParserOptions::max_buffered, in a block from the worker's BufferPool sized once from
// the parser's `need`), does not call the parser again before a message it is waiting for is
// complete, skips the bodies of messages too large to buffer (counting the bytes), stamps messages
// with packet timestamps, and turns parser errors into counted resyncs. A skip that cannot be right
// is abandoned and counted as a resync: a declared length beyond the protocol's maximum message
// size (ParseResult::oversize, or a skip/need past it), or a skip (or a wait for a message longer
// than the buffer) contradicted by the next segment's bytes (Parser::plausible_frames). In-order
// data goes to the parser straight from the packet when nothing is buffered.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "protocols/core/parser.hpp"

namespace l7tap {

class StreamDriver {
 public:
  StreamDriver() = default;
  StreamDriver(const StreamDriver&) = delete;
  StreamDriver& operator=(const StreamDriver&) = delete;
  ~StreamDriver();

  // Creates the protocol's parser in memory from the pool. False when the pool refuses (counted
  // there); the caller then gives up on the flow.
  bool attach(const ProtocolDescriptor& proto, const ParserEnv& env);
  // Uses a parser the caller owns and keeps alive (tests). `pool` holds the tails.
  void attach_external(Parser& parser, BufferPool& pool, uint64_t max_message = UINT64_MAX);
  bool attached() const { return parser_ != nullptr; }
  // True once the parser gave up on the flow: further data is ignored.
  bool stopped() const { return stopped_; }
  Parser* parser() { return parser_; }
  // Where the parser's state lives (for prefetching), null when none.
  const void* parser_state() const { return parser_; }

  // A TCP stream chunk (in order). `ctx.now_us` is the packet timestamp.
  void on_stream_data(Dir dir, std::span<const uint8_t> data, ParseContext& ctx);
  // A UDP datagram: parsed on its own, nothing is buffered across datagrams.
  void on_datagram(Dir dir, std::span<const uint8_t> data, ParseContext& ctx);
  // Bytes lost in `dir`.
  void on_gap(Dir dir);

  // Parse errors / messages since the last call (the worker moves them into its counters).
  uint32_t take_errors() {
    const uint32_t e = errors_;
    errors_ = 0;
    return e;
  }
  uint32_t take_messages() {
    const uint32_t m = messages_;
    messages_ = 0;
    return m;
  }
  // Counts of the rarer events since the last take_events() (the worker moves them into its
  // counters): bytes dropped unparsed as the bodies of large messages (ParseResult::skip), resyncs
  // (declared lengths refused or skips abandoned) and, of those, lengths beyond the maximum message
  // size. take_events() returns false at once when nothing happened (the per-packet case).
  struct Events {
    uint64_t skipped_bytes = 0;
    uint32_t resyncs = 0;
    uint32_t oversize = 0;
  };
  bool take_events(Events& out) {
    if (!events_pending_) return false;
    out = events_;
    events_ = Events{};
    events_pending_ = false;
    return true;
  }
  // The maximum message size this flow's protocol accepts.
  uint64_t max_message() const { return max_message_; }
  // Bytes buffered in `dir` (tests).
  uint32_t buffered(Dir dir) const { return dirs_[static_cast<int>(dir)].len; }

  // Destroys the parser and gives every block back to the pool.
  void reset();

 private:
  struct Direction {
    PoolBlock buf;           // incomplete tail: buf.data[0, len)
    uint32_t len = 0;
    uint64_t want = 0;       // bytes the tail must reach before the parser runs again (0 = any)
    uint64_t skip = 0;       // bytes still to drop (body of an oversized message)
    uint64_t buf_ts_us = 0;  // timestamp of the first buffered byte
  };
  class StampingSink;

  // Runs the parser over `data` (repeatedly while it makes progress); returns the unconsumed rest,
  // or an empty span with `dropped` set when the rest was skipped or lost.
  std::span<const uint8_t> run(Dir dir, std::span<const uint8_t> data, uint64_t first_ts, ParseContext& ctx,
                               bool& failed);
  // Keeps `rest` (not in the buffer) as the new tail.
  void keep(Dir dir, std::span<const uint8_t> rest, uint64_t ts, uint32_t cap);
  void handle_error(Dir dir);
  // A declared length that cannot be right: counts it and puts the parser into resync (on_gap).
  // False when the parser gives up the flow.
  bool refuse_length(Dir dir, bool oversize);
  void drop_tail(Dir dir);

  Parser* parser_ = nullptr;
  PoolBlock parser_mem_;  // empty when the parser is external
  BufferPool* pool_ = nullptr;
  std::array<Direction, 2> dirs_;
  uint64_t max_message_ = UINT64_MAX;
  Events events_;
  bool events_pending_ = false;
  uint32_t errors_ = 0;
  uint32_t messages_ = 0;
  bool stopped_ = false;
};

}  // namespace l7tap
