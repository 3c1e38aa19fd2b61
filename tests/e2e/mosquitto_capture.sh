#!/bin/sh
# Captures real MQTT traffic between mosquitto and its own clients on the loopback interface.
#
# Usage: mosquitto_capture.sh OUTDIR   → writes OUTDIR/mqtt.pcap and prints its path.
# Needs mosquitto, mosquitto_sub, mosquitto_pub, tcpdump and the right to capture on lo (root).
#
# Two rounds, one per protocol version (5.0 then 3.1.1). In each, a subscriber (QoS 1, exits after
# 3 messages) listens on l7tap/e2e/<round>/#, and three publishers send one message each with
# QoS 0, 1 and 2; in the 5.0 round the QoS 1 message carries a `traceparent` user property.
# Client ids are fixed so that the records can be asserted: sub-v5, pub-v5-q0, pub-v5-q1,
# pub-v5-q2, sub-v311, pub-v311-q0, pub-v311-q1, pub-v311-q2.
set -eu
. "$(dirname "$0")/capture_end.sh"

OUTDIR=${1:?usage: $0 OUTDIR}
TRACEPARENT=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01

for tool in mosquitto mosquitto_sub mosquitto_pub tcpdump; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool not found" >&2; exit 2; }
done
mkdir -p "$OUTDIR"
PCAP=$(cd "$OUTDIR" && pwd)/mqtt.pcap
WORK=$(mktemp -d)
TCPDUMP_PID=
BROKER_PID=
SUB_PID=

cleanup() {
  # Stop only the processes this script started, by their ids.
  for pid in $SUB_PID $BROKER_PID; do
    kill "$pid" 2>/dev/null || true
  done
  if [ -n "$TCPDUMP_PID" ]; then
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    wait "$TCPDUMP_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A free TCP port on 127.0.0.1 (bind to port 0 and read back what the kernel chose).
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$WORK/mosquitto.conf" <<EOF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type all
EOF

# wait_for CMD...: retries CMD for up to 10 s.
wait_for() {
  i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -ge 100 ] && return 1
    sleep 0.1
  done
}

mosquitto -c "$WORK/mosquitto.conf" 2>"$WORK/mosquitto.log" &
BROKER_PID=$!
wait_for /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()" ||
  { echo "$0: mosquitto did not start" >&2; cat "$WORK/mosquitto.log" >&2; exit 1; }

# The capture starts once the broker is up, so the readiness probe above stays out of it.
capture_start "$PCAP" "$PORT" "$WORK/tcpdump.log" || exit 1
TCPDUMP_PID=$CAPTURE_PID


# round VERSION TAG: subscriber + 3 publishers.
round() {
  version=$1
  tag=$2
  topic=l7tap/e2e/$tag
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -V "$version" -i "sub-$tag" -q 1 -C 3 -W 20 -t "$topic/#" \
    >"$WORK/sub-$tag.out" &
  SUB_PID=$!
  # The subscription is in place once the broker logged its SUBACK.
  wait_for grep -q "Sending SUBACK to sub-$tag" "$WORK/mosquitto.log" ||
    { echo "$0: subscriber $tag did not subscribe" >&2; exit 1; }
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -V "$version" -i "pub-$tag-q0" -q 0 -t "$topic/q0" -m "hello qos0"
  if [ "$version" = mqttv5 ]; then
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -V "$version" -i "pub-$tag-q1" -q 1 -t "$topic/q1" -m "hello qos1" \
      -D publish user-property traceparent "$TRACEPARENT"
  else
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -V "$version" -i "pub-$tag-q1" -q 1 -t "$topic/q1" -m "hello qos1"
  fi
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -V "$version" -i "pub-$tag-q2" -q 2 -t "$topic/q2" -m "hello qos2"
  wait "$SUB_PID" || { echo "$0: subscriber $tag did not get 3 messages" >&2; exit 1; }
  SUB_PID=
}

round mqttv5 v5
round mqttv311 v311

# Stop the broker (its FINs are part of the capture), then the capture once it holds everything.
kill "$BROKER_PID" 2>/dev/null || true
wait "$BROKER_PID" 2>/dev/null || true
BROKER_PID=
capture_end "$TCPDUMP_PID" "$PCAP" "$PORT"
TCPDUMP_PID=
echo "$PCAP"
