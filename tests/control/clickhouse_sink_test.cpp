// The ClickHouse sink against a fake ClickHouse (a thread answering HTTP on 127.0.0.1): batches by
// rows and by time, gzip bodies, Basic auth, the spool when the server is down or answers errors,
// replay after it comes back and after a restart of the sink, the drop counter when the spool is
// full, and the conf checks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "control/clickhouse_sink.hpp"
#include "control/flow_log_json.hpp"
#include "control/config.hpp"
#include "control/http_post.hpp"
#include "test_support.hpp"

namespace l7tap {
namespace {

using namespace std::chrono_literals;

std::string gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "<bad gzip>";
}

// Accepts connections on 127.0.0.1:port; answers `status` (200 = store the rows) to each POST.
class FakeClickHouse {
 public:
  explicit FakeClickHouse(uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeClickHouse() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::atomic<int> status{200};
  std::string poison;  // set before traffic: a body containing it is answered 500, every time
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> l(mu_);
    return lines_;
  }
  std::string last_head() {
    std::lock_guard<std::mutex> l(mu_);
    return head_;
  }

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[65536];
      std::size_t need = std::string::npos;
      while (in.size() < need) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        const std::size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          const std::size_t cl = in.find("Content-Length: ");
          need = end + 4 + std::stoul(in.substr(cl + 16));
        }
      }
      const std::size_t end = in.find("\r\n\r\n");
      std::string body = in.substr(end + 4);
      if (in.find("Content-Encoding: gzip") != std::string::npos) body = gunzip(body);
      const int st = !poison.empty() && body.find(poison) != std::string::npos ? 500 : status.load();
      if (st == 200) {
        std::lock_guard<std::mutex> l(mu_);
        head_ = in.substr(0, end);
        std::size_t at = 0;
        for (std::size_t nl; (nl = body.find('\n', at)) != std::string::npos; at = nl + 1)
          lines_.push_back(body.substr(at, nl - at));
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(st) + " X\r\nContent-Length: 4\r\n\r\nerr\n";
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> lines_;
  std::string head_;
};

// A port nothing listens on (bound then closed).
uint16_t closed_port() {
  FakeClickHouse f;
  return f.port();
}

ClickHouseOptions options(uint16_t port, const std::string& spool) {
  ClickHouseOptions o;
  o.endpoint = {"127.0.0.1", port};
  o.database = "default";
  o.table = "l7_flow_log";
  o.user = "l7tap";
  o.password = "s3cret";
  o.batch_rows = 10;
  o.flush_interval_us = 50'000;
  o.timeout_us = 2'000'000;
  o.queue_batches = 4;
  o.max_backoff_us = 200'000;
  o.spool_dir = spool;
  o.spool_max_bytes = 1 << 20;
  return o;
}

FlowRecord rec(uint64_t id) {
  FlowRecord r = test::record_between("10.0.0.1", 40000, "10.0.0.2", 9092);
  r.l7.set_request_id(id);
  return r;
}

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

// Every request id 0..n-1 exactly once among the received lines.
void expect_each_once(const std::vector<std::string>& lines, uint64_t n) {
  std::multiset<uint64_t> ids;
  for (const std::string& l : lines) {
    const std::size_t at = l.find("\"request_id\":\"");
    ASSERT_NE(at, std::string::npos) << l;  // quoted for the String column
    ids.insert(std::stoull(l.substr(at + 14)));
  }
  ASSERT_EQ(ids.size(), n);
  for (uint64_t i = 0; i < n; ++i) EXPECT_EQ(ids.count(i), 1u) << "request_id " << i;
}

