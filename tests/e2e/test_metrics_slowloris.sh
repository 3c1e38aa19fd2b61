#!/usr/bin/env bash
# /metrics under hostile clients. l7tap replays a capture offline and keeps serving /metrics on
# 127.0.0.1 (--linger) while 20 idle and 50 slowloris connections (one header byte every 2 s,
# reconnecting whenever closed) are held open. Still: a plain curl scrape is answered within 2 s,
# 100 concurrent scrapers all get a 200 with an exposition promtool accepts, garbage requests get a
# 4xx or a closed connection and do not hurt the next scrape, and the listener counts what it
# refused. Then SIGTERM must end l7tap with status 0 within 1 s.
# (With civetweb's 2 threads and 30 s request timeout the scrape took 30 s with 2 idle clients and
# minutes under the slowloris ones, and SIGTERM took 1-2 s.)
source "$(dirname "$0")/lib.sh"
CLIENTS="$L7TAP_SOURCE_DIR/tests/e2e/metrics_clients.py"
python3 "$L7TAP_SOURCE_DIR/tools/gen_mqtt_pcap.py" "$WORK/mqtt.pcap" >/dev/null
PORT=$(free_port)
# Room for the 70 hostile connections and the 100 scrapers at once (at the cap the listener would
# evict the longest-waiting clients, which the unit tests cover); heads time out after 2 s.
cat > "$WORK/l7tap.yaml" <<YAML
metrics:
  max_connections: 256
  request_timeout: 2s
YAML
"$L7TAP" --config "$WORK/l7tap.yaml" --pcap "$WORK/mqtt.pcap" --flow-log '' --metrics-listen "127.0.0.1:$PORT" \
  --linger 2>"$WORK/l7tap.err" &
L7PID=$!
PIDS+=("$L7PID")
wait_for curl -sf "http://127.0.0.1:$PORT/metrics" || { cat "$WORK/l7tap.err" >&2; fail "no /metrics on $PORT"; }

python3 "$CLIENTS" hold "$PORT" 20 50 600 >"$WORK/hold.out" &
PIDS+=($!)
ready() { grep -q ready "$WORK/hold.out"; }
wait_for ready || fail "the idle and slowloris clients could not connect"

# A plain scrape behind them: curl gives up after 2 s.
for i in 1 2 3; do
  t=$(curl -sf -m 2 -o "$WORK/metrics.txt" -w '%{time_total}' "http://127.0.0.1:$PORT/metrics") ||
    fail "scrape $i with 20 idle + 50 slowloris connections open: no 200 within 2 s"
  echo "scrape $i with 20 idle + 50 slowloris connections open: ${t}s"
done
promtool check metrics <"$WORK/metrics.txt" || fail "promtool check metrics rejected the exposition"

python3 "$CLIENTS" scrapers "$PORT" 100 || fail "100 concurrent scrapers"
python3 "$CLIENTS" garbage "$PORT" || fail "garbage requests"
curl -sf -m 2 -o "$WORK/metrics.txt" "http://127.0.0.1:$PORT/metrics" || fail "no scrape after the garbage"

value() { awk -v s="$1" '$1 == s { print $2 }' "$WORK/metrics.txt"; }
timed_out() {
  curl -sf -m 2 -o "$WORK/metrics.txt" "http://127.0.0.1:$PORT/metrics" && [ "$(value l7tap_metrics_request_timeouts_total)" -ge 20 ]
}
wait_for timed_out || fail "idle and slowloris heads not timed out: $(grep '^l7tap_metrics_' "$WORK/metrics.txt")"
[ "$(value 'l7tap_metrics_responses_total{code="200"}')" -ge 104 ] || fail "200 responses not counted"
[ "$(value 'l7tap_metrics_responses_total{code="400"}')" -ge 1 ] || fail "400 responses not counted"
[ "$(value 'l7tap_metrics_responses_total{code="431"}')" -ge 1 ] || fail "431 responses not counted"
grep '^l7tap_metrics_' "$WORK/metrics.txt"

# SIGTERM while the hostile clients are still connected.
t0=$(date +%s%N)
kill -TERM "$L7PID"
rc=0
wait "$L7PID" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
PIDS=("${PIDS[@]:1}")
echo "exit after SIGTERM: ${ms} ms, status $rc"
[ "$rc" -eq 0 ] || { cat "$WORK/l7tap.err" >&2; fail "l7tap exited with status $rc on SIGTERM"; }
[ "$ms" -lt 1000 ] || fail "l7tap took ${ms} ms to exit on SIGTERM"
echo "PASS"
