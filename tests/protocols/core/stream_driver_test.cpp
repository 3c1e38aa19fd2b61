// StreamDriver: buffering of incomplete tails, skipping of oversized messages, error/gap handling,
// the buffer bound, timestamps and datagram mode. Driven with a small length-prefixed test
// protocol (2-byte big-endian body length, then the body) defined here. Also covers ByteReader,
// which the test parser uses to read its header.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "protocols/core/byte_reader.hpp"
#include "protocols/core/parser.hpp"
#include "protocols/core/stream_driver.hpp"
#include "tests/protocols/parser_harness.hpp"

namespace l7tap {
namespace {

using test::ParserHarness;

// Length value that the test protocol treats as "not this protocol".
constexpr uint16_t kGarbageLen = 0xffff;

struct LenParserState {
  int gaps[2] = {0, 0};
  bool resync = true;           // what on_gap returns
  bool skip_bodies = false;     // consume the header, skip the body (one message per call)
  bool one_per_call = false;    // stops after the first message (violates the contract on purpose)
  bool never_consume = false;   // a parser that never makes progress
  bool report_need = false;     // says how many bytes an incomplete message needs (ParseResult::need)
  bool check_oversize = false;  // reports lengths beyond ParseContext::max_message (ParseResult::oversize)
  bool check_frames = false;    // implements plausible_frames (whole frames of lower-case letters)
  bool wait_large = false;      // waits (need) for a message beyond the bound until the buffer is full
  std::size_t frame_checks = 0; // plausible_frames calls
  std::size_t max_seen = 0;     // largest span handed to parse()
  std::size_t calls = 0;
};

// Messages carry their body in request_resource and their total size in request_length.
class LenParser final : public Parser {
 public:
  explicit LenParser(LenParserState& st) : st_(st) {}

  ParseResult parse(Dir, std::span<const uint8_t> data, ParseContext& ctx) override {
    ++st_.calls;
    st_.max_seen = std::max(st_.max_seen, data.size());
    ParseResult r;
    if (st_.never_consume) return r;
    const std::size_t cap = ctx.options->max_buffered;
    std::size_t off = 0;
    while (data.size() - off >= 2) {
      ByteReader rd(data.subspan(off));
      const uint16_t len = rd.be16();
      if (len == kGarbageLen) {
        r.error = true;
        return r;
      }
      const std::size_t total = 2u + len;
      if (st_.check_oversize && total > ctx.max_message) {
        r.consumed = static_cast<uint32_t>(off);
        r.oversize = true;
        return r;
      }
      if (st_.skip_bodies) {
        emit(ctx, {}, total);
        r.consumed = static_cast<uint32_t>(off + 2);
        r.skip = len;
        return r;
      }
      if (total > cap && st_.wait_large && data.size() - off < cap) {
        r.consumed = static_cast<uint32_t>(off);
        r.need = total;
        return r;
      }
      if (total > cap) {
        // Oversized: decode the prefix we have, consume it and skip the rest of the message.
        const std::size_t have = std::min(total, data.size() - off);
        emit(ctx, as_chars(data.subspan(off + 2, have - 2)), total);
        r.consumed = static_cast<uint32_t>(off + have);
        r.skip = total - have;
        return r;
      }
      if (data.size() - off < total) {
        if (st_.report_need) r.need = total;
        break;
      }
      emit(ctx, rd.str(len), total);
      off += total;
      if (st_.one_per_call) break;
    }
    r.consumed = static_cast<uint32_t>(off);
    return r;
  }

  bool on_gap(Dir dir) override {
    ++st_.gaps[static_cast<int>(dir)];
    return st_.resync;
  }

  // Whole frames with non-empty lower-case bodies, the last one possibly incomplete.
  bool plausible_frames(Dir, std::span<const uint8_t> data, uint64_t max_message) override {
    ++st_.frame_checks;
    if (!st_.check_frames) return false;
    std::size_t off = 0, whole = 0;
    while (data.size() - off >= 2) {
      const std::size_t len = (std::size_t{data[off]} << 8) | data[off + 1];
      if (len == 0 || len == kGarbageLen || 2 + len > max_message) return false;
      const std::size_t have = std::min(len, data.size() - off - 2);
      for (std::size_t i = 0; i < have; ++i)
        if (data[off + 2 + i] < 'a' || data[off + 2 + i] > 'z') return false;
      if (have < len) break;
      off += 2 + len;
      ++whole;
    }
    return whole != 0;
  }

