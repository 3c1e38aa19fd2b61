// ZMTP 3.0 / 3.1 (ZeroMQ) bytes, written from the specifications: rfc.zeromq.org spec 23 (ZMTP
// 3.0), 37 (ZMTP 3.1: SUBSCRIBE, CANCEL, PING, PONG commands) and 24 (ZMTP-PLAIN: HELLO, WELCOME,
// INITIATE).
//
// A greeting is 64 bytes: signature (0xFF, 8 padding bytes, 0x7F), version major.minor, the
// mechanism name NUL-padded to 20 bytes, as-server, 31 bytes of filler. Peers write it in pieces
// (10 bytes, then 1, then the rest: how they detect older peers), so greeting() writes any byte
// range of it. Frames: flags (MORE 0x01, LONG 0x02, COMMAND 0x04), a 1-byte size up to 255 bytes
// and an 8-byte network-order size above, the body. Each other function appends one frame.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::zmtp {

inline constexpr std::size_t kGreetingSize = 64;

struct Greeting {
  uint8_t major = 3;
  uint8_t minor = 1;
  std::string_view mechanism = "NULL";
  bool as_server = false;
};
// Bytes [begin, end) of the greeting.
void greeting(Writer& w, const Greeting& g, std::size_t begin = 0, std::size_t end = kGreetingSize);

// A frame header for a body of `size` bytes.
void frame_header(Writer& w, bool more, bool command, uint64_t size);
// A message frame.
void message(Writer& w, bool more, std::span<const uint8_t> body);

struct Property {
  std::string_view name{};
  std::string_view value{};
};
// READY with metadata (Socket-Type first, as libzmq writes it, then `more`).
void ready(Writer& w, std::string_view socket_type, std::span<const Property> more = {});
// ERROR with its reason. `libzmq_spelling`: libzmq (up to 4.3) writes the name as "\x5eRROR" (its
// C literal "\x05ERROR" reads as the hex escape \x05E), one byte shorter.
void error(Writer& w, std::string_view reason, bool libzmq_spelling);
// PLAIN: HELLO username password, WELCOME, INITIATE metadata.
void hello(Writer& w, std::string_view username, std::string_view password);
void welcome(Writer& w);
void initiate(Writer& w, std::string_view socket_type, std::span<const Property> more = {});
// ZMTP 3.1 subscriptions and heartbeats.
void subscribe(Writer& w, std::string_view topic);
void cancel(Writer& w, std::string_view topic);
void ping(Writer& w, uint16_t ttl_deciseconds, std::string_view context);
void pong(Writer& w, std::string_view context);
// ZMTP 3.0 subscriptions: a message of 1 (subscribe) or 0 (cancel) and the topic.
void subscription_message(Writer& w, bool subscribe, std::string_view topic);

}  // namespace gen::zmtp
