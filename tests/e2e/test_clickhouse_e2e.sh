#!/usr/bin/env bash
# The flow log's ClickHouse sink against a real clickhouse-server (Debian's 18.16) on 127.0.0.1:
# a two-shard cluster on one server (databases s1 and s2) behind the Distributed table the sink
# inserts into, created from conf/clickhouse/l7_flow_log-compat.sql.
#  1. offline replay with the file flow log and the sink both on: the Distributed table has as many
#     rows as the file has lines, spread over both shards, and a per-service RED query (requests,
#     errors by response_status) gives what the file gives; the example queries run.
#  2. ClickHouse stopped while l7tap runs: three captures fed through FIFOs; after the first is
#     inserted ClickHouse is stopped (SIGTERM by pid, with no insert in flight, so every failure
#     is a refused connection: a clean one), the second is read (batches are retried and
#     spooled), ClickHouse is started again, the spool drains, the third is read. Every record of
#     the file flow log is in ClickHouse exactly once (same multiset of keys).
#  3. l7tap restarted with ClickHouse down: the run ends with its batches spooled; the next run,
#     with ClickHouse back, replays them: again every record exactly once.
source "$(dirname "$0")/lib.sh"
if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
  echo "SKIP: clickhouse-server / clickhouse-client not installed"
  exit 77
fi
GEN=${GEN:-${L7TAP_BUILD_DIR:-}/tools/gen/l7tap-gen}
[ -x "$GEN" ] || { echo "SKIP: no l7tap-gen at $GEN"; exit 77; }
DDL=$L7TAP_SOURCE_DIR/conf/clickhouse

# The compat DDL is the reference DDL without what 18.16 lacks (the sed the files document).
diff <(sed -e 's/LowCardinality(\([A-Za-z0-9]*\))/\1/g' -e '/^ *TTL /d' "$DDL/l7_flow_log.sql") \
  "$DDL/l7_flow_log-compat.sql" || fail "l7_flow_log-compat.sql is not l7_flow_log.sql without TTL/LowCardinality"

source "$(dirname "$0")/clickhouse_server.sh"

printf 'fl0w-log\n' >"$WORK/ch.password"
MPORT=$(free_port)
write_conf() {  # write_conf SPOOL_DIR
  cat >"$WORK/l7tap.yaml" <<YAML
metrics: { listen: "127.0.0.1:$MPORT" }
flow_log:
  clickhouse:
    url: http://127.0.0.1:$HTTP
    database: default
    table: l7_flow_log_dist
    user: l7tap
    password_file: $WORK/ch.password
    batch_rows: 2000
    flush_interval: 200ms
    timeout: 5s
    queue_batches: 4
    max_backoff: 1s
    spool_dir: $1
    spool_max_bytes: 256MiB
YAML
}
write_conf "$WORK/spool"
metric() {  # metric NAME: its value on the running l7tap's /metrics (0 when absent)
  curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}
# keys FILE.jsonl: one tab-separated key per record (what identifies a record), sorted; the same
# from ClickHouse for start_time_us in [FROM, TO).
KEYCOLS="type, protocol, request_type, request_id, start_time_us, end_time_us, client_ip, client_port, server_port"
file_keys() {
  python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print("\t".join(str(r.get(k, 0 if k in ("start_time_us", "end_time_us", "client_port", "server_port") else ""))
                    for k in ("type", "protocol", "request_type", "request_id", "start_time_us", "end_time_us",
                              "client_ip", "client_port", "server_port")))
PY
}
ch_keys() { chq -q "SELECT $KEYCOLS FROM l7_flow_log_dist WHERE start_time_us >= $1 AND start_time_us < $2 FORMAT TSV"; }

# --- 1. offline replay: file and ClickHouse agree -------------------------------------------------
T1=1700000000000000
"$GEN" --out "$WORK/p1.pcap" --packets 60000 --seed 11 --start-us $T1 >/dev/null 2>&1
"$L7TAP" --config "$WORK/l7tap.yaml" --pcap "$WORK/p1.pcap" --flow-log "$WORK/flow1.jsonl" 2>>"$WORK/l7tap.err" ||
  fail "l7tap --pcap p1 failed: $(cat "$WORK/l7tap.err")"
