#!/usr/bin/env bash
# Captures real Kafka client traffic: kcat (librdkafka, Debian package) against tools/kafka_responder.py
# (a test peer built from the Kafka protocol specification: Debian has no Kafka broker) on
# 127.0.0.1:<free port>. kcat produces messages with a traceparent header, then with an sw8 header,
# then one message larger than 64 KiB, and consumes them all back. Prints the pcap path.
# usage: tests/e2e/kafka_capture.sh OUTDIR
# needs: kcat, tcpdump, /usr/bin/python3 (apt-get install -y kcat tcpdump), root for tcpdump on lo.
set -euo pipefail
. "$(dirname "$0")/capture_end.sh"

out=${1:?usage: $0 OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
pcap="$out/kafka.pcap"

for tool in kcat tcpdump /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "kafka_capture: $tool not found" >&2; exit 1; }
done

server_pid=""
dump_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

responder_start "$root/tools/kafka_responder.py" "$work" || exit 1
server_pid=$RESPONDER_PID
port=$RESPONDER_PORT

capture_start "$pcap" "$port" "$work/tcpdump.log" || exit 1
dump_pid=$CAPTURE_PID

broker="127.0.0.1:$port"
traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
sw8="1-MWYyZDRiZjQ3YmY3MTFlYWI3OTRhY2RlNDgwMDExMjI=-MWU3YzIwNGE3YmY3MTFlYWI4NThhY2RlNDgwMDExMjI=-0-c2VydmljZQ==-aW5zdGFuY2U=-L2FwaQ==-MTI3LjAuMC4xOjgwODA="

printf 'hello one\nhello two\nhello three\n' |
  timeout 30 kcat -b "$broker" -P -t test -H "traceparent=$traceparent" -H app=l7tap-e2e
printf 'sw8 message\n' | timeout 30 kcat -b "$broker" -P -t test -H "sw8=$sw8"
# One 100000-byte message: larger than the parser's 64 KiB buffer (decoded from its prefix).
head -c 100000 /dev/zero | tr '\0' 'x' | { cat; echo; } | timeout 30 kcat -b "$broker" -P -t test
timeout 30 kcat -b "$broker" -C -t test -o beginning -c 5 -e -f '%o %h\n' >"$work/consumed.txt"
[ "$(wc -l <"$work/consumed.txt")" -eq 5 ] || { echo "kafka_capture: consumed $(wc -l <"$work/consumed.txt") of 5" >&2; exit 1; }

capture_end "$dump_pid" "$pcap" "$port"
dump_pid=""
echo "$pcap"
