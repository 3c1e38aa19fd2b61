-- Example queries over the l7tap flow log (conf/clickhouse/l7_flow_log.sql). They read the
-- Distributed table, so they cover every shard of the fleet. Each works on ClickHouse 18.16 and
-- later (tests/e2e/test_clickhouse_e2e.sh runs them). Time windows are "the last hour of data"
-- (relative to the newest record, so they also work on an old capture); in production write
-- e.g. start_time_us >= toUInt64(toUnixTimestamp(now() - INTERVAL 1 HOUR)) * 1000000 instead.
-- "Service" here is server_ip:server_port: the flow log carries addresses, not the service_map
-- names the RED metrics use.

-- name: top_endpoints_by_error_ratio
-- Endpoints with the highest share of failed requests (client_error, server_error, timeout), with
-- at least 10 requests in the window.
SELECT
    protocol,
    endpoint,
    count() AS requests,
    countIf(response_status IN ('client_error', 'server_error', 'timeout')) AS errors,
    round(errors / requests, 4) AS error_ratio
FROM l7_flow_log_dist
WHERE start_time_us >= (SELECT max(start_time_us) FROM l7_flow_log_dist) - 3600000000
GROUP BY protocol, endpoint
HAVING requests >= 10
ORDER BY error_ratio DESC, requests DESC
LIMIT 20;

-- name: p99_response_time_per_service
-- p99 (and p50) of the response time of answered requests, per service, slowest first.
SELECT
    concat(server_ip, ':', toString(server_port)) AS service,
    protocol,
    count() AS requests,
    round(quantile(0.5)(rrt_us) / 1000, 3) AS p50_ms,
    round(quantile(0.99)(rrt_us) / 1000, 3) AS p99_ms
FROM l7_flow_log_dist
WHERE type = 'session'
  AND start_time_us >= (SELECT max(start_time_us) FROM l7_flow_log_dist) - 3600000000
GROUP BY service, protocol
ORDER BY p99_ms DESC
LIMIT 20;

-- name: session_by_trace_id
-- Every call of one distributed trace, in time order (replace the trace id).
SELECT
    start_time_us,
    rrt_us,
    protocol,
    request_type,
    endpoint,
    response_status,
    concat(client_ip, ':', toString(client_port)) AS client,
    concat(server_ip, ':', toString(server_port)) AS server,
    span_id
FROM l7_flow_log_dist
WHERE trace_id = '0af7651916cd43dd8448eb211c80319c'
ORDER BY start_time_us;
