#!/usr/bin/env bash
# Pulsar end to end, driven by the traffic generator. No Pulsar broker is installed on the build
# machines (it is a JVM service of several hundred MB with ZooKeeper/BookKeeper or its standalone
# mode), so the traffic is built from the specification instead: tools/gen writes Pulsar
# conversations from PulsarApi.proto (its CONNECT and SEND frames are byte for byte those of the
# Pulsar C++ client, checked in gen_test.cpp) — CONNECT (through a proxy for a share),
# PARTITIONED_METADATA, LOOKUP, PRODUCER, SEND of single messages and of batches with traceparent
# properties, SUBSCRIBE, FLOW, MESSAGE, ACK, PING/PONG both ways, CLOSE_PRODUCER/CLOSE_CONSUMER and
# refusals (TopicNotFound, ServiceNotReady, ProducerBusy, ConsumerBusy, PersistenceError,
# TopicTerminatedError) — over IPv4/IPv6, VLAN, VXLAN, random high ports (no port hint), large
# messages across many segments and resets. `l7tap --pcap` must write exactly the records the
# generator expects, counted per (type, request_type, response_status), and each record's fields
# must be what the conversation carried: version = min(client, broker protocol version) after
# CONNECT, request_domain = the proxy's broker URL, topic (the last path segment) for the commands
# that name one and for those that carry only a producer or consumer id, request_id, error codes
# and texts, trace context from message properties (batched ones included), message ids.
set -euo pipefail
: "${L7TAP:?path to the l7tap binary}"
: "${GEN:?path to the l7tap-gen binary}"
WORK=$(mktemp -d /tmp/l7tap-pulsar-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$GEN" --out "$WORK/pulsar.pcap" --packets 150000 --concurrency 1000 --seed 20241125 --mix pulsar=1 \
  --errors 0.1 --vlan 0.15 --vxlan 0.15 --ipv6 0.2 --high-ports 0.3 --large 0.02 --rst 0.03 \
  --expected "$WORK/expected.json" 2>"$WORK/gen.err" || { cat "$WORK/gen.err" >&2; fail "l7tap-gen failed"; }
"$L7TAP" --pcap "$WORK/pulsar.pcap" --flow-log - >"$WORK/flow.jsonl" 2>"$WORK/l7tap.err" ||
  { cat "$WORK/l7tap.err" >&2; fail "l7tap --pcap failed"; }

python3 - "$WORK/expected.json" "$WORK/flow.jsonl" "$(dirname "$0")" <<'PY'
import collections, json, re, sys
sys.path.insert(0, sys.argv[3])
import gen_expected

expected, want, got, records = gen_expected.load(sys.argv[1], sys.argv[2])
problems = []
def bad(msg, rec=None):
    if len(problems) < 30:
        problems.append(msg + ("" if rec is None else ": " + json.dumps(rec)[:400]))

# 1. Exactly the records the generator expects.
assert {k[0] for k in want} == {"pulsar"}, want
others = [r for r in records if r.get("protocol") != "pulsar"]
if others:
    bad("records of another protocol", others[0])
for k, w, g in gen_expected.mismatches(want, got):
    bad(f"{k}: generator expects {w}, l7tap wrote {g}")
assert {"session", "request"} <= {k[1] for k in want}, want
assert {"ok", "client_error", "server_error", "unknown"} <= {k[3] for k in want}, want

# 2. The fields of each record.
PRODUCER_TOPIC = {"PRODUCER", "SEND", "CLOSE_PRODUCER", "LOOKUP", "PARTITIONED_METADATA"}
CONSUMER_TOPIC = {"SUBSCRIBE", "FLOW", "MESSAGE", "ACK", "CLOSE_CONSUMER"}
ERRORS = {"LOOKUP": {11: "client_error"}, "PARTITIONED_METADATA": {6: "server_error"},
          "PRODUCER": {16: "client_error"}, "SUBSCRIBE": {5: "client_error"},
          "SEND": {2: "server_error", 15: "client_error"}}
NO_ID = {"CONNECT", "PING", "FLOW", "MESSAGE", "ACK"}
flows = collections.defaultdict(list)
for r in records:
    flows[(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])].append(r)
