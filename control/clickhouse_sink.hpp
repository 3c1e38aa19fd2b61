// The flow log's ClickHouse sink (conf flow_log.clickhouse): the same JSON lines as the file flow
// log, batched and inserted with `INSERT INTO <database>.<table> FORMAT JSONEachRow` over
// ClickHouse's HTTP interface, on a thread of its own.
//
// Data path and where records can be lost (README "Running a fleet", ClickHouse):
//   control thread: add() formats each record into the current batch; a batch is handed off when
//     it holds batch_rows records or is flush_interval old. Hand-off never waits: a bounded queue
//     (queue_batches); when it is full the batch goes to the spool; when the spool is off or full
//     its records are dropped (l7tap_clickhouse_records_dropped_total).
//   sink thread: inserts queued batches (gzip-compressed unless compression: none). A failed
//     insert is spooled and retried, oldest spooled batch first, after an exponential backoff
//     (200 ms doubling up to max_backoff); while ClickHouse is down the queue is moved to the
//     spool as it arrives. Without a spool a failed batch is kept in memory and retried while the
//     queue fills up behind it. A spooled batch ClickHouse answers with an error goes to the back
//     of the spool; refused 5 times while other batches were accepted it is set aside as
//     "<file>.rejected" (kept for the operator, counted as dropped, reason "rejected").
//   stop: the last batch is queued; queued and spooled batches are inserted while ClickHouse
//     answers (so an offline run ends with its records delivered), for 5 s at most; at the first
//     failure or after 5 s the rest is spooled, and the spool is replayed after the next start.
//
// Exactly once: a batch ClickHouse answered 200 for is deleted at once and never sent again. A
// refused connection (ClickHouse stopped) is a clean failure: nothing was inserted. A timeout or a
// reset after the body was sent leaves the outcome unknown; the batch is retried, so it may be
// inserted twice (counted in l7tap_clickhouse_insert_failures_total{reason="unknown"}). ClickHouse
// deduplicates identical retried inserts only for Replicated*MergeTree tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <prometheus/collectable.h>

#include "control/config.hpp"
#include "control/http_post.hpp"
#include "protocols/core/record.hpp"

namespace l7tap {

struct ClickHouseOptions {
  HttpEndpoint endpoint;
  std::string database, table, user, password;
  uint32_t batch_rows = 0;
  uint64_t flush_interval_us = 0;
  uint64_t timeout_us = 0;
  uint32_t queue_batches = 0;
  uint64_t max_backoff_us = 0;
  std::string spool_dir;
  uint64_t spool_max_bytes = 0;
  bool gzip = true;
  // From a validated conf; reads password_file (throws std::runtime_error naming the key when it
  // cannot be read). Call only when c.clickhouse_url is set.
  static ClickHouseOptions from_config(const Config& c);
};

class ClickHouseSink {
 public:
  // Opens the spool (throws std::runtime_error naming flow_log.clickhouse.spool_dir).
  explicit ClickHouseSink(ClickHouseOptions options);
  ~ClickHouseSink();
  ClickHouseSink(const ClickHouseSink&) = delete;
  ClickHouseSink& operator=(const ClickHouseSink&) = delete;

  void start();
  // Control thread: adds the record's line to the current batch (hand-off when full).
  void add(const FlowRecord& rec);
  // Control thread, after every drain pass: hands off a batch that is flush_interval old.
  void tick();
  // Control thread, once the rings are drained: hands off the last batch, lets the sink thread
  // insert or spool everything, and joins it. Idempotent.
  void stop();

  // The l7tap_clickhouse_* families, rendered at scrape time.
  std::shared_ptr<prometheus::Collectable> collectable() const;

  // Counters, for tests and the end-of-run summary.
  uint64_t records_sent() const;
  uint64_t records_spooled() const;
  uint64_t records_dropped() const;

  struct State;

 private:
  std::shared_ptr<State> s_;
};

}  // namespace l7tap
