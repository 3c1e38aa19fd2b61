#!/usr/bin/env bash
# l7tap's RED metrics through a real Prometheus with the shipped Asserts recording rules.
#
# Traffic: MQTT conversations built by our generator (tools/gen_mqtt_pcap.py, from the MQTT 3.1.1
# and 5.0 specifications): its standard set against broker 10.0.0.2:1883 (plain, VLAN 100 and VXLAN
# VNI 4242 flows), plus two flows against a second broker 10.0.0.3:1883 that answers with server
# errors (3.1.1 CONNACK 3 "server unavailable", 5.0 PUBACK 0x80 "unspecified error").
# l7tap runs in live mode over a net_pcap vdev with a service map (VLAN and tunnel rules before the
# plain one; 10.0.0.3 left unmatched, so named "10.0.0.3:1883"), client labels on and the built-in
# endpoint normalisation. Prometheus scrapes it every second and evaluates
# conf/prometheus/l7tap-asserts-rules.yml every second; the asserts:* series must hold, per
# service, exactly what the flow log implies.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || fail "prometheus not installed"

# ---- capture ------------------------------------------------------------------------------------
python3 - "$L7TAP_SOURCE_DIR/tools" "$WORK/mqtt.pcap" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import gen_mqtt_pcap as g

pcap = g.Pcap()
t = g.BASE_TS
for k, (fn, vlan, vxlan) in enumerate(g.FLOWS):
    fn(g.TcpFlow(pcap, t + k * 0.001, "10.1.0.%d" % (k + 1), 20000 + k, "10.0.0.2", 1883, vlan=vlan, vxlan=vxlan))
C, S = 0, 1
f = g.TcpFlow(pcap, t + 0.02, "10.1.0.20", 21000, "10.0.0.3", 1883)
f.handshake()
f.send(C, g.connect("e2e-unavailable", 4))
f.send(S, g.connack(3))  # 3.1.1: server unavailable
f.close(S)
f = g.TcpFlow(pcap, t + 0.03, "10.1.0.21", 21001, "10.0.0.3", 1883)
f.handshake()
f.send(C, g.connect("e2e-v5", 5))
f.send(S, g.connack(0, v5=True))
for pid, dev in ((7, 42), (8, 43)):  # two device ids: one endpoint after normalisation
    f.send(C, g.publish("devices/%d/temp" % dev, "21.5", qos=1, pid=pid, v5=True))
    f.send(S, g.pub_ack(4, pid, 0x80, []))  # 5.0: unspecified error
f.send(C, g.disconnect())
f.close(C)
pcap.write(sys.argv[2])
PY

# ---- l7tap --------------------------------------------------------------------------------------
MPORT=$(free_port)
cat > "$WORK/l7tap.yaml" <<YAML
eal:
  args: [$EAL_ARGS, "-l", "0-1"]
ports:
  - name: tap0
    device: "net_pcap0,rx_pcap=$WORK/mqtt.pcap"
flow_log:
  path: "$WORK/flow.jsonl"
metrics:
  listen: "127.0.0.1:$MPORT"
  client_labels: true
service_map:
  unmatched: name
  rules:
    - { cidr: 10.0.0.2/32, ports: [1883], vlan: 100, service: mqtt-broker-vlan100, namespace: iot, env: e2e, site: lab }
    - { cidr: 10.0.0.2/32, ports: [1883], tunnel_id: 4242, service: mqtt-overlay, namespace: iot, env: e2e, site: lab }
    - { cidr: 10.0.0.2/32, ports: ["1883-1884"], service: mqtt-broker, namespace: iot, workload: mosquitto, env: e2e, site: lab }
    - { cidr: 10.1.0.0/16, service: mqtt-clients, namespace: devices }
YAML
"$L7TAP" --check-config --config "$WORK/l7tap.yaml" >/dev/null || fail "conf rejected"
"$L7TAP" --config "$WORK/l7tap.yaml" 2>"$WORK/l7tap.err" &
L7PID=$!
PIDS+=($L7PID)

