// trace_context: W3C traceparent, SkyWalking sw8 and configured header names.
// The sw8 values below were built with Python's base64 module (standard alphabet) from
// our own ids, e.g. base64.b64encode(b"order-svc") == b"b3JkZXItc3Zj".
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocols/core/trace_context.hpp"

namespace l7tap {
namespace {

constexpr std::string_view kTp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr std::string_view kTpTrace = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kTpSpan = "b7ad6b7169203331";
constexpr std::string_view kTp2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

// "5f1c2b3a4d5e6f708192a3b4c5d6e7f8.42.17000000000000001" (trace id) and "...0000" (segment id).
constexpr std::string_view kSwTrace = "5f1c2b3a4d5e6f708192a3b4c5d6e7f8.42.17000000000000001";
constexpr std::string_view kSwSegment = "5f1c2b3a4d5e6f708192a3b4c5d6e7f8.42.17000000000000000";
constexpr std::string_view kSwTraceB64 = "NWYxYzJiM2E0ZDVlNmY3MDgxOTJhM2I0YzVkNmU3ZjguNDIuMTcwMDAwMDAwMDAwMDAwMDE=";
constexpr std::string_view kSwSegmentB64 = "NWYxYzJiM2E0ZDVlNmY3MDgxOTJhM2I0YzVkNmU3ZjguNDIuMTcwMDAwMDAwMDAwMDAwMDA=";
// sample-trace-segment-span-parentService-parentInstance-parentEndpoint-peer
// ("order-svc", "inst-1@10.0.0.5", "/api/orders", "10.0.0.9:8080").
const std::string kSw8 = "1-" + std::string(kSwTraceB64) + "-" + std::string(kSwSegmentB64) +
                         "-3-b3JkZXItc3Zj-aW5zdC0xQDEwLjAuMC41-L2FwaS9vcmRlcnM=-MTAuMC4wLjk6ODA4MA==";

TEST(TraceContext, TraceparentValid) {
  std::string_view t, s;
  ASSERT_TRUE(parse_traceparent(kTp, t, s));
  EXPECT_EQ(t, kTpTrace);
  EXPECT_EQ(s, kTpSpan);
  const std::string padded = "  " + std::string(kTp) + " \r";
  ASSERT_TRUE(parse_traceparent(padded, t, s));
  EXPECT_EQ(t, kTpTrace);
  // A later version may append fields after the flags.
  ASSERT_TRUE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future", t, s));
  EXPECT_EQ(s, kTpSpan);

  L7Fields f;
  EXPECT_TRUE(apply_trace_header("TraceParent", kTp, nullptr, f));
  EXPECT_EQ(f.get(Field::kTraceId), kTpTrace);
  EXPECT_EQ(f.get(Field::kSpanId), kTpSpan);
}

TEST(TraceContext, TraceparentInvalid) {
  const std::string_view bad[] = {
      "",
      "00",
      "garbage",
      "a-b-c",
      "x-y-z-w",
      "00-abc-def-01",                                                    // wrong lengths
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",             // no flags
      "00-0af7651916cd43dd8448eb211c80319z-b7ad6b7169203331-01",          // not hex
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01",          // not hex
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",          // all-zero trace id
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",          // all-zero parent id
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",          // reserved version
      "00-0af7651916cd43dd8448eb211c80319c0-b7ad6b7169203331-01",         // 33 digits
      "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",          // wrong separators
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",         // junk after flags
  };
  for (std::string_view v : bad) {
    std::string_view t, s;
    EXPECT_FALSE(parse_traceparent(v, t, s)) << v;
    L7Fields f;
    EXPECT_FALSE(apply_trace_header("traceparent", v, nullptr, f)) << v;
    EXPECT_TRUE(f.get(Field::kTraceId).empty()) << v;
    EXPECT_TRUE(f.get(Field::kSpanId).empty()) << v;
  }
}

TEST(TraceContext, Sw8Decoded) {
  L7Fields f;
  ASSERT_TRUE(parse_sw8(kSw8, f));
  EXPECT_EQ(f.get(Field::kTraceId), kSwTrace);
  EXPECT_EQ(f.get(Field::kSpanId), std::string(kSwSegment) + "-3");

  L7Fields g;
  EXPECT_TRUE(apply_trace_header("SW8", kSw8, nullptr, g));
  EXPECT_EQ(g.get(Field::kTraceId), kSwTrace);
  EXPECT_EQ(g.get(Field::kSpanId), std::string(kSwSegment) + "-3");

  // Only the first four fields are required; padding is optional.
  L7Fields h;
  ASSERT_TRUE(parse_sw8("0-YWJjZA-YWI=-12", h));
  EXPECT_EQ(h.get(Field::kTraceId), "abcd");
  EXPECT_EQ(h.get(Field::kSpanId), "ab-12");
}

TEST(TraceContext, Sw8Invalid) {
  const std::string_view bad[] = {
      "",
      "1",
      "1-YWJjZA==",
      "1-YWJjZA==-YWI=",        // no span id
      "1-YWJjZA==-YWI=-",       // empty span id
      "1-!!!!-YWI=-3",          // not base64
      "1--YWI=-3",              // empty trace id
      "1-YWJjZA==--3",          // empty segment id
  };
  for (std::string_view v : bad) {
    L7Fields f;
    EXPECT_FALSE(apply_trace_header("sw8", v, nullptr, f)) << v;
    EXPECT_TRUE(f.get(Field::kTraceId).empty()) << v;
  }
  // A decoded id longer than the field cap is rejected rather than written past the buffer.
  std::string long_b64(400, 'Q');
  L7Fields f;
  EXPECT_FALSE(parse_sw8("1-" + long_b64 + "-YWI=-3", f));
  EXPECT_TRUE(f.get(Field::kTraceId).empty());
}

TEST(TraceContext, TraceparentWinsOverSw8InEitherOrder) {
  L7Fields a;
  EXPECT_TRUE(apply_trace_header("sw8", kSw8, nullptr, a));
  EXPECT_TRUE(apply_trace_header("traceparent", kTp, nullptr, a));
  EXPECT_EQ(a.get(Field::kTraceId), kTpTrace);
  EXPECT_EQ(a.get(Field::kSpanId), kTpSpan);

  L7Fields b;
  EXPECT_TRUE(apply_trace_header("traceparent", kTp, nullptr, b));
  EXPECT_FALSE(apply_trace_header("sw8", kSw8, nullptr, b));
  EXPECT_EQ(b.get(Field::kTraceId), kTpTrace);
  EXPECT_EQ(b.get(Field::kSpanId), kTpSpan);
}

TEST(TraceContext, FirstValueWins) {
  L7Fields a;
  EXPECT_TRUE(apply_trace_header("traceparent", kTp, nullptr, a));
  EXPECT_FALSE(apply_trace_header("traceparent", kTp2, nullptr, a));
  EXPECT_EQ(a.get(Field::kTraceId), kTpTrace);
  EXPECT_EQ(a.get(Field::kSpanId), kTpSpan);

  L7Fields b;
  EXPECT_TRUE(apply_trace_header("sw8", kSw8, nullptr, b));
  EXPECT_FALSE(apply_trace_header("sw8", "1-YWJjZA==-YWI=-5", nullptr, b));
  EXPECT_EQ(b.get(Field::kTraceId), kSwTrace);

  // An invalid first value does not block a valid later one.
  L7Fields c;
  EXPECT_FALSE(apply_trace_header("traceparent", "junk", nullptr, c));
  EXPECT_TRUE(apply_trace_header("traceparent", kTp2, nullptr, c));
  EXPECT_EQ(c.get(Field::kTraceId), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TraceContext, ConfiguredHeaderNames) {
  const std::string_view trace_names[] = {"x-b3-traceid", "uber-trace-id"};
  const std::string_view span_names[] = {"x-b3-spanid"};
  const std::string_view xrid_names[] = {"x-request-id", "x-correlation-id"};
  ParserOptions o;
  o.trace_id_headers = trace_names;
  o.span_id_headers = span_names;
  o.x_request_id_headers = xrid_names;

  L7Fields f;
  EXPECT_TRUE(apply_trace_header("X-B3-TraceId", " 463ac35c9f6413ad ", &o, f));
  EXPECT_TRUE(apply_trace_header("x-b3-spanid", "a2fb4a1d1a96d312", &o, f));
  EXPECT_TRUE(apply_trace_header("X-REQUEST-ID", "req-1", &o, f));
  EXPECT_FALSE(apply_trace_header("x-other", "zzz", &o, f));
  EXPECT_EQ(f.get(Field::kTraceId), "463ac35c9f6413ad");
  EXPECT_EQ(f.get(Field::kSpanId), "a2fb4a1d1a96d312");
  EXPECT_EQ(f.get(Field::kXRequestId), "req-1");
  // First value wins, also across different configured names.
  EXPECT_FALSE(apply_trace_header("uber-trace-id", "other", &o, f));
  EXPECT_FALSE(apply_trace_header("x-correlation-id", "req-2", &o, f));
  EXPECT_FALSE(apply_trace_header("x-request-id", "req-3", &o, f));
  EXPECT_EQ(f.get(Field::kTraceId), "463ac35c9f6413ad");
  EXPECT_EQ(f.get(Field::kXRequestId), "req-1");
  // sw8 does not replace a configured trace id, nor does traceparent.
  EXPECT_FALSE(apply_trace_header("sw8", kSw8, &o, f));
  EXPECT_FALSE(apply_trace_header("traceparent", kTp, &o, f));
  EXPECT_EQ(f.get(Field::kTraceId), "463ac35c9f6413ad");
  EXPECT_EQ(f.get(Field::kSpanId), "a2fb4a1d1a96d312");
  // Without options, configured names mean nothing.
  L7Fields g;
  EXPECT_FALSE(apply_trace_header("x-request-id", "req-1", nullptr, g));
  EXPECT_TRUE(g.get(Field::kXRequestId).empty());
  // A name listed for both trace and span id fills both.
  const std::string_view both[] = {"x-trace"};
  ParserOptions o2;
  o2.trace_id_headers = both;
  o2.span_id_headers = both;
  L7Fields h;
  EXPECT_TRUE(apply_trace_header("x-trace", "v", &o2, h));
  EXPECT_EQ(h.get(Field::kTraceId), "v");
  EXPECT_EQ(h.get(Field::kSpanId), "v");
}

TEST(TraceContext, ValuesAreTruncatedToTheCaps) {
  const std::string_view names[] = {"x-request-id"};
  ParserOptions o;
  o.x_request_id_headers = names;
  L7Fields f;
  std::string value;
  for (int i = 0; i < 1000; ++i) value += static_cast<char>('a' + i % 26);
  EXPECT_TRUE(apply_trace_header("x-request-id", value, &o, f));
  EXPECT_EQ(f.get(Field::kXRequestId), value.substr(0, FieldCaps::cap(Field::kXRequestId)));
}

}  // namespace
}  // namespace l7tap