 private:
  static void emit(ParseContext& ctx, std::string_view body, std::size_t total) {
    Message m;
    m.role = MsgRole::kOneWay;
    m.dir = Dir::kToClient;  // the driver must overwrite this with the real direction
    m.fields.set(Field::kRequestResource, body);
    m.fields.set_request_length(static_cast<uint32_t>(total));
    ctx.emit(m);
  }
  LenParserState& st_;
};

std::vector<uint8_t> frame(std::string_view body) {
  std::vector<uint8_t> out;
  out.reserve(2 + body.size());
  out.push_back(static_cast<uint8_t>(body.size() >> 8));
  out.push_back(static_cast<uint8_t>(body.size() & 0xff));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Summary {
  std::string body;
  uint32_t length;
  Dir dir;
  bool operator==(const Summary&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Summary& s) {
    return os << "{\"" << s.body << "\", " << s.length << ", " << (s.dir == Dir::kToServer ? "c2s" : "s2c") << "}";
  }
};

std::vector<Summary> summarize(const std::vector<Message>& ms) {
  std::vector<Summary> out;
  for (const auto& m : ms) out.push_back({std::string(m.fields.get(Field::kRequestResource)), m.fields.request_length, m.dir});
  return out;
}

std::unique_ptr<ParserHarness> harness(LenParserState& st, uint32_t max_buffered = 64 * 1024,
                                       uint64_t max_message = UINT64_MAX) {
  ParserOptions o;
  o.max_buffered = max_buffered;
  return std::make_unique<ParserHarness>(std::make_unique<LenParser>(st), o, max_message);
}

const std::vector<uint8_t> kStream =
    concat({frame("hello"), frame(""), frame("x"), frame(std::string(200, 'q')), frame("tail-message")});
const std::vector<Summary> kExpected = {{"hello", 7, Dir::kToServer},
                                        {"", 2, Dir::kToServer},
                                        {"x", 3, Dir::kToServer},
                                        {std::string(200, 'q'), 202, Dir::kToServer},
                                        {"tail-message", 14, Dir::kToServer}};

TEST(StreamDriver, OnePieceParsesEveryMessage) {
  LenParserState st;
  auto h = harness(st);
  h->feed(Dir::kToServer, kStream, 50);
  EXPECT_EQ(summarize(h->messages()), kExpected);
  EXPECT_EQ(h->errors(), 0u);
  for (const auto& m : h->messages()) {
    EXPECT_EQ(m.ts_first_us, 50u);
    EXPECT_EQ(m.ts_last_us, 50u);
  }
}

TEST(StreamDriver, AnyChunkingEqualsOnePiece) {
  for (std::size_t chunk = 1; chunk <= kStream.size(); ++chunk) {
    LenParserState st;
    auto h = harness(st);
    h->feed_split(Dir::kToServer, kStream, chunk);
    EXPECT_EQ(summarize(h->messages()), kExpected) << "chunk " << chunk;
    EXPECT_EQ(h->errors(), 0u) << "chunk " << chunk;
  }
}

TEST(StreamDriver, DirectionsAreBufferedSeparately) {
  LenParserState st;
  auto h = harness(st);
  auto a = frame("to-server");
  auto b = frame("to-client");
  // Interleave the two directions byte by byte.
  for (std::size_t i = 0; i < a.size(); ++i) {
    h->feed(Dir::kToServer, std::span<const uint8_t>(&a[i], 1));
    h->feed(Dir::kToClient, std::span<const uint8_t>(&b[i], 1));
  }
  std::vector<Summary> want = {{"to-server", 11, Dir::kToServer}, {"to-client", 11, Dir::kToClient}};
  EXPECT_EQ(summarize(h->messages()), want);
}

TEST(StreamDriver, TimestampsOfMessagesSpanningChunks) {
  LenParserState st;
  auto h = harness(st);
  auto s = concat({frame("abcdef"), frame("ghij")});  // 8 + 6 bytes
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data(), 1), 10);      // first byte of msg 1
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 1, 4), 20);  // middle of msg 1
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 5, 5), 30);  // end of msg 1, start of msg 2
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 10, 4), 40);  // end of msg 2
  ASSERT_EQ(h->messages().size(), 2u);
  EXPECT_EQ(h->messages()[0].ts_first_us, 10u);
  EXPECT_EQ(h->messages()[0].ts_last_us, 30u);
  EXPECT_EQ(h->messages()[1].ts_first_us, 30u);
  EXPECT_EQ(h->messages()[1].ts_last_us, 40u);
}

// Bytes delivered with an earlier time than the buffered start of the message they complete (the
// reassembler hands over bytes held behind a lost segment with the time they arrived; capture
// clocks can go backwards): the message ends when it starts, not before.
TEST(StreamDriver, MessageNeverEndsBeforeItStarts) {
  LenParserState st;
  auto h = harness(st);
  auto s = frame("abcdef");  // 8 bytes
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data(), 3), 50);
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 3, 5), 20);
  ASSERT_EQ(h->messages().size(), 1u);
  EXPECT_EQ(h->messages()[0].ts_first_us, 50u);
  EXPECT_EQ(h->messages()[0].ts_last_us, 50u);
}

