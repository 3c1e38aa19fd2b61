#include "control/clickhouse_sink.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "control/clickhouse_spool.hpp"
#include "control/flow_log_json.hpp"
#include "control/metric_family.hpp"
#include "protocols/core/counters.hpp"

namespace l7tap {

namespace {

using Clock = std::chrono::steady_clock;

// Insert latency histogram bounds (seconds): a healthy local insert of 10k rows takes ~10-100 ms.
constexpr double kLatencyBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
constexpr std::size_t kLatencyBuckets = std::size(kLatencyBounds) + 1;  // + Inf
// The first retry comes this long after a failure; each further failure doubles it, up to
// max_backoff.
constexpr auto kFirstBackoff = std::chrono::milliseconds(200);
// How long stop() goes on inserting the backlog before spooling what is left: under systemd's
// TimeoutStopSec (15 s in our units) with room for one insert's timeout, so a stop is never cut by
// SIGKILL between an acknowledged insert and the deletion of its spool file (which would send
// that batch again after the restart).
constexpr auto kStopBudget = std::chrono::seconds(5);
// A spooled batch ClickHouse answers with an error goes to the back of the spool, so the batches
// behind it are tried. Refused this many times while other batches were accepted, it is the batch
// (a value its column cannot take, say), not the server: it is set aside (the spool's .rejected
// file, counted as dropped with reason "rejected") instead of being retried forever. While the
// server refuses every batch (overloaded, table dropped) nothing is accepted, so nothing is set
// aside: the batches wait in the spool.
constexpr uint32_t kMaxRefusals = 5;

struct Batch {
  std::string lines;
  uint32_t rows = 0;
};

// gzip of `in` (zlib, level 1: the sink must keep up with tens of thousands of records a second on
// one core, and JSON lines still shrink ~8x at that level).
bool gzip_into(const std::string& in, std::string& out) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END;
}

}  // namespace

ClickHouseOptions ClickHouseOptions::from_config(const Config& c) {
  ClickHouseOptions o;
  parse_http_url(c.clickhouse_url, o.endpoint);  // validated already
  o.database = c.clickhouse_database;
  o.table = c.clickhouse_table;
  o.user = c.clickhouse_user;
  o.password = c.clickhouse_password;
  if (!c.clickhouse_password_file.empty()) {
    std::ifstream f(c.clickhouse_password_file);
    if (!f)
      throw std::runtime_error("flow_log.clickhouse.password_file " + c.clickhouse_password_file + ": " +
                               std::strerror(errno));
    std::stringstream ss;
    ss << f.rdbuf();
    o.password = ss.str();
    // One trailing newline is the file's, not the password's (echo secret > file).
    if (!o.password.empty() && o.password.back() == '\n') o.password.pop_back();
    if (!o.password.empty() && o.password.back() == '\r') o.password.pop_back();
  }
  o.batch_rows = c.clickhouse_batch_rows;
  o.flush_interval_us = c.clickhouse_flush_interval_us;
  o.timeout_us = c.clickhouse_timeout_us;
  o.queue_batches = c.clickhouse_queue_batches;
  o.max_backoff_us = c.clickhouse_max_backoff_us;
  o.spool_dir = c.clickhouse_spool_dir;
  o.spool_max_bytes = c.clickhouse_spool_max_bytes;
  o.gzip = c.clickhouse_compression == "gzip";
  return o;
}

struct ClickHouseSink::State {
  ClickHouseOptions o;
  ClickHouseSpool spool;
  std::string target;   // "/?query=INSERT..."
  std::string headers;  // auth and encoding header lines

  // Control thread only.
  Batch current;
  Clock::time_point current_since;

  // The queue between the control thread and the sink thread.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Batch> queue;
  bool stopping = false;

  std::thread thread;
  bool started = false, stopped = false;

  // Metrics (several writers: atomics with fetch_add).
  std::atomic<uint64_t> sent{0}, retried{0}, spooled{0}, dropped_spool_full{0}, dropped_no_spool{0};
  std::atomic<uint64_t> dropped_rejected{0};
  std::atomic<uint64_t> fail_not_sent{0}, fail_unknown{0}, fail_status{0};
  std::atomic<uint64_t> batches_sent{0};
  std::atomic<uint64_t> latency_buckets[kLatencyBuckets] = {};
  std::atomic<uint64_t> latency_sum_us{0};
  std::atomic<uint64_t> queue_depth{0};
  std::atomic<uint64_t> up{0};

