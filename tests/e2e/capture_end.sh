# Sourced by the *_capture.sh scripts (POSIX sh): stops a tcpdump capture only once it has written
# every packet sent before the stop, instead of sleeping and hoping. On a loaded machine (CI, the
# sanitizer build, fuzzers on both cores) tcpdump can lag by more than a second, and a SIGINT then
# loses the segments still in its socket buffer: the last DISCONNECT or FIN goes missing and the
# flow-log checks fail for a reason that is not l7tap's.
#
# The capture filter must be "port P" (TCP and UDP): the end marker is one UDP datagram to
# 127.0.0.1:P carrying CAPTURE_END_MARKER. The kernel hands packets to the capture in order, and
# tcpdump -U writes each one as it reads it, so once the marker is in the file everything before
# it is too. l7tap sees the marker as a one-datagram UDP flow of no known protocol (no record).

CAPTURE_END_MARKER=l7tap-e2e-capture-end

# Before the marker, every TCP connection of the port must be closed (or in TIME-WAIT) on both
# sides: a server may still owe a response after its client left (the Kafka responder answers a
# long-polled Fetch up to 1 s after kcat closed), and that response belongs in the capture.
#
# _poll_until TRIES MESSAGE CMD...: runs CMD every 50 ms until it succeeds, at most TRIES times;
# then says MESSAGE on stderr and goes on (the checks that follow report what is missing).
_poll_until() {
  _n=$1 _msg=$2 _i=0
  shift 2
  until "$@"; do
    _i=$((_i + 1))
    if [ "$_i" -ge "$_n" ]; then
      echo "capture_end: $_msg" >&2
      return 0
    fi
    sleep 0.05
  done
}
_port_idle() {
  [ -z "$(ss -Htn state established state syn-sent state syn-recv state fin-wait-1 state fin-wait-2 \
    state close-wait state last-ack state closing "( sport = :$1 or dport = :$1 )" 2>/dev/null)" ]
}
_has_marker() { grep -aq "$CAPTURE_END_MARKER" "$1" 2>/dev/null; }
# capture_end TCPDUMP_PID PCAP PORT: waits (at most 10 s) for the port's connections to close, sends
# the marker, waits (at most 20 s) until the file holds it, then stops tcpdump and waits for it.
capture_end() {
  _poll_until 200 "connections of port $3 still open after 10 s" _port_idle "$3"
  /usr/bin/python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'$CAPTURE_END_MARKER', ('127.0.0.1', $3))"
  _poll_until 400 "the end marker never reached $2" _has_marker "$2"
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# capture_start PCAP PORT LOG: starts tcpdump on lo for "port PORT" into PCAP (its stderr into LOG)
# and waits (at most 10 s) until it is live; its pid is then in CAPTURE_PID. `-B 65536`: in
# immediate mode libpcap's ring has slots as large as a whole packet on lo (64 KiB MTU), so the
# default 2 MiB buffer holds 16 packets, and a tcpdump descheduled on a loaded machine dropped some
# ("N packets dropped by kernel": 292 of 308 with a paused reader; none with 64 MiB).
capture_start() {
  tcpdump -i lo -U --immediate-mode -B 65536 -n -s 0 -w "$1" "port $2" 2>"$3" &
  CAPTURE_PID=$!
  if ! _wait_for 100 _tcpdump_live "$3"; then
    echo "capture_start: tcpdump did not start" >&2
    cat "$3" >&2
    return 1
  fi
}
_tcpdump_live() { grep -q "listening on" "$1" 2>/dev/null; }

# _wait_for TRIES CMD...: runs CMD every 100 ms until it succeeds; fails after TRIES tries.
_wait_for() {
  _n=$1 _i=0
  shift
  until "$@"; do
    _i=$((_i + 1))
    [ "$_i" -lt "$_n" ] || return 1
    sleep 0.1
  done
}

# responder_start SCRIPT DIR: starts SCRIPT (a tools/responder_server.py responder) on 127.0.0.1 on a
# free port, its output into DIR/responder.log, and waits (at most 5 s) for the port it took; its
# pid is then in RESPONDER_PID and the port in RESPONDER_PORT.
responder_start() {
  /usr/bin/python3 "$1" --host 127.0.0.1 --port 0 --port-file "$2/port" >"$2/responder.log" 2>&1 &
  RESPONDER_PID=$!
  if ! _wait_for 50 test -s "$2/port"; then
    echo "responder_start: $1 did not start" >&2
    cat "$2/responder.log" >&2
    return 1
  fi
  RESPONDER_PORT=$(cat "$2/port")
}
