#!/usr/bin/env python3
"""For tests/e2e/test_prometheus_fleet.sh: checks the asserts:* series a Prometheus-compatible query
API (BASE_URL) serves against the flow logs of the two appliances tap-a and tap-b, waiting up to 60 s
for them to arrive. MODE: `site` (the Prometheus that scrapes the appliances: also their own l7tap_*
series and labels), `federated` or `store` (asserts:* and up only, as federate.yml and remote-write.yml
pass them on).
DOWN is the address of a targets-file entry without labels where nothing listens.
  check_fleet_series.py MODE BASE_URL A.jsonl B.jsonl DOWN"""
import json, sys, time, urllib.parse, urllib.request
from collections import Counter

mode, base = sys.argv[1], sys.argv[2]
assert mode in ("site", "federated", "store"), mode
logs = {"tap-a": sys.argv[3], "tap-b": sys.argv[4]}
down = sys.argv[5]

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
    # Relative: a store may keep fewer significant digits than a float64 (VictoriaMetrics: 12 or more).
    if set(got) != set(latency) or any(abs(got[k] - latency[k]) > 1e-9 * max(1.0, latency[k]) for k in latency):
        bad.append(("latency_sum", "per appliance", got, dict(latency)))
    # One target per targets-file entry; the entry without labels is named after its address and
    # shows as down.
    got = by(["instance"], 'up{job="l7tap"}')
    if got != {"tap-a": 1.0, "tap-b": 1.0, down: 0.0}: bad.append(("up", "per instance", got))
    return bad

# Bounded wait: scrapes and rule evaluations run every second; 60 s is far more than needed.
deadline = time.time() + 60
while True:
    bad = mismatches()
    if not bad: break
    if time.time() > deadline:
        for b in bad: print(f"{mode} mismatch:", b, file=sys.stderr)
        sys.exit(1)
    time.sleep(0.5)


def check_site_labels():
    # l7tap's labels intact: the service map's site/env, no exported_* (the targets file's site and
    # env would have displaced them); the appliance's where they went instead.
    raw = query('l7tap_requests_total{service="mqtt-broker"}')
    assert raw, "no l7tap_requests_total for mqtt-broker"
    for r in raw:
        m = r["metric"]
        assert m["site"] == "lab" and m["env"] == "e2e" and m["instance"] == m["appliance"], m
        assert not any(k.startswith("exported_") for k in m), m
        assert m.get("asserts_site") == {"tap-a": "fra1", "tap-b": "ams2"}[m["appliance"]], m
        assert m.get("asserts_env") == {"tap-a": "e2e-a", "tap-b": None}[m["appliance"]], m

# Discovery (checked in the wait above): instance = appliance, passed on as they are.
up = query('up{job="l7tap"}')
assert all(r["metric"]["appliance"] == r["metric"]["instance"] for r in up), up
if mode == "site":
    check_site_labels()
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
print(f"{mode} ok: 2 appliances, {len(services['tap-a'] | services['tap-b'])} services ({len(both)} on both), "
      f"{n['request']} requests, {n['client_error']} client errors, {n['error']} server errors/timeouts, "
      f"{n['latency_count']} latencies")
