#!/usr/bin/env bash
# Captures real AMQP 0-9-1 traffic: starts a test-owned RabbitMQ on 127.0.0.1 (free ports, private
# epmd, data and logs in a temp dir, no plugins), records loopback with tcpdump while a pika
# client and amqp-tools (amqp-publish / amqp-get) talk to it, then stops everything.
#
#   tests/e2e/rabbitmq_capture.sh OUTDIR     → OUTDIR/rabbitmq.pcap (+ OUTDIR/rabbitmq-port)
#
# Needs (Debian): rabbitmq-server amqp-tools python3-pika tcpdump; root for tcpdump on lo.
# Exits 77 (skip) when one is missing. Takes about 15-25 s, mostly RabbitMQ's start and stop.
set -euo pipefail
. "$(dirname "$0")/capture_end.sh"

OUTDIR=${1:?usage: $0 OUTDIR}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

RABBIT_BIN=/usr/lib/rabbitmq/bin
PY=/usr/bin/python3
for need in "$RABBIT_BIN/rabbitmq-server" "$RABBIT_BIN/rabbitmqctl" /usr/bin/amqp-publish /usr/bin/amqp-get; do
  [[ -x $need ]] || { echo "skip: $need not installed (apt-get install rabbitmq-server amqp-tools)"; exit 77; }
done
command -v tcpdump >/dev/null || { echo "skip: tcpdump not installed"; exit 77; }
command -v epmd >/dev/null || [[ -x /usr/lib/erlang/bin/epmd ]] || { echo "skip: epmd not found"; exit 77; }
$PY -c 'import pika' 2>/dev/null || { echo "skip: python3-pika not installed"; exit 77; }

WORK=$(mktemp -d /tmp/l7tap-rabbit.XXXXXX)
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
AMQP_PORT=$(free_port)
DIST_PORT=$(free_port)
EPMD_PORT=$(free_port)
NODE=l7tap-test@localhost

# Everything RabbitMQ and Erlang read or write lives under $WORK (HOME holds the Erlang cookie).
export HOME=$WORK/home
export RABBITMQ_NODENAME=$NODE
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$AMQP_PORT
export RABBITMQ_DIST_PORT=$DIST_PORT
export ERL_EPMD_PORT=$EPMD_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE=$WORK/mnesia
export RABBITMQ_LOG_BASE=$WORK/log
export RABBITMQ_PID_FILE=$WORK/rabbit.pid
export RABBITMQ_CONF_ENV_FILE=$WORK/rabbitmq-env.conf
export RABBITMQ_CONFIG_FILE=$WORK/rabbitmq.conf
export RABBITMQ_ADVANCED_CONFIG_FILE=$WORK/advanced.config
export RABBITMQ_ENABLED_PLUGINS_FILE=$WORK/enabled_plugins
export RABBITMQ_PLUGINS_EXPAND_DIR=$WORK/plugins-expand
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
: >"$RABBITMQ_CONF_ENV_FILE"
echo '[].' >"$RABBITMQ_ENABLED_PLUGINS_FILE"
printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$AMQP_PORT" >"$RABBITMQ_CONFIG_FILE"
echo '[].' >"$RABBITMQ_ADVANCED_CONFIG_FILE"

