// A small blocking HTTP/1.1 POST client, for the ClickHouse sink (control/clickhouse_sink.hpp).
//
// Why our own and not libcurl: the sink needs one request shape only (POST a body to a plain-HTTP
// host:port, read the status line and a bounded body, close), on its own thread where blocking is
// fine. That is ~150 lines over a socket with poll() timeouts; libcurl would add a build
// dependency and its own configuration surface (proxies from the environment, redirects, TLS
// back-ends) that l7tap must then pin down. No TLS: put ClickHouse behind a local TLS proxy (or
// on a private network) when the link needs encryption.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace l7tap {

// "http://host:port" (an optional trailing "/"). host: a name, an IPv4 address, or [IPv6].
struct HttpEndpoint {
  std::string host;  // without brackets
  uint16_t port = 0;
};
// Returns "" and fills `out`, or the reason the text is not such a URL.
std::string parse_http_url(std::string_view url, HttpEndpoint& out);

struct HttpResult {
  // What happened, as the sink needs to know it for exactly-once delivery:
  //  kNotSent: nothing reached the server (name lookup, connect refused/timed out): a clean
  //            failure, the batch was certainly not inserted.
  //  kUnknown: the request was (partly) sent but no complete answer came (timeout, reset): the
  //            server may or may not have inserted it.
  //  kAnswered: a status line was read (status holds the code).
  enum Outcome { kNotSent, kUnknown, kAnswered } outcome = kNotSent;
  int status = 0;
  std::string body;   // the response body, first 4 KiB (ClickHouse puts its error text there)
  std::string error;  // for kNotSent / kUnknown: what failed
};

// POSTs `body` to http://ep/<target> with the given extra header lines (each "Name: value\r\n").
// The whole request (connect, send, wait for the answer) must be done within `timeout_us`.
HttpResult http_post(const HttpEndpoint& ep, std::string_view target, std::string_view extra_headers,
                     std::string_view body, uint64_t timeout_us);

// Percent-encodes `s` for a URL query value.
std::string url_encode(std::string_view s);
// Standard base64 (RFC 4648 with padding), for Basic authentication.
std::string base64(std::string_view s);

}  // namespace l7tap
