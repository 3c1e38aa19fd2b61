#!/usr/bin/env bash
# Two worker lcores fed by the dispatcher from one single-queue net_pcap port: the dispatcher hashes
# the direction-independent flow key, so both directions of every connection must reach the same
# worker — which shows as every request finding its response (a split flow would yield `request`
# and `response` records instead of `session`). Both workers must have received traffic.
source "$(dirname "$0")/lib.sh"
python3 "$L7TAP_SOURCE_DIR/tools/gen_mqtt_pcap.py" "$WORK/mqtt.pcap" --repeat 40 >/dev/null
PORT=$(free_port)
cat > "$WORK/l7tap.yaml" <<YAML
eal:
  # three lcores on two CPUs: main (dispatcher) + two workers
  args: [$EAL_ARGS, "--lcores", "0@0,1@1,2@0"]
ports:
  - name: tap0
    device: "net_pcap0,rx_pcap=$WORK/mqtt.pcap"
workers:
  count: 2
  dispatcher: auto
flow_log:
  path: "$WORK/flow.jsonl"
metrics:
  listen: "127.0.0.1:$PORT"
YAML
offline_replay "$WORK/mqtt.pcap" "$WORK/offline.jsonl"
want=$(wc -l <"$WORK/offline.jsonl")
live_replay "$want" "$PORT"
grep -q "dispatcher on main lcore" "$WORK/l7tap.err" || fail "the dispatcher did not run"
python3 - "$WORK/offline.jsonl" "$WORK/flow.jsonl" "$WORK/metrics.txt" <<'PY'
import collections, json, sys
def load(p): return [json.loads(l) for l in open(p) if l.strip()]
off, live = load(sys.argv[1]), load(sys.argv[2])
key = lambda r: (r["type"], r.get("request_type"), r.get("client_port"), r.get("request_id"), r.get("start_time_us"))
co, cl = collections.Counter(map(key, off)), collections.Counter(map(key, live))
assert co == cl, f"live (2 workers) differs from offline (1 worker): {list((cl - co).items())[:3]} / {list((co - cl).items())[:3]}"
types = collections.Counter(r["type"] for r in live)
per_worker = {}
for line in open(sys.argv[3]):
    if line.startswith("l7tap_worker_packets_total{"):
        w = line.split('worker="')[1].split('"')[0]
        per_worker[w] = float(line.rsplit(" ", 1)[1])
assert len(per_worker) == 2 and all(v > 0 for v in per_worker.values()), f"per-worker packets: {per_worker}"
print(f"two workers ok: {len(live)} records {dict(types)}, packets per worker {per_worker}")
PY
echo "PASS"