TEST(StreamDriver, MessageCompletedFromBufferThenOthersInSameChunk) {
  LenParserState st;
  auto h = harness(st);
  auto s = concat({frame("one"), frame("two"), frame("three")});
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data(), 3), 5);
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 3, s.size() - 3), 9);
  ASSERT_EQ(h->messages().size(), 3u);
  EXPECT_EQ(h->messages()[0].ts_first_us, 5u);  // started in the buffered chunk
  EXPECT_EQ(h->messages()[1].ts_first_us, 9u);  // started in the new chunk
  EXPECT_EQ(h->messages()[2].ts_first_us, 9u);
  EXPECT_EQ(h->messages()[2].fields.get(Field::kRequestResource), "three");
}

// An oversized message (body larger than max_buffered): the parser decodes the prefix and asks
// the driver to skip the rest; the message after it must still be parsed.
TEST(StreamDriver, OversizedMessageSkippedThenNextInSameChunk) {
  LenParserState st;
  auto h = harness(st, 16);
  const std::string big(100, 'B');
  auto s = concat({frame(big), frame("next")});
  // Header + 10 body bytes, then the rest of the body and the next message in one chunk.
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data(), 12), 1);
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 12, s.size() - 12), 2);
  std::vector<Summary> want = {{std::string(10, 'B'), 102, Dir::kToServer}, {"next", 6, Dir::kToServer}};
  EXPECT_EQ(summarize(h->messages()), want);
  EXPECT_EQ(h->errors(), 0u);
}

TEST(StreamDriver, OversizedMessageSkippedAcrossLaterChunks) {
  LenParserState st;
  auto h = harness(st, 16);
  const std::string big(100, 'B');
  auto s = concat({frame("pre"), frame(big), frame("next"), frame("last")});
  // Byte by byte: the parser decodes the big message as soon as it has its header (an empty
  // body prefix) and the driver skips the remaining 100 bytes over 100 chunks.
  h->feed_split(Dir::kToServer, s, 1);
  std::vector<Summary> want = {{"pre", 5, Dir::kToServer},
                               {"", 102, Dir::kToServer},
                               {"next", 6, Dir::kToServer},
                               {"last", 6, Dir::kToServer}};
  EXPECT_EQ(summarize(h->messages()), want);
  EXPECT_EQ(h->errors(), 0u);
  // Every chunking gives the same messages, up to the prefix length the parser got to see.
  for (std::size_t chunk = 2; chunk <= s.size(); ++chunk) {
    LenParserState st2;
    auto h2 = harness(st2, 16);
    h2->feed_split(Dir::kToServer, s, chunk);
    ASSERT_EQ(h2->messages().size(), 4u) << "chunk " << chunk;
    EXPECT_EQ(h2->messages()[1].fields.request_length, 102u) << "chunk " << chunk;
    EXPECT_EQ(h2->messages()[2].fields.get(Field::kRequestResource), "next") << "chunk " << chunk;
    EXPECT_EQ(h2->messages()[3].fields.get(Field::kRequestResource), "last") << "chunk " << chunk;
    EXPECT_EQ(h2->errors(), 0u) << "chunk " << chunk;
    EXPECT_LE(st2.max_seen, std::max<std::size_t>(16, chunk));
  }
}

// A parser that consumes headers and skips bodies (legal even when the body is present). The
// skipped bytes must be dropped whether they were in the buffer or in the new chunk.
TEST(StreamDriver, SkipInsideBufferedBytesDropsThem) {
  LenParserState st;
  st.skip_bodies = true;
  auto h = harness(st);
  auto s = concat({frame("abc"), frame("z"), frame("0123456789")});
  for (std::size_t chunk = 1; chunk <= s.size(); ++chunk) {
    LenParserState st2;
    st2.skip_bodies = true;
    auto h2 = harness(st2);
    h2->feed_split(Dir::kToServer, s, chunk);
    std::vector<Summary> want = {{"", 5, Dir::kToServer}, {"", 3, Dir::kToServer}, {"", 12, Dir::kToServer}};
    EXPECT_EQ(summarize(h2->messages()), want) << "chunk " << chunk;
    EXPECT_EQ(h2->errors(), 0u) << "chunk " << chunk;
  }
  // Header split from its body: 1 byte buffered, then the rest of header + body exactly.
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data(), 1));
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 1, 4));
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 5, s.size() - 5));
  std::vector<Summary> want = {{"", 5, Dir::kToServer}, {"", 3, Dir::kToServer}, {"", 12, Dir::kToServer}};
  EXPECT_EQ(summarize(h->messages()), want);
  EXPECT_EQ(h->errors(), 0u);
}

// Many skip-and-continue steps in one chunk must not recurse once per message.
class CountingSink final : public MessageSink {
 public:
  void on_message(Message&) override { ++count; }
  std::size_t count = 0;
};