TEST(ClickHouseSink, BatchesByRowsAndTimeWithGzipAndAuth) {
  FakeClickHouse ch;
  ClickHouseSink sink(options(ch.port(), ""));
  sink.start();
  for (uint64_t i = 0; i < 25; ++i) sink.add(rec(i));  // two full batches at once
  ASSERT_TRUE(eventually([&] { return ch.lines().size() == 20; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ch.lines().size(), 20u) << "the partial batch waits for flush_interval";
  sink.tick();  // 50 ms have passed
  ASSERT_TRUE(eventually([&] { return ch.lines().size() == 25; }));
  expect_each_once(ch.lines(), 25);
  const std::string head = ch.last_head();
  EXPECT_NE(head.find("INSERT%20INTO%20default.l7_flow_log%20FORMAT%20JSONEachRow"), std::string::npos) << head;
  EXPECT_NE(head.find("input_format_skip_unknown_fields=1"), std::string::npos);
  EXPECT_NE(head.find("Authorization: Basic " + base64("l7tap:s3cret")), std::string::npos) << head;
  sink.stop();
  EXPECT_EQ(sink.records_sent(), 25u);
  EXPECT_EQ(sink.records_dropped(), 0u);
}

TEST(ClickHouseSink, SpoolsWhileDownAndReplaysOnceAfterRestart) {
  test::TempDir dir("l7tap_chspool");
  const std::string spool = dir.path() + "/spool";
  const uint16_t port = closed_port();
  {
    ClickHouseSink sink(options(port, spool));  // nobody listens: connection refused
    sink.start();
    for (uint64_t i = 0; i < 100; ++i) sink.add(rec(i));
    sink.stop();
    EXPECT_EQ(sink.records_sent(), 0u);
    EXPECT_EQ(sink.records_spooled(), 100u);
    EXPECT_EQ(sink.records_dropped(), 0u);
  }
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(spool)) files += e.path().extension() == ".jsonl";
  EXPECT_EQ(files, 10u) << "one file per batch, kept over the restart";
  FakeClickHouse ch(port);
  ClickHouseSink sink(options(port, spool));
  sink.start();
  ASSERT_TRUE(eventually([&] { return ch.lines().size() == 100; }));
  sink.stop();
  expect_each_once(ch.lines(), 100);
  EXPECT_TRUE(std::filesystem::is_empty(spool)) << "delivered batches are deleted";
}

TEST(ClickHouseSink, ErrorAnswersAreRetriedUntilAccepted) {
  test::TempDir dir("l7tap_chspool");
  FakeClickHouse ch;
  ch.status = 500;
  ClickHouseSink sink(options(ch.port(), dir.path() + "/spool"));
  sink.start();
  for (uint64_t i = 0; i < 50; ++i) sink.add(rec(i));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(ch.lines().empty());
  ch.status = 200;
  ASSERT_TRUE(eventually([&] { return ch.lines().size() == 50; }));
  sink.stop();
  expect_each_once(ch.lines(), 50);
}

// One batch ClickHouse refuses for its content (every time) must not hold back the rest: it goes
// to the back of the spool, and once others were accepted and it was refused 5 times it is set
// aside as .rejected, its records counted as dropped.
TEST(ClickHouseSink, ABatchRefusedWhileOthersAreAcceptedIsSetAside) {
  test::TempDir dir("l7tap_chspool");
  const std::string spool = dir.path() + "/spool";
  FakeClickHouse ch;
  ch.poison = "\"request_id\":\"7\"";  // the first batch (ids 0..9)
  ClickHouseOptions o = options(ch.port(), spool);
  o.max_backoff_us = 20'000;
  ClickHouseSink sink(o);
  sink.start();
  for (uint64_t i = 0; i < 60; ++i) sink.add(rec(i));
  ASSERT_TRUE(eventually([&] { return ch.lines().size() == 50 && sink.records_dropped() == 10; }));
  sink.stop();
  std::multiset<uint64_t> ids;
  for (const std::string& l : ch.lines()) ids.insert(std::stoull(l.substr(l.find("\"request_id\":\"") + 14)));
  for (uint64_t i = 0; i < 60; ++i) EXPECT_EQ(ids.count(i), i < 10 ? 0u : 1u) << i;
  std::size_t rejected = 0, waiting = 0;
  for (const auto& e : std::filesystem::directory_iterator(spool)) {
    rejected += e.path().extension() == ".rejected";
    waiting += e.path().extension() == ".jsonl";
  }
  EXPECT_EQ(rejected, 1u) << "kept for the operator";
  EXPECT_EQ(waiting, 0u);
}

// While ClickHouse refuses every batch (overloaded, table dropped), no batch is set aside: nothing
// was accepted, so nothing points at one batch.
TEST(ClickHouseSink, NothingIsSetAsideWhileEveryBatchIsRefused) {
  test::TempDir dir("l7tap_chspool");
  FakeClickHouse ch;
  ch.status = 500;
  ClickHouseOptions o = options(ch.port(), dir.path() + "/spool");
  o.max_backoff_us = 10'000;
  ClickHouseSink sink(o);
  sink.start();
  for (uint64_t i = 0; i < 30; ++i) sink.add(rec(i));
  std::this_thread::sleep_for(600ms);  // dozens of refusals per batch at a 10 ms backoff
  EXPECT_EQ(sink.records_dropped(), 0u);
  ch.status = 200;
  ASSERT_TRUE(eventually([&] { return ch.lines().size() == 30; }));
  sink.stop();
  expect_each_once(ch.lines(), 30);
}

TEST(ClickHouseSink, FullSpoolDropsAndCounts) {
  test::TempDir dir("l7tap_chspool");
  ClickHouseOptions o = options(closed_port(), dir.path() + "/spool");
  o.spool_max_bytes = 2000;  // room for a batch or two of 10 records
  ClickHouseSink sink(o);
  sink.start();
  for (uint64_t i = 0; i < 200; ++i) sink.add(rec(i));
  sink.stop();
  EXPECT_GT(sink.records_dropped(), 0u);
  EXPECT_EQ(sink.records_dropped() + sink.records_spooled(), 200u) << "every record is spooled or counted";
}

TEST(ClickHouseSink, QuotesIntegerRequestIdsOnly) {
  // What the sink formats: an integer id as a string; a string id as it is, whatever it holds.
  std::string s;
  format_record_json(rec(42), s, RequestIdJson::kAlwaysString);
  EXPECT_NE(s.find(R"(,"request_id":"42",)"), std::string::npos) << s;
  FlowRecord odd = rec(0);
  odd.l7.set_request_id(std::string_view(R"(q,"request_id":7)"));
  s.clear();
  format_record_json(odd, s, RequestIdJson::kAlwaysString);
  EXPECT_NE(s.find(R"(,"request_id":"q,\"request_id\":7",)"), std::string::npos) << s;
  // The file flow log keeps integers as numbers.
  s.clear();
  format_record_json(rec(42), s);
  EXPECT_NE(s.find(R"(,"request_id":42,)"), std::string::npos) << s;
}

TEST(ClickHouseSink, UrlParsing) {
  HttpEndpoint ep;
  EXPECT_EQ(parse_http_url("http://127.0.0.1:8123", ep), "");
  EXPECT_EQ(ep.port, 8123);
  EXPECT_EQ(parse_http_url("http://[::1]:8123/", ep), "");
  EXPECT_EQ(ep.host, "::1");
  EXPECT_NE(parse_http_url("https://ch:8443", ep).find("https is not supported"), std::string::npos);
  EXPECT_NE(parse_http_url("http://ch", ep), "");
  EXPECT_NE(parse_http_url("http://ch:0", ep), "");
  EXPECT_NE(parse_http_url("http://ch:8123/db", ep), "");
  EXPECT_EQ(base64("l7tap:s3cret"), "bDd0YXA6czNjcmV0");
  EXPECT_EQ(base64("ab"), "YWI=");
}

void expect_conf_error(const std::string& yaml, const std::string& key, const std::string& reason_part) {
  try {
    load_config_text(yaml);
    ADD_FAILURE() << "accepted: " << yaml;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), key) << e.what();
    EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
  }
}