# The offline replay of the same capture says how many records the live run must write.
offline_replay "$WORK/mqtt.pcap" "$WORK/offline.jsonl"
want=$(grep -c '' "$WORK/offline.jsonl")
[ "$want" -gt 30 ] || fail "offline replay produced only $want records"
all_written() { [ "$(grep -c '' "$WORK/flow.jsonl" 2>/dev/null)" -ge "$want" ]; }
wait_for all_written || { cat "$WORK/l7tap.err" >&2; fail "live mode wrote fewer than $want records"; }
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$WORK/metrics.txt" || fail "no /metrics on port $MPORT"
promtool check metrics <"$WORK/metrics.txt" || fail "promtool check metrics rejected the exposition"

# ---- Prometheus -----------------------------------------------------------------------------------
PPORT=$(free_port)
rules_src="$L7TAP_SOURCE_DIR/conf/prometheus/l7tap-asserts-rules.yml"
[ -f "$rules_src" ] || fail "missing $rules_src"
# The shipped groups evaluate every 15s; this test evaluates every second.
sed -E 's/^([[:space:]]*interval:)[[:space:]]*[0-9]+[smh]?[[:space:]]*$/\1 1s/' "$rules_src" >"$WORK/rules.yml"
grep -q 'interval: 1s' "$WORK/rules.yml" || fail "could not set the rule group interval"
cat > "$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $WORK/rules.yml
scrape_configs:
  - job_name: l7tap
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ["127.0.0.1:$MPORT"]
YAML
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "promtool rejected the Prometheus config"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PPORT" --web.enable-lifecycle --log.level=warn 2>"$WORK/prometheus.err" &
PROMPID=$!
PIDS+=($PROMPID)
ready() { curl -sf "http://127.0.0.1:$PPORT/-/ready"; }
wait_for ready || { cat "$WORK/prometheus.err" >&2; fail "Prometheus did not become ready"; }

# ---- the asserts:* series against the flow log -----------------------------------------------------
python3 - "http://127.0.0.1:$PPORT" "$WORK/flow.jsonl" <<'PY' || { tail -20 "$WORK/prometheus.err" >&2; fail "asserts:* series differ from the flow log"; }
import json, sys, time, urllib.parse, urllib.request
from collections import Counter

base, flow_log = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(flow_log) if l.strip()]

def service_of(r):  # the conf's service map, first match wins
    ip, port = r["server_ip"], r["server_port"]
    if ip == "10.0.0.2" and port == 1883 and r.get("vlan") == 100: return "mqtt-broker-vlan100"
    if ip == "10.0.0.2" and port == 1883 and r.get("tunnel_id") == 4242: return "mqtt-overlay"
    if ip == "10.0.0.2" and 1883 <= port <= 1884: return "mqtt-broker"
    return "%s:%d" % (ip, port)

want = {name: Counter() for name in ("request", "client_error", "error", "latency_count")}
latency_sum = Counter()
for r in recs:
    s = service_of(r)
    if r["type"] in ("session", "request"): want["request"][s] += 1
    if r.get("response_status") == "client_error": want["client_error"][s] += 1
    if r.get("response_status") in ("server_error", "timeout"): want["error"][s] += 1
    if "rrt_us" in r:
        want["latency_count"][s] += 1
        latency_sum[s] += r["rrt_us"] / 1e6
services = {"mqtt-broker", "mqtt-broker-vlan100", "mqtt-overlay", "10.0.0.3:1883"}
assert set(want["request"]) == services, want["request"]
assert want["error"]["10.0.0.3:1883"] == 3 and want["client_error"]["mqtt-broker"] > 0, want
for name in want:  # every service has a series, zero or not
    for s in services: want[name][s] += 0

def query(q):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return body["data"]["result"]

def by_service(q):
    return {r["metric"].get("service", ""): float(r["value"][1]) for r in query(q)}

