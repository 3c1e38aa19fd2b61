// The protocol framework's contract: DPDK-free, byte spans in, messages out.
//
// A parser instance belongs to one flow and lives in memory from the worker's BufferPool (no heap
// allocation per flow). The framework (protocols/core/stream_driver.hpp) feeds it each direction's
// reassembled byte stream; the parser consumes whole messages, says how many bytes it consumed and,
// when it stopped at an incomplete message whose size it knows, how many bytes that message needs
// (`ParseResult::need`): the framework then buffers without calling it again until they are there
// (Envoy-codec style streaming, no re-parse per segment). A message larger than the framework's
// buffer is decoded from the prefix the parser has and the rest is skipped (`ParseResult::skip`).
// A declared length beyond the protocol's maximum message size (ParseContext::max_message, from
// protocols.max_message_size) is garbage, not a message: the parser reports it
// (`ParseResult::oversize`) and the framework resynchronises instead of skipping. While skipping,
// a segment whose bytes are whole frames of the protocol (`Parser::plausible_frames`) contradicts
// the skip: the framework abandons it and parses the segment.
//
// Parsers emit Messages; the pairing engine (session_pairing.hpp) turns them into records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>

#include "protocols/core/buffer_pool.hpp"
#include "protocols/core/record.hpp"

namespace l7tap {

// Direction of bytes within a flow. kToServer = sent by the side that opened the connection
// (or, for flows picked up mid-stream, the side with the higher/ephemeral port).
enum class Dir : uint8_t { kToServer = 0, kToClient = 1 };
inline Dir opposite(Dir d) { return d == Dir::kToServer ? Dir::kToClient : Dir::kToServer; }

// What role a message plays in pairing.
enum class MsgRole : uint8_t {
  kRequest,   // waits for its response
  kResponse,  // closes a pending request
  kOneWay,    // logged at once as a `session` record on its own
};

struct Message {
  MsgRole role = MsgRole::kOneWay;
  Dir dir = Dir::kToServer;
  // Pairing: requests and responses pair when their (pair_class, id) are equal. Protocols with a
  // request id set has_id; without one (has_id == false) pairing is in order (FIFO) within
  // pair_class (e.g. the AMQP channel, or the MQTT packet kind a response acknowledges).
  bool has_id = false;
  uint64_t id = 0;
  uint32_t pair_class = 0;
  // Packet timestamps (µs since the epoch) of the message's first and last byte. The stream
  // driver fills these in; parsers do not need to.
  uint64_t ts_first_us = 0;
  uint64_t ts_last_us = 0;
  L7Fields fields;

  // Back to the default state; touches the header only (L7Fields::clear).
  void reset() {
    role = MsgRole::kOneWay;
    dir = Dir::kToServer;
    has_id = false;
    id = 0;
    pair_class = 0;
    ts_first_us = ts_last_us = 0;
    fields.clear();
  }
};

// Where parsers put messages. Implemented by the pairing engine (and by tests).
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void on_message(Message& msg) = 0;
};

// The largest message (declared length, headers included) one protocol accepts.
struct MessageSizeLimit {
  std::string_view protocol;
  uint64_t bytes;
};

// Configuration parsers may read (trace header names, limits). Owned by the worker, shared
// read-only by all parsers of that worker.
struct ParserOptions {
  // Extra header names carrying a trace id / span id / request id (lower case), from the conf.
  std::span<const std::string_view> trace_id_headers;
  std::span<const std::string_view> span_id_headers;
  std::span<const std::string_view> x_request_id_headers;
  // Bytes of one direction the framework buffers while a message is incomplete.
  uint32_t max_buffered = 64 * 1024;
  // Bound on per-flow parser state such as "request id → api version" tables.
  uint32_t max_pending = 256;
  // Maximum message size per protocol name (protocols.max_message_size); a protocol not listed
  // uses its descriptor's default_max_message.
  std::span<const MessageSizeLimit> max_message;
};

// What a parser gets when it is created: the worker's options and pool. A parser that needs more
// memory than its own object (e.g. MQTT topic-alias tables) takes blocks from `pool` and gives them
// back in its destructor; a refused block is a counted gap, never a crash.
struct ParserEnv {
  const ParserOptions* options = nullptr;
  BufferPool* pool = nullptr;
};

struct ParseContext {
  MessageSink* sink = nullptr;
  const ParserOptions* options = nullptr;
  uint64_t now_us = 0;  // timestamp of the segment being parsed
  // The protocol's maximum message size (set by the framework): a declared length beyond it is
  // reported as ParseResult::oversize, never skipped over or waited for.
  uint64_t max_message = UINT64_MAX;
  // Set by a parser that finds the flow's orientation was guessed wrong (a flow picked up
  // mid-connection whose requests travel kToClient although the protocol's requests only come
  // from clients). The framework then swaps the record's client and server (unless it saw the
  // TCP handshake, which settles who the client is); Dir values passed to the parser do not change.
  bool reversed = false;
  void emit(Message& m) { sink->on_message(m); }
  void report_reversed() { reversed = true; }
};