TEST(StreamDriver, ManySkipsInOneChunkDoNotRecurse) {
  LenParserState st;
  st.skip_bodies = true;
  LenParser parser(st);
  BufferPool pool;
  StreamDriver d;
  d.attach_external(parser, pool);
  ParserOptions o;
  CountingSink sink;
  ParseContext ctx{&sink, &o, 1};
  const std::size_t n = 1 << 19;  // 512 Ki messages of 4 bytes in one 2 MiB chunk
  std::vector<uint8_t> s;
  s.reserve(n * 4);
  for (std::size_t i = 0; i < n; ++i) s.insert(s.end(), {0, 2, 'a', 'b'});
  d.on_stream_data(Dir::kToServer, s, ctx);
  EXPECT_EQ(sink.count, n);
  EXPECT_EQ(d.take_errors(), 0u);
  // The same starting from buffered bytes (first byte alone, then the rest).
  LenParserState st2;
  st2.skip_bodies = true;
  LenParser parser2(st2);
  StreamDriver d2;
  d2.attach_external(parser2, pool);
  CountingSink sink2;
  ParseContext ctx2{&sink2, &o, 1};
  d2.on_stream_data(Dir::kToServer, std::span<const uint8_t>(s.data(), 1), ctx2);
  d2.on_stream_data(Dir::kToServer, std::span<const uint8_t>(s.data() + 1, s.size() - 1), ctx2);
  EXPECT_EQ(sink2.count, n);
  EXPECT_EQ(d2.take_errors(), 0u);
}

TEST(StreamDriver, ErrorCountsDropsBufferCallsGapAndResyncs) {
  LenParserState st;
  auto h = harness(st);
  auto good = frame("ok");
  auto garbage = std::vector<uint8_t>{0xff, 0xff, 1, 2, 3};
  // A partial message in the other direction must survive the error in this one.
  auto other = frame("other");
  h->feed(Dir::kToClient, std::span<const uint8_t>(other.data(), 3));
  h->feed(Dir::kToServer, concat({good, garbage}), 1);
  EXPECT_EQ(h->errors(), 1u);
  EXPECT_EQ(st.gaps[0], 1);
  EXPECT_EQ(st.gaps[1], 0);
  // The buffer was dropped: the next chunk starts at a message boundary again.
  h->feed(Dir::kToServer, frame("after"), 2);
  h->feed(Dir::kToClient, std::span<const uint8_t>(other.data() + 3, other.size() - 3));
  std::vector<Summary> want = {{"ok", 4, Dir::kToServer}, {"after", 7, Dir::kToServer}, {"other", 7, Dir::kToClient}};
  EXPECT_EQ(summarize(h->messages()), want);
  EXPECT_FALSE(h->stopped());
}

TEST(StreamDriver, ErrorInBufferedBytes) {
  LenParserState st;
  auto h = harness(st);
  h->feed(Dir::kToServer, std::vector<uint8_t>{0xff});  // incomplete header: buffered
  h->feed(Dir::kToServer, std::vector<uint8_t>{0xff, 9, 9, 9});
  EXPECT_EQ(h->errors(), 1u);
  EXPECT_EQ(st.gaps[0], 1);
  h->feed(Dir::kToServer, frame("fine"));
  ASSERT_EQ(h->messages().size(), 1u);
  EXPECT_EQ(h->messages()[0].fields.get(Field::kRequestResource), "fine");
}

TEST(StreamDriver, ParserGivingUpStopsTheFlow) {
  LenParserState st;
  st.resync = false;
  auto h = harness(st);
  h->feed(Dir::kToServer, std::vector<uint8_t>{0xff, 0xff});
  EXPECT_TRUE(h->stopped());
  EXPECT_EQ(h->errors(), 1u);
  const std::size_t calls = st.calls;
  h->feed(Dir::kToServer, frame("ignored"));
  h->feed(Dir::kToClient, frame("ignored"));
  EXPECT_TRUE(h->messages().empty());
  EXPECT_EQ(st.calls, calls);
}

TEST(StreamDriver, GapDropsTailAndResets) {
  LenParserState st;
  auto h = harness(st);
  auto m = frame("lost-message");
  h->feed(Dir::kToServer, std::span<const uint8_t>(m.data(), 5));
  h->gap(Dir::kToServer);
  EXPECT_EQ(st.gaps[0], 1);
  h->feed(Dir::kToServer, frame("new"));
  ASSERT_EQ(h->messages().size(), 1u);
  EXPECT_EQ(h->messages()[0].fields.get(Field::kRequestResource), "new");
  EXPECT_EQ(h->errors(), 0u);
  // A gap while skipping an oversized body cancels the skip too.
  LenParserState st2;
  auto h2 = harness(st2, 8);
  auto big = frame(std::string(50, 'x'));
  h2->feed(Dir::kToServer, std::span<const uint8_t>(big.data(), 10));
  h2->gap(Dir::kToServer);
  h2->feed(Dir::kToServer, frame("ab"));
  ASSERT_EQ(h2->messages().size(), 2u);
  EXPECT_EQ(h2->messages()[1].fields.get(Field::kRequestResource), "ab");
}