checks = {
    "request": 'sum by (service) (asserts:request:total{asserts_request_type="inbound",job="l7tap",asserts_source="l7tap"})',
    "client_error": 'sum by (service) (asserts:client:error:total{asserts_request_type="inbound"})',
    "error": 'sum by (service) (asserts:error:total{asserts_request_type="inbound",asserts_error_type="server_errors"})',
    "latency_count": 'sum by (service) (asserts:latency:count{asserts_request_type="inbound"})',
}

def current():
    got = {name: by_service(q) for name, q in checks.items()}
    got["latency_sum"] = by_service('sum by (service) (asserts:latency:total{asserts_request_type="inbound"})')
    got["outbound"] = by_service('sum by (service) (asserts:request:total{asserts_request_type="outbound"})')
    return got

def matches(got):
    for name in checks:
        if got[name] != {s: float(v) for s, v in want[name].items()}: return False
    if set(got["latency_sum"]) != services: return False
    if any(abs(got["latency_sum"][s] - latency_sum[s]) > 1e-9 for s in services): return False
    return got["outbound"] == {"mqtt-clients": float(sum(want["request"].values()))}

# Bounded wait: scrapes and rule evaluations run every second; 60 s is far more than needed.
deadline = time.time() + 60
got = None
while time.time() < deadline:
    got = current()
    if matches(got): break
    time.sleep(0.5)
else:
    print("want:", {k: dict(v) for k, v in want.items()}, dict(latency_sum), file=sys.stderr)
    print("got: ", got, file=sys.stderr)
    sys.exit(1)

# Labels the Asserts convention needs, from the service map.
broker = query('asserts:request:total{asserts_request_type="inbound",service="mqtt-broker"}')
assert broker, "no inbound series for mqtt-broker"
for r in broker:
    m = r["metric"]
    assert (m.get("namespace"), m.get("workload"), m.get("asserts_env"), m.get("asserts_site"), m.get("job")) == \
        ("iot", "mosquitto", "e2e", "lab", "l7tap"), m
overlay = query('asserts:request:total{asserts_request_type="inbound",service="mqtt-overlay"}')
assert overlay and all("workload" not in r["metric"] and r["metric"].get("namespace") == "iot" for r in overlay), overlay
# Endpoint normalisation: devices/42/temp and devices/43/temp are one request context.
ctx = {r["metric"].get("asserts_request_context"): float(r["value"][1])
       for r in query('asserts:request:total{asserts_request_type="inbound",service="10.0.0.3:1883"}')}
assert ctx.get("devices/{}/temp") == 2.0, ctx
assert not any("42" in c or "43" in c for c in ctx), ctx
outbound = query('asserts:request:total{asserts_request_type="outbound"}')
assert all(r["metric"].get("namespace") == "devices" for r in outbound), outbound
total = sum(want["request"].values())
print(f"asserts ok: {total} requests over {len(services)} services, "
      f"{sum(want['client_error'].values())} client errors, {sum(want['error'].values())} server errors, "
      f"{sum(want['latency_count'].values())} latencies")
PY

# ---- SIGHUP reloads the service map without losing counters ----------------------------------------
before=$(curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -c '^l7tap_requests_total{')
kill -HUP "$L7PID"
reloaded() { grep -q "reloaded" "$WORK/l7tap.err"; }
wait_for reloaded || fail "no reload after SIGHUP: $(tail -3 "$WORK/l7tap.err")"
kill -0 "$L7PID" || fail "l7tap died on SIGHUP"
after=$(curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -c '^l7tap_requests_total{')
[ "$before" -gt 0 ] && [ "$after" -eq "$before" ] || fail "series changed across the reload: $before -> $after"

# ---- stop -------------------------------------------------------------------------------------------
curl -sf -X POST "http://127.0.0.1:$PPORT/-/quit" >/dev/null || fail "Prometheus refused /-/quit"
wait "$PROMPID" || fail "Prometheus did not exit cleanly"
kill -TERM "$L7PID"
wait "$L7PID" || fail "l7tap did not exit cleanly on SIGTERM"
PIDS=()
echo "PASS"