  State(ClickHouseOptions opt) : o(std::move(opt)), spool(o.spool_dir, o.spool_max_bytes) {
    target = "/?query=" + url_encode("INSERT INTO " + o.database + "." + o.table + " FORMAT JSONEachRow") +
             // The line carries keys the table may not have (attributes, which no column of an
             // 18.x-compatible table can take as JSON): they are skipped, not an error.
             "&input_format_skip_unknown_fields=1";
    if (o.gzip) {
      target += "&enable_http_compression=1";
      headers += "Content-Encoding: gzip\r\n";
    }
    headers += "Content-Type: application/x-ndjson\r\n";
    headers += "Authorization: Basic " + base64(o.user + ":" + o.password) + "\r\n";
  }

  void count_dropped(uint32_t rows, bool spool_full) {
    (spool_full ? dropped_spool_full : dropped_no_spool).fetch_add(rows, std::memory_order_relaxed);
  }

  // Spools `b`; counts its records as spooled, or as dropped when the spool refuses it.
  bool spool_or_drop(const Batch& b) {
    if (spool.put(b.lines, b.rows)) {
      spooled.fetch_add(b.rows, std::memory_order_relaxed);
      return true;
    }
    count_dropped(b.rows, spool.enabled());
    return false;
  }

  // Control thread: queue the current batch, never waiting.
  void hand_off() {
    if (current.rows == 0) return;
    Batch b;
    std::swap(b, current);
    current.lines.reserve(b.lines.capacity());
    {
      std::lock_guard<std::mutex> lock(mu);
      if (queue.size() < o.queue_batches) {
        queue.push_back(std::move(b));
        queue_depth.store(queue.size(), std::memory_order_relaxed);
        cv.notify_one();
        return;
      }
    }
    spool_or_drop(b);  // queue full: the sink thread is behind (ClickHouse slow or down)
  }

