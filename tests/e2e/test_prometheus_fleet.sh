#!/usr/bin/env bash
# Two l7tap appliances scraped by one real Prometheus with the shipped fleet config
# (conf/prometheus/fleet/: file-based discovery, relabelling, fleet Asserts rules). README "Running a
# fleet". Each appliance replays its own generated capture (different seeds and protocol mixes)
# offline with --linger, so its /metrics stays up with final counters. Both share one service map,
# as a fleet does: mqtt-broker and nats are seen by both, the unmatched kafka servers only by tap-a,
# the amqp ones only by tap-b. Checked through Prometheus' HTTP API:
#   - asserts:* per service (requests, client errors, server errors + timeouts, latency count and sum)
#     = the sum over both appliances' flow logs, and per (appliance, service) = that appliance's log;
#   - every series carries appliance = instance from the targets file; l7tap's own site/env labels
#     stay as the service map set them; the targets file's site/env arrive as asserts_site/asserts_env.
# The config is the shipped one apart from the intervals (1 s here), and the targets file written here.
source "$(dirname "$0")/lib.sh"
: "${GEN:?path to the l7tap-gen binary}"
command -v prometheus >/dev/null || fail "prometheus not installed"
FLEET="$L7TAP_SOURCE_DIR/conf/prometheus/fleet"
cd "$WORK"

# ---- two appliances ------------------------------------------------------------------------------
"$GEN" --out a.pcap --packets 20000 --concurrency 200 --seed 31 --mix mqtt=2,kafka=1,nats=1 --errors 0.1 \
  --high-ports 0 2>/dev/null || fail "l7tap-gen (a) failed"
"$GEN" --out b.pcap --packets 15000 --concurrency 150 --seed 32 --mix mqtt=1,amqp=1,nats=2 --errors 0.1 \
  --vlan 0.2 --high-ports 0 2>/dev/null || fail "l7tap-gen (b) failed"
# The generator's servers are 10.(200 + protocol).0.x: 200 mqtt, 201 kafka, 202 amqp, 203 nats.
cat > l7tap.yaml <<'YAML'
service_map:
  unmatched: name
  rules:
    - { cidr: 10.200.0.0/16, service: mqtt-broker, namespace: iot, workload: mosquitto, env: e2e, site: lab }
    - { cidr: 10.203.0.0/16, service: nats, namespace: bus }
YAML
start_appliance() {  # NAME PORT: replay NAME.pcap, then keep /metrics up
  "$L7TAP" --config l7tap.yaml --pcap "$1.pcap" --flow-log "$1.jsonl" --metrics-listen "127.0.0.1:$2" \
    --linger 2>"$1.err" &
  PIDS+=($!)
}
PA=$(free_port)
PB=$(free_port)
start_appliance a "$PA"
start_appliance b "$PB"
# Done when the replay has ended and /metrics has counted every record the flow log holds.
drained() {  # NAME PORT
  grep -q "end of input" "$1.err" || return 1
  local lines counted
  lines=$(grep -c '' "$1.jsonl")
  counted=$(curl -sf "http://127.0.0.1:$2/metrics" | awk '/^l7tap_records_total\{/ { n += $NF } END { print n + 0 }')
  [ "$lines" -gt 0 ] && [ "$lines" = "$counted" ]
}
wait_for drained a "$PA" || fail "appliance a did not finish: $(tail -3 a.err)"
wait_for drained b "$PB" || fail "appliance b did not finish: $(tail -3 b.err)"

# ---- Prometheus with the shipped fleet config -------------------------------------------------------
# Copied as they are (relative paths: the rules and targets/ next to prometheus.yml); only the
# intervals become 1 s. The diff below proves nothing else changed.
mkdir -p prom/targets
sed -E 's/^([[:space:]]*(scrape_interval|evaluation_interval|scrape_timeout|refresh_interval):)[[:space:]]*[0-9]+[smh]$/\1 1s/' \
  "$FLEET/prometheus.yml" >prom/prometheus.yml
sed -E 's/^([[:space:]]*interval:)[[:space:]]*15s$/\1 1s/' "$FLEET/l7tap-asserts-fleet-rules.yml" \
  >prom/l7tap-asserts-fleet-rules.yml
