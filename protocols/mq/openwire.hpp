// OpenWire, ActiveMQ's native protocol (https://activemq.apache.org/openwire-version-2-specification,
// activemq-client org/apache/activemq/openwire). Each side first sends a WireFormatInfo (always in
// the default format: 4-byte size prefix, loose encoding, no cache); from then on both use the
// negotiated format: version = min of the two, tight encoding / marshalling cache / size prefix
// disabled / stack traces only when both ask for them (OpenWireFormat.renegotiateWireFormat).
// A command is [size][type byte][fields]; tight encoding puts every boolean of the command (null
// flags, string/long encodings, bool fields) in a boolean-stream prefix, loose encoding writes them
// inline. Fields are walked from tables generated from the marshallers (openwire_commands.cpp).
//
// Records (../shared/spec/mq-protocols.md, "OpenWire"):
//  - request_type = command name; version = negotiated wire format version (a WireFormatInfo reports
//    its own); request_id = command_id; request_resource = endpoint = destination physical name;
//    request_domain = BrokerInfo.brokerURL; x_request_id = a message's JMSCorrelationID; trace
//    context from the message properties (primitive map) through apply_trace_header.
//  - A command with responseRequired waits for the Response / ExceptionResponse / DataResponse /
//    DataArrayResponse / IntegerResponse whose correlationId is its command_id; ExceptionResponse
//    is a server error with the exception message. KeepAliveInfo asking for an answer pairs with the
//    peer's next KeepAliveInfo. Everything else is one-way.
//  - MessageDispatch reports the dispatched message (its command_id, JMS correlation id, properties).
//  - Unknown command types are named "Unknown(N)" and skipped by their size prefix; without a size
//    prefix such a command cannot be framed and the direction stops (a parse error).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/core/fixed_string.hpp"
#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kOpenWireDescriptor;

namespace openwire {

// The encoding one direction is decoded with.
struct Format {
  uint32_t version = 1;
  bool tight = false;
  bool cache = false;
  bool stack_trace = false;
  bool size_prefix_disabled = false;
  // Only what the ActiveMQ marshallers write: booleans 0 or 1, a boolean stream exactly as long as
  // its bits need with zero padding. For recognising OpenWire in unknown bytes (probe, guessing an
  // encoding, resync), not for decoding a known stream.
  bool strict = false;
};

// What a WireFormatInfo asks for (its marshalled properties).
struct WireFormatPrefs {
  uint32_t version = 0;
  bool tight = false;
  bool cache = false;
  bool stack_trace = false;
  bool size_prefix_disabled = false;
};

// The unmarshall cache of one direction, reduced to what we report: the physical names of cached
// destinations, by cache index. A small table (a connection uses few destinations; the oldest entry
// goes when it is full) keeps the parser within a 2 KiB pool block per flow; a name longer than the
// slot is reported truncated when it comes from the cache.
class DestinationCache {
 public:
  static constexpr std::size_t kSlots = 8;
  void put(uint16_t index, std::string_view name);
  void erase(uint16_t index);
  // Empty when the index holds no destination we know.
  std::string_view get(uint16_t index) const;
  void clear() { used_ = 0; }

 private:
  struct Slot {
    uint16_t index;
    FixedString<98> name;
  };
  std::array<Slot, kSlots> slots_;
  uint8_t used_ = 0;
  uint8_t next_ = 0;  // round-robin victim when full
};

// Caps on what is reported of a JMS correlation id and an exception message (bytes).
constexpr std::size_t kMaxJmsCorrelationId = 128;
constexpr std::size_t kMaxException = 256;

// Fields decoded from one data structure (the command, or the message a MessageDispatch carries).
// Views point into the parsed bytes, which outlive the record; the destination is a copy, as it
// may come from the cache, which the rest of the command can change.
struct Found {
  int64_t command_id = -1;
  bool response_required = false;
  int64_t correlation_id = -1;
  bool has_destination = false;
  FixedString<256> destination;
  std::string_view jms_correlation_id;  // at most kMaxJmsCorrelationId bytes
  std::span<const uint8_t> properties;  // marshalled primitive map
  std::string_view broker_url;
  bool has_exception = false;
  std::string_view exception;  // at most kMaxException bytes
  int64_t wire_version = -1;
  bool magic_ok = false;
};

struct Command {
  uint8_t type = 0;
  Found top;
  Found inner;  // MessageDispatch.message
  bool has_inner = false;
};

enum class Walk : uint8_t { kOk, kShort /* ran out of bytes */, kBad /* malformed */ };

// Decodes one command body (type byte and fields, without the size prefix) with format `f`.
// `used` = bytes the command took (kOk). The destination cache is updated as the command is read.
Walk decode_command(std::span<const uint8_t> body, const Format& f, DestinationCache* cache, Command& out,
                    std::size_t& used);

// Reads a WireFormatInfo's marshalled properties.
void read_wire_prefs(std::span<const uint8_t> props, WireFormatPrefs& p);

// Calls fn(key, value) for every string property of a marshalled primitive map (top level; other
// values are walked over); stops at the first malformed entry. Returns false when malformed.
bool for_each_string_property(std::span<const uint8_t> map,
                              void (*fn)(void* arg, std::string_view key, std::string_view value), void* arg);

ProbeVerdict probe(Dir dir, std::span<const uint8_t> data);

}  // namespace openwire

class OpenWireParser final : public Parser {
 public:
  explicit OpenWireParser(const ParserEnv&) {}
  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override;
  bool on_gap(Dir dir) override;
  bool plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) override;

 private:
  // The format `dir`'s sender writes with now.
  openwire::Format format(Dir dir) const;
  // Decodes a size-prefixed command body, guessing the format when no negotiation was seen.
  openwire::Walk decode_framed(Dir dir, openwire::Format f, std::span<const uint8_t> body, openwire::Command& cmd);
  void emit(Dir dir, const openwire::Command& cmd, uint32_t size, ParseContext& ctx);

  std::array<openwire::WireFormatPrefs, 2> prefs_{};
  std::array<bool, 2> has_prefs_{};
  // Neither WireFormatInfo seen (flow picked up mid-stream): the format is guessed per direction
  // from the first command that decodes exactly, then kept.
  std::array<bool, 2> guessed_{};
  std::array<openwire::Format, 2> guess_{};
  std::array<openwire::DestinationCache, 2> cache_;
  // After a gap: look for the next command boundary first.
  std::array<bool, 2> resync_{};
  // KeepAliveInfos asking for an answer, per sender: the peer's next KeepAliveInfo answers one.
  std::array<uint32_t, 2> keepalive_asked_{};
  uint32_t bad_streak_ = 0;
};

}  // namespace l7tap
