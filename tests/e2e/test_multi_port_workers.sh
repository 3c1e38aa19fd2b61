#!/usr/bin/env bash
# Direct mode (no dispatcher): two vdev ports, net_pcap replays of different captures, dealt out to
# two worker lcores that poll their own queues. Records must equal offline runs of the same two
# captures, and each worker must have handled packets.
source "$(dirname "$0")/lib.sh"
python3 "$L7TAP_SOURCE_DIR/tools/gen_mqtt_pcap.py" "$WORK/a.pcap" --repeat 5 >/dev/null
python3 "$L7TAP_SOURCE_DIR/tools/gen_mqtt_pcap.py" "$WORK/b.pcap" --repeat 7 >/dev/null
# Port k goes to worker k % 2, so each worker replays one capture: the reference is one offline run
# per capture (the two captures share flows, which only separate workers keep apart).
offline_replay "$WORK/a.pcap" "$WORK/offline.jsonl"
offline_replay "$WORK/b.pcap" "$WORK/offline.jsonl"
PORT=$(free_port)
cat > "$WORK/l7tap.yaml" <<YAML
eal:
  args: [$EAL_ARGS, "--lcores", "0@0,1@1,2@0"]
ports:
  - {name: tapa, device: "net_pcap0,rx_pcap=$WORK/a.pcap"}
  - {name: tapb, device: "net_pcap1,rx_pcap=$WORK/b.pcap"}
workers:
  count: 2
  dispatcher: never
flow_log:
  path: "$WORK/flow.jsonl"
metrics:
  listen: "127.0.0.1:$PORT"
YAML
want=$(wc -l <"$WORK/offline.jsonl")
live_replay "$want" "$PORT"
grep -q "dispatcher on main lcore" "$WORK/l7tap.err" && fail "the dispatcher ran although workers.dispatcher is never"
grep -q "polling port/queue" "$WORK/l7tap.err" || fail "workers did not poll queues: $(cat "$WORK/l7tap.err")"
python3 - "$WORK/offline.jsonl" "$WORK/flow.jsonl" "$WORK/metrics.txt" <<'PY'
import collections, json, sys
load = lambda p: [json.loads(l) for l in open(p) if l.strip()]
off, live = load(sys.argv[1]), load(sys.argv[2])
key = lambda r: (r["type"], r.get("request_type"), r["client_ip"], r["client_port"], r.get("request_id"), r["start_time_us"])
co, cl = collections.Counter(map(key, off)), collections.Counter(map(key, live))
assert co == cl, f"live differs from offline: {list((cl - co).items())[:3]} / {list((co - cl).items())[:3]}"
per_worker = {}
for line in open(sys.argv[3]):
    if line.startswith("l7tap_worker_packets_total{"):
        per_worker[line.split('worker="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
assert len(per_worker) == 2 and all(v > 0 for v in per_worker.values()), per_worker
print(f"direct mode ok: {len(live)} records, packets per worker {per_worker}")
PY
echo PASS