traced = collections.Counter()
carried = collections.Counter()
for key, recs in flows.items():
    connect = [r for r in recs if r["request_type"] == "CONNECT"]
    if len(connect) != 1:
        bad(f"flow {key}: {len(connect)} CONNECT records", recs[0])
        continue
    if connect[0].get("version") not in ("19", "20", "21"):
        bad("CONNECT version (the client's)", connect[0])
    later = {r.get("version") for r in recs if r["request_type"] != "CONNECT"}
    if len(later) > 1 or not later <= {"17", "18", "19"}:
        bad(f"flow {key}: versions after CONNECTED {later} (min of client and broker: 17-19)")
    domains = {r.get("request_domain") for r in recs}
    if len(domains) != 1 or not (domains == {None} or re.fullmatch(r"broker-\d\.pulsar\.svc:6650", next(iter(domains)))):
        bad(f"flow {key}: request_domain {domains}")
    topics = collections.defaultdict(set)
    for r in recs:
        t = r["request_type"]
        res, ep = r.get("request_resource"), r.get("endpoint")
        if t in PRODUCER_TOPIC or t in CONSUMER_TOPIC:
            pattern = r"orders-\d+" if t in PRODUCER_TOPIC else r"user-\d+"
            if res is None or res != ep or not re.fullmatch(pattern, res):
                bad("topic", r)
            topics[t in PRODUCER_TOPIC].add(res)
        elif res is not None or ep is not None:
            bad("a topic on a command without one", r)
        rid = r.get("request_id")
        if t in NO_ID:
            if rid is not None:
                bad("request_id on a command without one", r)
        elif not isinstance(rid, int):
            bad("request_id", r)
        elif t == "SEND" and not (rid >> 16 < 1000 and 1 <= rid & 0xffff <= 255):
            bad("SEND request_id = producer_id << 16 | sequence_id", r)
        status = r.get("response_status")
        if status in ("client_error", "server_error"):
            code = r.get("response_code")
            if ERRORS.get(t, {}).get(code) != status or not r.get("response_exception"):
                bad("error code / status / text", r)
        elif "response_code" in r or "response_exception" in r:
            bad("an error on a record without one", r)
        if r["type"] != "request" and "response_length" not in r and t not in ("FLOW", "MESSAGE", "ACK"):
            bad("response_length", r)
        if "request_length" not in r:
            bad("request_length", r)
        if t in ("SEND", "MESSAGE"):
            carried[t] += 1
            tid = r.get("trace_id")
            if tid is not None:
                traced[t] += 1
                if not re.fullmatch(r"[0-9a-f]{32}", tid) or not re.fullmatch(r"[0-9a-f]{16}", r.get("span_id", "")):
                    bad("trace context", r)
            if (t == "MESSAGE" or status == "ok") and not re.fullmatch(r"\d+:\d+:-1:-1", r.get("x_request_id", "")):
                bad("message id in x_request_id", r)
    for producer_side, names in topics.items():
        if len(names) != 1:
            bad(f"flow {key}: several {'producer' if producer_side else 'consumer'} topics {names}")
# Half the SEND and MESSAGE carry a traceparent property (for batched SENDs in one of the batch's
# messages); a message larger than the buffer may keep it beyond the decoded prefix.
for t in ("SEND", "MESSAGE"):
    share = traced[t] / max(carried[t], 1)
    if carried[t] < 500 or not 0.4 <= share <= 0.6:
        bad(f"{t}: {traced[t]} of {carried[t]} records with a trace id")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"pulsar e2e ok: {len(records)} records in {len(flows)} flows, {sum(want.values())} expected; "
      f"traced SEND {traced['SEND']}/{carried['SEND']}, MESSAGE {traced['MESSAGE']}/{carried['MESSAGE']}")
PY
echo PASS
