// ZMTP 3.0 / 3.1, the ZeroMQ message transport protocol (https://rfc.zeromq.org/spec/23/,
// https://rfc.zeromq.org/spec/37/; mechanisms NULL, PLAIN (spec 24) and CURVE (spec 26)).
//
// Each side sends a 64-byte greeting (signature 0xFF, 8 padding bytes, 0x7F; version; 20-byte
// mechanism name; as-server; filler), peers write it in pieces (10 or 11 bytes, then the rest) to
// detect older peers. Then frames: a flags byte (MORE 0x01, LONG 0x02, COMMAND 0x04, the other bits
// zero), a 1-byte (short) or 8-byte network-order (long) size, the body. A command body is a
// name-size byte, the name (READY, ERROR, HELLO, WELCOME, INITIATE, SUBSCRIBE, CANCEL, PING, PONG,
// ...) and its data; READY and INITIATE carry metadata properties (name-size byte, name, 4-byte
// value size, value), among them Socket-Type and Identity.
//
// Records (../shared/spec/mq-protocols.md, "ZMTP"; request_type is the frame type):
//  - "Greeting": one per side, once its 64 bytes are complete; version = major.minor.
//  - "Command": one per command frame (one-way). ERROR carries its reason as response_exception
//    (server_error when the server side sends it, client_error the other way). SUBSCRIBE / CANCEL
//    carry the subscription as request_domain and request_resource.
//  - "Message": when either side's Socket-Type is REQ or REP, each multipart message of the
//    requesting side (REQ, or DEALER talking to REP) is a request answered by the next multipart
//    message of the other side (REP or ROUTER); lengths are the body bytes of the non-empty frames.
//    Every other socket pattern gives one one-way record per frame; empty delimiter frames (MORE
//    set, size 0) are not logged. A SUB/XSUB side's single-frame message starting with 1 or 0 is a
//    ZMTP 3.0 subscription / cancel: the rest is the subscription.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kZmtpDescriptor;

namespace zmtp {

inline constexpr std::size_t kGreetingSize = 64;
inline constexpr std::size_t kMechanismOffset = 12;
inline constexpr std::size_t kMechanismSize = 20;

enum class Mechanism : uint8_t { kUnknown, kNull, kPlain, kCurve, kOther };
enum class SocketType : uint8_t {
  kUnknown, kReq, kRep, kDealer, kRouter, kPub, kSub, kXPub, kXSub, kPush, kPull, kPair, kOther
};

SocketType socket_type_of(std::string_view name);

enum class Scan : uint8_t { kNeedMore, kBad, kOk };

struct Greeting {
  uint8_t major = 0;
  uint8_t minor = 0;
  bool as_server = false;
  Mechanism mechanism = Mechanism::kUnknown;
  std::string_view mechanism_name;  // without the NUL padding; points into the scanned bytes
};

// Checks the greeting bytes present (any prefix): kNeedMore while they are consistent with a
// greeting and fewer than 64, kOk (g filled) with 64 or more.
Scan scan_greeting(std::span<const uint8_t> data, Greeting& g);

struct FrameHeader {
  uint8_t header_len = 0;  // 2 (short) or 9 (long)
  uint64_t body_len = 0;
  bool more = false;
  bool command = false;
  bool long_size = false;
};

// Decodes the frame header at the start of `data` (flags and size).
Scan scan_frame_header(std::span<const uint8_t> data, FrameHeader& h);

struct Command {
  std::string_view name;
  std::span<const uint8_t> data;  // what follows the name (as far as `body` reaches)
};

// Splits a command body (or the prefix of one whose declared size is `body_len`) into name and
// data. False when the name is not 1..255 letters within the declared size. libzmq up to 4.3
// writes ERROR as "\x5eRROR" (its C literal "\x05ERROR" reads as the hex escape \x05E): accepted as
// ERROR.
bool decode_command(std::span<const uint8_t> body, uint64_t body_len, Command& c);

ProbeVerdict probe(Dir dir, std::span<const uint8_t> data);

}  // namespace zmtp

class ZmtpParser final : public Parser {
 public:
  explicit ZmtpParser(const ParserEnv&) {}
  ParseResult parse(Dir dir, std::span<const uint8_t> data, ParseContext& ctx) override;
  bool on_gap(Dir dir) override;
  bool plausible_frames(Dir dir, std::span<const uint8_t> data, uint64_t max_message) override;

 private:
  struct Side {
    bool started = false;  // any byte seen in this direction
    bool greeted = false;  // past the greeting (or picked up mid-stream): frames follow
    bool resync = false;   // after a gap or an error: wait for a segment of whole frames
    uint8_t major = 0;
    uint8_t minor = 0;
    zmtp::Mechanism mechanism = zmtp::Mechanism::kUnknown;
    zmtp::SocketType socket = zmtp::SocketType::kUnknown;
    // The multipart message being received (REQ/REP aggregation and delimiter tracking).
    bool in_message = false;  // the previous frame had MORE set
    bool part_has_body = false;
    uint64_t part_bytes = 0;
  };

  void emit_greeting(Dir dir, const zmtp::Greeting& g, ParseContext& ctx);
  // `body` is the whole body or, for a frame too large to buffer, its prefix.
  void on_frame(Dir dir, const zmtp::FrameHeader& h, std::span<const uint8_t> body, ParseContext& ctx);
  void on_command(Dir dir, const zmtp::FrameHeader& h, const zmtp::Command& c, ParseContext& ctx);
  void on_message_frame(Dir dir, const zmtp::FrameHeader& h, std::span<const uint8_t> body, ParseContext& ctx);
  void read_metadata(Dir dir, std::span<const uint8_t> data, const ParserOptions* options, L7Fields& fields);
  // The version both sides speak ("3.0" / "3.1"), from the greetings seen.
  void set_version(L7Fields& f) const;
  // 1: `dir` sends requests, -1: it sends replies, 0: not a REQ/REP conversation (yet).
  int reqrep_role(Dir dir) const;

  std::array<Side, 2> side_{};
  // Consecutive errors without a frame in between; the flow is given up past a bound.
  uint32_t bad_streak_ = 0;
};

}  // namespace l7tap
