#!/usr/bin/env bash
# Offline progress and summary on stderr (README, "Offline mode"): with --progress and stderr in a
# file, progress lines appear and the summary's packets and records per protocol equal the
# capture's frames and the flow log's records; without it, stderr being no terminal, neither
# appears. On a terminal (script(1)) the line is redrawn with \r by default, unless --no-progress or
# the flow log goes to that same terminal.
source "$(dirname "$0")/lib.sh"
: "${GEN:?path to the l7tap-gen binary}"
cd "$WORK"

"$GEN" --out gen.pcap --packets 100000 --concurrency 1000 --seed 11 --errors 0.05 --vlan 0.1 2>/dev/null ||
  fail "l7tap-gen failed"
frames=$(python3 - gen.pcap <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
off, n = 24, 0
while off + 16 <= len(data):
    off += 16 + struct.unpack(end + "I", data[off + 8:off + 12])[0]
    n += 1
print(n)
PY
)

# ---- --progress, stderr to a file ----------------------------------------------------------------
"$L7TAP" --pcap gen.pcap --flow-log flow.jsonl --progress 2>err.txt || fail "l7tap failed: $(cat err.txt)"
grep -Eq '^l7tap: [0-9]+% [0-9.]+/[0-9.]+ MiB, [0-9]+ packets \([0-9]+/s\), [0-9]+ records' err.txt ||
  fail "no progress line: $(cat err.txt)"
! grep -q $'\r' err.txt || fail "a redrawn (\\r) line went to a file"
python3 - err.txt flow.jsonl "$frames" <<'PY'
import collections, json, re, sys
err = open(sys.argv[1]).read().splitlines()
flow = collections.Counter(json.loads(l)["protocol"] for l in open(sys.argv[2]) if l.strip())
frames = int(sys.argv[3])
summary = [l for l in err if l.startswith("l7tap: done: ")]
assert len(summary) == 1, f"want one summary line, got {summary}"
m = re.fullmatch(r"l7tap: done: (\d+) packets \([\d.]+ MiB\) in [\d.]+ s, (\d+) flows, (\d+) records \(([^)]*)\), "
                 r"(\d+) parse errors, (\d+) gaps", summary[0])
assert m, f"summary not understood: {summary[0]}"
packets, flows, records = int(m[1]), int(m[2]), int(m[3])
per = {k: int(v) for k, v in (p.rsplit(" ", 1) for p in m[4].split(", "))}
assert packets == frames, f"summary says {packets} packets, the capture has {frames}"
assert flows > 0, summary[0]
assert records == sum(flow.values()), f"summary says {records} records, the flow log has {sum(flow.values())}"
assert {"mqtt", "kafka", "amqp", "nats"} <= set(flow), flow
for proto in set(per) | set(flow):
    assert per.get(proto, 0) == flow[proto], f"{proto}: summary {per.get(proto, 0)}, flow log {flow[proto]}"
last = [l for l in err if re.match(r"l7tap: \d+% ", l)][-1]
assert last.startswith("l7tap: 100% ") and f" {frames} packets " in last and last.endswith(f" {records} records"), last
print(f"summary ok: {packets} packets, {flows} flows, {records} records {per}")
PY

# ---- default, stderr not a terminal: quiet -------------------------------------------------------
"$L7TAP" --pcap gen.pcap --flow-log quiet.jsonl 2>quiet.err || fail "l7tap failed: $(cat quiet.err)"
! grep -Eq '^l7tap: ([0-9]+% |done: )' quiet.err || fail "progress or summary without a terminal: $(cat quiet.err)"
cmp -s flow.jsonl quiet.jsonl || fail "the flow log differs with --progress"

# ---- on a terminal -------------------------------------------------------------------------------
if command -v script >/dev/null; then
  script -qec "$L7TAP --pcap gen.pcap --flow-log /dev/null" tty.out >/dev/null || fail "l7tap on a terminal failed"
  grep -q $'\rl7tap: 100% ' tty.out || fail "no redrawn progress line on a terminal: $(cat -A tty.out | head -c 600)"
  grep -q '^l7tap: done: ' tty.out || fail "no summary on a terminal"
  script -qec "$L7TAP --pcap gen.pcap --flow-log /dev/null --no-progress" tty-off.out >/dev/null
  ! grep -Eq 'l7tap: ([0-9]+% |done: )' tty-off.out || fail "--no-progress still shows progress"
  # The flow log on the same terminal: JSON lines would tear the redrawn line apart.
  script -qec "$L7TAP --pcap gen.pcap --flow-log -" tty-stdout.out >/dev/null
  ! grep -Eq 'l7tap: ([0-9]+% |done: )' tty-stdout.out || fail "progress drawn over a flow log on the terminal"
else
  echo "note: script(1) not installed, the terminal case is not checked" >&2
fi
echo "offline progress ok"
