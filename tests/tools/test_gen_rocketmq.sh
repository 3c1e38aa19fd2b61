#!/usr/bin/env bash
# RocketMQ end to end, from the protocol definition: no RocketMQ broker installs here (it is a Java
# server not packaged for Debian), so the traffic is built by tools/gen (l7tap-gen) from the remoting
# protocol as the RocketMQ sources define it (RemotingCommand, RocketMQSerializable, MessageDecoder):
# JSON and ROCKETMQ-serialized headers, SEND_MESSAGE(_V2) with message properties, PULL_MESSAGE
# answered with stored messages or PULL_NOT_FOUND, one-way UPDATE_CONSUMER_OFFSET, HEART_BEAT,
# GET_ROUTEINFO_BY_TOPIC, broker-initiated GET_CONSUMER_RUNNING_INFO, refusals (client and server
# error codes), resets, large messages, VLAN/VXLAN/IPv6 and servers on random high ports.
# `l7tap --pcap` must write exactly the records the generator expects, counted per (type,
# request_type, response_status), and the fields the protocol carries must be there.
set -euo pipefail
: "${L7TAP:?path to the l7tap binary}"
: "${GEN:?path to the l7tap-gen binary}"
WORK=$(mktemp -d /tmp/l7tap-gen-rocketmq.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$GEN" --out "$WORK/gen.pcap" --packets 60000 --concurrency 500 --seed 20251125 --mix rocketmq=1 \
  --errors 0.1 --vlan 0.1 --vxlan 0.1 --ipv6 0.2 --large 0.02 --expected "$WORK/expected.json" ||
  fail "l7tap-gen failed"
"$L7TAP" --pcap "$WORK/gen.pcap" --flow-log - >"$WORK/flow.jsonl" 2>"$WORK/l7tap.err" ||
  { cat "$WORK/l7tap.err" >&2; fail "l7tap --pcap failed"; }

python3 - "$WORK/expected.json" "$WORK/flow.jsonl" "$(dirname "$0")" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import gen_expected
expected, want, got, records = gen_expected.load(sys.argv[1], sys.argv[2])
assert {k[0] for k in want} == {"rocketmq"}, want
kinds = {k[2] for k in want}
assert {"SEND_MESSAGE_V2", "SEND_MESSAGE", "PULL_MESSAGE", "UPDATE_CONSUMER_OFFSET", "HEART_BEAT",
        "GET_ROUTEINFO_BY_TOPIC", "GET_CONSUMER_RUNNING_INFO"} <= kinds, kinds
assert {"ok", "client_error", "server_error", "unknown"} <= {k[3] for k in want}, want
gen_expected.exit_on_mismatch(want, got)
# What every record of a kind carries (the generator writes these fields into every such message).
for r in records:
    rt = r["request_type"]
    assert r.get("version", "").startswith("V"), r
    assert isinstance(r.get("request_id"), int), r
    if rt in ("SEND_MESSAGE_V2", "SEND_MESSAGE", "PULL_MESSAGE", "UPDATE_CONSUMER_OFFSET"):
        assert r.get("request_domain") and r.get("request_resource"), r
        assert r.get("endpoint") == r["request_resource"] + "-" + r["endpoint"].rsplit("-", 1)[1], r
    if rt.startswith("SEND_MESSAGE"):
        assert len(r.get("x_request_id", "")) == 32, r
    if r["type"] == "session" and r.get("response_status") == "client_error":
        assert r.get("response_exception"), r
n_trace = sum(1 for r in records if r.get("trace_id"))
assert n_trace > len(records) // 10, n_trace
print(f"rocketmq gen consistency ok: {sum(want.values())} records in {len(want)} kinds, "
      f"{expected['frames']} frames, {expected['conversations_started']} conversations, {n_trace} with a trace id")
PY
echo PASS
