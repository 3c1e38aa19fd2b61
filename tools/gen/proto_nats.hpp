// NATS client protocol messages (https://docs.nats.io/reference/reference-protocols/nats-protocol):
// CRLF-terminated control lines, PUB/HPUB/MSG/HMSG followed by their payload and CRLF. HPUB/HMSG
// carry a header block "NATS/1.0\r\n" + "Key: Value\r\n"... + "\r\n" whose size is the first
// number of the control line, the second being headers + payload (ADR-4).
// Each function appends one complete message to a Writer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::nats {

struct Header {
  std::string_view key{};
  std::string_view value{};
};
using Headers = std::span<const Header>;

// INFO {json}: the JSON object text is written as given (the server's INFO fields).
void info(Writer& w, std::string_view json);
// CONNECT {json}
void connect(Writer& w, std::string_view json);
void pub(Writer& w, std::string_view subject, std::string_view reply_to, std::span<const uint8_t> payload);
void hpub(Writer& w, std::string_view subject, std::string_view reply_to, Headers headers,
          std::span<const uint8_t> payload);
void sub(Writer& w, std::string_view subject, std::string_view queue_group, uint32_t sid);
void unsub(Writer& w, uint32_t sid, uint32_t max_msgs = 0);  // 0 = no max
void msg(Writer& w, std::string_view subject, uint32_t sid, std::string_view reply_to, std::span<const uint8_t> payload);
void hmsg(Writer& w, std::string_view subject, uint32_t sid, std::string_view reply_to, Headers headers,
          std::span<const uint8_t> payload);
void ping(Writer& w);
void pong(Writer& w);
void ok(Writer& w);
// -ERR 'text'
void err(Writer& w, std::string_view text);

}  // namespace gen::nats