// A parser that never consumes must not make the buffer grow past max_buffered.
TEST(StreamDriver, BufferIsBoundedForAParserThatNeverConsumes) {
  LenParserState st;
  st.never_consume = true;
  auto h = harness(st, 32);
  std::vector<uint8_t> chunk(7, 0x01);
  for (int i = 0; i < 1000; ++i) h->feed(Dir::kToServer, chunk, static_cast<uint64_t>(i));
  EXPECT_LE(st.max_seen, 32u);
  EXPECT_GT(h->errors(), 0u);
  // A single chunk larger than the bound is an error, not a buffer of that size.
  std::vector<uint8_t> huge(1 << 20, 0x01);
  const uint32_t before = h->errors();
  h->feed(Dir::kToServer, huge);
  EXPECT_GT(h->errors(), before);
  st.max_seen = 0;
  h->feed(Dir::kToServer, chunk);
  EXPECT_LE(st.max_seen, 32u);
}

// A parser that returns after one message (against the contract) fed a large chunk while bytes
// are buffered: the driver keeps calling it while it makes progress, without recursing per
// message, so every message is parsed.
TEST(StreamDriver, OneMessagePerCallParserGetsEverything) {
  LenParserState st;
  st.one_per_call = true;
  ParserOptions o;
  o.max_buffered = 64;
  LenParser parser(st);
  BufferPool pool;
  StreamDriver d;
  d.attach_external(parser, pool);
  CountingSink sink;
  ParseContext ctx{&sink, &o, 1};
  std::vector<uint8_t> s;
  const std::size_t n = 200000;
  for (std::size_t i = 0; i < n; ++i) s.insert(s.end(), {0, 2, 'a', 'b'});
  d.on_stream_data(Dir::kToServer, std::span<const uint8_t>(s.data(), 1), ctx);
  d.on_stream_data(Dir::kToServer, std::span<const uint8_t>(s.data() + 1, s.size() - 1), ctx);
  EXPECT_EQ(sink.count, n);
  EXPECT_EQ(d.take_errors(), 0u);
}

TEST(StreamDriver, DatagramsAreParsedOnTheirOwn) {
  LenParserState st;
  auto h = harness(st);
  h->datagram(Dir::kToClient, concat({frame("d1"), frame("d2")}), 77);
  std::vector<Summary> want = {{"d1", 4, Dir::kToClient}, {"d2", 4, Dir::kToClient}};
  EXPECT_EQ(summarize(h->messages()), want);
  EXPECT_EQ(h->messages()[0].ts_first_us, 77u);
  EXPECT_EQ(h->messages()[1].ts_last_us, 77u);
  // An incomplete message in a datagram is not carried over to the next datagram.
  auto m = frame("split");
  h->datagram(Dir::kToClient, std::vector<uint8_t>(m.begin(), m.begin() + 3));
  h->datagram(Dir::kToClient, std::vector<uint8_t>(m.begin() + 3, m.end()));
  EXPECT_EQ(h->messages().size(), 2u);
  // Errors are counted; the next datagram is parsed.
  h->datagram(Dir::kToClient, std::vector<uint8_t>{0xff, 0xff});
  EXPECT_EQ(h->errors(), 1u);
  h->datagram(Dir::kToClient, frame("d3"));
  ASSERT_EQ(h->messages().size(), 3u);
  EXPECT_EQ(h->messages()[2].fields.get(Field::kRequestResource), "d3");
}

TEST(StreamDriver, MessagesAreCounted) {
  LenParserState st;
  LenParser parser(st);
  BufferPool pool;
  StreamDriver d;
  d.attach_external(parser, pool);
  ParserOptions o;
  CountingSink sink;
  ParseContext ctx{&sink, &o, 1};
  auto s = concat({frame("a"), frame("b"), frame("c")});
  d.on_stream_data(Dir::kToServer, s, ctx);
  EXPECT_EQ(d.take_messages(), 3u);
  EXPECT_EQ(d.take_messages(), 0u);
  d.reset();
  EXPECT_FALSE(d.attached());
  d.on_stream_data(Dir::kToServer, s, ctx);  // no parser: ignored
  EXPECT_EQ(sink.count, 3u);
}

// ---- ByteReader ---------------------------------------------------------------------------

TEST(ByteReader, FixedWidthIntegers) {
  const std::vector<uint8_t> b = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e};
  ByteReader r(b);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.be16(), 0x0203);
  EXPECT_EQ(r.le16(), 0x0504);
  EXPECT_EQ(r.be32(), 0x06070809u);
  EXPECT_EQ(r.le32(), 0x0d0c0b0au);
  EXPECT_EQ(r.pos(), 13u);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_TRUE(r.ok());
  const std::vector<uint8_t> w = {1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1};
  ByteReader r2(w);
  EXPECT_EQ(r2.be64(), 0x0102030405060708ull);
  EXPECT_EQ(r2.le64(), 0x0102030405060708ull);
  EXPECT_TRUE(r2.ok());
}