changed=$(diff "$FLEET/prometheus.yml" prom/prometheus.yml | grep '^>' || true)
[ "$(grep -c ' 1s$' <<<"$changed")" = 5 ] && ! grep -qv ' 1s$' <<<"$changed" ||
  fail "the test config differs from the shipped one in more than its 5 intervals: $changed"
[ "$(grep -c 'interval: 1s' prom/l7tap-asserts-fleet-rules.yml)" = 2 ] || fail "could not set the rule group intervals"
# The targets file, as an operator writes it (conf/prometheus/fleet/targets/example.yml).
cat > prom/targets/e2e.yml <<YAML
- targets: ["127.0.0.1:$PA"]
  labels: {appliance: tap-a, site: fra1, env: e2e-a}
- targets: ["127.0.0.1:$PB"]
  labels: {appliance: tap-b, site: ams2}
YAML
promtool check config prom/prometheus.yml >/dev/null || fail "promtool rejected the fleet config"
promtool check rules prom/l7tap-asserts-fleet-rules.yml >/dev/null || fail "promtool rejected the fleet rules"
PPORT=$(free_port)
prometheus --config.file=prom/prometheus.yml --storage.tsdb.path=tsdb \
  --web.listen-address="127.0.0.1:$PPORT" --web.enable-lifecycle --log.level=warn 2>prometheus.err &
PROMPID=$!
PIDS+=($PROMPID)
ready() { curl -sf "http://127.0.0.1:$PPORT/-/ready"; }
wait_for ready || { cat prometheus.err >&2; fail "Prometheus did not become ready"; }

# ---- the asserts:* series against both flow logs -----------------------------------------------------
python3 - "http://127.0.0.1:$PPORT" a.jsonl b.jsonl <<'PY' || { tail -20 prometheus.err >&2; fail "fleet series differ from the flow logs"; }
import json, sys, time, urllib.parse, urllib.request
from collections import Counter

base = sys.argv[1]
logs = {"tap-a": sys.argv[2], "tap-b": sys.argv[3]}

def service_of(r):  # the conf's service map, first match wins
    ip = r["server_ip"]
    if ip.startswith("10.200."): return "mqtt-broker"
    if ip.startswith("10.203."): return "nats"
    return "%s:%d" % (ip, r["server_port"])

KINDS = ("request", "client_error", "error", "latency_count")
want = {}        # (kind, appliance, service) -> count
latency = Counter()  # (appliance, service) -> seconds
for app, path in logs.items():
    for line in open(path):
        if not line.strip(): continue
        r = json.loads(line)
        s = service_of(r)
        if r["type"] in ("session", "request"): want[("request", app, s)] = want.get(("request", app, s), 0) + 1
        for kind, hit in (("client_error", r.get("response_status") == "client_error"),
                          ("error", r.get("response_status") in ("server_error", "timeout")),
                          ("latency_count", "rrt_us" in r)):
            want[(kind, app, s)] = want.get((kind, app, s), 0) + (1 if hit else 0)
        if "rrt_us" in r: latency[(app, s)] += r["rrt_us"] / 1e6

def total(kind, app=None):
    out = Counter()
    for (k, a, s), n in want.items():
        if k == kind and app in (None, a): out[s] += n
    return {s: float(n) for s, n in out.items()}

services = {a: {s for (k, x, s) in want if x == a and k == "request"} for a in logs}
both = services["tap-a"] & services["tap-b"]
assert {"mqtt-broker", "nats"} <= both, services
assert any(s.startswith("10.201.") for s in services["tap-a"] - services["tap-b"]), services  # kafka: a only
assert any(s.startswith("10.202.") for s in services["tap-b"] - services["tap-a"]), services  # amqp: b only
for kind in KINDS:
    assert sum(total(kind).values()) > 0, f"the captures give no {kind} records: the test would prove nothing"

def query(q):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return body["data"]["result"]

def by(labels, q):
    return {tuple(r["metric"].get(l, "") for l in labels) if len(labels) > 1 else r["metric"].get(labels[0], ""):
            float(r["value"][1]) for r in query(q)}