  // One insert attempt. `refused`: ClickHouse answered, with an error.
  bool insert(const Batch& b, std::string& why, bool& refused) {
    refused = false;
    std::string gz;
    if (o.gzip && !gzip_into(b.lines, gz)) {
      why = "gzip failed";
      fail_not_sent.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    const auto t0 = Clock::now();
    HttpResult r = http_post(o.endpoint, target, headers, o.gzip ? std::string_view(gz) : std::string_view(b.lines),
                             o.timeout_us);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    if (r.outcome == HttpResult::kAnswered && r.status == 200) {
      std::size_t i = 0;
      while (i + 1 < kLatencyBuckets && static_cast<double>(us) > kLatencyBounds[i] * 1e6) ++i;
      latency_buckets[i].fetch_add(1, std::memory_order_relaxed);
      latency_sum_us.fetch_add(static_cast<uint64_t>(us), std::memory_order_relaxed);
      sent.fetch_add(b.rows, std::memory_order_relaxed);
      batches_sent.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (r.outcome == HttpResult::kAnswered) {
      refused = true;
      fail_status.fetch_add(1, std::memory_order_relaxed);
      std::string text = r.body.substr(0, 300);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      why = "HTTP " + std::to_string(r.status) + ": " + text;
    } else {
      (r.outcome == HttpResult::kNotSent ? fail_not_sent : fail_unknown).fetch_add(1, std::memory_order_relaxed);
      why = r.error;
    }
    return false;
  }

  void run() {
    Batch cur;
    bool have = false, from_spool = false, down = false;
    uint64_t seq = 0;
    // Spooled batches ClickHouse answered with an error, by sequence: how often, and how many
    // batches had been accepted before the first time (bounded by the spool's files).
    struct Refusal {
      uint32_t count = 0;
      uint64_t accepted_before = 0;
    };
    std::map<uint64_t, Refusal> refused;
    auto backoff = Clock::duration::zero();
    Clock::time_point retry_at{};
    const auto max_backoff = std::chrono::microseconds(o.max_backoff_us);
    Clock::time_point stop_deadline = Clock::time_point::max();
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      const bool stop_now = stopping;
      if (stop_now && stop_deadline == Clock::time_point::max()) stop_deadline = Clock::now() + kStopBudget;
      // Out of time at stop: like a failure, the rest goes to the spool.
      if (stop_now && Clock::now() >= stop_deadline) down = true;
      if (down && (stop_now || Clock::now() < retry_at)) {
        // ClickHouse is failing: queued batches would fail too. Move them to the spool (which
        // keeps the queue free for the control thread); without a spool they wait in the queue.
        if (spool.enabled() || stop_now) {
          std::deque<Batch> moved;
          moved.swap(queue);
          queue_depth.store(0, std::memory_order_relaxed);
          lock.unlock();
          for (const Batch& b : moved) spool_or_drop(b);
          if (stop_now && have && !from_spool) spool_or_drop(cur);
          lock.lock();
        }
        if (stop_now) break;
        cv.wait_until(lock, retry_at, [&] { return stopping; });
        continue;
      }
      if (!have) {
        // Spooled batches first, oldest first. At stop too, while ClickHouse answers: an offline
        // run outpaces the inserts (the queue overflows to the spool) and should end delivered;
        // the first failure at stop spools the rest for the next start instead.
        lock.unlock();
        const bool got = spool.files() != 0 && spool.oldest(cur.lines, cur.rows, seq);
        lock.lock();
        if (got) {
          have = from_spool = true;
        } else if (!queue.empty()) {
          cur = std::move(queue.front());
          queue.pop_front();
          queue_depth.store(queue.size(), std::memory_order_relaxed);
          have = true;
          from_spool = false;
        } else if (stop_now) {
          break;
        } else {
          cv.wait_for(lock, std::chrono::milliseconds(100));
          continue;
        }
      }
      lock.unlock();
      std::string why;
      bool was_refused = false;
      const bool ok = insert(cur, why, was_refused);
      if (from_spool && ok) refused.erase(seq);
      if (from_spool && was_refused) {
        auto node = refused.extract(seq);
        Refusal r = node.empty() ? Refusal{0, batches_sent.load(std::memory_order_relaxed)} : node.mapped();
        ++r.count;
        if (r.count >= kMaxRefusals && batches_sent.load(std::memory_order_relaxed) > r.accepted_before) {
          std::fprintf(stderr, "l7tap: flow_log.clickhouse: a batch of %u records refused %u times while others "
                       "were accepted (%s): set aside in the spool as .rejected\n", cur.rows, r.count, why.c_str());
          spool.reject(seq);
          dropped_rejected.fetch_add(cur.rows, std::memory_order_relaxed);
          have = false;
          lock.lock();
          continue;
        }
        const uint64_t moved = spool.requeue(seq);  // to the back: the next batch is tried first
        refused[moved != 0 ? moved : seq] = r;
      }
      if (ok) {
        if (from_spool) spool.remove(seq);
        have = false;
        if (down) {
          std::fprintf(stderr, "l7tap: flow_log.clickhouse: inserting again (spool: %zu batches, %llu bytes)\n",
                       spool.files(), static_cast<unsigned long long>(spool.bytes()));
        }
        down = false;
        up.store(1, std::memory_order_relaxed);
        backoff = Clock::duration::zero();
      } else {
        retried.fetch_add(cur.rows, std::memory_order_relaxed);
        if (!down)
          std::fprintf(stderr, "l7tap: flow_log.clickhouse %s:%u: insert failed: %s (retrying with backoff%s)\n",
                       o.endpoint.host.c_str(), o.endpoint.port, why.c_str(),
                       spool.enabled() ? "; batches are spooled meanwhile" : "; no spool_dir: batches wait in memory");
        down = true;
        up.store(0, std::memory_order_relaxed);
        backoff = backoff == Clock::duration::zero() ? Clock::duration(kFirstBackoff) : backoff * 2;
        if (backoff > max_backoff) backoff = max_backoff;
        retry_at = Clock::now() + backoff;
        // A spooled batch stays where it is; a queued one goes to the spool (if it fits; if not
        // it is kept in memory and retried).
        if (from_spool) have = false;
        else if (spool.enabled() && spool.put(cur.lines, cur.rows)) {
          spooled.fetch_add(cur.rows, std::memory_order_relaxed);
          have = false;
        }
      }
      lock.lock();
    }
  }
};

ClickHouseSink::ClickHouseSink(ClickHouseOptions options) : s_(std::make_shared<State>(std::move(options))) {}

ClickHouseSink::~ClickHouseSink() { stop(); }

void ClickHouseSink::start() {
  if (s_->started) return;
  s_->started = true;
  s_->thread = std::thread([s = s_.get()] { s->run(); });
}

void ClickHouseSink::add(const FlowRecord& rec) {
  State& s = *s_;
  if (s.current.rows == 0) s.current_since = Clock::now();
  format_record_json(rec, s.current.lines, RequestIdJson::kAlwaysString);
  if (++s.current.rows >= s.o.batch_rows) s.hand_off();
}

void ClickHouseSink::tick() {
  State& s = *s_;
  if (s.current.rows != 0 && Clock::now() - s.current_since >= std::chrono::microseconds(s.o.flush_interval_us))
    s.hand_off();
}

void ClickHouseSink::stop() {
  State& s = *s_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  {
    // The last batch joins the queue even past its cap: stop is the one place allowed to wait.
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.current.rows != 0) s.queue.push_back(std::move(s.current));
    s.current = Batch{};
    s.stopping = true;
    s.cv.notify_one();
  }
  s.thread.join();
}

