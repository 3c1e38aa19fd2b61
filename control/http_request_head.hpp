// The one request the /metrics listener serves, judged from the bytes a client has sent so far:
// "GET /metrics[?...] HTTP/1.x" and its headers up to the empty line. Everything else is answered
// with an error as soon as the request line shows it, so garbage never waits for a timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace l7tap {

enum class HeadVerdict : uint8_t {
  kIncomplete,        // no end of head yet, and nothing wrong so far: read more
  kScrape,            // a complete head asking for GET /metrics: 200 with the exposition
  kBadRequest,        // 400: not an HTTP/1.x request line (binary garbage, missing parts, HTTP/2)
  kNotFound,          // 404: a path other than /metrics
  kMethodNotAllowed,  // 405: a method other than GET
  kTooLarge,          // 431: `max_bytes` received and still no end of head
};

// `received` is everything read from the connection so far (at most `max_bytes` of it is ever
// kept). Headers are not interpreted: a scrape needs none of them. Leading empty lines are
// skipped (RFC 9112 2.2); lines may end in CRLF or a bare LF.
HeadVerdict classify_request_head(std::string_view received, std::size_t max_bytes);

// Whether a complete head's Accept-Encoding headers admit gzip ("gzip", "x-gzip" or "*", with
// a q-value other than 0), as Prometheus asks for. Header names are case-insensitive.
bool accepts_gzip(std::string_view head);

// The status line's code and reason for a verdict other than kIncomplete (200 for kScrape).
int status_code(HeadVerdict v);

}  // namespace l7tap
