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
    std::vector<uint8_t>().swap(d.buf);
    if (budget_ != nullptr) budget_->give(d.charged);
    d.charged = 0;
    d.buf_ts_us = 0;
    d.skip = 0;
  }
  errors_ = 0;
  messages_ = 0;
  stopped_ = false;
}

void StreamDriver::account(Dir dir) {
  Direction& d = dirs_[static_cast<int>(dir)];
  if (d.buf.empty() && d.buf.capacity() > kKeepCapacity) std::vector<uint8_t>().swap(d.buf);
  if (budget_ == nullptr) return;
  const uint64_t now = d.buf.capacity();
  if (now <= d.charged) {
    budget_->give(d.charged - now);
  } else if (!budget_->take(now - d.charged)) {
    // The worker is out of buffer memory: this flow loses its tail (counted), others keep theirs.
    std::vector<uint8_t>().swap(d.buf);
    budget_->give(d.charged);
    d.charged = 0;
    d.skip = 0;
    ++errors_;
    if (parser_ != nullptr && !parser_->on_gap(dir)) stopped_ = true;
    return;
  }
  d.charged = now;
}

void StreamDriver::handle_error(Dir dir) {
  ++errors_;
  Direction& d = dirs_[static_cast<int>(dir)];
  d.buf.clear();
  d.skip = 0;
  if (!parser_->on_gap(dir)) stopped_ = true;
}

void StreamDriver::run(Dir dir, std::span<const uint8_t> data, bool from_buffer, ParseContext& ctx) {
  // `data` is either this direction's buffer (from_buffer) or the caller's chunk. It is not
  // modified until the loop ends, so `data` stays valid while the parser runs.
  Direction& d = dirs_[static_cast<int>(dir)];
  uint64_t first_ts = from_buffer ? d.buf_ts_us : ctx.now_us;
  std::size_t off = 0;  // bytes of `data` consumed or skipped so far
  // Loop (not recursion) while the parser makes progress and bytes are left: after a skip, and
  // for parsers that return after one message, without growing the stack per message.
  while (off < data.size()) {
    std::span<const uint8_t> view = data.subspan(off);
    StampingSink stamp(ctx.sink, dir, first_ts, ctx.now_us, messages_);
    ParseContext inner = ctx;
    inner.sink = &stamp;
    ParseResult r = parser_->parse(dir, view, inner);
    ctx.reversed |= inner.reversed;
    if (r.error || r.consumed > view.size()) {
      handle_error(dir);
      return;
    }
    off += r.consumed;
    if (r.skip != 0) {
      // Drop what the parser asked to skip; what is left of it applies to future bytes.
      std::size_t now_skipped = static_cast<std::size_t>(std::min<uint64_t>(r.skip, data.size() - off));
      off += now_skipped;
      d.skip = r.skip - now_skipped;
      if (d.skip != 0) {  // the skip reaches past this data: nothing is left to buffer
        d.buf.clear();
        return;
      }
    } else if (r.consumed == 0) {
      break;  // an incomplete message: wait for more bytes
    }
    first_ts = ctx.now_us;  // whatever follows started in the newest bytes
  }
  std::span<const uint8_t> rest = data.subspan(off);
  const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  if (rest.size() > cap) {
    // The parser cannot make progress within the buffer bound: a framing error.
    handle_error(dir);
    return;
  }
  if (from_buffer) {
    if (off != 0) {  // drop everything consumed or skipped, including skipped buffered bytes
      d.buf.erase(d.buf.begin(), d.buf.begin() + static_cast<std::ptrdiff_t>(off));
      d.buf_ts_us = ctx.now_us;
    }
  } else if (!rest.empty()) {
    d.buf.assign(rest.begin(), rest.end());
    d.buf_ts_us = ctx.now_us;
  }
}

void StreamDriver::on_stream_data(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  if (parser_ == nullptr) return;
  if (ctx.budget != nullptr) budget_ = ctx.budget;
  feed(dir, data, ctx);
  account(dir);
}

void StreamDriver::feed(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  Direction& d = dirs_[static_cast<int>(dir)];
  const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : 64 * 1024;
  // Each pass uses up some of `data` or empties the buffer, so this ends; no recursion.
  while (!data.empty() && !stopped_) {
    if (d.skip != 0) {
      std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(d.skip, data.size()));
      d.skip -= n;
      data = data.subspan(n);
      continue;
    }
    if (d.buf.empty()) {
      run(dir, data, false, ctx);
      return;
    }
    // Append no more than the bound allows; a parser that needs more than that is in error.
    std::size_t room = cap > d.buf.size() ? cap - d.buf.size() : 0;
    if (room == 0) {
      // A full buffer the parser could not consume: framing is lost. Resync on the new bytes.
      handle_error(dir);
      continue;
    }
    std::size_t take = std::min(room, data.size());
    d.buf.insert(d.buf.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    run(dir, std::span<const uint8_t>(d.buf), true, ctx);
    data = data.subspan(take);
  }
}

void StreamDriver::on_datagram(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  if (parser_ == nullptr || stopped_ || data.empty()) return;
  StampingSink stamp(ctx.sink, dir, ctx.now_us, ctx.now_us, messages_);
  ParseContext inner = ctx;
  inner.sink = &stamp;
  ParseResult r = parser_->parse(dir, data, inner);
  ctx.reversed |= inner.reversed;
  if (r.error) ++errors_;
}

void StreamDriver::on_gap(Dir dir) {
  if (parser_ == nullptr || stopped_) return;
  Direction& d = dirs_[static_cast<int>(dir)];
  d.buf.clear();
  d.skip = 0;
  if (!parser_->on_gap(dir)) stopped_ = true;
  account(dir);
}

}  // namespace l7tap