RABBIT_PID="" TCPDUMP_PID=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n $TCPDUMP_PID ]] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
    kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null
  fi
  if [[ -n $RABBIT_PID ]]; then
    timeout 30 "$RABBIT_BIN/rabbitmqctl" -n "$NODE" stop >/dev/null 2>&1
    local beam=""
    [[ -s $RABBITMQ_PID_FILE ]] && beam=$(cat "$RABBITMQ_PID_FILE")
    for _ in $(seq 1 50); do kill -0 "$RABBIT_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$RABBIT_PID" 2>/dev/null && kill -TERM "$RABBIT_PID"
    [[ -n $beam ]] && kill -0 "$beam" 2>/dev/null && kill -KILL "$beam"
    wait "$RABBIT_PID" 2>/dev/null
  fi
  # The private epmd (started by the node on $ERL_EPMD_PORT) is ours to stop.
  local epmd_bin; epmd_bin=$(command -v epmd || echo /usr/lib/erlang/bin/epmd)
  "$epmd_bin" -kill >/dev/null 2>&1
  if (( rc != 0 )) && [[ -d $RABBITMQ_LOG_BASE ]]; then
    echo "--- rabbitmq logs (failure) ---" >&2
    tail -n 40 "$RABBITMQ_LOG_BASE"/*.log "$WORK/server.out" 2>/dev/null >&2
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

START=$(date +%s.%N)
"$RABBIT_BIN/rabbitmq-server" >"$WORK/server.out" 2>&1 &
RABBIT_PID=$!

# Up when the AMQP port accepts connections (bounded: 90 s on a loaded 2-core machine).
$PY - "$AMQP_PORT" "$RABBIT_PID" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 90
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("rabbitmq-server exited during start")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit("rabbitmq-server did not open port %d in 90 s" % port)
EOF
timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$NODE" await_startup >/dev/null

PCAP=$OUTDIR/rabbitmq.pcap
capture_start "$PCAP" "$AMQP_PORT" "$WORK/tcpdump.err" || exit 1
TCPDUMP_PID=$CAPTURE_PID

# 1. pika: topology, three published messages with trace headers, basic_get + ack, consume + ack,
#    a passive declare of a missing queue (the broker closes the channel with 404), clean close.
$PY - "$AMQP_PORT" <<'EOF'
import sys, pika
port = int(sys.argv[1])
params = pika.ConnectionParameters("127.0.0.1", port, credentials=pika.PlainCredentials("guest", "guest"),
                                   heartbeat=2, blocked_connection_timeout=10, socket_timeout=10)
conn = pika.BlockingConnection(params)
ch = conn.channel()
ch.exchange_declare("l7tap-x", exchange_type="direct")
ch.queue_declare("l7tap-q")
ch.queue_bind("l7tap-q", "l7tap-x", routing_key="rk-1")
for i in range(3):
    tp = "00-%032x-%016x-01" % (0x4bf92f3577b34da6a3ce929d0e0e4736 + i, 0x00f067aa0ba902b7 + i)
    ch.basic_publish("l7tap-x", "rk-1", ("message %d" % i).encode(),
                     pika.BasicProperties(content_type="text/plain", headers={"traceparent": tp, "n": i}))
method, props, body = ch.basic_get("l7tap-q", auto_ack=False)
assert method is not None, "basic_get found no message"
ch.basic_ack(method.delivery_tag)
got = 0
for method, props, body in ch.consume("l7tap-q", inactivity_timeout=5):
    assert method is not None, "consume timed out"
    ch.basic_ack(method.delivery_tag)
    got += 1
    if got == 2:
        break
ch.cancel()
conn.sleep(2.5)  # idle: both peers send heartbeat frames
try:
    ch.queue_declare("l7tap-missing", passive=True)
    sys.exit("passive declare of a missing queue succeeded")
except pika.exceptions.ChannelClosedByBroker as e:
    assert e.reply_code == 404, e
ch2 = conn.channel()
ch2.queue_purge("l7tap-q")
ch2.close()
conn.close()
EOF

# 2. amqp-tools (librabbitmq): one publish, then get it back.
URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT
amqp-publish --url="$URL" -e l7tap-x -r rk-1 -b "from amqp-publish"
amqp-get --url="$URL" -q l7tap-q >/dev/null

# 3. pika again: remove what step 1 declared.
$PY - "$AMQP_PORT" <<'EOF'
import sys, pika
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", int(sys.argv[1])))
ch = conn.channel()
ch.queue_delete("l7tap-q")
ch.exchange_delete("l7tap-x")
conn.close()
EOF

capture_end "$TCPDUMP_PID" "$PCAP" "$AMQP_PORT"
TCPDUMP_PID=""
echo "$AMQP_PORT" >"$OUTDIR/rabbitmq-port"
END=$(date +%s.%N)
echo "captured $(tcpdump -r "$PCAP" 2>/dev/null | wc -l) packets to $PCAP (AMQP port $AMQP_PORT)" \
     "in $($PY -c "print(round($END - $START, 1))") s"
