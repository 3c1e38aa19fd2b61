#!/usr/bin/env bash
# Real ZeroMQ peers (python3-zmq, libzmq 4.3) on 127.0.0.1 captured with tcpdump
# (tests/e2e/zmtp_capture.sh, scenarios in tests/e2e/zmtp_peers.py) and replayed through
# `l7tap --pcap`: REQ/REP, PUB/SUB and DEALER/ROUTER with NULL, REQ/REP with PLAIN and a refused
# PLAIN client, REQ/REP with CURVE when libzmq has it. No port hint is configured for the random
# port: detection works from the greeting.
source "$(dirname "$0")/lib.sh"
bash "$L7TAP_SOURCE_DIR/tests/e2e/zmtp_capture.sh" "$WORK" >/dev/null
offline_replay "$WORK/zmtp.pcap" "$WORK/flow.jsonl"
python3 - "$WORK/flow.jsonl" "$WORK/zmtp-summary.json" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sent = json.load(open(sys.argv[2]))
assert recs and all(r["protocol"] == "zmtp" for r in recs), "no ZMTP records"
assert all(r["type"] == "session" for r in recs), collections.Counter(r["type"] for r in recs)
assert all(r["version"] == "3.1" for r in recs), "libzmq 4.3 speaks ZMTP 3.1"
flows = collections.defaultdict(list)
for r in recs:
    flows[r["client_port"]].append(r)
assert len(flows) == 5 + ("curve_reqrep" in sent), f"connections: {len(flows)}"

def kinds(rs):
    return collections.Counter(r["request_type"] for r in rs)

def socket_types(rs):
    return sorted(r["attributes"]["socket_type"] for r in rs if "socket_type" in r.get("attributes", {}))

def commands(rs):
    return [r["attributes"]["command"] for r in rs if r["request_type"] == "Command"]

by_pattern = {}
for rs in flows.values():
    g = [r for r in rs if r["request_type"] == "Greeting"]
    assert len(g) == 2 and all(r["request_length"] == 64 for r in g), f"one greeting per side: {g}"
    mech = {r["attributes"]["mechanism"] for r in g}
    assert len(mech) == 1, mech
    key = (mech.pop(), "/".join(socket_types(rs)))
    assert key not in by_pattern, key
    by_pattern[key] = rs

# REQ/REP, NULL: one session per request and its reply (the delimiter frames not counted).
rs = by_pattern[("NULL", "REP/REQ")]
msgs = [r for r in rs if r["request_type"] == "Message"]
assert len(msgs) == sent["reqrep_null"]["exchanges"], msgs
assert all("rrt_us" in r and "request_length" in r and "response_length" in r for r in msgs), msgs
assert [m["request_length"] for m in msgs[:4]] == [7] * 4 and [m["response_length"] for m in msgs[:4]] == [7] * 4
assert [msgs[4]["request_length"], msgs[4]["response_length"]] == sent["reqrep_null"]["multipart"], msgs[4]
assert msgs[5]["request_length"] == sent["reqrep_null"]["large"], msgs[5]
assert commands(rs) == ["READY", "READY"], commands(rs)

# PUB/SUB: SUBSCRIBE / CANCEL commands carry the subscription; every published frame is a record.
rs = by_pattern[("NULL", "PUB/SUB")]
subs = [r for r in rs if r["request_type"] == "Command" and r["attributes"]["command"] == "SUBSCRIBE"]
assert sorted(r["request_resource"] for r in subs) == sent["pubsub_null"]["subscriptions"], subs
assert all(r["request_domain"] == r["request_resource"] for r in subs)
cancels = [r for r in rs if r["request_type"] == "Command" and r["attributes"]["command"] == "CANCEL"]
assert [r["request_resource"] for r in cancels] == sent["pubsub_null"]["cancelled"], cancels
msgs = [r for r in rs if r["request_type"] == "Message"]
n = sent["pubsub_null"]["published"]
assert sum(r["request_length"] == 14 for r in msgs) == n, "one record per topic frame"
assert sum(r["request_length"] == 5 for r in msgs) == n, "one record per body frame"
assert all(r["request_length"] in (5, 11, 14) and "response_length" not in r for r in msgs), msgs

# DEALER/ROUTER: one-way, one record per non-empty frame each way.
rs = by_pattern[("NULL", "DEALER/ROUTER")]
msgs = [r for r in rs if r["request_type"] == "Message"]
k = sent["dealer_router"]["messages"]
assert sorted(r["request_length"] for r in msgs) == [5] * k + [10] * k, msgs

# PLAIN: HELLO, WELCOME, INITIATE (with the client's Socket-Type), READY, then paired messages.
rs = by_pattern[("PLAIN", "REP/REQ")]
assert commands(rs) == ["HELLO", "WELCOME", "INITIATE", "READY"], commands(rs)
msgs = [r for r in rs if r["request_type"] == "Message"]
assert len(msgs) == sent["reqrep_plain"]["exchanges"] == 3, msgs
assert all(r["request_length"] == 7 and r["response_length"] == 10 for r in msgs), msgs

# Refused PLAIN credentials: the server's ERROR (libzmq's "\x5eRROR" spelling) with the ZAP status.
rs = by_pattern[("PLAIN", "")]
assert commands(rs) == ["HELLO", "ERROR"], commands(rs)
err = rs[-1]
assert err["response_status"] == "server_error" and err["response_exception"] == "400", err
assert sent["plain_refused"]["exchanges"] == 0
# CURVE: the handshake's commands are logged, the boxed metadata is not read (no Socket-Type, so
# no REQ/REP pairing) and each encrypted frame is a Message of its own.
curve = "curve_reqrep" in sent
if curve:
    rs = by_pattern[("CURVE", "")]
    assert commands(rs) == ["HELLO", "WELCOME", "INITIATE", "READY"], commands(rs)
    msgs = [r for r in rs if r["request_type"] == "Message"]
    assert len(msgs) == sent["curve_reqrep"]["frames"] and all("response_length" not in r for r in msgs), msgs

# Counts per request_type: 2 greetings per connection; READY x2 on each NULL connection (3),
# SUBSCRIBE x2 + CANCEL, HELLO/WELCOME/INITIATE/READY, HELLO/ERROR (+ CURVE's four).
k = kinds(recs)
assert k["Greeting"] == 2 * len(flows) and k["Command"] == 6 + 3 + 4 + 2 + 4 * curve, k
print(f"zmtp ok: {len(recs)} records {dict(k)}")
PY
expect_no_parse_errors
echo PASS