TEST(ByteReader, ReadingPastTheEndFailsAndStaysFailed) {
  const std::vector<uint8_t> b = {0xaa, 0xbb, 0xcc};
  // Give the reader a view of the first 3 bytes of a larger buffer: it must not look beyond.
  std::vector<uint8_t> backing = {0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  ByteReader r(std::span<const uint8_t>(backing.data(), 3));
  EXPECT_EQ(r.be16(), 0xaabb);
  EXPECT_EQ(r.be16(), 0);  // only one byte left
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.rest().empty());
  EXPECT_EQ(r.u8(), 0);  // sticky
  ByteReader r2(b);
  EXPECT_TRUE(r2.bytes(4).empty());
  EXPECT_FALSE(r2.ok());
  ByteReader r3(b);
  r3.skip(2);
  EXPECT_EQ(r3.str(1), "\xcc");
  EXPECT_TRUE(r3.ok());
  r3.skip(1);
  EXPECT_FALSE(r3.ok());
  ByteReader r4(b);
  EXPECT_TRUE(r4.has(3));
  EXPECT_FALSE(r4.has(4));
  EXPECT_EQ(r4.le32(), 0u);
  EXPECT_FALSE(r4.ok());
}

TEST(ByteReader, Varints) {
  const std::vector<uint8_t> b = {0x00, 0x7f, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f};
  ByteReader r(b);
  EXPECT_EQ(r.uvarint(), 0u);
  EXPECT_EQ(r.uvarint(), 127u);
  EXPECT_EQ(r.uvarint(), 300u);
  EXPECT_EQ(r.uvarint(), 0xffffffffu);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  // Max uint64: 9 bytes of 0xff then 0x01.
  const std::vector<uint8_t> m = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  ByteReader rm(m);
  EXPECT_EQ(rm.uvarint(), UINT64_MAX);
  EXPECT_TRUE(rm.ok());
  // More than 10 bytes: invalid.
  const std::vector<uint8_t> longv(11, 0x80);
  ByteReader rl(longv);
  rl.uvarint();
  EXPECT_FALSE(rl.ok());
  // Truncated.
  const std::vector<uint8_t> t = {0x80, 0x80};
  ByteReader rt(t);
  EXPECT_EQ(rt.uvarint(), 0u);
  EXPECT_FALSE(rt.ok());
  // Zig-zag: 0→0, 1→-1, 2→1, 3→-2, 0x7f→-64, 300→150.
  const std::vector<uint8_t> z = {0x00, 0x01, 0x02, 0x03, 0x7f, 0xac, 0x02};
  ByteReader rz(z);
  EXPECT_EQ(rz.svarint(), 0);
  EXPECT_EQ(rz.svarint(), -1);
  EXPECT_EQ(rz.svarint(), 1);
  EXPECT_EQ(rz.svarint(), -2);
  EXPECT_EQ(rz.svarint(), -64);
  EXPECT_EQ(rz.svarint(), 150);
  EXPECT_TRUE(rz.ok());
}

}  // namespace
}  // namespace l7tap

namespace l7tap {
namespace {

struct BudgetFixture {
  LenParserState st;
  ParserOptions options;
  test::CollectingSink sink;
  BufferPool pool;
  std::vector<std::unique_ptr<LenParser>> parsers;
  ParseContext ctx() {
    ParseContext c;
    c.sink = &sink;
    c.options = &options;
    c.now_us = 1;
    return c;
  }
  std::unique_ptr<StreamDriver> driver() {
    parsers.push_back(std::make_unique<LenParser>(st));
    auto d = std::make_unique<StreamDriver>();
    d->attach_external(*parsers.back(), pool);
    return d;
  }
};

TEST(StreamDriver, BufferedTailsComeFromThePoolAndGoBack) {
  BudgetFixture f;
  f.st.report_need = true;
  auto d = f.driver();
  auto ctx = f.ctx();
  const auto msg = frame(std::string(5000, 'a'));
  d->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).first(2000), ctx);
  // Sized once for the whole announced message (5002 bytes), not regrown per segment.
  EXPECT_EQ(f.pool.in_use(), BufferPool::block_size(5002));
  d->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).subspan(2000), ctx);
  ASSERT_EQ(f.sink.messages.size(), 1u);
  EXPECT_EQ(f.pool.in_use(), 0u);  // an emptied tail goes back to the pool
  d->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).first(10), ctx);
  EXPECT_GT(f.pool.in_use(), 0u);
  d->reset();
  EXPECT_EQ(f.pool.in_use(), 0u);
  // The blocks stay cached in the pool: the same traffic again takes nothing from the heap.
  const uint64_t allocs = f.pool.heap_allocations();
  auto d2 = f.driver();
  d2->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).first(2000), ctx);
  d2->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).subspan(2000), ctx);
  EXPECT_EQ(f.pool.heap_allocations(), allocs);
  EXPECT_EQ(f.sink.messages.size(), 2u);
}

