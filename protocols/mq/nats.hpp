// NATS client protocol (https://docs.nats.io/reference/reference-protocols/nats-protocol): a text
// protocol of CRLF-terminated control lines (INFO, CONNECT, PUB, HPUB, SUB, UNSUB, MSG, HMSG, PING,
// PONG, +OK, -ERR), some followed by a sized payload and a CRLF.
//
// Records (../shared/spec/mq-protocols.md, "NATS"):
//  - INFO (server) is a request answered by the client's CONNECT; PING is a request answered by the
//    peer's PONG (either side may ping). A newer request of the same kind from the same side
//    replaces an unanswered older one for pairing: the answer pairs with the newest (see nats.cpp).
//  - Every other message is one-way (a session record on its own).
//  - version / request_domain come from the INFO JSON ("version", "server_name") and are copied to
//    every later message of the flow; request_resource = subject, endpoint = subject up to the
//    first '.'; NATS headers of HPUB/HMSG go through apply_trace_header.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/core/fixed_string.hpp"
#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kNatsDescriptor;

namespace nats {

enum class Verb : uint8_t { kInfo, kConnect, kPub, kHpub, kSub, kUnsub, kMsg, kHmsg, kPing, kPong, kOk, kErr };

// request_type as written in the flow log ("+OK" → "OK", "-ERR" → "ERR").
std::string_view verb_name(Verb v);

// One message's framing, decoded from its control line. Views point into the parsed bytes.
struct Frame {
  Verb verb = Verb::kPing;
  uint32_t line_len = 0;     // control line including its CRLF (or bare LF)
  uint64_t payload_len = 0;  // bytes after the control line before the closing CRLF (H*: headers+body)
  uint64_t header_len = 0;   // HPUB/HMSG: header block size, part of payload_len
  uint64_t total = 0;        // whole message: line_len, plus payload_len + 2 when it has a payload
  std::string_view args;     // control-line arguments, trimmed, without the line terminator
  std::string_view subject;  // PUB/HPUB/SUB/MSG/HMSG
  bool has_payload = false;
};

enum class Scan : uint8_t { kNeedMore, kBad, kFrame };

// Decodes the control line at the start of `data` (does not look at the payload).
Scan scan_frame(std::span<const uint8_t> data, Frame& f);

// Looks up the top-level JSON string member `key` of `json` and writes its unescaped value
// (truncated to `out.size()`); returns the value's length in `out`, or -1 when absent/not a string.
int json_string_field(std::string_view json, std::string_view key, std::span<char> out);

ProbeVerdict probe(Dir dir, std::span<const uint8_t> data);

}  // namespace nats

class NatsParser final : public Parser {
 public:
  explicit NatsParser(const ParserEnv&) {}
  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override;
  bool on_gap(Dir dir) override;
  bool plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) override;

 private:
  // Fills msg_ for `f` (payload bytes available in `avail`, possibly a prefix) and emits it.
  void emit(Dir dir, const nats::Frame& f, std::span<const uint8_t> avail, ParseContext& ctx);
  void apply_headers(std::span<const uint8_t> block, const ParserOptions* options, L7Fields& fields);
  void learn_info(std::string_view json);

  FixedString<FieldCaps::cap(Field::kVersion)> version_;
  FixedString<FieldCaps::cap(Field::kRequestDomain)> server_name_;
  // Per direction: sequence numbers of the INFOs / PINGs sent, so that the answer pairs with the
  // newest one (id = sender's latest sequence number).
  std::array<uint64_t, 2> info_seq_{};
  // After a gap or error: skip lines until one starts with a NATS verb.
  std::array<bool, 2> resync_{};
  // After a refused length: drop the rest of that control line first.
  std::array<bool, 2> drop_line_{};
  // Consecutive errors without a message in between; the flow is given up past a bound.
  uint32_t bad_streak_ = 0;
  bool give_up_ = false;
};

}  // namespace l7tap
