#!/usr/bin/env bash
# The operator's side of the conf and of capture files, through the real binary: --check-config
# refuses what is not a complete regular conf file and sizes that cannot be allocated (naming the
# key and the bytes), errors name a path once and state real ranges, exit statuses match the
# README (0 ok; 1 a capture that breaks off, whatever the files' order; 2 bad usage, bad conf, a
# capture that cannot be opened), and a SIGHUP that finds the conf mid-rewrite keeps the running
# conf and is counted in /metrics.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# expect_exit CODE PATTERN CMD...: CMD exits with CODE and its stderr has PATTERN (grep -E).
expect_exit() {
  local want=$1 pattern=$2 rc=0
  shift 2
  "$@" >out.txt 2>err.txt || rc=$?
  [ "$rc" = "$want" ] || fail "$* exited $rc, want $want; stderr: $(cat err.txt)"
  [ -z "$pattern" ] || grep -Eq -- "$pattern" err.txt || fail "$*: stderr lacks /$pattern/: $(cat err.txt)"
  if [ "$want" != 0 ]; then ! grep -qx ok out.txt || fail "$* printed ok"; fi
}

# ---- what is not a conf file ---------------------------------------------------------------------
mkdir confdir
: > empty.yaml
printf '# being rewritten\n' > comments.yaml
expect_exit 2 "^l7tap: confdir: is a directory, not a conf file$" "$L7TAP" --config confdir --check-config
expect_exit 2 "^l7tap: /proc/self/mem: the conf file is empty" "$L7TAP" --config /proc/self/mem --check-config
expect_exit 2 "^l7tap: empty.yaml: the conf file is empty \(0 bytes" "$L7TAP" --config empty.yaml --check-config
expect_exit 2 "^l7tap: comments.yaml: the conf is empty \(no keys\)" "$L7TAP" --config comments.yaml --check-config
expect_exit 2 "^l7tap: /dev/null: is a character device" "$L7TAP" --config /dev/null --check-config
# The path once, not "nope.yaml: nope.yaml: ...".
expect_exit 2 "^l7tap: nope.yaml: cannot open the conf file: No such file or directory$" \
  "$L7TAP" --config nope.yaml --check-config

# ---- ranges and sizes ----------------------------------------------------------------------------
printf 'workers: { count: two }\n' > two.yaml
expect_exit 2 '^l7tap: two.yaml: workers.count: expected an integer in 1..64, got "two"$' \
  "$L7TAP" --config two.yaml --check-config
# Far beyond any machine's memory: refused by --check-config with the key and the bytes.
printf 'flows: { capacity: 4294967294 }\n' > flows.yaml
expect_exit 2 '^l7tap: flows.yaml: flows.capacity: needs [0-9.]+ TiB \([0-9]+ bytes: 1 worker x 4294967294 flows x ~[0-9]+ bytes per flow' \
  "$L7TAP" --config flows.yaml --check-config
printf 'records: { ring_size: 4TiB }\n' > ring.yaml
expect_exit 2 '^l7tap: ring.yaml: records.ring_size: needs 8.0 TiB \(8796093087745 bytes' \
  "$L7TAP" --config ring.yaml --check-config
# A process limit counts too (ulimit -v): 1 GiB ring = 2 GiB needed, 1 GiB allowed.
printf 'records: { ring_size: 1GiB }\n' > ring1g.yaml
# (Not under AddressSanitizer: its shadow memory needs terabytes of address space before main.)
if ! grep -q __asan_init "$L7TAP"; then
  expect_exit 2 'records.ring_size: needs 2.0 GiB .* the address-space limit \(ulimit -v\)' \
    bash -c 'ulimit -v 1048576; exec "$0" --config ring1g.yaml --check-config' "$L7TAP"
fi
printf 'workers: { count: 2 }\n' > ok.yaml
expect_exit 0 "" "$L7TAP" --config ok.yaml --check-config
grep -qx ok out.txt || fail "--check-config did not print ok"

# ---- capture files and exit statuses -------------------------------------------------------------
python3 "$L7TAP_SOURCE_DIR/tools/gen_mqtt_pcap.py" mqtt.pcap --repeat 4 >/dev/null
size=$(stat -c %s mqtt.pcap)
head -c $((size - 20)) mqtt.pcap > broken.pcap   # the last frame breaks off
printf 'not a capture' > garbage.pcap
expect_exit 0 "" "$L7TAP" --pcap mqtt.pcap --flow-log -
full=$(wc -l < out.txt)
[ "$full" -gt 0 ] || fail "no records from mqtt.pcap"
expect_exit 1 "^l7tap: broken.pcap: truncated dump file.*\(the frames before it were processed\)$" \
  "$L7TAP" --pcap broken.pcap --flow-log -