TEST(StreamDriver, OverBudgetFlowLosesItsTailOthersKeepTheirs) {
  BudgetFixture f;
  f.st.report_need = true;
  f.pool.set_limit(12000);  // room for one 8 KiB tail block, not two
  auto a = f.driver(), b = f.driver();
  auto ctx = f.ctx();
  const auto msg = frame(std::string(5000, 'a'));
  a->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).first(2000), ctx);
  b->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).first(2000), ctx);
  EXPECT_EQ(f.pool.refused(), 1u);
  EXPECT_LE(f.pool.held(), f.pool.limit());
  EXPECT_EQ(a->take_errors(), 0u);
  EXPECT_EQ(b->take_errors(), 1u);
  EXPECT_EQ(f.st.gaps[0], 1);  // b's parser was told to resync
  a->on_stream_data(Dir::kToServer, std::span<const uint8_t>(msg).subspan(2000), ctx);
  ASSERT_EQ(f.sink.messages.size(), 1u);  // a's message survived
  EXPECT_EQ(f.sink.messages[0].fields.request_length, 5002u);
}

// A parser that says how long its message is is not called again for every segment of it: the
// cost of a large message is linear, not quadratic, in its segments.
TEST(StreamDriver, WaitsForTheAnnouncedSizeWithoutReparsing) {
  for (const bool report : {false, true}) {
    LenParserState st;
    st.report_need = report;
    auto h = harness(st);
    const auto msg = frame(std::string(60000, 'z'));
    h->feed_split(Dir::kToServer, msg, 100);  // 601 chunks
    ASSERT_EQ(h->messages().size(), 1u);
    EXPECT_EQ(h->messages()[0].fields.request_length, 60002u);
    if (report)
      EXPECT_EQ(st.calls, 2u);  // the header, then the whole message
    else
      EXPECT_EQ(st.calls, 601u);  // without `need`: called on every chunk
  }
}

// Every byte dropped by a skip is counted once, wherever it was (the chunk the parser saw, the
// buffer, later chunks), and only bytes that really arrived.
TEST(StreamDriver, SkippedBytesAreCounted) {
  const std::string big(100, 'B');
  const auto s = concat({frame("pre"), frame(big), frame("next")});
  for (std::size_t chunk = 1; chunk <= s.size(); ++chunk) {
    LenParserState st;
    auto h = harness(st, 16);
    h->feed_split(Dir::kToServer, s, chunk);
    ASSERT_EQ(h->messages().size(), 3u) << "chunk " << chunk;
    // The parser saw a prefix of the big message (up to the 16-byte bound); the rest was skipped.
    const std::size_t prefix = h->messages()[1].fields.get(Field::kRequestResource).size();
    EXPECT_EQ(h->skipped_bytes(), big.size() - prefix) << "chunk " << chunk;
    EXPECT_EQ(h->resyncs(), 0u);
  }
  // A skip reaching past the end of the stream counts only what came.
  LenParserState st;
  auto h = harness(st, 16);
  const auto head = frame(big);
  h->feed(Dir::kToServer, std::span<const uint8_t>(head.data(), 16));
  h->feed(Dir::kToServer, std::span<const uint8_t>(head.data() + 16, 30));
  EXPECT_EQ(h->skipped_bytes(), 30u);
}

// A declared length beyond the maximum message size is garbage: nothing is skipped or waited
// for, the parser is told to resync (on_gap) and parsing goes on from the next byte.
TEST(StreamDriver, LengthBeyondMaxMessageResyncsInsteadOfSkipping) {
  for (const bool parser_checks : {true, false}) {
    LenParserState st;
    st.check_oversize = parser_checks;
    st.report_need = true;
    auto h = harness(st, 16, 64);
    // 0x01 0x00 declares 256 bytes (> 64); from the byte after 0x01 the parser reads 0x00 0x02,
    // the frame "ab".
    const auto s = concat({frame("one"), std::vector<uint8_t>{0x01}, frame("ab"), frame("after")});
    h->feed(Dir::kToServer, s);
    std::vector<Summary> want = {{"one", 5, Dir::kToServer}, {"ab", 4, Dir::kToServer}, {"after", 7, Dir::kToServer}};
    // A parser that does not check is caught by the driver through its skip or need; the message
    // it logged from the prefix stays logged.
    if (parser_checks) {
      EXPECT_EQ(summarize(h->messages()), want);
    } else {
      ASSERT_GE(h->messages().size(), 1u);
      EXPECT_EQ(h->messages()[0].fields.get(Field::kRequestResource), "one");
    }
    EXPECT_EQ(h->oversize(), 1u) << parser_checks;
    EXPECT_EQ(h->resyncs(), 1u) << parser_checks;
    EXPECT_EQ(st.gaps[0], 1) << parser_checks;
    EXPECT_EQ(h->skipped_bytes(), 0u) << parser_checks;
    EXPECT_FALSE(h->stopped());
  }
  // Within the maximum, the same length is skipped as before.
  LenParserState st;
  st.check_oversize = true;
  auto h = harness(st, 16, 1024);
  const auto s = concat({frame(std::string(256, 'x')), frame("after")});
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data(), 16));
  h->feed(Dir::kToServer, std::span<const uint8_t>(s.data() + 16, s.size() - 16));
  ASSERT_EQ(h->messages().size(), 2u);
  EXPECT_EQ(h->messages()[1].fields.get(Field::kRequestResource), "after");
  EXPECT_EQ(h->oversize(), 0u);
  EXPECT_EQ(h->skipped_bytes(), 256u - 14u);
}

