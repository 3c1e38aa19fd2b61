#!/usr/bin/env bash
# Real ActiveMQ broker (Debian activemq) and the ActiveMQ JMS client on 127.0.0.1, in tight and in
# loose encoding and without size prefixes, captured with tcpdump (tests/e2e/openwire_capture.sh) and replayed through
# `l7tap --pcap`; no port hint is configured for the random port, so detection works from the bytes.
source "$(dirname "$0")/lib.sh"
bash "$L7TAP_SOURCE_DIR/tests/e2e/openwire_capture.sh" "$WORK" >/dev/null
offline_replay "$WORK/openwire.pcap" "$WORK/flow.jsonl"
python3 - "$WORK/flow.jsonl" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert recs and all(r["protocol"] == "openwire" for r in recs), collections.Counter(r["protocol"] for r in recs)
kinds = collections.Counter(r["request_type"] for r in recs)
for tag in ("tight", "loose", "noprefix"):
    q = f"l7tap.{tag}.orders"
    mine = [r for r in recs if r.get("request_resource") == q]
    by = lambda t: [r for r in mine if r["request_type"] == t]
    prod = by("ProducerInfo")
    assert len(prod) == 1 and prod[0]["type"] == "session" and "response_length" in prod[0], f"{tag}: ProducerInfo answered: {prod}"
    sent = by("ActiveMQTextMessage")
    assert len(sent) == 5, f"{tag}: 5 text messages: {kinds}"
    for i, r in enumerate(sorted(sent, key=lambda r: r["request_id"])):
        # Synchronous sends: each message waits for the Response that carries its command id.
        assert r["type"] == "session" and r["response_status"] == "ok" and "response_length" in r, r
        assert r["x_request_id"] == f"{tag}-corr-{i}", r
        assert r["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e47%02x" % i and r["span_id"] == "00f067aa0ba902b7", r
        assert r["endpoint"] == q and r["version"] == "12", r
    big = by("ActiveMQBytesMessage")
    assert len(big) == 1 and big[0]["x_request_id"] == f"{tag}-bytes" and big[0]["request_length"] > (3000 if tag == "noprefix" else 70000), big
    assert len(by("ActiveMQMapMessage")) == 1, kinds
    disp = by("MessageDispatch")
    assert len(disp) == 7, f"{tag}: every message dispatched: {len(disp)}"
    assert {r.get("x_request_id") for r in disp} >= {f"{tag}-corr-{i}" for i in range(5)} | {f"{tag}-bytes"}, disp
    assert len(by("MessageAck")) >= 1, f"{tag}: acks"
    assert len(by("ConsumerInfo")) == 1, f"{tag}: the queue consumer"
    topic = [r for r in recs if r.get("request_resource") == f"l7tap.{tag}.events" and r["request_type"] == "ActiveMQTextMessage"]
    assert len(topic) == 1 and topic[0]["type"] == "session" and "response_length" not in topic[0], f"{tag}: async topic send is one-way: {topic}"
refused = [r for r in recs if r["request_type"] == "ConnectionInfo" and r.get("response_status") == "server_error"]
assert len(refused) == 3 and all("l7tap-" in r.get("response_exception", "") for r in refused), f"duplicate client id refused: {refused}"
wfi = [r for r in recs if r["request_type"] == "WireFormatInfo"]
# 6 client connections, both sides (and the broker's to the start-up probe, which sends nothing).
assert len(wfi) >= 12 and all(r["version"] == "12" for r in wfi), wfi
brokers = [r for r in recs if r["request_type"] == "BrokerInfo"]
assert brokers and all(r.get("request_domain", "").startswith("tcp://") for r in brokers), brokers
assert not [r for r in recs if r["type"] == "response"], "every Response paired"
assert not [r for r in recs if r["request_type"].startswith("Unknown")], kinds
print(f"openwire ok: {len(recs)} records {dict(kinds)}")
PY
expect_no_parse_errors
echo PASS
