#!/usr/bin/env bash
# Real nats-server (Debian) with the official JS client (npm `nats`) on 127.0.0.1, captured with
# tcpdump (tests/e2e/nats_capture.sh), replayed through `l7tap --pcap`; no port hint is configured
# for the random port, so detection must work from the bytes.
source "$(dirname "$0")/lib.sh"
bash "$L7TAP_SOURCE_DIR/tests/e2e/nats_capture.sh" "$WORK" >/dev/null
offline_replay "$WORK/nats.pcap" "$WORK/flow.jsonl"
python3 - "$WORK/flow.jsonl" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert recs and all(r["protocol"] == "nats" for r in recs), "no NATS records"
kinds = collections.Counter(r["request_type"] for r in recs)
by = lambda t: [r for r in recs if r["request_type"] == t]
info = by("INFO")
assert len(info) == 3 and all(r["type"] == "session" for r in info), f"INFO/CONNECT sessions: {info}"
assert all(r["version"] == info[0]["version"] and r["request_domain"] == "l7tap-e2e" for r in recs), "version/server_name carried"
pings = by("PING")
assert sum(r["type"] == "session" for r in pings) >= len(pings) - 1, f"PINGs answered in order: {collections.Counter(r['type'] for r in pings)}"
traced = [r for r in recs if r.get("request_resource") == "orders.traced"]
assert traced and all(r.get("trace_id") == "0af7651916cd43dd8448eb211c80319c" and r.get("span_id") == "b7ad6b7169203331" for r in traced), traced
sw8 = [r for r in recs if r.get("request_resource") == "orders.sw8"]
assert sw8 and all(r.get("trace_id") == "sw8trace.1.100" and r.get("span_id") == "sw8segment.2.200-3" for r in sw8), sw8
assert {r["request_type"] for r in traced} == {"HPUB", "HMSG"}, "headers on both publish and delivery"
errs = by("ERR")
assert any("Permissions Violation" in r.get("response_exception", "") and r["response_status"] == "client_error" for r in errs), errs
assert any("Authorization Violation" in r.get("response_exception", "") for r in errs), errs
big = [r for r in recs if r.get("request_resource") == "orders.big"]
assert {r["request_type"] for r in big} == {"PUB", "MSG"}, f"a 200 KiB message is decoded and skipped: {big}"
assert all(r["endpoint"] == r["request_resource"].split(".")[0] for r in recs if "request_resource" in r), "endpoint = subject up to the first dot"
assert kinds["PUB"] >= 200, f"pipelined bursts: {kinds}"
print(f"nats ok: {len(recs)} records {dict(kinds)}")
PY
expect_no_parse_errors
echo PASS