SEL = {
    "request": 'asserts:request:total{asserts_request_type="inbound",job="l7tap",asserts_source="l7tap"}',
    "client_error": 'asserts:client:error:total{asserts_request_type="inbound"}',
    "error": 'asserts:error:total{asserts_request_type="inbound",asserts_error_type="server_errors"}',
    "latency_count": 'asserts:latency:count{asserts_request_type="inbound"}',
}

def mismatches():
    bad = []
    for kind, sel in SEL.items():
        got = by(["service"], f"sum by (service) ({sel})")
        if got != total(kind): bad.append((kind, "fleet", got, total(kind)))
        for app in logs:
            got = by(["service"], f'sum by (service) ({sel[:-1]},appliance="{app}"}})')
            if got != total(kind, app): bad.append((kind, app, got, total(kind, app)))
    got = by(["appliance", "service"], 'sum by (appliance, service) (asserts:latency:total{asserts_request_type="inbound"})')
    if set(got) != set(latency) or any(abs(got[k] - latency[k]) > 1e-6 for k in latency):
        bad.append(("latency_sum", "per appliance", got, dict(latency)))
    return bad

# Bounded wait: scrapes and rule evaluations run every second; 60 s is far more than needed.
deadline = time.time() + 60
while True:
    bad = mismatches()
    if not bad: break
    if time.time() > deadline:
        for b in bad: print("mismatch:", b, file=sys.stderr)
        sys.exit(1)
    time.sleep(0.5)

# Discovery: one target per targets-file entry, instance = appliance.
up = {r["metric"]["instance"]: r for r in query('up{job="l7tap"}')}
assert set(up) == {"tap-a", "tap-b"}, up
assert all(r["metric"]["appliance"] == i and r["value"][1] == "1" for i, r in up.items()), up
# l7tap's labels intact: the service map's site/env, no exported_* (the targets file's site and env
# would have displaced them); the appliance's where they went instead.
raw = query('l7tap_requests_total{service="mqtt-broker"}')
assert raw, "no l7tap_requests_total for mqtt-broker"
for r in raw:
    m = r["metric"]
    assert m["site"] == "lab" and m["env"] == "e2e" and m["instance"] == m["appliance"], m
    assert not any(k.startswith("exported_") for k in m), m
    assert m.get("asserts_site") == {"tap-a": "fra1", "tap-b": "ams2"}[m["appliance"]], m
    assert m.get("asserts_env") == {"tap-a": "e2e-a", "tap-b": None}[m["appliance"]], m
# In the recorded series the service map wins where it has a site/env, the appliance's elsewhere.
for r in query('asserts:request:total{service="mqtt-broker"}'):
    m = r["metric"]
    assert (m.get("asserts_site"), m.get("asserts_env"), m.get("namespace"), m.get("workload")) == \
        ("lab", "e2e", "iot", "mosquitto"), m
for r in query('asserts:request:total{service="nats"}'):
    m = r["metric"]
    site, env = {"tap-a": ("fra1", "e2e-a"), "tap-b": ("ams2", None)}[m["appliance"]]
    assert (m.get("asserts_site"), m.get("asserts_env"), m.get("namespace")) == (site, env, "bus"), m
# Client labels are off: no outbound view.
assert not query('asserts:request:total{asserts_request_type="outbound"}')
n = {k: int(sum(total(k).values())) for k in KINDS}
print(f"fleet ok: 2 appliances, {len(services['tap-a'] | services['tap-b'])} services ({len(both)} on both), "
      f"{n['request']} requests, {n['client_error']} client errors, {n['error']} server errors/timeouts, "
      f"{n['latency_count']} latencies")
PY

# ---- stop -------------------------------------------------------------------------------------------
curl -sf -X POST "http://127.0.0.1:$PPORT/-/quit" >/dev/null || fail "Prometheus refused /-/quit"
wait "$PROMPID" || fail "Prometheus did not exit cleanly"
for pid in "${PIDS[@]:0:2}"; do
  kill -TERM "$pid"
  wait "$pid" || fail "l7tap did not exit cleanly on SIGTERM"
done
PIDS=()
echo "PASS"
