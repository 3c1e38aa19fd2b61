# Helpers for the end-to-end tests (sourced). Every test runs in its own temp dir and cleans up.
# shellcheck shell=bash
set -euo pipefail
: "${L7TAP:?path to the l7tap binary}"
: "${L7TAP_SOURCE_DIR:?source root}"
WORK=$(mktemp -d /tmp/l7tap-e2e.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for CMD... : retry a command for up to 30 s
wait_for() {
  local i
  for i in $(seq 1 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

# EAL arguments that work here: no hugepages, no PCI, no shared config (tests run in parallel).
EAL_ARGS='"--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "512", "--log-level", "lib.eal:error"'

# live_replay WANT METRICS_PORT: runs l7tap live on $WORK/l7tap.yaml until $WORK/flow.jsonl holds
# WANT lines (30 s at most), saves /metrics to $WORK/metrics.txt, then stops l7tap with SIGTERM
# (which flushes every open session) and fails unless it exits cleanly. Its stderr: $WORK/l7tap.err.
live_replay() {
  local want=$1 port=$2 pid
  "$L7TAP" --config "$WORK/l7tap.yaml" 2>"$WORK/l7tap.err" &
  pid=$!
  PIDS+=("$pid")
  enough() { [ "$(wc -l <"$WORK/flow.jsonl" 2>/dev/null || echo 0)" -ge "$want" ]; }
  wait_for enough || echo "note: fewer than $want records before shutdown; comparing after it" >&2
  curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt" || fail "no /metrics on port $port"
  kill -TERM "$pid"
  wait "$pid" || fail "l7tap did not exit cleanly"
  PIDS=()
}

# offline_replay PCAP OUT: replays PCAP through `l7tap --pcap`, appending its flow log to OUT and its
# stderr to $WORK/l7tap.err; fails when l7tap does.
offline_replay() {
  "$L7TAP" --pcap "$1" --flow-log - --progress >>"$2" 2>>"$WORK/l7tap.err" || fail "l7tap --pcap $1 failed"
}

# Fails unless every offline replay so far ended with a summary line saying "0 parse errors"
# (--progress prints it on stderr even when that is a file).
expect_no_parse_errors() {
  grep -q ' parse errors, ' "$WORK/l7tap.err" || fail "no summary line on l7tap's stderr"
  if grep ' parse errors, ' "$WORK/l7tap.err" | grep -vq ', 0 parse errors, '; then
    fail "parse errors: $(grep ' parse errors, ' "$WORK/l7tap.err")"
  fi
}
