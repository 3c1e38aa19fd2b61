#!/usr/bin/env bash
# Live mode over a net_pcap vdev (the real DPDK path) replaying generated MQTT traffic: the flow log
# fills, /metrics is scraped from the running l7tap and `promtool check metrics` must accept it,
# and the RED series must count what the capture holds.
source "$(dirname "$0")/lib.sh"
python3 "$L7TAP_SOURCE_DIR/tools/gen_mqtt_pcap.py" "$WORK/mqtt.pcap" >/dev/null
PORT=$(free_port)
cat > "$WORK/l7tap.yaml" <<YAML
eal:
  args: [$EAL_ARGS, "-l", "0-1"]
ports:
  - name: tap0
    device: "net_pcap0,rx_pcap=$WORK/mqtt.pcap"
flow_log:
  path: "$WORK/flow.jsonl"
metrics:
  listen: "127.0.0.1:$PORT"
YAML
"$L7TAP" --config "$WORK/l7tap.yaml" 2>"$WORK/l7tap.err" &
PIDS+=($!)
# Offline replay of the same capture tells how many records to expect.
offline_replay "$WORK/mqtt.pcap" "$WORK/offline.jsonl"
want=$(grep -c '"type":"session"' "$WORK/offline.jsonl")
[ "$want" -gt 5 ] || fail "offline replay produced only $want sessions"
has_sessions() { [ "$(grep -c '"type":"session"' "$WORK/flow.jsonl" 2>/dev/null)" -ge "$want" ]; }
wait_for has_sessions || { cat "$WORK/l7tap.err" >&2; fail "live mode wrote fewer than $want sessions"; }
curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt" || fail "no /metrics on port $PORT"
promtool check metrics <"$WORK/metrics.txt" || fail "promtool check metrics rejected the exposition"
python3 - "$WORK/metrics.txt" "$WORK/flow.jsonl" <<'PY'
import json, re, sys
metrics = open(sys.argv[1]).read()
recs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
def total(name, **labels):
    s = 0.0
    for line in metrics.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            s += float(line.rsplit(" ", 1)[1])
    return s
mqtt_req = sum(1 for r in recs if r["protocol"] == "mqtt" and r["type"] in ("session", "request"))
got = total("l7tap_requests_total", protocol="mqtt")
assert got == mqtt_req, f"l7tap_requests_total{{protocol=mqtt}} = {got}, flow log has {mqtt_req}"
errs = sum(1 for r in recs if r.get("response_status") == "client_error")
assert total("l7tap_client_errors_total") == errs, "client errors differ from the flow log"
assert total("l7tap_port_rx_packets_total", port="tap0") > 0, "port rx counter missing"
assert total("l7tap_worker_packets_total", worker="0") > 0, "worker counter missing"
with_rrt = sum(1 for r in recs if "rrt_us" in r)
assert total("l7tap_request_duration_seconds_count") == with_rrt, "histogram count != records with rrt"
print(f"metrics ok: {mqtt_req} mqtt requests, {errs} client errors, {with_rrt} latencies")
PY
kill -TERM "${PIDS[0]}"
wait "${PIDS[0]}" || fail "l7tap did not exit cleanly on SIGTERM"
PIDS=()
echo "PASS"
