// classify_request_head: what the /metrics listener makes of the bytes a client has sent so far.
#include "control/http_request_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace l7tap {
namespace {

constexpr std::size_t kMax = 8192;

HeadVerdict classify(const std::string& s, std::size_t max = kMax) { return classify_request_head(s, max); }

TEST(HttpRequestHead, ScrapeHeads) {
  EXPECT_EQ(classify("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nAccept: text/plain\r\n\r\n"),
            HeadVerdict::kScrape);
  EXPECT_EQ(classify("GET /metrics HTTP/1.0\r\n\r\n"), HeadVerdict::kScrape);
  EXPECT_EQ(classify("GET /metrics?name[]=up HTTP/1.1\n\n"), HeadVerdict::kScrape);  // bare LF
  EXPECT_EQ(classify("\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n"), HeadVerdict::kScrape);  // leading empty lines
  EXPECT_EQ(classify("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1"), HeadVerdict::kScrape);
}

// Every proper prefix of a valid head asks for more bytes; the whole head is a scrape.
TEST(HttpRequestHead, EveryPrefixOfAValidHeadIsIncomplete) {
  const std::string head =
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nUser-Agent: Prometheus/2.45.0\r\n"
      "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n\r\n";
  for (std::size_t n = 0; n < head.size(); ++n)
    EXPECT_EQ(classify(head.substr(0, n)), HeadVerdict::kIncomplete) << "prefix of " << n << " bytes";
  EXPECT_EQ(classify(head), HeadVerdict::kScrape);
}

TEST(HttpRequestHead, GarbageIsABadRequestAsSoonAsItShows) {
  // No newline needed to tell: a TLS ClientHello, NUL bytes, a method with a non-token byte.
  EXPECT_EQ(classify(std::string("\x16\x03\x01\x02\x00", 5)), HeadVerdict::kBadRequest);
  EXPECT_EQ(classify(std::string("GET /metrics\0", 13)), HeadVerdict::kBadRequest);
  EXPECT_EQ(classify("G@T /metrics"), HeadVerdict::kBadRequest);
  EXPECT_EQ(classify("GET /met\x7frics"), HeadVerdict::kBadRequest);
  // Complete request lines that are not HTTP/1.x.
  for (const char* line : {"GET\r\n", "GET /metrics\r\n", "GET  /metrics HTTP/1.1\r\n", "GET /metrics  HTTP/1.1\r\n",
                           "GET /metrics HTTP/1.1 \r\n", "GET /metrics FTP/1.0\r\n", "GET /metrics HTTP/2.0\r\n",
                           "PRI * HTTP/2.0\r\n", "GET /metrics HTTP/1.\r\n", "GET /metrics HTTP/1.1x\r\n",
                           " GET /metrics HTTP/1.1\r\n", "\r\r\n"})
    EXPECT_EQ(classify(line), HeadVerdict::kBadRequest) << line;
}

TEST(HttpRequestHead, OtherPathsAndMethods) {
  for (const char* line : {"GET / HTTP/1.1\r\n", "GET /metricsx HTTP/1.1\r\n", "GET /metrics/ HTTP/1.1\r\n",
                           "GET /Metrics HTTP/1.1\r\n", "GET http://h/metrics HTTP/1.1\r\n",
                           "GET /../../etc/passwd HTTP/1.0\r\n"})
    EXPECT_EQ(classify(line), HeadVerdict::kNotFound) << line;
  for (const char* line : {"POST /metrics HTTP/1.1\r\n", "HEAD /metrics HTTP/1.1\r\n", "get /metrics HTTP/1.1\r\n",
                           "OPTIONS * HTTP/1.1\r\n"})
    EXPECT_EQ(classify(line), HeadVerdict::kMethodNotAllowed) << line;
}

TEST(HttpRequestHead, NoEndOfHeadWithinTheLimitIsTooLarge) {
  const std::string start = "GET /metrics HTTP/1.1\r\nX-Pad: ";
  EXPECT_EQ(classify(start + std::string(100, 'a'), 64), HeadVerdict::kTooLarge);
  EXPECT_EQ(classify(start + std::string(20, 'a'), 64), HeadVerdict::kIncomplete);
  EXPECT_EQ(classify("GET /" + std::string(100, 'a'), 64), HeadVerdict::kTooLarge);  // request line alone
  std::string blank_lines;
  for (int i = 0; i < 32; ++i) blank_lines += "\r\n";
  EXPECT_EQ(classify(blank_lines, 64), HeadVerdict::kTooLarge);
  EXPECT_EQ(classify(blank_lines.substr(0, 62), 64), HeadVerdict::kIncomplete);
  // A head of exactly the limit is fine.
  const std::string head = "GET /metrics HTTP/1.1\r\n\r\n";
  EXPECT_EQ(classify(head, head.size()), HeadVerdict::kScrape);
}

TEST(HttpRequestHead, AcceptsGzip) {
  const std::string line = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  EXPECT_TRUE(accepts_gzip(line + "Accept-Encoding: gzip\r\n\r\n"));  // what Prometheus sends
  EXPECT_TRUE(accepts_gzip(line + "accept-encoding: deflate, GZIP;q=0.5\r\n\r\n"));
  EXPECT_TRUE(accepts_gzip(line + "Accept-Encoding: br\r\nAccept-Encoding: x-gzip\r\n\r\n"));
  EXPECT_TRUE(accepts_gzip(line + "Accept-Encoding: *\r\n\r\n"));
  EXPECT_TRUE(accepts_gzip("GET /metrics HTTP/1.0\nAccept-Encoding:gzip\n\n"));
  EXPECT_FALSE(accepts_gzip(line + "\r\n"));
  EXPECT_FALSE(accepts_gzip(line + "Accept-Encoding: identity\r\n\r\n"));
  EXPECT_FALSE(accepts_gzip(line + "Accept-Encoding: gzip;q=0\r\n\r\n"));
  EXPECT_FALSE(accepts_gzip(line + "Accept-Encoding: gzip; q=0.000, identity\r\n\r\n"));
  EXPECT_FALSE(accepts_gzip(line + "Accept-Encoding: *, gzip;q=0\r\n\r\n"));
  EXPECT_FALSE(accepts_gzip(line + "Accept-Encoding: gzipx\r\n\r\n"));
  EXPECT_FALSE(accepts_gzip(line + "X-Accept-Encoding: gzip\r\n\r\n"));
  EXPECT_FALSE(accepts_gzip("GET /metrics?Accept-Encoding:gzip HTTP/1.1\r\n\r\n"));  // not a header
}

TEST(HttpRequestHead, StatusCodes) {
  EXPECT_EQ(status_code(HeadVerdict::kScrape), 200);
  EXPECT_EQ(status_code(HeadVerdict::kBadRequest), 400);
  EXPECT_EQ(status_code(HeadVerdict::kNotFound), 404);
  EXPECT_EQ(status_code(HeadVerdict::kMethodNotAllowed), 405);
  EXPECT_EQ(status_code(HeadVerdict::kTooLarge), 431);
}

}  // namespace
}  // namespace l7tap
