#!/usr/bin/env bash
# A real RabbitMQ broker (Debian rabbitmq-server, private instance on free ports) with real clients
# (python3-pika and amqp-tools) on 127.0.0.1, captured with tcpdump (tests/e2e/rabbitmq_capture.sh)
# and replayed through `l7tap --pcap`.
source "$(dirname "$0")/lib.sh"
bash "$L7TAP_SOURCE_DIR/tests/e2e/rabbitmq_capture.sh" "$WORK" >/dev/null
offline_replay "$WORK/rabbitmq.pcap" "$WORK/flow.jsonl"
python3 - "$WORK/flow.jsonl" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert recs and all(r["protocol"] == "amqp" for r in recs), "no AMQP records"
assert all(r["type"] == "session" for r in recs), collections.Counter(r["type"] for r in recs)
kinds = collections.Counter(r["request_type"] for r in recs)
assert kinds["Protocol-Header"] == 4 and kinds["Connection.Start"] == 4 and kinds["Connection.Open"] == 4, kinds
assert all(r["version"] == "v0.9.1" for r in recs)
assert all(r.get("request_domain") == "/" for r in recs if r["request_type"] not in ("Protocol-Header", "Connection.Start", "Connection.Tune")), "vhost carried"
pubs = [r for r in recs if r["request_type"] == "Basic.Publish"]
assert len(pubs) == 4 and all(r["endpoint"] == "l7tap-x.rk-1" for r in pubs), pubs
hdr_traces = sorted(r["trace_id"] for r in recs if r["request_type"] == "Content-Header" and "trace_id" in r)
want = ["4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4737", "4bf92f3577b34da6a3ce929d0e0e4738"]
assert hdr_traces == sorted(want * 2), hdr_traces  # published, then fetched/delivered
deliver = [r for r in recs if r["request_type"] == "Basic.Deliver"]
assert len(deliver) == 2 and all(r["endpoint"] == "l7tap-x.rk-1" for r in deliver), deliver
missing = [r for r in recs if r["request_type"] == "Queue.Declare" and r.get("endpoint") == "l7tap-missing"]
assert missing and missing[0]["response_code"] == 404 and missing[0]["response_status"] == "client_error", missing
assert "NOT_FOUND" in missing[0]["response_exception"], missing
closes = [r for r in recs if r["request_type"] == "Connection.Close"]
assert len(closes) == 4 and all(r["response_code"] == 200 and r["response_status"] == "ok" for r in closes), closes
for t in ("Exchange.Declare", "Queue.Bind", "Basic.Get", "Basic.Consume", "Basic.Ack", "Queue.Delete"):
    assert kinds[t] >= 1, f"{t} missing: {kinds}"
print(f"amqp ok: {len(recs)} sessions {dict(kinds)}")
PY
expect_no_parse_errors
echo PASS
