// Flow log: JSON formatting of records (schema: ../shared/spec/l7-flow-log-schema.md) and the
// writer's size-based rotation.
#include "control/flow_log_writer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/registry.hpp"
#include "tests/control/test_support.hpp"

namespace l7tap {
namespace {

using test::ip;
using test::TempDir;

FlowRecord minimal_record() {
  FlowRecord r = test::record_between("10.0.0.5", 51234, "10.0.0.9", 1883);
  r.type = RecordType::kRequest;
  r.protocol = protocol_id("mqtt");
  r.start_time_us = 1700000000000000;
  r.end_time_us = 1700000000000001;
  return r;
}

std::string json(const FlowRecord& r) {
  std::string s;
  std::size_t n = format_record_json(r, s);
  EXPECT_EQ(n, s.size());
  return s;
}

std::string json_string(std::string_view v) {
  std::string s;
  append_json_string(s, v);
  return s;
}

// Checks one JSON string literal the way a strict parser would: quotes, escapes (\" \\ \/ \b \f
// \n \r \t \uXXXX), no raw control characters, and well-formed UTF-8 everywhere.
bool valid_json_string_literal(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 1, end = s.size() - 1;
  while (i < end) {
    unsigned char c = p[i];
    if (c < 0x20 || c == '"') return false;
    if (c == '\\') {
      if (i + 1 >= end) return false;
      char e = static_cast<char>(p[i + 1]);
      if (e == 'u') {
        if (i + 6 > end) return false;
        for (std::size_t k = i + 2; k < i + 6; ++k)
          if (!std::isxdigit(p[k])) return false;
        i += 6;
      } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
        i += 2;
      } else {
        return false;
      }
      continue;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Decode the UTF-8 sequence and check its range.
    std::size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > end) return false;
    uint32_t cp = c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

TEST(FlowLogJson, MinimalRecordOmitsEmptyFields) {
  EXPECT_EQ(json(minimal_record()),
            R"({"type":"request","protocol":"mqtt","start_time_us":1700000000000000,)"
            R"("end_time_us":1700000000000001,"client_ip":"10.0.0.5","client_port":51234,)"
            R"("server_ip":"10.0.0.9","server_port":1883,"l4_protocol":"tcp"})"
            "\n");
}

TEST(FlowLogJson, EveryFieldInSchemaOrder) {
  FlowRecord r = minimal_record();
  r.type = RecordType::kSession;
  r.protocol = protocol_id("kafka");
  r.has_rrt = true;
  r.rrt_us = 28415;
  r.net.l4_proto = 17;
  r.net.has_vlan = true;
  r.net.vlan = 100;
  r.net.has_tunnel_id = true;
  r.net.tunnel_id = 4096;
  L7Fields& f = r.l7;
  f.set(Field::kVersion, "7");
  f.set(Field::kRequestType, "Produce");
  f.set(Field::kRequestDomain, "quickstart-events");
  f.set(Field::kRequestResource, "quickstart-events-0:7");
  f.set_request_id(uint64_t{1});
  f.set(Field::kEndpoint, "quickstart-events-0");
  f.set_response_code(-3);
  f.response_status = ResponseStatus::kServerError;
  f.set(Field::kResponseException, "UNKNOWN_TOPIC_OR_PARTITION");
  f.set(Field::kResponseResult, "r");
  f.set(Field::kTraceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  f.set(Field::kSpanId, "00f067aa0ba902b7");
  f.set(Field::kXRequestId, "xr-1");
  f.set(Field::kHttpProxyClient, "192.0.2.1");
  f.set_attribute("group_id", "g1");
  f.set_attribute("rpc_service", "svc");
  f.set_request_length(308);
  f.set_response_length(65);
  EXPECT_EQ(json(r),
            R"({"type":"session","protocol":"kafka","version":"7","request_type":"Produce",)"
            R"("request_domain":"quickstart-events","request_resource":"quickstart-events-0:7",)"
            R"("request_id":1,"endpoint":"quickstart-events-0","response_code":-3,)"
            R"("response_status":"server_error","response_exception":"UNKNOWN_TOPIC_OR_PARTITION",)"
            R"("response_result":"r","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",)"
            R"("span_id":"00f067aa0ba902b7","x_request_id":"xr-1","http_proxy_client":"192.0.2.1",)"
            R"("attributes":{"group_id":"g1","rpc_service":"svc"},"request_length":308,)"
            R"("response_length":65,"rrt_us":28415,"start_time_us":1700000000000000,)"
            R"("end_time_us":1700000000000001,"client_ip":"10.0.0.5","client_port":51234,)"
            R"("server_ip":"10.0.0.9","server_port":1883,"l4_protocol":"udp","vlan":100,)"
            R"("tunnel_id":4096})"
            "\n");
}

TEST(FlowLogJson, ZeroValuesWithFlagsAreWritten) {
  FlowRecord r = minimal_record();
  r.has_rrt = true;  // rrt 0 is a value, not "absent"
  r.l7.set_response_code(0);
  r.l7.set_request_length(0);
  r.l7.response_status = ResponseStatus::kOk;
  std::string s = json(r);
  EXPECT_NE(s.find(R"("response_code":0,"response_status":"ok")"), std::string::npos) << s;
  EXPECT_NE(s.find(R"("request_length":0,"rrt_us":0,)"), std::string::npos) << s;
  EXPECT_EQ(s.find("response_length"), std::string::npos) << s;
}

TEST(FlowLogJson, RequestIdIntegerOrString) {
  FlowRecord r = minimal_record();
  r.l7.set_request_id(uint64_t{18446744073709551615u});
  EXPECT_NE(json(r).find(R"("request_id":18446744073709551615,)"), std::string::npos);
  r.l7.set_request_id(std::string_view("0x1f"));
  EXPECT_NE(json(r).find(R"("request_id":"0x1f",)"), std::string::npos);
  r.l7.set_request_id(std::string_view("42"));  // digits, but the parser said string
  EXPECT_NE(json(r).find(R"("request_id":"42",)"), std::string::npos);
  // Flagged as integer but not a JSON integer: written as a string, never as invalid JSON.
  r.l7.set_request_id_raw("007", true);
  EXPECT_NE(json(r).find(R"("request_id":"007",)"), std::string::npos);
  r.l7.set_request_id_raw("12ab", true);
  EXPECT_NE(json(r).find(R"("request_id":"12ab",)"), std::string::npos);
  r.l7.set_request_id_raw("-5", true);
  EXPECT_NE(json(r).find(R"("request_id":-5,)"), std::string::npos);
}

TEST(FlowLogJson, Addresses) {
  FlowRecord r = minimal_record();
  r.net.is_ipv6 = true;
  r.net.client_ip = ip("2001:db8::1");
  r.net.server_ip = ip("fe80::1:2");
  std::string s = json(r);
  EXPECT_NE(s.find(R"("client_ip":"2001:db8::1","client_port":51234,"server_ip":"fe80::1:2",)"),
            std::string::npos)
      << s;
  IpTextBuffer b;
  EXPECT_EQ(format_ip(ip("255.255.255.255"), b), "255.255.255.255");
  EXPECT_EQ(format_ip(ip("::"), b), "::");
  EXPECT_EQ(format_ip(ip("::1"), b), "::1");
  EXPECT_EQ(format_ip(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), b),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

// Our formatter against glibc's inet_ntop (the flow log's text before it had its own): random
// addresses biased to zero groups (the "::" choice), IPv4-mapped and IPv4-compatible ones.
TEST(FlowLogJson, IpTextIsInetNtops) {
  std::mt19937 rng(5952);
  IpTextBuffer b;
  char want[INET6_ADDRSTRLEN];
  for (int round = 0; round < 100000; ++round) {
    std::array<uint8_t, 16> a{};
    for (std::size_t g = 0; g < 8; ++g) {
      const unsigned kind = rng() % 4;  // zero group, small, large, random
      const unsigned v = kind == 0 ? 0 : kind == 1 ? rng() % 16 : kind == 2 ? 0xff00 | (rng() & 0xff) : rng() & 0xffff;
      a[2 * g] = static_cast<uint8_t>(v >> 8);
      a[2 * g + 1] = static_cast<uint8_t>(v);
    }
    if (round % 5 == 0) std::fill(a.begin(), a.begin() + 10, 0);  // ::ffff:x and ::x.x.x.x shapes
    if (round % 10 == 0) a[10] = a[11] = 0xff;
    const bool mapped = std::all_of(a.begin(), a.begin() + 10, [](uint8_t x) { return x == 0; }) && a[10] == 0xff &&
                        a[11] == 0xff;
    ASSERT_NE(inet_ntop(mapped ? AF_INET : AF_INET6, mapped ? a.data() + 12 : a.data(), want, sizeof want), nullptr);
    ASSERT_EQ(format_ip(a, b), want) << round;
  }
  EXPECT_EQ(format_ip(ip("2001:db8:0:0:1:0:0:1"), b), "2001:db8::1:0:0:1");  // first of two equal runs
  EXPECT_EQ(format_ip(ip("2001:db8:0:1:1:1:1:1"), b), "2001:db8:0:1:1:1:1:1");  // one zero group stays
  EXPECT_EQ(format_ip(ip("2001:0:0:1:0:0:0:1"), b), "2001:0:0:1::1");        // the longest run
  EXPECT_EQ(format_ip(ip("::1.2.3.4"), b), "::1.2.3.4");                     // IPv4-compatible, as inet_ntop
  EXPECT_EQ(format_ip(ip("0.0.0.0"), b), "0.0.0.0");
  EXPECT_EQ(format_ip(ip("1::"), b), "1::");
}

// The writer reserves max_record_json_size() and formats in place: the worst record must fit.
TEST(FlowLogJson, WorstCaseRecordStaysWithinTheBound) {
  FlowRecord r = minimal_record();
  r.type = RecordType::kResponse;
  r.has_rrt = true;
  r.rrt_us = r.start_time_us = r.end_time_us = UINT64_MAX;
  r.net.client_ip = r.net.server_ip = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
  r.net.client_port = r.net.server_port = 65535;
  r.net.has_vlan = r.net.has_tunnel_id = true;
  r.net.vlan = 4095;
  r.net.tunnel_id = UINT32_MAX;
  L7Fields& f = r.l7;
  f.set_response_code(INT64_MIN);
  f.response_status = ResponseStatus::kServerError;
  f.set_request_length(UINT32_MAX);
  f.set_response_length(UINT32_MAX);
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto field = static_cast<Field>(i);
    f.set(field, std::string(FieldCaps::cap(field), '\x01'));  // \u0001: 6 bytes each
  }
  for (std::size_t i = 0; f.string_bytes() < FieldCaps::kStringBytes && i < FieldCaps::kAttrCount; ++i)
    f.set_attribute(std::string(1, static_cast<char>('A' + i)) + std::string(10, '\x02'), std::string(60, '\x03'));
  EXPECT_EQ(f.string_bytes(), FieldCaps::kStringBytes);
  const std::string line = json(r);
  EXPECT_GT(line.size(), 5 * FieldCaps::kStringBytes);
  EXPECT_LE(line.size(), max_record_json_size(r));
  EXPECT_LE(max_record_json_size(r), max_record_json_size());
}

TEST(FlowLogJson, AttributesWithEmptyPartsAreSkipped) {
  FlowRecord r = minimal_record();
  r.l7.set_attribute("a", "");
  EXPECT_EQ(json(r).find("attributes"), std::string::npos);
  r.l7.set_attribute("b", "x\"y");
  EXPECT_NE(json(r).find(R"("attributes":{"b":"x\"y"},)"), std::string::npos) << json(r);
}

TEST(FlowLogJson, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(json_string("plain"), R"("plain")");
  EXPECT_EQ(json_string(""), R"("")");
  EXPECT_EQ(json_string("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(json_string("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(json_string(std::string_view("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
}

TEST(FlowLogJson, KeepsValidUtf8AndEscapesInvalidBytes) {
  // é (2 bytes), € (3), U+1F600 (4), U+10FFFF (largest): kept as they are.
  EXPECT_EQ(json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
  EXPECT_EQ(json_string("a\xff"), R"("a\u00ff")");                   // never valid
  EXPECT_EQ(json_string("\xc3"), R"("\u00c3")");                      // truncated at the end
  EXPECT_EQ(json_string("\xc3("), R"("\u00c3(")");                    // bad continuation
  EXPECT_EQ(json_string("\xc0\xaf"), R"("\u00c0\u00af")");            // overlong '/'
  EXPECT_EQ(json_string("\xe0\x80\xaf"), R"("\u00e0\u0080\u00af")");  // overlong 3-byte
  EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // surrogate D800
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");  // > U+10FFFF
  EXPECT_EQ(json_string("\x80x\xe2\x82"), R"("\u0080x\u00e2\u0082")");  // stray and cut
}

TEST(FlowLogJson, RandomBytesAlwaysGiveValidJsonStrings) {
  std::mt19937 rng(12345);
  std::string in, out;
  for (int round = 0; round < 20000; ++round) {
    in.resize(rng() % 24);
    for (char& c : in) {
      // Bias towards the interesting bytes: controls, quotes, lead and continuation bytes.
      static constexpr unsigned char kPick[] = {0x00, 0x1f, '"', '\\', 'a', 0x7f, 0x80, 0xbf,
                                                0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xff};
      c = static_cast<char>((rng() & 1) ? kPick[rng() % sizeof kPick] : rng() & 0xff);
    }
    out.clear();
    append_json_string(out, in);
    ASSERT_TRUE(valid_json_string_literal(out)) << round;
  }
}

TEST(FlowLogJson, ReusesTheStringsCapacity) {
  FlowRecord r = minimal_record();
  r.l7.set(Field::kRequestResource, std::string(300, '\x01'));  // worst case escape growth, truncated to 256
  std::string s;
  s.reserve(8192);
  const char* data = s.data();
  for (int i = 0; i < 3; ++i) {
    s.clear();
    format_record_json(r, s);
  }
  EXPECT_EQ(s.data(), data);
  EXPECT_NE(s.find(R"("request_resource":"\u0001\u0001)"), std::string::npos);
}

// ---- writer ----------------------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start) + "<NO NEWLINE>");
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Line i: "{"n":i,"pad":"xxx…"}\n" of varying length, so the rotation points vary.
std::string numbered_line(int i) {
  return "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(10 + (i * 7) % 40, 'x') + "\"}\n";
}

TEST(FlowLogWriter, RotatesBetweenLinesAndKeepsMaxFiles) {
  TempDir dir("l7tap_flowlog");
  const std::string f = dir.path() + "/flow.log";
  const uint64_t max_bytes = 300;
  constexpr int kLines = 60;
  std::vector<std::string> written;
  {
    FlowLogWriter w(f, max_bytes, 2);
    for (int i = 0; i < kLines; ++i) {
      written.push_back(numbered_line(i));
      w.append(written.back());
      if (i % 7 == 0) w.flush();  // batches of varying size
      EXPECT_LE(w.current_size(), max_bytes);
    }
    w.close();
    EXPECT_GT(w.counters().rotations.get(), 3u);
    EXPECT_EQ(w.counters().lines.get(), static_cast<uint64_t>(kLines));
    EXPECT_EQ(w.counters().write_errors.get(), 0u);
  }
  EXPECT_TRUE(exists(f + ".1"));
  EXPECT_TRUE(exists(f + ".2"));
  EXPECT_FALSE(exists(f + ".3"));

  // Oldest first: f.2, f.1, f. Every file under the limit, whole lines only, and together they
  // hold the last lines written, in order, each once.
  std::vector<std::string> kept;
  for (const std::string& name : {f + ".2", f + ".1", f}) {
    std::string text = read_file(name);
    EXPECT_LE(text.size(), max_bytes) << name;
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(text.back(), '\n') << name;
    for (std::string& l : split_lines(text)) kept.push_back(l + "\n");
  }
  ASSERT_LE(kept.size(), written.size());
  std::vector<std::string> tail(written.end() - static_cast<long>(kept.size()), written.end());
  EXPECT_EQ(kept, tail);
}

// append(record) formats into the writer's buffer: the files hold exactly format_record_json's
// lines, whole and in order, with rotations (the line that triggers one moves to the new file).
TEST(FlowLogWriter, AppendRecordWritesTheFormattedLines) {
  TempDir dir("l7tap_flowlog");
  const std::string f = dir.path() + "/flow.log";
  std::vector<std::string> written;
  {
    FlowLogWriter w(f, 1000, 50);
    for (int i = 0; i < 40; ++i) {
      FlowRecord r = minimal_record();
      r.l7.set_request_id(static_cast<uint64_t>(i));
      r.l7.set(Field::kEndpoint, std::string(static_cast<std::size_t>(i * 3), 'e'));
      written.push_back(json(r));
      w.append(r);
      if (i % 6 == 0) w.flush();
    }
    w.close();
    EXPECT_GT(w.counters().rotations.get(), 5u);
    EXPECT_EQ(w.counters().lines.get(), 40u);
  }
  std::vector<std::string> files;
  for (int i = 50; i >= 1; --i)
    if (exists(f + "." + std::to_string(i))) files.push_back(f + "." + std::to_string(i));
  files.push_back(f);
  std::vector<std::string> kept;
  for (const std::string& name : files) {
    const std::string text = read_file(name);
    EXPECT_LE(text.size(), 1000u) << name;
    for (std::string& l : split_lines(text)) kept.push_back(l + "\n");
  }
  EXPECT_EQ(kept, written);
}

TEST(FlowLogWriter, LongLineGetsAFileOfItsOwn) {
  TempDir dir("l7tap_flowlog");
  const std::string f = dir.path() + "/flow.log";
  FlowLogWriter w(f, 100, 3);
  w.append("{\"a\":1}\n");
  const std::string big = "{\"b\":\"" + std::string(200, 'y') + "\"}\n";
  w.append(big);
  w.append("{\"c\":3}\n");
  w.close();
  EXPECT_EQ(read_file(f + ".2"), "{\"a\":1}\n");
  EXPECT_EQ(read_file(f + ".1"), big);
  EXPECT_EQ(read_file(f), "{\"c\":3}\n");
  EXPECT_EQ(w.counters().rotations.get(), 2u);
}

TEST(FlowLogWriter, NoRotationWhenMaxBytesIsZeroAndAppendsToExistingFile) {
  TempDir dir("l7tap_flowlog");
  const std::string f = dir.path() + "/flow.log";
  {
    std::ofstream(f) << "{\"old\":1}\n";
  }
  FlowLogWriter w(f, 0, 2);
  EXPECT_EQ(w.current_size(), 10u);
  for (int i = 0; i < 100; ++i) w.append(numbered_line(i));
  w.close();
  EXPECT_EQ(split_lines(read_file(f)).size(), 101u);
  EXPECT_FALSE(exists(f + ".1"));
  EXPECT_EQ(w.counters().rotations.get(), 0u);
}

TEST(FlowLogWriter, ExistingSizeCountsTowardsRotation) {
  TempDir dir("l7tap_flowlog");
  const std::string f = dir.path() + "/flow.log";
  {
    std::ofstream(f) << std::string(95, 'o') << "\n";
  }
  FlowLogWriter w(f, 100, 1);
  w.append("{\"x\":1}\n");
  w.close();
  EXPECT_EQ(read_file(f + ".1"), std::string(95, 'o') + "\n");
  EXPECT_EQ(read_file(f), "{\"x\":1}\n");
}

TEST(FlowLogWriter, ZeroMaxFilesTruncates) {
  TempDir dir("l7tap_flowlog");
  const std::string f = dir.path() + "/flow.log";
  FlowLogWriter w(f, 20, 0);
  w.append("0123456789abcdef\n");
  w.append("second line here\n");
  w.close();
  EXPECT_EQ(read_file(f), "second line here\n");
  EXPECT_FALSE(exists(f + ".1"));
}

TEST(FlowLogWriter, OpenErrorNamesPathAndReason) {
  try {
    FlowLogWriter w("/nonexistent-dir/x/flow.log", 0, 0);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "flow_log.path /nonexistent-dir/x/flow.log: No such file or directory");
  }
}

TEST(FlowLogWriter, EmptyPathDisables) {
  FlowLogWriter w("", 100, 1);
  EXPECT_FALSE(w.enabled());
  w.append("{}\n");
  w.flush();
  EXPECT_EQ(w.counters().lines.get(), 0u);
}

// A flow log pointed at a FIFO or a device (/dev/null, a pipe into a log shipper) is written to
// but never rotated: renaming it would leave a regular file in its place that then grows without
// bound (this once turned /dev/null into a 100 MB file).
TEST(FlowLogWriter, NonRegularFileIsNeverRotated) {
  TempDir dir("l7tap_flowlog");
  const std::string f = dir.path() + "/flow.fifo";
  ASSERT_EQ(::mkfifo(f.c_str(), 0600), 0);
  const int reader = ::open(f.c_str(), O_RDONLY | O_NONBLOCK);  // so the writer's open succeeds
  ASSERT_GE(reader, 0);
  std::string got;
  {
    FlowLogWriter w(f, 100, 2);
    for (int i = 0; i < 20; ++i) {
      w.append(numbered_line(i));
      w.flush();
      char buf[4096];
      ssize_t n;
      while ((n = ::read(reader, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    }
    w.close();
    EXPECT_EQ(w.counters().rotations.get(), 0u);
    EXPECT_EQ(w.counters().lines.get(), 20u);
  }
  ::close(reader);
  struct stat st;
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_FALSE(exists(f + ".1"));
  std::string want;
  for (int i = 0; i < 20; ++i) want += numbered_line(i);
  EXPECT_EQ(got, want);
}

TEST(FlowLogWriter, WriteErrorsAreCounted) {
  if (!exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  FlowLogWriter w("/dev/full", 0, 0);
  w.append("{}\n");
  w.append("{}\n");
  w.flush();
  EXPECT_EQ(w.counters().write_errors.get(), 1u);
  EXPECT_EQ(w.counters().lines_lost.get(), 2u);
  EXPECT_EQ(w.counters().lines.get(), 0u);
}


// Rotation under load: many small rotations with flushes at uneven points; with enough files kept
// every line is in exactly one file, whole, in order (oldest file first), and the counters agree.
TEST(FlowLogWriter, RotationUnderLoadLosesNoLine) {
  TempDir dir("l7tap_fl_rot_load");
  const std::string f = dir.path() + "/flow.log";
  constexpr int kLines = 50000;
  constexpr uint32_t kFiles = 2000;  // more than the rotations below: nothing ages out
  {
    FlowLogWriter w(f, 16 * 1024, kFiles);
    std::mt19937 rng(11);
    for (int i = 0; i < kLines; ++i) {
      w.append(numbered_line(i));
      if (rng() % 97 == 0) w.flush();  // batches of uneven size, as the control thread drains them
    }
    w.close();
    EXPECT_EQ(w.counters().lines.get(), static_cast<uint64_t>(kLines));
    EXPECT_EQ(w.counters().write_errors.get(), 0u);
    EXPECT_EQ(w.counters().lines_lost.get(), 0u);
    EXPECT_GT(w.counters().rotations.get(), 100u);
    ASSERT_LT(w.counters().rotations.get(), kFiles);
  }
  std::vector<std::string> files;
  for (uint32_t i = kFiles; i >= 1; --i)
    if (exists(f + "." + std::to_string(i))) files.push_back(f + "." + std::to_string(i));
  files.push_back(f);
  int next = 0;
  for (const std::string& name : files) {
    const std::string text = read_file(name);
    EXPECT_LE(text.size(), 16u * 1024) << name;
    for (const std::string& line : split_lines(text)) {
      ASSERT_EQ(line + "\n", numbered_line(next)) << name;
      ++next;
    }
  }
  EXPECT_EQ(next, kLines);
}

// Disk full: a failed write costs the lines of that batch (counted), never a partial line in the
// file, never the process; once space returns the following lines are written again. The full disk
// is a 64 KiB tmpfs mounted for the test (skipped where mounting is not permitted).
TEST(FlowLogWriter, DiskFullIsCountedAndRecoversWhenSpaceReturns) {
  TempDir dir("l7tap_fl_full");
  const std::string mnt = dir.path() + "/small";
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};

  // A filler takes part of the space; deleting it later is "space returns".
  const std::string filler = mnt + "/filler";
  {
    std::ofstream fill(filler, std::ios::binary);
    fill << std::string(32 * 1024, 'f');
  }
  const std::string f = mnt + "/flow.log";
  FlowLogWriter w(f, 0, 0);
  int appended = 0;
  auto write_batches = [&](int batches) {
    for (int b = 0; b < batches; ++b) {
      for (int i = 0; i < 20; ++i) w.append(numbered_line(appended++));
      w.flush();
    }
  };
  write_batches(100);  // ~100 KB into ~32 KiB of room
  const uint64_t errors = w.counters().write_errors.get();
  const uint64_t lost = w.counters().lines_lost.get();
  EXPECT_GT(errors, 0u);
  EXPECT_GT(lost, 0u);
  EXPECT_EQ(w.counters().lines.get() + lost, static_cast<uint64_t>(appended));

  ASSERT_EQ(::unlink(filler.c_str()), 0);  // space returns
  const uint64_t written_before = w.counters().lines.get();
  write_batches(10);
  EXPECT_EQ(w.counters().write_errors.get(), errors);  // no new failure
  EXPECT_EQ(w.counters().lines.get(), written_before + 200);
  w.close();

  // The file holds whole lines only, exactly the ones counted as written, in order.
  const std::vector<std::string> lines = split_lines(read_file(f));
  EXPECT_EQ(lines.size(), w.counters().lines.get());
  int last = -1;
  for (const std::string& line : lines) {
    ASSERT_EQ(line.rfind("{\"n\":", 0), 0u) << line;
    ASSERT_EQ(line.back(), '}') << line;
    const int n = std::stoi(line.substr(5));
    ASSERT_GT(n, last);
    ASSERT_EQ(line + "\n", numbered_line(n));
    last = n;
  }
  EXPECT_EQ(last, appended - 1);  // the last batches, after space returned, are there
}

}  // namespace
}  // namespace l7tap
