#!/usr/bin/env bash
# Real Kafka clients (kcat / librdkafka) against tools/kafka_responder.py — a minimal broker written
# from the Kafka protocol specification, because Debian ships no Kafka broker — captured with
# tcpdump (tests/e2e/kafka_capture.sh) and replayed through `l7tap --pcap`.
source "$(dirname "$0")/lib.sh"
bash "$L7TAP_SOURCE_DIR/tests/e2e/kafka_capture.sh" "$WORK" >/dev/null
pcap=$(ls "$WORK"/*.pcap | head -1)
offline_replay "$pcap" "$WORK/flow.jsonl"
python3 - "$WORK/flow.jsonl" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert recs and all(r["protocol"] == "kafka" for r in recs), "no Kafka records"
assert all(r["type"] == "session" for r in recs), collections.Counter(r["type"] for r in recs)
assert all(str(r["request_id"]) == r["x_request_id"] for r in recs), "request_id / x_request_id = correlation id"
kinds = collections.Counter(r["request_type"] for r in recs)
api = [r for r in recs if r["request_type"] == "ApiVersions"]
assert api and all(r["response_code"] == 0 and r["response_status"] == "ok" for r in api), api
md = [r for r in recs if r["request_type"] == "Metadata"]
assert md and all(r["response_code"] == -2 and r["response_exception"].startswith("Type not yet inspected") for r in md), md
prod = [r for r in recs if r["request_type"] == "Produce"]
assert prod and all(r["request_domain"] == "test" and r["endpoint"] == "test-0" and r["response_code"] == 0 for r in prod), prod
res = {r["request_resource"] for r in prod}
assert "test-0:0" in res and "test-0:3" in res and "test-0:4" in res, res
tp = [r for r in prod if r["request_resource"] == "test-0:0"]
assert tp[0].get("trace_id") == "0af7651916cd43dd8448eb211c80319c" and tp[0].get("span_id") == "b7ad6b7169203331", tp
sw = [r for r in prod if r["request_resource"] == "test-0:3"]
assert sw[0].get("trace_id") == "1f2d4bf47bf711eab794acde48001122" and sw[0].get("span_id") == "1e7c204a7bf711eab858acde48001122-0", sw
big = [r for r in prod if r["request_resource"] == "test-0:4"]
assert big[0]["request_length"] > 100000, big
fetch = [r for r in recs if r["request_type"] == "Fetch"]
assert any(r.get("request_resource") == "test-0:0" and r["response_length"] > 100000 for r in fetch), fetch
assert all(r["version"].isdigit() for r in recs)
print(f"kafka ok: {len(recs)} sessions {dict(kinds)}")
PY
expect_no_parse_errors
echo PASS
