#!/usr/bin/env bash
# The generator and l7tap agree: tools/gen (l7tap-gen) writes 200k frames of MQTT, Kafka, AMQP,
# NATS, OpenWire, Pulsar, ZMTP and RocketMQ conversations built from the protocol specifications
# (2000 at once, with refusals, VLAN, VXLAN, IPv6, servers on random high ports, long messages,
# resets) together with the records the README's pairing rules make of them; `l7tap --pcap` must
# write exactly those records, counted per (protocol, type, request_type, response_status). A
# mismatch means one of the two is wrong about a protocol: the generator follows the specifications, so look at the parser first.
#
# Also checked on a small capture: tcpdump reads it, and tshark dissects MQTT, Kafka, AMQP and
# OpenWire without a malformed packet, except what tshark 4.0 cannot read: Produce v9 (it knows
# v0-8) and the version-0 body of an ApiVersions refusal (KIP-511, what brokers send); and except
# its GSM A-bis/IPA heuristic, which claims short TCP segments such as the "50\r\n" tail of a NATS
# control line split at the MSS.
set -euo pipefail
: "${L7TAP:?path to the l7tap binary}"
: "${GEN:?path to the l7tap-gen binary}"
WORK=$(mktemp -d /tmp/l7tap-gen-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$GEN" --out "$WORK/gen.pcap" --packets 200000 --concurrency 2000 --seed 20240601 \
  --mix mqtt=1,kafka=1,amqp=1,nats=1,openwire=1,pulsar=1,zmtp=1,rocketmq=1 --errors 0.1 --vlan 0.15 --vxlan 0.15 --ipv6 0.2 \
  --expected "$WORK/expected.json" || fail "l7tap-gen failed"
"$L7TAP" --pcap "$WORK/gen.pcap" --flow-log - >"$WORK/flow.jsonl" 2>"$WORK/l7tap.err" ||
  { cat "$WORK/l7tap.err" >&2; fail "l7tap --pcap failed"; }

python3 - "$WORK/expected.json" "$WORK/flow.jsonl" "$(dirname "$0")" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import gen_expected
expected, want, got, _ = gen_expected.load(sys.argv[1], sys.argv[2])
protocols = {k[0] for k in want}
assert protocols == {"mqtt", "kafka", "amqp", "nats", "openwire", "pulsar", "zmtp", "rocketmq"}, protocols
statuses = {k[3] for k in want}
assert {"ok", "client_error", "server_error", "unknown"} <= statuses, statuses
gen_expected.exit_on_mismatch(want, got)
print(f"gen consistency ok: {sum(want.values())} records in {len(want)} kinds, "
      f"{expected['frames']} frames, {expected['conversations_started']} conversations")
PY

# Small capture for the dissectors: standard ports (tshark picks dissectors by port), checksums on.
# Only the protocols tshark 4.0 dissects by port: without ZMTP and RocketMQ (no dissector; its
# heuristics then misread a few short segments of those streams as RSL).
"$GEN" --out "$WORK/small.pcap" --packets 20000 --concurrency 200 --seed 7 --errors 0.2 --vlan 0.2 \
  --mix mqtt=1,kafka=1,amqp=1,nats=1,openwire=1 --vxlan 0.2 --ipv6 0.3 --high-ports 0 --tcp-checksum 2>/dev/null || fail "l7tap-gen (small) failed"
if command -v tcpdump >/dev/null; then
  n=$(tcpdump -nn -r "$WORK/small.pcap" 2>/dev/null | grep -c . || true)
  [ "$n" -gt 20000 ] || fail "tcpdump read $n packets"
else
  echo "note: tcpdump not installed, not checked" >&2
fi
if command -v tshark >/dev/null; then
  # tshark's GSM IPA dissector claims TCP port 4222 (NATS's) and reads NATS bytes as malformed IPA.
  bad=$(tshark -r "$WORK/small.pcap" --disable-protocol gsm_ipa -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y '(_ws.malformed && !(kafka.request_key == 0 && kafka.api_version >= 9) && !(kafka.response_key == 18 && kafka.error == 35)) || tcp.checksum.status == 0 || ip.checksum.status == 0 || tcp.analysis.flags' \
    2>/dev/null || true)
  [ -z "$bad" ] || { echo "$bad" | head -20 >&2; fail "tshark reports malformed packets or TCP problems"; }
  for p in mqtt kafka amqp openwire; do
    n=$(tshark -r "$WORK/small.pcap" -Y "$p" 2>/dev/null | grep -c . || true)
    [ "$n" -gt 100 ] || fail "tshark dissected only $n $p packets"
  done
else
  echo "note: tshark not installed, dissection not checked" >&2
fi
echo PASS
