#!/usr/bin/env bash
# metrics.max_series_per_metric bounds the whole RED exposition of the running l7tap (live mode,
# net_pcap vdev): FLOWS one-packet MQTT flows (a QoS 0 PUBLISH each, built here from the MQTT 3.1.1
# spec: fixed header 0x30, remaining length, topic, payload) to FLOWS distinct server addresses.
# With the default service_map.unmatched: name each server is a service of its own, so every flow
# is a new label set. Checked on the scrape:
# - every RED family has at most CAP label sets, the one overflow series included;
# - RED samples <= CAP x 26 (7 counters + 16 buckets, +Inf, _sum and _count);
# - nothing lost: l7tap_requests_total adds up to FLOWS, the overflow series holds FLOWS - (CAP - 1),
#   as l7tap_metric_series_overflow_total says; promtool accepts the exposition.
# Prints what the scrape weighed (bytes, samples, curl's time) and l7tap's peak RSS (VmHWM).
# The figures for the README come from the same script at the default cap (TOPIC_BYTES=120: long
# endpoint labels; SCRAPES=5: the peak RSS after several scrapes):
#   FLOWS=20001 CAP=10000 SCRAPES=5 L7TAP=build/l7tap L7TAP_SOURCE_DIR=. tests/e2e/test_metrics_series_cap.sh
source "$(dirname "$0")/lib.sh"
FLOWS=${FLOWS:-3000}
CAP=${CAP:-500}
TOPIC_BYTES=${TOPIC_BYTES:-0}  # > 0: topics of that many '"' (each escaped to 2 bytes in the exposition)
SCRAPES=${SCRAPES:-1}          # scrapes measured (the last one is checked)
python3 - "$WORK/flows.pcap" "$FLOWS" "$TOPIC_BYTES" <<'PY'
import struct, sys
out, flows, topic_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
topic = b'"' * topic_bytes if topic_bytes else b"plant/line/temp"
assert 2 + len(topic) + 2 < 128  # one-byte remaining length
mqtt = bytes([0x30, 2 + len(topic) + 2]) + struct.pack("!H", len(topic)) + topic + b"21"  # PUBLISH QoS 0
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(flows):
        src = bytes([192, 168, (i >> 8) & 0xff, i & 0xff])
        dst = bytes([10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])
        tcp = struct.pack("!HHIIBBHHH", 40000 + i % 20000, 1883, 1000, 1, 5 << 4, 0x18, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(mqtt), i & 0xffff, 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp + mqtt
        ts = 1700000000 * 1000000 + i * 10
        f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)) + frame)
PY
PORT=$(free_port)
cat > "$WORK/l7tap.yaml" <<YAML
eal:
  args: [$EAL_ARGS, "-l", "0-1"]
ports:
  - name: tap0
    device: "net_pcap0,rx_pcap=$WORK/flows.pcap"
flow_log:
  path: "$WORK/flow.jsonl"
metrics:
  listen: "127.0.0.1:$PORT"
  max_series_per_metric: $CAP
YAML
"$L7TAP" --config "$WORK/l7tap.yaml" 2>"$WORK/l7tap.err" &
PID=$!
PIDS+=("$PID")
# Flows with no response are logged when their session times out; the scrape also has to see
# every record in the RED tables, so wait for the counter rather than for the flow log.
all_counted() {
  curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v want="$FLOWS" '
    /^l7tap_records_total\{/ { n += $NF } END { exit !(n >= want) }'
}
wait_for all_counted || { cat "$WORK/l7tap.err" >&2; fail "l7tap_records_total never reached $FLOWS"; }
slowest=0
for _ in $(seq "$SCRAPES"); do
  scrape=$(curl -sf -o "$WORK/metrics.txt" -w '%{time_total} %{size_download}' "http://127.0.0.1:$PORT/metrics") ||
    fail "no /metrics on port $PORT"
  slowest=$(echo "$scrape $slowest" | awk '{ print ($1 > $3 ? $1 : $3) }')
done
scrape="$slowest ${scrape#* }"
rss_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$PID/status")
promtool check metrics <"$WORK/metrics.txt" || fail "promtool check metrics rejected the exposition"
python3 - "$WORK/metrics.txt" "$FLOWS" "$CAP" "$scrape" "$rss_kb" "$SCRAPES" <<'PY'
import re, sys
path, flows, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seconds, size = sys.argv[4].split()
rss_mb = int(sys.argv[5]) / 1024
red = ["l7tap_requests_total", "l7tap_responses_total", "l7tap_client_errors_total", "l7tap_server_errors_total",
       "l7tap_timeouts_total", "l7tap_request_bytes_total", "l7tap_response_bytes_total",
       "l7tap_request_duration_seconds_count"]
label_sets = {name: 0 for name in red}
samples = 0
requests = 0.0
overflow = None
counter = None
over = re.compile(r'protocol="__overflow__".*service="__overflow__"|service="__overflow__".*protocol="__overflow__"')
for line in open(path):
    if line.startswith("#"):
        continue
    name = re.split(r"[{ ]", line, 1)[0]
    value = float(line.rsplit(" ", 1)[1])
    if name in label_sets:
        label_sets[name] += 1
    if name in red[:-1] or name.startswith("l7tap_request_duration_seconds"):
        samples += 1
    if name == "l7tap_requests_total":
        requests += value
        if over.search(line):
            overflow = value
    if name == "l7tap_metric_series_overflow_total" and 'metric="l7tap_requests_total"' in line:
        counter = value
print(f"[ measure  ] {flows} flows to distinct servers, max_series_per_metric {cap}: "
      f"{label_sets['l7tap_requests_total']} label sets, {samples} RED samples, scrape {int(size)} bytes "
      f"in {float(seconds):.3f} s (slowest of {sys.argv[6]}), l7tap peak RSS {rss_mb:.0f} MB")
for name, n in label_sets.items():
    assert n <= cap, f"{name}: {n} label sets, cap {cap}"
assert samples <= cap * 26, f"{samples} RED samples > {cap} x 26"
assert requests == flows, f"l7tap_requests_total adds up to {requests}, {flows} flows were sent"
expect = max(0, flows - (cap - 1))
assert (overflow or 0) == expect, f"overflow series holds {overflow}, expected {expect}"
assert counter == expect, f"l7tap_metric_series_overflow_total = {counter}, expected {expect}"
PY
kill -TERM "$PID"
wait "$PID" || fail "l7tap did not exit cleanly on SIGTERM"
PIDS=()
echo "PASS"
