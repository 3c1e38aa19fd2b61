// One trace-context helper for every protocol that carries headers (key/value pairs):
// W3C `traceparent`, SkyWalking `sw8`, and header names configured in the conf.
#pragma once

#include <string_view>

#include "protocols/core/parser.hpp"

namespace l7tap {

// Offers one header to the record. Names compare case-insensitively. Recognised:
//  - traceparent: "00-<trace-id>-<parent-id>-<flags>" → trace_id, span_id
//  - sw8: "<sample>-<b64 trace id>-<b64 segment id>-<span id>-..." → trace_id = decoded trace id,
//    span_id = "<decoded segment id>-<span id>"
//  - names in options.trace_id_headers / span_id_headers / x_request_id_headers → copied verbatim.
// A field already set is kept (the first header wins), except that traceparent replaces a value
// set from sw8 (W3C is preferred when both are present).
// Returns true when the header was used.
bool apply_trace_header(std::string_view name, std::string_view value, const ParserOptions* options,
                        L7Fields& fields);

// Individual decoders, exposed for tests and for protocols that store the context elsewhere.
bool parse_traceparent(std::string_view value, std::string_view& trace_id, std::string_view& span_id);
// Writes into the fixed-size outputs (base64 decoding needs space).
bool parse_sw8(std::string_view value, L7Fields& fields);

}  // namespace l7tap
