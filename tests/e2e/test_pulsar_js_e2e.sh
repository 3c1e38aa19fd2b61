#!/usr/bin/env bash
# Pulsar with a real client: the pure-JavaScript npm client `pulsar-flex` 1.1.1 (tools/pulsar-client;
# it encodes the binary protocol itself with google-protobuf, its own framing and CRC32C, no native
# addon) against tools/pulsar_responder.py, captured with tcpdump on lo (tests/e2e/pulsar_js_capture.sh)
# and replayed through `l7tap --pcap`; no port hint is configured for the random port, so detection
# must work from the bytes.
#
# What is real and what is ours:
#   REAL   every byte the client sends: CONNECT, LOOKUP, PRODUCER, SEND (+ MessageMetadata with the
#          traceparent property, magic 0x0e01, CRC32C), PONG, CLOSE_PRODUCER, SUBSCRIBE, FLOW, ACK,
#          CLOSE_CONSUMER — pulsar-flex's own code paths. The client PING and PARTITIONED_METADATA are
#          built with pulsar-flex's command builder / generated PulsarApi classes and sent through its
#          connection by tools/pulsar-client/client.js (pulsar-flex pings only after 60 s and never
#          asks for partitioned metadata).
#   OURS   every byte the broker side sends (CONNECTED, LOOKUP_RESPONSE, PRODUCER_SUCCESS, ERROR,
#          SEND_RECEIPT, SUCCESS, MESSAGE, ACK_RESPONSE, PING, PONG, PARTITIONED_METADATA_RESPONSE):
#          tools/pulsar_responder.py, written from the Pulsar binary-protocol specification and
#          PulsarApi.proto, because Debian ships no Pulsar broker. The real client accepting those
#          answers is the only check that they are right.
source "$(dirname "$0")/lib.sh"
for tool in node npm tcpdump; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
# A capture in which tcpdump dropped packets (exit 75, a loaded machine) is taken once more.
rc=0
bash "$L7TAP_SOURCE_DIR/tests/e2e/pulsar_js_capture.sh" "$WORK" >/dev/null || rc=$?
if [ "$rc" = 75 ]; then
  rc=0
  bash "$L7TAP_SOURCE_DIR/tests/e2e/pulsar_js_capture.sh" "$WORK" >/dev/null || rc=$?
fi
[ "$rc" = 0 ] || fail "capture failed ($rc)"
"$L7TAP" --pcap "$WORK/pulsar.pcap" --flow-log - --progress >"$WORK/flow.jsonl" 2>"$WORK/l7tap.err" ||
  fail "l7tap --pcap failed: $(cat "$WORK/l7tap.err")"
python3 - "$WORK/flow.jsonl" "$WORK/l7tap.err" <<'PY'
import collections, json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
summary = open(sys.argv[2]).read()
done = re.search(r"done: .* (\d+) records \(.*pulsar (\d+),.*\), (\d+) parse errors, (\d+) gaps", summary)
assert done, f"no --progress summary: {summary}"
assert int(done.group(3)) == 0 and int(done.group(4)) == 0, f"parse errors / gaps: {summary}"
assert int(done.group(1)) == int(done.group(2)) == len(recs), f"summary vs flow log: {summary}"
assert recs and all(r["protocol"] == "pulsar" and r["type"] == "session" for r in recs), "not all Pulsar sessions"
kinds = collections.Counter(r["request_type"] for r in recs)
want = {"CONNECT": 6, "LOOKUP": 3, "PRODUCER": 2, "PING": 2, "SEND": 4, "PARTITIONED_METADATA": 1,
        "CLOSE_PRODUCER": 1, "SUBSCRIBE": 1, "FLOW": 2, "MESSAGE": 4, "ACK": 4, "ACK_RESPONSE": 4,
        "CLOSE_CONSUMER": 1}
assert kinds == want, f"record kinds {dict(kinds)} != {want}"
by = lambda t: [r for r in recs if r["request_type"] == t]
paired = lambda r: r.get("response_status") in ("ok", "client_error") and "response_length" in r and "rrt_us" in r
one_way = lambda r: "response_length" not in r and "rrt_us" not in r