lines=$(wc -l <"$WORK/flow1.jsonl")
[ "$lines" -gt 1000 ] || fail "only $lines records from p1"
rows=$(chq -q "SELECT count() FROM l7_flow_log_dist")
[ "$rows" = "$lines" ] || fail "ClickHouse has $rows rows, the file flow log $lines lines"
s1=$(chq -q "SELECT count() FROM s1.l7_flow_log")
s2=$(chq -q "SELECT count() FROM s2.l7_flow_log")
[ "$s1" -gt 0 ] && [ "$s2" -gt 0 ] || fail "rows not spread over both shards: s1=$s1 s2=$s2"
[ -z "$(ls -A "$WORK/spool")" ] || fail "spool not empty after a run with ClickHouse up: $(ls "$WORK/spool")"
# RED per service from ClickHouse and from the file.
chq -q "SELECT concat(server_ip, ':', toString(server_port)) AS service, protocol, count(),
          countIf(response_status = 'client_error'), countIf(response_status = 'server_error'),
          countIf(response_status = 'timeout'), sum(rrt_us)
        FROM l7_flow_log_dist GROUP BY service, protocol ORDER BY service, protocol FORMAT TSV" >"$WORK/red.ch"
python3 - "$WORK/flow1.jsonl" >"$WORK/red.file" <<'PY'
import collections, json, sys
red = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
for line in open(sys.argv[1]):
    r = json.loads(line)
    v = red[(f'{r.get("server_ip", "")}:{r.get("server_port", 0)}', r["protocol"])]
    v[0] += 1
    st = r.get("response_status", "")
    v[1] += st == "client_error"
    v[2] += st == "server_error"
    v[3] += st == "timeout"
    v[4] += r.get("rrt_us", 0)
for k in sorted(red):
    print("\t".join([k[0], k[1]] + [str(x) for x in red[k]]))
PY
diff "$WORK/red.file" "$WORK/red.ch" >"$WORK/red.diff" || fail "RED per service differs (file < > ClickHouse): $(head "$WORK/red.diff")"
errors=$(awk -F'\t' '{ e += $4 + $5 + $6 } END { print e + 0 }' "$WORK/red.ch")
[ "$errors" -gt 0 ] || fail "the capture has no errors to compare"
# The example queries run on 18.16 and return rows (the trace query: a trace id of the capture).
trace=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    t = json.loads(l).get("trace_id")
    if t: print(t); break' "$WORK/flow1.jsonl")
python3 - "$DDL/queries.sql" "$WORK" "$trace" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for part in text.split("-- name: ")[1:]:
    name, body = part.split("\n", 1)
    sql = "\n".join(l for l in body.splitlines() if not l.lstrip().startswith("--")).strip().rstrip(";")
    if sys.argv[3]:
        sql = sql.replace("0af7651916cd43dd8448eb211c80319c", sys.argv[3])
    open(f"{sys.argv[2]}/q_{name.strip()}.sql", "w").write(sql)
PY
for q in "$WORK"/q_*.sql; do
  out=$(chq --multiquery <"$q") || fail "query $(basename "$q") failed"
  name=$(basename "$q" .sql)
  if [ "$name" != q_session_by_trace_id ] || [ -n "$trace" ]; then
    [ -n "$out" ] || fail "query $name returned no rows"
  fi
  echo "$name: $(echo "$out" | wc -l) rows"
done
echo "phase 1: $lines records, s1=$s1 s2=$s2, RED per service identical, $errors errors"

# --- 2. ClickHouse stopped and started while l7tap runs ------------------------------------------
T2=1800000000000000
for i in 1 2 3; do
  "$GEN" --out "$WORK/q$i.pcap" --packets 30000 --seed $((20 + i)) --start-us $((T2 + i * 100000000)) >/dev/null 2>&1
  mkfifo "$WORK/fifo$i"
done
"$L7TAP" --config "$WORK/l7tap.yaml" --pcap "$WORK/fifo1" --pcap "$WORK/fifo2" --pcap "$WORK/fifo3" \
  --metrics-listen "127.0.0.1:$MPORT" --flow-log "$WORK/flow2.jsonl" 2>>"$WORK/l7tap.err" &
