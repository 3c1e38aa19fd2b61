#!/usr/bin/env bash
# Two workers reading one kernel interface through two queues, the way a server without a DPDK NIC
# reads a mirror interface on several cores: net_af_packet with qpairs=2 gives two AF_PACKET
# sockets in one PACKET_FANOUT_HASH group, and the kernel spreads flows over them by a symmetric
# flow hash. Each queue is polled by its own worker lcore (no dispatcher); three lcores share this
# machine's two cores (--lcores 0@0,1@1,2@0). Real mosquitto clients talk to a real broker on lo.
# Checks: both workers got traffic, and every request met its response on the worker that saw it
# (both directions of every connection reached the same queue), for all the clients' sessions.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root for AF_PACKET"; exit 77; }
MQ_PORT=$(free_port)
METRICS_PORT=$(free_port)
CLIENTS=24
cat > "$WORK/l7tap.yaml" <<YAML
eal:
  args: [$EAL_ARGS, "--lcores", "0@0,1@1,2@0"]
ports:
  - name: lo
    device: "net_af_packet0,iface=lo,qpairs=2"
    rx_queues: 2
workers:
  count: 2
  dispatcher: never
protocols:
  port_hints: { mqtt: [] }   # the broker's port is random: detection must come from the bytes
flow_log:
  path: "$WORK/flow.jsonl"
metrics:
  listen: "127.0.0.1:$METRICS_PORT"
YAML
"$L7TAP" --config "$WORK/l7tap.yaml" 2>"$WORK/l7tap.err" &
L7PID=$!
PIDS+=("$L7PID")
both_polling() { [ "$(grep -c "polling port/queue" "$WORK/l7tap.err")" -eq 2 ]; }
wait_for both_polling || fail "l7tap did not start two polling workers: $(cat "$WORK/l7tap.err")"
grep -q "kernel fanout" "$WORK/l7tap.err" || fail "port not set up for fanout: $(cat "$WORK/l7tap.err")"
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$MQ_PORT" >"$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
MQPID=$!
PIDS+=("$MQPID")
listening() { mosquitto_pub -h 127.0.0.1 -p "$MQ_PORT" -t probe/ready -m x -i ready; }
wait_for listening || fail "mosquitto did not start"
for i in $(seq 1 "$CLIENTS"); do
  mosquitto_pub -h 127.0.0.1 -p "$MQ_PORT" -t "fanout/$i" -m "hello $i" -q 1 -i "fanout-$i" || fail "client $i"
done
kill "$MQPID"; wait "$MQPID" 2>/dev/null || true
sleep 3  # closing flows end after flows.tcp_close_timeout (2 s)
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt" || fail "no /metrics"
kill -TERM "$L7PID"; wait "$L7PID" || fail "l7tap did not exit cleanly"
PIDS=()
python3 - "$WORK/flow.jsonl" "$WORK/metrics.txt" "$MQ_PORT" "$CLIENTS" <<'PY'
import collections, json, re, sys
flow, metrics, port, clients = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
text = open(metrics).read()
packets = {m.group(1): float(m.group(2)) for m in
           re.finditer(r'^l7tap_worker_packets_total\{worker="(\d)"\} (\S+)$', text, re.M)}
# The kernel's fanout may move packets of a full queue to the other one (split flows): counted.
rollover = re.search(r'^l7tap_port_rx_rollover_total\{port="lo"\} (\S+)$', text, re.M)
assert rollover, "no rollover counter for the fanout port"
assert set(packets) == {"0", "1"} and all(v > 0 for v in packets.values()), f"both workers must see traffic: {packets}"
recs = [json.loads(l) for l in open(flow) if l.strip()]
mine = [r for r in recs if r.get("server_port") == port]
assert mine and all(r["protocol"] == "mqtt" for r in mine), f"no MQTT records for port {port}: {recs[:3]}"
# Every request was answered on the worker that saw it: nothing left unanswered, no orphan response.
types = collections.Counter(r["type"] for r in mine)
assert types == {"session": len(mine)}, types
connects = {r["request_domain"] for r in mine if r["request_type"] == "CONNECT"}
want = {f"fanout-{i}" for i in range(1, clients + 1)}
assert want <= connects, sorted(want - connects)
pubs = {r["request_resource"] for r in mine if r["request_type"] == "PUBLISH" and "rrt_us" in r}
assert {f"fanout/{i}" for i in range(1, clients + 1)} <= pubs, sorted(pubs)
print(f"fanout ok: workers {packets}, {len(mine)} MQTT sessions, all paired, rollover {rollover.group(1)}")
PY

# One queue polled of two sockets would lose the other socket's flows: refused, naming the key.
sed -e 's/rx_queues: 2/rx_queues: 1/' -e 's/count: 2/count: 1/' "$WORK/l7tap.yaml" >"$WORK/one.yaml"
set +e
"$L7TAP" --config "$WORK/one.yaml" >/dev/null 2>"$WORK/one.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "rx_queues 1 on qpairs=2 must be refused with exit 2, got $rc: $(cat "$WORK/one.err")"
grep -q "ports\[0\].rx_queues.*qpairs=2" "$WORK/one.err" || fail "error must name the key: $(cat "$WORK/one.err")"
echo PASS