// While a large message's body is skipped, a segment made of whole frames proves the declared
// length wrong: the skip is abandoned (counted) and the segment parsed. A parser that cannot tell
// (plausible_frames false) keeps skipping.
TEST(StreamDriver, SkipContradictedByTheNextSegmentResyncs) {
  for (const bool checks : {false, true}) {
    LenParserState st;
    st.check_frames = checks;
    auto h = harness(st, 16);
    const auto bogus = frame(std::string(40000, 'B'));  // declares 40000 bytes, only 14 come
    h->feed(Dir::kToServer, std::span<const uint8_t>(bogus.data(), 16), 1);
    h->feed(Dir::kToServer, concat({frame("next"), frame("more")}), 2);
    h->feed(Dir::kToServer, frame("last"), 3);
    if (checks) {
      ASSERT_EQ(h->messages().size(), 4u);
      EXPECT_EQ(h->messages()[1].fields.get(Field::kRequestResource), "next");
      EXPECT_EQ(h->messages()[3].fields.get(Field::kRequestResource), "last");
      EXPECT_EQ(h->resyncs(), 1u);
      EXPECT_EQ(h->skipped_bytes(), 0u);
      EXPECT_EQ(st.gaps[0], 1);
    } else {
      EXPECT_EQ(h->messages().size(), 1u);  // "next", "more" and "last" are swallowed by the skip
      EXPECT_EQ(h->resyncs(), 0u);
      EXPECT_EQ(h->skipped_bytes(), 6u + 6u + 6u);
    }
    EXPECT_EQ(h->oversize(), 0u);
    EXPECT_EQ(h->errors(), 0u);
  }
  // The same while the buffer waits for a message whose announced length (`need`) is beyond the
  // buffer bound: the buffered bytes are dropped and the segment of whole frames parses.
  for (const bool checks : {false, true}) {
    LenParserState st;
    st.check_frames = checks;
    st.wait_large = true;
    auto h = harness(st, 1024);
    const auto bogus = frame(std::string(3000, 'B'));  // declares 3000 bytes, only 10 come
    h->feed(Dir::kToServer, std::span<const uint8_t>(bogus.data(), 12), 1);
    h->feed(Dir::kToServer, concat({frame("next"), frame("more")}), 2);
    if (checks) {
      ASSERT_EQ(h->messages().size(), 2u);
      EXPECT_EQ(h->messages()[0].fields.get(Field::kRequestResource), "next");
      EXPECT_EQ(h->resyncs(), 1u);
      EXPECT_EQ(h->driver().buffered(Dir::kToServer), 0u);
    } else {
      EXPECT_TRUE(h->messages().empty());  // taken for the rest of the 3000 bytes
      EXPECT_EQ(h->driver().buffered(Dir::kToServer), 24u);
    }
  }
  // Within the buffer bound a wait is not second-guessed (it costs at most the announced length,
  // and checking every segment of every split message would cost the common case).
  {
    LenParserState st;
    st.check_frames = true;
    st.report_need = true;
    auto h = harness(st, 4096);
    const auto bogus = frame(std::string(3000, 'B'));
    h->feed(Dir::kToServer, std::span<const uint8_t>(bogus.data(), 12), 1);
    h->feed(Dir::kToServer, concat({frame("next"), frame("more")}), 2);
    EXPECT_TRUE(h->messages().empty());
    EXPECT_EQ(st.frame_checks, 0u);
  }
  // A skip over bytes that are not frames (upper-case body) goes on; it is checked once per
  // segment, not per byte, and the frame after the real end of the message parses.
  LenParserState st;
  st.check_frames = true;
  auto h = harness(st, 16);
  const auto s = concat({frame(std::string(1000, 'B')), frame("after")});
  h->feed_split(Dir::kToServer, s, 100);
  ASSERT_EQ(h->messages().size(), 2u);
  EXPECT_EQ(h->messages()[1].fields.get(Field::kRequestResource), "after");
  EXPECT_EQ(h->resyncs(), 0u);
  EXPECT_LE(st.frame_checks, s.size() / 100 + 1);
}

}  // namespace
}  // namespace l7tap
