#!/usr/bin/env bash
# Captures real Pulsar client bytes: the pure-JavaScript npm client pulsar-flex (tools/pulsar-client)
# against tools/pulsar_responder.py (a minimal broker written from the Pulsar binary protocol
# specification, because Debian ships no Pulsar broker) on 127.0.0.1:<free port>: lookup, producer,
# sends with a traceparent property, PING/PONG both ways, PARTITIONED_METADATA, close producer,
# subscribe / flow / deliveries / acks / close consumer, a refused producer. Prints the pcap path.
# usage: tests/e2e/pulsar_js_capture.sh OUTDIR   (exit 75: tcpdump dropped packets, try again)
# needs: tcpdump, node + npm (apt-get install -y tcpdump nodejs npm), python3, root for tcpdump on lo.
set -euo pipefail
. "$(dirname "$0")/capture_end.sh"

out=${1:?usage: $0 OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
client_dir="$root/tools/pulsar-client"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
pcap="$out/pulsar.pcap"

for tool in tcpdump node npm python3; do
  command -v "$tool" >/dev/null || { echo "pulsar_js_capture: $tool not found" >&2; exit 1; }
done
if [ ! -d "$client_dir/node_modules/pulsar-flex" ]; then
  (cd "$client_dir" && npm ci --no-audit --no-fund --silent) >&2
fi

server_pid=""
dump_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

responder_start "$root/tools/pulsar_responder.py" "$work" || exit 1
server_pid=$RESPONDER_PID
port=$RESPONDER_PORT

capture_start "$pcap" "$port" "$work/tcpdump.log" || exit 1
dump_pid=$CAPTURE_PID

if ! timeout 90 node "$client_dir/client.js" "$port" >&2; then
  echo "pulsar_js_capture: the client failed; responder log:" >&2
  cat "$work/responder.log" >&2
  exit 1
fi

capture_end "$dump_pid" "$pcap" "$port"
dump_pid=""
if grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$work/tcpdump.log"; then
  echo "pulsar_js_capture: tcpdump lost packets: $(tr '\n' ' ' <"$work/tcpdump.log")" >&2
  exit 75
fi
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
echo "$pcap"