# One CONNECT per connection (a lookup and a data connection for each of the three clients), and the
# protocol version (min of pulsar-flex's 17 and the responder's 21) on every record of the connection.
flows = collections.defaultdict(list)
for r in recs:
    flows[(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])].append(r)
assert len(flows) == 6, f"{len(flows)} connections"
for key, rs in flows.items():
    assert rs[0]["request_type"] == "CONNECT" and sum(r["request_type"] == "CONNECT" for r in rs) == 1, (key, rs)
assert all(paired(r) and r["response_status"] == "ok" for r in by("CONNECT")), by("CONNECT")
assert all(r["version"] == "17" for r in recs), {r.get("version") for r in recs}

# Requests paired with their responses by request_id; topic = after the last '/'.
for t, ids in (("LOOKUP", [1, 1, 1]), ("SUBSCRIBE", [0]), ("CLOSE_PRODUCER", [1]), ("CLOSE_CONSUMER", [5]),
               ("PARTITIONED_METADATA", [7])):
    rs = by(t)
    assert sorted(r["request_id"] for r in rs) == ids, (t, rs)
    assert all(paired(r) and r["response_status"] == "ok" for r in rs), (t, rs)
assert sorted(r["request_resource"] for r in by("LOOKUP")) == ["forbidden-orders", "orders", "orders"], by("LOOKUP")
for t in ("SUBSCRIBE", "CLOSE_PRODUCER", "CLOSE_CONSUMER", "PARTITIONED_METADATA", "SEND", "MESSAGE", "FLOW", "ACK", "ACK_RESPONSE"):
    assert all(r["request_resource"] == "orders" and r["endpoint"] == "orders" for r in by(t)), (t, by(t))

# PRODUCER: one accepted, one refused by the responder (ERROR AuthorizationError = 4) -> error record.
ok = [r for r in by("PRODUCER") if r["request_resource"] == "orders"]
assert len(ok) == 1 and paired(ok[0]) and ok[0]["response_status"] == "ok" and ok[0]["request_id"] == 0, ok
refused = [r for r in by("PRODUCER") if r["request_resource"] == "forbidden-orders"]
assert len(refused) == 1 and paired(refused[0]), refused
assert refused[0]["response_status"] == "client_error" and refused[0]["response_code"] == 4, refused
assert "not authorized" in refused[0]["response_exception"], refused

# SEND <-> SEND_RECEIPT: request_id = producer_id << 16 | sequence_id, message id from the receipt,
# trace context from the traceparent property of MessageMetadata (the 4th message has none).
sends = sorted(by("SEND"), key=lambda r: r["request_id"])
assert [r["request_id"] for r in sends] == [1, 2, 3, 4] and all(paired(r) and r["response_status"] == "ok" for r in sends), sends
assert [r["x_request_id"] for r in sends] == [f"100:{i}:-1:-1" for i in range(4)], sends
TRACE, SPAN = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
assert all(r.get("trace_id") == TRACE and r.get("span_id") == SPAN for r in sends[:3]), sends
assert "trace_id" not in sends[3], sends[3]

# Deliveries, flow control and acks are one-way sessions.
msgs = by("MESSAGE")
assert all(one_way(r) for r in msgs + by("FLOW") + by("ACK") + by("ACK_RESPONSE")), "one-way sessions"
assert sorted(r["x_request_id"] for r in msgs) == [f"100:{i}:-1:-1" for i in range(4)], msgs
assert sum(r.get("trace_id") == TRACE and r.get("span_id") == SPAN for r in msgs) == 3, msgs
assert sorted(r["request_id"] for r in by("ACK")) == [1, 2, 3, 4], by("ACK")
assert sorted(r["request_id"] for r in by("ACK_RESPONSE")) == [1, 2, 3, 4], by("ACK_RESPONSE")

# PING/PONG both ways on the producer's data connection (the responder's PING, the client's PING).
pings = by("PING")
assert all(paired(r) and r["response_status"] == "ok" for r in pings), pings
assert len({r["client_port"] for r in pings}) == 1, pings
print(f"pulsar-js ok: {len(recs)} records {dict(kinds)}")
PY
echo PASS
