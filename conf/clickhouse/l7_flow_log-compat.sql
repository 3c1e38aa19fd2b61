-- l7tap's flow log in ClickHouse: one row per l7_flow_log record (the JSON line's keys are the
-- column names; the sink inserts with FORMAT JSONEachRow and input_format_skip_unknown_fields=1, so
-- `attributes`, a JSON object no column takes, is skipped: the file flow log keeps it).
-- A field the record omits gets the column's default: '' or 0, NULL for response_code (0 is a code).
--
-- Reference DDL for a current ClickHouse (20.x and later: TTL, LowCardinality). Debian 12's
-- clickhouse-server 18.16 has neither: use l7_flow_log-compat.sql there, which is this file with
--   sed -e 's/LowCardinality(\([A-Za-z0-9]*\))/\1/g' -e '/^ *TTL /d'
-- applied (tests/e2e/test_clickhouse_e2e.sh checks the two files agree).
--
-- Fleet layout: every ClickHouse node has the local table l7_flow_log; l7_flow_log_dist (a
-- Distributed table over the cluster fleet, defined in the servers' remote_servers) is what
-- the l7tap instances insert into (flow_log.clickhouse.table: l7_flow_log_dist) and what queries
-- read: inserts are spread over the shards by rand(), queries run on every shard.

CREATE TABLE IF NOT EXISTS l7_flow_log
(
    type               String,
    protocol           String,
    version            String,
    request_type       String,
    request_domain     String,
    request_resource   String,
    request_id         String,
    endpoint           String,
    response_code      Nullable(Int64),
    response_status    String,
    response_exception String,
    response_result    String,
    trace_id           String,
    span_id            String,
    x_request_id       String,
    http_proxy_client  String,
    request_length     UInt64,
    response_length    UInt64,
    rrt_us             UInt64,
    start_time_us      UInt64,
    end_time_us        UInt64,
    client_ip          String,
    client_port        UInt16,
    server_ip          String,
    server_port        UInt16,
    l4_protocol        String,
    vlan               UInt16,
    tunnel_id          UInt32
)
ENGINE = MergeTree
-- One partition a day: dropping old days is cheap, and a query for a time range reads only its days.
-- (Keys are expressions of start_time_us rather than a MATERIALIZED DateTime column: inserts through
-- a Distributed table refuse MATERIALIZED columns on 18.16.)
PARTITION BY toDate(toDateTime(intDiv(start_time_us, 1000000)))
-- What operators filter on first: a protocol, a server, then a time range.
ORDER BY (protocol, server_ip, server_port, start_time_us)
SETTINGS index_granularity = 8192;

CREATE TABLE IF NOT EXISTS l7_flow_log_dist AS l7_flow_log
ENGINE = Distributed(fleet, default, l7_flow_log, rand());
