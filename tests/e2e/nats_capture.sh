#!/usr/bin/env bash
# Captures real NATS traffic: nats-server (Debian package) on 127.0.0.1:<free port> and the official
# JS client (tools/nats-client, npm `nats`) doing subscribe / publish (with traceparent and sw8
# headers) / request-reply / flush / pipelined bursts / a >64 KiB payload / a permission error / a
# verbose connection / a wrong password. Prints the pcap path.
# usage: tests/e2e/nats_capture.sh OUTDIR
# needs: nats-server, tcpdump, node + npm (apt-get install -y nats-server tcpdump nodejs npm), root
# for tcpdump on lo.
set -euo pipefail
. "$(dirname "$0")/capture_end.sh"

out=${1:?usage: $0 OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
client_dir="$root/tools/nats-client"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
pcap="$out/nats.pcap"

for tool in nats-server tcpdump node npm; do
  command -v "$tool" >/dev/null || { echo "nats_capture: $tool not found" >&2; exit 1; }
done
if [ ! -d "$client_dir/node_modules/nats" ]; then
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

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat >"$work/nats.conf" <<EOF
listen: 127.0.0.1:$port
server_name: l7tap-e2e
max_payload: 1MB
authorization {
  users = [
    { user: app, password: pw, permissions: { publish: { deny: ["secret.>"] } } }
  ]
}
EOF

capture_start "$pcap" "$port" "$work/tcpdump.log" || exit 1
dump_pid=$CAPTURE_PID
for _ in $(seq 50); do grep -q listening "$work/tcpdump.log" && break; sleep 0.1; done

nats-server -c "$work/nats.conf" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do grep -q "Server is ready" "$work/server.log" && break; sleep 0.1; done
grep -q "Server is ready" "$work/server.log" || { cat "$work/server.log" >&2; echo "nats_capture: server did not start" >&2; exit 1; }

timeout 60 node "$client_dir/client.js" "$port" >&2

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
capture_end "$dump_pid" "$pcap" "$port"
dump_pid=""
echo "$pcap"