[ "$(wc -l < out.txt)" -gt 0 ] || fail "the frames before the break were not processed"
expect_exit 2 "^l7tap: missing.pcap: cannot open: No such file or directory$" "$L7TAP" --pcap missing.pcap --flow-log -
expect_exit 2 "^l7tap: confdir: is a directory, not a capture file$" "$L7TAP" --pcap confdir --flow-log -
expect_exit 2 "^l7tap: garbage.pcap: not a readable capture file: " "$L7TAP" --pcap garbage.pcap --flow-log -
# The worst status wins, in either order; a file that cannot be opened stops the run before it starts.
expect_exit 2 "missing.pcap" "$L7TAP" --pcap broken.pcap --pcap missing.pcap --flow-log -
expect_exit 2 "missing.pcap" "$L7TAP" --pcap missing.pcap --pcap broken.pcap --flow-log -
[ ! -s out.txt ] || fail "records were written although a capture could not be opened"
expect_exit 1 "broken.pcap" "$L7TAP" --pcap broken.pcap --pcap mqtt.pcap --flow-log -
expect_exit 1 "broken.pcap" "$L7TAP" --pcap mqtt.pcap --pcap broken.pcap --flow-log -
# A pipe is not read ahead by that check: the replay gets every byte.
expect_exit 0 "" bash -c 'cat mqtt.pcap | "$0" --pcap /dev/stdin --flow-log -' "$L7TAP"
[ "$(wc -l < out.txt)" = "$full" ] || fail "--pcap /dev/stdin gave $(wc -l < out.txt) records, want $full"

# ---- SIGHUP with the conf mid-rewrite ------------------------------------------------------------
PORT=$(free_port)
cat > live.yaml <<YAML
flow_log: { path: "" }
service_map:
  unmatched: drop
  rules:
    - { cidr: 10.0.0.0/8, service: broker }
YAML
"$L7TAP" --config live.yaml --pcap mqtt.pcap --metrics-listen "127.0.0.1:$PORT" --linger 2>l7tap.err &
pid=$!
PIDS+=("$pid")
wait_for curl -sf "http://127.0.0.1:$PORT/metrics" || fail "no /metrics"
: > live.yaml                                      # truncated, as an editor or `>` leaves it
kill -HUP "$pid"
wait_for grep -q "reload failed, keeping the previous conf: live.yaml: the conf file is empty" l7tap.err ||
  fail "no reload failure message: $(cat l7tap.err)"
curl -sf "http://127.0.0.1:$PORT/metrics" > m.txt
grep -q '^l7tap_config_reloads_total{result="failed"} 1$' m.txt || fail "failed reload not counted"
grep -q '^l7tap_config_last_reload_successful 0$' m.txt || fail "last reload not shown as failed"
printf 'flow_log: { path: "" }\nservice_map: { unmatched: drop }\nflows: { capacity: 1000 }\n' > live.yaml
kill -HUP "$pid"
wait_for grep -q "need a restart: flows.capacity" l7tap.err || fail "no reload message: $(cat l7tap.err)"
curl -sf "http://127.0.0.1:$PORT/metrics" > m.txt
grep -q '^l7tap_config_reloads_total{result="ok"} 1$' m.txt || fail "reload not counted"
kill -TERM "$pid"
wait "$pid" || fail "l7tap did not exit cleanly"
PIDS=()

# ---- live mode (DPDK, two workers): trace header names reach both workers on SIGHUP ---------------
PORT=$(free_port)
write_live() {
  cat > live2.yaml <<YAML
eal:
  args: [$EAL_ARGS, "--lcores", "0@0,1@1,2@0"]
ports:
  - name: tap0
    device: "net_pcap0,rx_pcap=$WORK/mqtt.pcap"
workers: { count: 2, exit_when_idle: 20s }
flow_log: { path: "" }
metrics: { listen: "127.0.0.1:$PORT" }
protocols: { trace_headers: { trace_id: [$1] } }
YAML
}
write_live "x-a"
"$L7TAP" --config live2.yaml 2>live.err &
pid=$!
PIDS+=("$pid")
wait_for curl -sf "http://127.0.0.1:$PORT/metrics" || fail "no /metrics in live mode: $(cat live.err)"
write_live "x-b, x-c"
kill -HUP "$pid"
wait_for grep -q "protocols.trace_headers (2 names); no other key changed" live.err ||
  fail "live reload did not apply the trace headers: $(cat live.err)"
kill -TERM "$pid"
wait "$pid" || fail "l7tap (live) did not exit cleanly: $(cat live.err)"
PIDS=()
echo "PASS"
