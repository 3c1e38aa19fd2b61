// JSON string bodies as protocols carry them in their text headers (NATS INFO/CONNECT, RocketMQ's
// JSON command headers): unescaping into a caller's fixed buffer, no allocation, never more than
// the buffer holds. RFC 8259 section 7: \" \\ \/ \b \f \n \r \t and \uXXXX, UTF-16 surrogate pairs
// combined; a lone surrogate becomes U+FFFD, a \u without four hex digits '?'; an unknown escape
// stands for its character.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace l7tap {

// Unescapes the body of a JSON string (without its quotes) into `out`; returns the bytes written.
// Stops when `out` is full and never writes a partial UTF-8 character.
std::size_t unescape_json(std::string_view body, std::span<char> out);

}  // namespace l7tap