L7_PID=$!
PIDS+=("$L7_PID")
# stable_sent: every line the file flow log has is acknowledged by ClickHouse.
all_sent() {
  local n
  n=$(wc -l <"$WORK/flow2.jsonl")
  [ "$n" -gt 0 ] && [ "$(metric l7tap_clickhouse_records_sent_total)" -ge "$n" ] &&
    [ "$(metric l7tap_clickhouse_spool_bytes)" = 0 ]
}
cat "$WORK/q1.pcap" >"$WORK/fifo1"
wait_for all_sent || fail "capture 1 not inserted: sent $(metric l7tap_clickhouse_records_sent_total) of $(wc -l <"$WORK/flow2.jsonl")"
sleep 0.5  # the last flush_interval batch, if any, is acknowledged too (all_sent is checked again)
all_sent || fail "records still arriving after capture 1"
stop_ch
cat "$WORK/q2.pcap" >"$WORK/fifo2"
spooling() { [ "$(metric l7tap_clickhouse_records_spooled_total)" -gt 0 ] && [ "$(metric l7tap_clickhouse_records_retried_total)" -gt 0 ]; }
wait_for spooling || fail "nothing spooled while ClickHouse is down"
sleep 1
spool_bytes=$(metric l7tap_clickhouse_spool_bytes)
[ "$spool_bytes" -gt 0 ] || fail "spool empty while ClickHouse is down"
start_ch
t0=$(date +%s.%N)
wait_for all_sent || fail "spool did not drain: $(metric l7tap_clickhouse_spool_bytes) bytes left"
t1=$(date +%s.%N)
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$WORK/metrics2.txt"
cat "$WORK/q3.pcap" >"$WORK/fifo3"
wait "$L7_PID" || fail "l7tap exited with an error: $(tail "$WORK/l7tap.err")"
PIDS=("$CH_PID")
lines2=$(wc -l <"$WORK/flow2.jsonl")
diff <(file_keys "$WORK/flow2.jsonl" | sort) <(ch_keys $T2 $((T2 + 1000000000)) | sort) >"$WORK/keys2.diff" ||
  fail "phase 2: ClickHouse does not hold every record exactly once ($(grep -c '^<' "$WORK/keys2.diff") missing, $(grep -c '^>' "$WORK/keys2.diff") extra)"
unknown=$(awk '$1 == "l7tap_clickhouse_insert_failures_total{reason=\"unknown\"}" { print $2 }' "$WORK/metrics2.txt")
[ "${unknown:-0}" = 0 ] || fail "inserts with an unknown outcome: $unknown"
grep -E '^l7tap_clickhouse_records_(spooled|retried|sent)_total' "$WORK/metrics2.txt"
echo "phase 2: $lines2 records exactly once; spool reached $spool_bytes bytes, drained in $(python3 -c "print(round($t1 - $t0, 2))") s after the restart"

# --- 3. l7tap restarted while ClickHouse is down: the spool is replayed by the next run --------------
T3=1900000000000000
"$GEN" --out "$WORK/r1.pcap" --packets 20000 --seed 31 --start-us $T3 >/dev/null 2>&1
"$GEN" --out "$WORK/r2.pcap" --packets 2000 --seed 32 --start-us $((T3 + 100000000)) >/dev/null 2>&1
stop_ch
"$L7TAP" --config "$WORK/l7tap.yaml" --pcap "$WORK/r1.pcap" --flow-log "$WORK/flow3.jsonl" 2>>"$WORK/l7tap.err" ||
  fail "l7tap --pcap r1 failed"
ls "$WORK/spool"/*.jsonl >/dev/null 2>&1 || fail "nothing spooled by a run with ClickHouse down"
spooled_files=$(ls "$WORK/spool" | wc -l)
start_ch
"$L7TAP" --config "$WORK/l7tap.yaml" --pcap "$WORK/r2.pcap" --flow-log "$WORK/flow3.jsonl" 2>>"$WORK/l7tap.err" ||
  fail "l7tap --pcap r2 failed"
[ -z "$(ls -A "$WORK/spool")" ] || fail "spool not replayed by the next run: $(ls "$WORK/spool" | head)"
diff <(file_keys "$WORK/flow3.jsonl" | sort) <(ch_keys $T3 $((T3 + 1000000000)) | sort) >"$WORK/keys3.diff" ||
  fail "phase 3: ClickHouse does not hold every record exactly once ($(grep -c '^<' "$WORK/keys3.diff") missing, $(grep -c '^>' "$WORK/keys3.diff") extra)"
echo "phase 3: $spooled_files spooled batches replayed after the restart; $(wc -l <"$WORK/flow3.jsonl") records exactly once"
stop_ch
echo PASS