struct ParseResult {
  // Bytes consumed from the start of `data` (complete messages and anything skipped over).
  uint32_t consumed = 0;
  // Bytes to drop from the stream after `consumed` (the unparsed body of a large message).
  uint64_t skip = 0;
  // When non-zero: the message starting at `consumed` is incomplete and needs this many bytes in
  // all (counted from `consumed`). The framework does not call parse() for this direction again
  // before it holds them (or the buffer bound is reached). 0 = unknown: called again on new bytes.
  uint64_t need = 0;
  // The stream is not (or no longer) this protocol or cannot be resynchronised: the framework
  // counts a parse error and stops feeding this direction/flow.
  bool error = false;
  // The message starting at `consumed` declares a length beyond ParseContext::max_message: the
  // framework counts it, tells the parser (on_gap) and resynchronises from the byte after its start.
  bool oversize = false;
};

class Parser {
 public:
  virtual ~Parser() = default;
  // Parses as many complete messages from `data` as it can. `data` starts at a message boundary
  // (or where the previous call stopped). Must never read outside `data`, never throw.
  virtual ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) = 0;
  // Bytes were lost in `dir` (a reassembly gap). The framework drops that direction's buffered
  // tail; the parser resets its per-direction framing state. Return false to give up the flow.
  virtual bool on_gap(Dir dir) = 0;
  // Called while the framework skips the body of a large message or waits for the rest of a
  // message whose announced size (`need`) is beyond the buffer bound, once per new segment (`data` starts where
  // the segment starts): true when those bytes are, beyond reasonable doubt, whole
  // frames of the protocol (e.g. a valid header followed by the structure it announces, and
  // either the end of the data or another valid header). The length was then bogus: the skip or
  // the buffered bytes are abandoned and `data` is parsed. Must be strict (a body that happens to look like a frame
  // costs the rest of that body) and bounded by data.size(). Default: never.
  virtual bool plausible_frames(Dir /*dir*/, std::span<const uint8_t> /*data*/, uint64_t /*max_message*/) {
    return false;
  }
};

// How confident a probe is that a flow's first payload belongs to the protocol.
enum class ProbeVerdict : uint8_t { kNo, kMaybe /* need more bytes */, kYes };

// Transports a protocol runs over (bit set).
enum Transport : uint8_t { kTcp = 1, kUdp = 2 };

// How the framework creates a protocol's per-flow parser in pool memory: `state_size` bytes
// (which may depend on the options, e.g. a table sized by max_pending), constructed in place.
struct ParserFactory {
  std::size_t (*state_size)(const ParserOptions&);
  Parser* (*construct)(void* memory, const ParserEnv&);
};

// The factory of a parser class P constructible from `const ParserEnv&` whose state is the object.
template <class P>
constexpr ParserFactory parser_factory() {
  return ParserFactory{
      [](const ParserOptions&) -> std::size_t { return sizeof(P); },
      [](void* memory, const ParserEnv& env) -> Parser* { return new (memory) P(env); },
  };
}

// A sample of one direction of a conversation, used to seed the fuzzers (tools/fuzz).
struct FuzzSample {
  Dir dir;
  std::string_view bytes;
};

// Static description of one protocol: the single source of truth for it. One of these per
// protocol, listed in protocols/registry.cpp; ids, names, conf validation, port hints, metric
// labels and fuzz targets all come from the registry.
struct ProtocolDescriptor {
  std::string_view name;  // flow log `protocol`, metric label, conf name
  uint8_t transports;     // Transport bits
  // Hyperscan patterns (PCRE syntax, matched against the start of the flow's first payload in
  // either direction). A match makes the protocol a candidate; probe() decides.
  std::span<const std::string_view> signatures;
  // Default server ports (port hints; protocols.port_hints in the conf replaces them).
  std::span<const uint16_t> default_ports;
  // Strict check of the first bytes seen in `dir`.
  ProbeVerdict (*probe)(Dir dir, std::span<const uint8_t> data);
  ParserFactory factory;
  // A short valid conversation (in order) for the fuzz corpus.
  std::span<const FuzzSample> fuzz_samples;
  // Largest message accepted when protocols.max_message_size does not name the protocol; larger
  // declared lengths are garbage (resync), not skipped. Set from what servers accept by default.
  uint64_t default_max_message = 64ull << 20;
};

}  // namespace l7tap
