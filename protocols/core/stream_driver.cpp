#include "protocols/core/stream_driver.hpp"

#include <algorithm>

namespace l7tap {

// Wraps the caller's sink: sets direction and timestamps on every message the parser emits.
// Only the first message of a parse call can have started in earlier (buffered) bytes.
class StreamDriver::StampingSink final : public MessageSink {
 public:
  StampingSink(MessageSink* inner, Dir dir, uint64_t first_ts, uint64_t now, uint32_t& count)
      : inner_(inner), dir_(dir), first_ts_(first_ts), now_(now), count_(count) {}
  void on_message(Message& m) override {
    m.dir = dir_;
    if (m.ts_first_us == 0) m.ts_first_us = first_ts_;
    if (m.ts_last_us == 0) m.ts_last_us = now_;
    first_ts_ = now_;
    ++count_;
    if (inner_ != nullptr) inner_->on_message(m);
  }

 private:
  MessageSink* inner_;
  Dir dir_;
  uint64_t first_ts_;
  uint64_t now_;
  uint32_t& count_;
};

void StreamDriver::reset() {
  parser_.reset();
  for (auto& d : dirs_) {
    d.buf.clear();
    d.buf_ts_us = 0;
    d.skip = 0;
  }
  errors_ = 0;
  messages_ = 0;
  stopped_ = false;
}

void StreamDriver::handle_error(Dir dir) {
  ++errors_;
  Direction& d = dirs_[static_cast<int>(dir)];
  d.buf.clear();
  d.skip = 0;
  if (!parser_->on_gap(dir)) stopped_ = true;
}

void StreamDriver::run(Dir dir, std::span<const uint8_t> data, bool from_buffer, ParseContext& ctx) {
  Direction& d = dirs_[static_cast<int>(dir)];
  const uint64_t first_ts = from_buffer ? d.buf_ts_us : ctx.now_us;
  StampingSink stamp(ctx.sink, dir, first_ts, ctx.now_us, messages_);
  ParseContext inner = ctx;
  inner.sink = &stamp;
  ParseResult r = parser_->parse(dir, data, inner);
  if (r.error || r.consumed > data.size()) {
    handle_error(dir);
    return;
  }
  std::span<const uint8_t> rest = data.subspan(r.consumed);
  if (r.skip != 0) {
    // Drop what the parser asked to skip; what is left of it applies to future bytes.
    std::size_t now_skipped = static_cast<std::size_t>(std::min<uint64_t>(r.skip, rest.size()));
    rest = rest.subspan(now_skipped);
    d.skip = r.skip - now_skipped;
    if (d.skip != 0) {
      d.buf.clear();
      return;
    }
    if (!rest.empty()) {
      // The parser stopped at a skip but more messages follow: parse them too.
      if (from_buffer) {
        std::vector<uint8_t> tail(rest.begin(), rest.end());
        d.buf.swap(tail);
        d.buf_ts_us = ctx.now_us;
        run(dir, std::span<const uint8_t>(d.buf), true, ctx);
      } else {
        run(dir, rest, false, ctx);
      }
      return;
    }
  }
  const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  if (rest.size() > cap) {
    // The parser cannot make progress within the buffer bound: a framing error.
    handle_error(dir);
    return;
  }
  if (from_buffer) {
    if (r.consumed != 0) {
      d.buf.erase(d.buf.begin(), d.buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
      d.buf_ts_us = ctx.now_us;
    }
  } else if (!rest.empty()) {
    d.buf.assign(rest.begin(), rest.end());
    d.buf_ts_us = ctx.now_us;
  }
}

void StreamDriver::on_stream_data(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  if (parser_ == nullptr || stopped_ || data.empty()) return;
  Direction& d = dirs_[static_cast<int>(dir)];
  if (d.skip != 0) {
    std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(d.skip, data.size()));
    d.skip -= n;
    data = data.subspan(n);
    if (data.empty()) return;
  }
  if (d.buf.empty()) {
    run(dir, data, false, ctx);
    return;
  }
  const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  // Append no more than the bound allows; a parser that needs more than that is in error.
  std::size_t room = cap > d.buf.size() ? cap - d.buf.size() : 0;
  if (room == 0) {
    // A full buffer the parser could not consume: framing is lost. Resync on the new bytes.
    handle_error(dir);
    if (!stopped_) on_stream_data(dir, data, ctx);
    return;
  }
  std::size_t take = std::min(room, data.size());
  d.buf.insert(d.buf.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
  run(dir, std::span<const uint8_t>(d.buf), true, ctx);
  if (take < data.size() && !stopped_) on_stream_data(dir, data.subspan(take), ctx);
}

void StreamDriver::on_datagram(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  if (parser_ == nullptr || stopped_ || data.empty()) return;
  StampingSink stamp(ctx.sink, dir, ctx.now_us, ctx.now_us, messages_);
  ParseContext inner = ctx;
  inner.sink = &stamp;
  ParseResult r = parser_->parse(dir, data, inner);
  if (r.error) ++errors_;
}

void StreamDriver::on_gap(Dir dir) {
  if (parser_ == nullptr || stopped_) return;
  Direction& d = dirs_[static_cast<int>(dir)];
  d.buf.clear();
  d.skip = 0;
  if (!parser_->on_gap(dir)) stopped_ = true;
}

}  // namespace l7tap