uint64_t ClickHouseSink::records_sent() const { return s_->sent.load(); }
uint64_t ClickHouseSink::records_spooled() const { return s_->spooled.load(); }
uint64_t ClickHouseSink::records_dropped() const {
  return s_->dropped_no_spool.load() + s_->dropped_spool_full.load() + s_->dropped_rejected.load();
}

namespace {

class SinkMetrics : public prometheus::Collectable {
 public:
  explicit SinkMetrics(std::shared_ptr<ClickHouseSink::State> s) : s_(std::move(s)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<ClickHouseSink::State> s_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> ClickHouseSink::collectable() const {
  return std::make_shared<SinkMetrics>(s_);
}

std::vector<prometheus::MetricFamily> SinkMetrics::Collect() const {
  using prometheus::MetricType;
  const ClickHouseSink::State& s = *s_;
  std::vector<prometheus::MetricFamily> out;
  // (Each make_family call names its family on its own line: tests/e2e/test_man_page.sh finds the
  // declared families by that pattern.)
  auto one = [&](prometheus::MetricFamily f, uint64_t v) {
    add_sample(f, {}, v);
    out.push_back(std::move(f));
  };
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  one(make_family("l7tap_clickhouse_records_sent_total", "Flow log records ClickHouse acknowledged (HTTP 200).",
      MetricType::Counter), ld(s.sent));
  one(make_family("l7tap_clickhouse_records_retried_total",
                  "Records in insert attempts that failed and are retried (a record retried twice counts twice).",
                  MetricType::Counter),
      ld(s.retried));
  one(make_family("l7tap_clickhouse_records_spooled_total", "Records written to the spool directory.", MetricType::Counter),
      ld(s.spooled));
  prometheus::MetricFamily dropped = make_family("l7tap_clickhouse_records_dropped_total",
      "Records lost to the ClickHouse sink: the queue was full and the spool full (spool_full) or off (no_spool); "
      "a batch ClickHouse refused 5 times in a row (rejected: kept in the spool as .rejected when there is one).",
      MetricType::Counter);
  add_sample(dropped, {{"reason", "spool_full"}}, ld(s.dropped_spool_full));
  add_sample(dropped, {{"reason", "no_spool"}}, ld(s.dropped_no_spool));
  add_sample(dropped, {{"reason", "rejected"}}, ld(s.dropped_rejected));
  out.push_back(std::move(dropped));
  prometheus::MetricFamily fails = make_family("l7tap_clickhouse_insert_failures_total",
      "Failed insert attempts: not_sent (connection refused or unreachable: certainly not inserted), unknown "
      "(timeout or reset after sending: may have been inserted), status (ClickHouse answered an error).",
      MetricType::Counter);
  add_sample(fails, {{"reason", "not_sent"}}, ld(s.fail_not_sent));
  add_sample(fails, {{"reason", "unknown"}}, ld(s.fail_unknown));
  add_sample(fails, {{"reason", "status"}}, ld(s.fail_status));
  out.push_back(std::move(fails));
  prometheus::MetricFamily h = make_family("l7tap_clickhouse_batch_latency_seconds",
                                           "Time of successful batch inserts (connect to answer).",
                                           MetricType::Histogram);
  prometheus::ClientMetric m;
  uint64_t cumulative = 0;
  m.histogram.bucket.resize(kLatencyBuckets);
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) {
    cumulative += ld(s.latency_buckets[i]);
    m.histogram.bucket[i].cumulative_count = cumulative;
    m.histogram.bucket[i].upper_bound =
        i + 1 < kLatencyBuckets ? kLatencyBounds[i] : std::numeric_limits<double>::infinity();
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(ld(s.latency_sum_us)) / 1e6;
  h.metric.push_back(std::move(m));
  out.push_back(std::move(h));
  one(make_family("l7tap_clickhouse_spool_bytes",
                  "Bytes of batches in the spool directory: waiting ones and rejected ones (both count against "
                  "spool_max_bytes).", MetricType::Gauge),
      s_->spool.bytes());
  one(make_family("l7tap_clickhouse_spool_batches", "Batches waiting in the spool directory.", MetricType::Gauge),
      s_->spool.files());
  one(make_family("l7tap_clickhouse_queue_batches", "Batches waiting in the queue to the ClickHouse sink thread.",
      MetricType::Gauge), ld(s.queue_depth));
  one(make_family("l7tap_clickhouse_up", "1 when the last insert succeeded, 0 when it failed (or none was tried yet).",
      MetricType::Gauge), ld(s.up));
  return out;
}

}  // namespace l7tap