TEST(ClickHouseConf, ParsedAndValidated) {
  const Config c = load_config_text(
      "flow_log:\n  clickhouse:\n    url: http://10.0.0.1:8123\n    table: flows\n    batch_rows: 500\n"
      "    flush_interval: 2s\n    spool_dir: /var/lib/l7tap/spool\n    spool_max_bytes: 10MiB\n    compression: none\n");
  EXPECT_EQ(c.clickhouse_url, "http://10.0.0.1:8123");
  EXPECT_EQ(c.clickhouse_table, "flows");
  EXPECT_EQ(c.clickhouse_batch_rows, 500u);
  EXPECT_EQ(c.clickhouse_flush_interval_us, 2'000'000u);
  EXPECT_EQ(c.clickhouse_spool_max_bytes, 10u << 20);
  EXPECT_EQ(c.clickhouse_compression, "none");
  const std::string p = "flow_log:\n  clickhouse:\n    url: http://ch:8123\n";
  expect_conf_error("flow_log:\n  clickhouse:\n    url: ch:8123\n", "flow_log.clickhouse.url", "http://host:port");
  expect_conf_error(p + "    table: \"x; DROP\"\n", "flow_log.clickhouse.table", "plain identifier");
  expect_conf_error(p + "    batch_rows: 0\n", "flow_log.clickhouse.batch_rows", "1..1000000");
  expect_conf_error(p + "    compression: lz4\n", "flow_log.clickhouse.compression", "gzip or none");
  expect_conf_error(p + "    password: a\n    password_file: /f\n", "flow_log.clickhouse.password_file", "not both");
  expect_conf_error(p + "    flush_interval: 0s\n", "flow_log.clickhouse.flush_interval", "greater than 0");
  expect_conf_error(p + "    spol_dir: /x\n", "flow_log.clickhouse.spol_dir", "unknown key");
}

TEST(ClickHouseConf, PasswordFile) {
  test::TempDir dir("l7tap_chpw");
  Config c;
  c.clickhouse_url = "http://127.0.0.1:8123";
  c.clickhouse_password_file = dir.path() + "/pw";
  EXPECT_THROW(ClickHouseOptions::from_config(c), std::runtime_error);
  FILE* f = std::fopen(c.clickhouse_password_file.c_str(), "w");
  std::fputs("s3cret\n", f);
  std::fclose(f);
  EXPECT_EQ(ClickHouseOptions::from_config(c).password, "s3cret");
}

}  // namespace
}  // namespace l7tap
