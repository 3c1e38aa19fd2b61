// The l7_flow_log line of a record (../shared/spec/l7-flow-log-schema.md) and the text helpers it
// shares with the RED labels: JSON string escaping, UTF-8 sanitising, IP address text.
//
// The control thread formats every record straight into the flow-log writer's buffer
// (write_record_json): the buffer is reserved for the record's worst case first
// (max_record_json_size), so nothing checks capacity per byte and nothing allocates; numbers go
// through std::to_chars and addresses through our own formatter (no printf, no inet_ntop).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/core/record.hpp"

namespace l7tap {

// Upper bound of the bytes write_record_json() writes for `rec` (every string byte escaped as
// \u00XX, every number at its widest).
std::size_t max_record_json_size(const FlowRecord& rec);
// The largest max_record_json_size() of any record.
std::size_t max_record_json_size();

// How a request id flagged as an integer is written: as a JSON number (the flow log), or as a
// string (the ClickHouse sink: the table's request_id column is a String, and ClickHouse before
// 20.x refuses a JSON number for a String column in JSONEachRow).
enum class RequestIdJson : uint8_t { kNumberWhenInteger, kAlwaysString };

// Writes `rec` as one JSON object followed by '\n' at `out` (room for max_record_json_size(rec)
// bytes) and returns the end. Field order follows the schema table; fields without a value are
// omitted; request ids flagged as integers are written as JSON integers when they are ones
// (unless `ids` says always string).
char* write_record_json(const FlowRecord& rec, char* out, RequestIdJson ids = RequestIdJson::kNumberWhenInteger);

// The same, appended to `out`; returns the bytes appended.
std::size_t format_record_json(const FlowRecord& rec, std::string& out,
                               RequestIdJson ids = RequestIdJson::kNumberWhenInteger);

// Appends `s` as a JSON string literal (quotes included). Control characters are escaped, and
// every byte that is not part of a well-formed UTF-8 sequence is written as \u00XX of the byte,
// so the output is valid JSON and valid UTF-8 whatever the input.
void append_json_string(std::string& out, std::string_view s);

// Appends `s` with every byte that is not part of a well-formed UTF-8 sequence, and every control
// character (C0, DEL), replaced by U+FFFD: Prometheus label values must be valid UTF-8, and one bad
// value would make the server reject the whole scrape.
void append_utf8_sanitized(std::string& out, std::string_view s);

// Text form of a 16-byte address: IPv4-mapped (::ffff:a.b.c.d) as dotted quad, anything else as
// IPv6 text exactly as glibc's inet_ntop writes it (RFC 5952: lower-case hex without leading
// zeros, the first longest run of two or more zero groups as "::"; plus inet_ntop's "::a.b.c.d"
// for IPv4-compatible addresses). Writes into `buf` (no allocation) and returns a view of it.
using IpTextBuffer = std::array<char, 48>;
std::string_view format_ip(const std::array<uint8_t, 16>& addr, IpTextBuffer& buf);

}  // namespace l7tap
