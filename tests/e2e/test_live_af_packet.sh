#!/usr/bin/env bash
# Live capture from a kernel interface, no capture file in between: l7tap in live mode reads the
# loopback interface through DPDK's net_af_packet vdev while a real mosquitto broker serves real
# mosquitto_pub / mosquitto_sub clients on 127.0.0.1. (On lo every frame is seen twice — once
# sent, once received — so reassembly's retransmission trimming is exercised on every segment.)
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root for AF_PACKET"; exit 77; }
MQ_PORT=$(free_port)
cat > "$WORK/l7tap.yaml" <<YAML
eal:
  args: [$EAL_ARGS, "-l", "0-1"]
ports:
  - name: lo
    device: "net_af_packet0,iface=lo"
protocols:
  port_hints: { mqtt: [] }   # the broker's port is random: detection must come from the bytes
flow_log:
  path: "$WORK/flow.jsonl"
metrics:
  listen: ""
YAML
"$L7TAP" --config "$WORK/l7tap.yaml" 2>"$WORK/l7tap.err" &
L7PID=$!
PIDS+=("$L7PID")
started() { grep -q "polling port/queue" "$WORK/l7tap.err"; }
wait_for started || fail "l7tap did not start: $(cat "$WORK/l7tap.err")"
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$MQ_PORT" >"$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
MQPID=$!
PIDS+=("$MQPID")
listening() { mosquitto_pub -h 127.0.0.1 -p "$MQ_PORT" -t probe/ready -m x -i ready; }
wait_for listening || fail "mosquitto did not start"
mosquitto_sub -h 127.0.0.1 -p "$MQ_PORT" -t 'live/#' -q 1 -C 2 -i live-sub >/dev/null &
SUBPID=$!
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p "$MQ_PORT" -t live/one -m hello -q 1 -i live-pub-q1
mosquitto_pub -h 127.0.0.1 -p "$MQ_PORT" -t live/two -m hello -q 2 -i live-pub-q2 -V mqttv5
wait "$SUBPID" || fail "subscriber did not get its messages"
kill "$MQPID"; wait "$MQPID" 2>/dev/null || true
sleep 3  # closing flows end after flows.tcp_close_timeout (2 s)
kill -TERM "$L7PID"; wait "$L7PID" || fail "l7tap did not exit cleanly"
PIDS=()
python3 - "$WORK/flow.jsonl" "$MQ_PORT" <<'PY'
import collections, json, sys
port = int(sys.argv[2])
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [r for r in recs if r.get("server_port") == port]
assert mine and all(r["protocol"] == "mqtt" for r in mine), f"no MQTT records for port {port}: {recs[:3]}"
assert all(r["type"] == "session" for r in mine), collections.Counter(r["type"] for r in mine)
connects = {r["request_domain"]: r for r in mine if r["request_type"] == "CONNECT"}
assert {"live-sub", "live-pub-q1", "live-pub-q2"} <= set(connects), sorted(connects)
assert connects["live-pub-q2"]["version"] == "5.0" and connects["live-sub"]["version"] == "3.1.1", connects
pubs = collections.Counter((r["request_resource"], "rrt_us" in r) for r in mine if r["request_type"] == "PUBLISH")
# each message twice (publisher → broker, broker → subscriber), each acknowledged
assert pubs[("live/one", True)] == 2 and pubs[("live/two", True)] == 2, pubs
assert any(r["request_type"] == "PUBREL" for r in mine), "QoS 2 handshake"
assert all(r["client_ip"] == "127.0.0.1" and r["server_port"] == port for r in mine)
print(f"live af_packet ok: {len(mine)} MQTT sessions {dict(collections.Counter(r['request_type'] for r in mine))}")
PY
echo PASS
