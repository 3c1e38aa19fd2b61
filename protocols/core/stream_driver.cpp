#include "protocols/core/stream_driver.hpp"

#include <algorithm>
#include <cstring>

namespace l7tap {

namespace {
constexpr uint32_t kDefaultMaxBuffered = 64 * 1024;
}

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
    // A message never ends before it starts. Its bytes can be stamped out of order: bytes held
    // behind a lost segment are delivered with the time they arrived, which can be earlier than
    // the buffered start of the message they complete (the segments before them were reordered);
    // and capture files can have timestamps that go backwards.
    if (m.ts_last_us < m.ts_first_us) m.ts_last_us = m.ts_first_us;
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

StreamDriver::~StreamDriver() { reset(); }

bool StreamDriver::attach(const ProtocolDescriptor& proto, const ParserEnv& env) {
  reset();
  pool_ = env.pool;
  static const ParserOptions kDefaults;
  const ParserOptions& opts = env.options != nullptr ? *env.options : kDefaults;
  if (!parser_mem_.reserve(*pool_, proto.factory.state_size(opts), 0)) return false;
  ParserEnv e = env;
  e.options = &opts;
  parser_ = proto.factory.construct(parser_mem_.data, e);
  // Once per flow: the conf's limit for this protocol, else its default.
  max_message_ = proto.default_max_message;
  for (const MessageSizeLimit& l : opts.max_message)
    if (l.protocol == proto.name) max_message_ = l.bytes;
  return true;
}

void StreamDriver::attach_external(Parser& parser, BufferPool& pool, uint64_t max_message) {
  reset();
  pool_ = &pool;
  parser_ = &parser;
  max_message_ = max_message;
}

void StreamDriver::reset() {
  if (parser_ != nullptr && !parser_mem_.empty()) {
    parser_->~Parser();
    parser_mem_.free(*pool_);
  }
  parser_ = nullptr;
  for (int d = 0; d < 2; ++d) drop_tail(static_cast<Dir>(d));
  errors_ = 0;
  messages_ = 0;
  events_ = Events{};
  events_pending_ = false;
  stopped_ = false;
}

void StreamDriver::drop_tail(Dir dir) {
  Direction& d = dirs_[static_cast<int>(dir)];
  if (pool_ != nullptr) d.buf.free(*pool_);
  d.len = 0;
  d.want = 0;
  d.skip = 0;
  d.buf_ts_us = 0;
}

void StreamDriver::handle_error(Dir dir) {
  ++errors_;
  drop_tail(dir);
  if (!parser_->on_gap(dir)) stopped_ = true;
}

bool StreamDriver::refuse_length(Dir dir, bool oversize) {
  ++events_.resyncs;
  if (oversize) ++events_.oversize;
  events_pending_ = true;
  dirs_[static_cast<int>(dir)].skip = 0;
  if (parser_->on_gap(dir)) return true;
  stopped_ = true;
  return false;
}

std::span<const uint8_t> StreamDriver::run(Dir dir, std::span<const uint8_t> data, uint64_t first_ts,
                                           ParseContext& ctx, bool& failed) {
  Direction& d = dirs_[static_cast<int>(dir)];
  const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : kDefaultMaxBuffered;
  std::size_t off = 0;  // bytes of `data` consumed or skipped so far
  d.want = 0;
  // Loop (not recursion) while the parser makes progress and bytes are left: after a skip, and
  // for parsers that return after one message, without growing the stack per message.
  while (off < data.size()) {
    const std::span<const uint8_t> view = data.subspan(off);
    StampingSink stamp(ctx.sink, dir, first_ts, ctx.now_us, messages_);
    ParseContext inner = ctx;
    inner.sink = &stamp;
    inner.max_message = max_message_;
    const ParseResult r = parser_->parse(dir, view, inner);
    ctx.reversed |= inner.reversed;
    if (r.error || r.consumed > view.size()) {
      handle_error(dir);
      failed = true;
      return {};
    }
    off += r.consumed;
    // A length past the protocol's maximum is garbage: resync from the byte after where that
    // "message" starts (the parser, now resynchronising, looks for a valid frame from there).
    // A parser that did not check is caught here by its skip or need (the message it logged from
    // the prefix stays logged, the skip is not done).
    const bool need_past_max = r.skip == 0 && r.need > max_message_;
    if (r.oversize || r.skip > max_message_ || need_past_max) {
      if (!refuse_length(dir, true)) {
        failed = true;
        return {};
      }
      if ((r.oversize || need_past_max) && off < data.size()) ++off;
      first_ts = ctx.now_us;
      continue;
    }
    if (r.skip != 0) {
      // Drop what the parser asked to skip; what is left of it applies to future bytes.
      const auto now_skipped = static_cast<std::size_t>(std::min<uint64_t>(r.skip, data.size() - off));
      off += now_skipped;
      events_.skipped_bytes += now_skipped;
      events_pending_ = true;
      d.skip = r.skip - now_skipped;
      if (d.skip != 0) return {};  // the skip reaches past this data: nothing is left to keep
    } else if (r.consumed == 0 || r.need != 0) {
      d.want = r.need;  // an incomplete message: wait for more bytes (for `need` of them if known)
      break;
    }
    first_ts = ctx.now_us;  // whatever follows started in the newest bytes
  }
  const std::span<const uint8_t> rest = data.subspan(off);
  if (rest.size() > cap) {  // the parser cannot make progress within the buffer bound
    handle_error(dir);
    failed = true;
    return {};
  }
  return rest;
}

void StreamDriver::keep(Dir dir, std::span<const uint8_t> rest, uint64_t ts, uint32_t cap) {
  Direction& d = dirs_[static_cast<int>(dir)];
  // Sized once for the whole message when the parser said how long it is.
  const uint64_t target = std::max<uint64_t>(rest.size(), std::min<uint64_t>(d.want, cap));
  if (!d.buf.reserve(*pool_, target, 0)) {
    // The worker is out of buffer memory: this flow loses its tail (counted), others keep theirs.
    ++errors_;
    drop_tail(dir);
    if (!parser_->on_gap(dir)) stopped_ = true;
    return;
  }
  std::memcpy(d.buf.data, rest.data(), rest.size());
  d.len = static_cast<uint32_t>(rest.size());
  d.buf_ts_us = ts;
}

void StreamDriver::on_stream_data(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  if (parser_ == nullptr) return;
  Direction& d = dirs_[static_cast<int>(dir)];
  const uint32_t cap = ctx.options != nullptr ? ctx.options->max_buffered : kDefaultMaxBuffered;
  // Each pass uses up some of `data` or empties the buffer, so this ends; no recursion.
  bool segment_start = true;
  while (!data.empty() && !stopped_) {
    if (d.skip != 0) {
      // A new segment made of whole frames contradicts the length being skipped: the length was
      // bogus, the segment is parsed. Checked at segment starts only (where frames usually begin),
      // so a skip costs one bounded check per segment.
      if (segment_start && parser_->plausible_frames(dir, data, max_message_)) {
        if (!refuse_length(dir, false)) return;
        continue;
      }
      const auto n = static_cast<std::size_t>(std::min<uint64_t>(d.skip, data.size()));
      d.skip -= n;
      events_.skipped_bytes += n;
      events_pending_ = true;
      data = data.subspan(n);
      segment_start = false;
      continue;
    }
    // The same for a message the buffer awaits whose announced length is beyond the buffer bound
    // (it will end in a skip): a segment of whole frames cannot be its continuation. The buffered
    // bytes are dropped, the segment parsed. (A shorter awaited message costs at most its length,
    // and checking every segment of every split message would cost the common case.)
    if (segment_start && d.len != 0 && d.want > cap && parser_->plausible_frames(dir, data, max_message_)) {
      drop_tail(dir);
      if (!refuse_length(dir, false)) return;
      continue;
    }
    segment_start = false;
    bool failed = false;
    if (d.len == 0) {  // nothing buffered: parse straight from the packet
      const std::span<const uint8_t> rest = run(dir, data, ctx.now_us, ctx, failed);
      if (!failed && !rest.empty()) keep(dir, rest, ctx.now_us, cap);
      return;
    }
    // Append no more than the bound allows; a parser that needs more than that is in error.
    const uint32_t room = cap > d.len ? cap - d.len : 0;
    if (room == 0) {  // a full buffer the parser could not consume: framing is lost
      handle_error(dir);
      continue;
    }
    const std::size_t take = std::min<std::size_t>(room, data.size());
    const uint64_t target = std::max<uint64_t>(d.len + take, std::min<uint64_t>(d.want, cap));
    if (!d.buf.reserve(*pool_, target, d.len)) {
      ++errors_;  // out of buffer memory: the tail is lost, resync on the new bytes
      drop_tail(dir);
      if (!parser_->on_gap(dir)) stopped_ = true;
      continue;
    }
    std::memcpy(d.buf.data + d.len, data.data(), take);
    d.len += static_cast<uint32_t>(take);
    data = data.subspan(take);
    if (d.want > d.len && d.len < cap) continue;  // the awaited message is still incomplete
    const std::span<const uint8_t> rest = run(dir, {d.buf.data, d.len}, d.buf_ts_us, ctx, failed);
    if (failed) continue;  // the tail is already dropped
    if (rest.empty()) {
      const uint64_t skip = d.skip, want = d.want;
      drop_tail(dir);  // nothing left: the block goes back to the pool
      d.skip = skip;
      d.want = want;
    } else if (rest.data() != d.buf.data) {  // drop what was consumed or skipped
      std::memmove(d.buf.data, rest.data(), rest.size());
      d.len = static_cast<uint32_t>(rest.size());
      d.buf_ts_us = ctx.now_us;
    }
  }
}

void StreamDriver::on_datagram(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) {
  if (parser_ == nullptr || stopped_ || data.empty()) return;
  StampingSink stamp(ctx.sink, dir, ctx.now_us, ctx.now_us, messages_);
  ParseContext inner = ctx;
  inner.sink = &stamp;
  const ParseResult r = parser_->parse(dir, data, inner);
  ctx.reversed |= inner.reversed;
  if (r.error) ++errors_;
}

void StreamDriver::on_gap(Dir dir) {
  if (parser_ == nullptr || stopped_) return;
  drop_tail(dir);
  if (!parser_->on_gap(dir)) stopped_ = true;
}

}  // namespace l7tap
