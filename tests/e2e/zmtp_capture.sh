#!/usr/bin/env bash
# Captures real ZMTP traffic: pyzmq (libzmq) peers on 127.0.0.1:<free port> (tests/e2e/zmtp_peers.py:
# REQ/REP, PUB/SUB, DEALER/ROUTER with NULL, REQ/REP with PLAIN, a refused PLAIN client, REQ/REP with
# CURVE), recorded with tcpdump on lo. Writes OUTDIR/zmtp.pcap and OUTDIR/zmtp-summary.json (what
# the peers sent).
# usage: tests/e2e/zmtp_capture.sh OUTDIR
# needs: python3-zmq, tcpdump (apt-get install -y python3-zmq tcpdump), root for tcpdump on lo.
# Exits 77 (skip) when one is missing.
set -euo pipefail
. "$(dirname "$0")/capture_end.sh"

out=${1:?usage: $0 OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
PY=/usr/bin/python3
command -v tcpdump >/dev/null || { echo "skip: tcpdump not installed"; exit 77; }
$PY -c 'import zmq, zmq.auth.thread' 2>/dev/null || { echo "skip: python3-zmq not installed"; exit 77; }

work=$(mktemp -d)
pcap="$out/zmtp.pcap"
dump_pid=""
cleanup() {
  [ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A loaded machine can make tcpdump drop packets (the 100 kB message fills loopback's 64 kB
# segments faster than tcpdump drains them): a bigger buffer, and a new capture when it still did.
for attempt in 1 2 3; do
  port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  capture_start "$pcap" "$port" "$work/tcpdump.log" || exit 1
  dump_pid=$CAPTURE_PID

  timeout 120 $PY "$here/zmtp_peers.py" "$port" >"$out/zmtp-summary.json"

  capture_end "$dump_pid" "$pcap" "$port"
  dump_pid=""
  grep -q "^0 packets dropped by kernel" "$work/tcpdump.log" && break
  echo "zmtp_capture: tcpdump dropped packets (attempt $attempt): $(grep dropped "$work/tcpdump.log")" >&2
done
echo "$pcap"
