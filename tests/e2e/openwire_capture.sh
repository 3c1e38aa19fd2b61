#!/usr/bin/env bash
# Captures real OpenWire traffic: the Debian ActiveMQ broker (non-persistent, on 127.0.0.1:<free
# port>, started from the package's activemq.jar with a private base directory) and the ActiveMQ
# JMS client (tools/openwire-client/Client.java against the package's activemq-client.jar), once in
# the default tight encoding (with the marshalling cache) and once in loose encoding
# (wireFormat.tightEncodingEnabled=false), and once without size prefixes (the broker's connector
# allows it, the client asks for it: wireFormat.sizePrefixDisabled=true): a consumer, synchronous sends with JMSCorrelationID and
# traceparent properties, a 70 KB BytesMessage, a MapMessage, a topic publish, and a refused
# duplicate client id (ExceptionResponse). Prints the pcap path.
# usage: tests/e2e/openwire_capture.sh OUTDIR
# needs: activemq, default-jdk-headless (javac), tcpdump (apt-get install -y activemq
# default-jdk-headless tcpdump), root for tcpdump on lo. Exits 77 (skip) when one is missing.
set -euo pipefail
. "$(dirname "$0")/capture_end.sh"

out=${1:?usage: $0 OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
amq_home=/usr/share/activemq
[[ -f $amq_home/bin/activemq.jar ]] || { echo "skip: activemq not installed (apt-get install activemq)"; exit 77; }
for tool in java javac tcpdump; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found"; exit 77; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
pcap="$out/openwire.pcap"

broker_pid=""
dump_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  [ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

classpath=$(ls "$amq_home"/lib/*.jar | tr '\n' ':')
mkdir -p "$work/classes" "$work/conf" "$work/data" "$work/tmp"
javac -d "$work/classes" -cp "$classpath" "$root/tools/openwire-client/Client.java"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

capture_start "$pcap" "$port" "$work/tcpdump.log" || exit 1
dump_pid=$CAPTURE_PID

# /usr/bin/activemq switches to the `activemq` user and the system instance directories; the
# broker itself is the package's activemq.jar with a base directory of our own.
java -Xmx256m -Dactivemq.home="$amq_home" -Dactivemq.base="$work" -Dactivemq.conf="$work/conf" \
  -Dactivemq.data="$work/data" -Djava.io.tmpdir="$work/tmp" -jar "$amq_home/bin/activemq.jar" \
  start "broker:(tcp://127.0.0.1:$port?wireFormat.sizePrefixDisabled=true)?persistent=false&useJmx=false&brokerName=l7tap-e2e" \
  >"$work/broker.log" 2>&1 &
broker_pid=$!
up() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5)' "$port" 2>/dev/null; }
for _ in $(seq 300); do up && break; sleep 0.1; done
up || { cat "$work/broker.log" >&2; echo "openwire_capture: broker did not start" >&2; exit 1; }
# The readiness probe itself is a connection without OpenWire bytes (no record).

run_client() { timeout 60 java -cp "$classpath$work/classes" Client "$1" "$2" >&2; }
run_client "tcp://127.0.0.1:$port" tight
run_client "tcp://127.0.0.1:$port?wireFormat.tightEncodingEnabled=false" loose
run_client "tcp://127.0.0.1:$port?wireFormat.sizePrefixDisabled=true" noprefix

kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true; broker_pid=""
capture_end "$dump_pid" "$pcap" "$port"
dump_pid=""
echo "$pcap"
