#!/usr/bin/env bash
# conf/man/l7tap.8 keeps up with the binary: every long option `l7tap --help` lists is an item of
# OPTIONS, and every metric family is named under METRICS — those a running l7tap serves on
# /metrics (offline, with --linger) and those declared in the sources (port, dispatcher and overflow
# families appear only live or once non-zero). Every l7tap_* name the page gives must exist. And
# the page renders without a warning from groff or man.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
PAGE="$L7TAP_SOURCE_DIR/conf/man/l7tap.8"

# ---- renders cleanly -----------------------------------------------------------------------------
groff -man -ww -z "$PAGE" 2>groff.err || fail "groff failed: $(cat groff.err)"
[ ! -s groff.err ] || fail "groff warns: $(cat groff.err)"
if command -v man >/dev/null; then
  MANWIDTH=80 man --warnings -l "$PAGE" >/dev/null 2>man.err || fail "man -l failed: $(cat man.err)"
  [ ! -s man.err ] || fail "man warns: $(cat man.err)"
fi
# Plain text, wide enough that no name is broken across lines.
groff -man -Tutf8 -rLL=250n -P-cbou "$PAGE" >page.txt 2>/dev/null
section() { awk -v s="$1" '/^[A-Z][A-Z ]+$/ { on = ($0 == s) } on' page.txt; }
section OPTIONS >options.txt
section METRICS >metrics.txt
[ -s options.txt ] && [ -s metrics.txt ] || fail "no OPTIONS or METRICS section in $PAGE"

# ---- options -------------------------------------------------------------------------------------
"$L7TAP" --help >help.txt
grep -E '^ +(-[A-Za-z], )?--[a-z]' help.txt | sed -E 's/^ +(-[A-Za-z], )?(--[a-z-]+).*/\2/' >options.want
[ "$(wc -l <options.want)" -ge 10 ] || fail "read only $(wc -l <options.want) options from --help"
while read -r opt; do
  # An item line of OPTIONS (7 spaces in), not a mention in some paragraph.
  grep -Eq -- "^ {7}(-[A-Za-z], )?$opt( |,|$)" options.txt || fail "$opt (in --help) is not an item of OPTIONS"
done <options.want

# ---- metric families -----------------------------------------------------------------------------
python3 "$L7TAP_SOURCE_DIR/tools/gen_mqtt_pcap.py" mqtt.pcap >/dev/null
port=$(free_port)
"$L7TAP" --pcap mqtt.pcap --flow-log /dev/null --metrics-listen "127.0.0.1:$port" --linger 2>l7tap.err &
PIDS+=($!)
wait_for grep -q 'serving /metrics' l7tap.err || fail "l7tap did not reach the end of input: $(cat l7tap.err)"
curl -sf "http://127.0.0.1:$port/metrics" >metrics.out || fail "no /metrics"
awk '/^# TYPE l7tap_/ { print $3 }' metrics.out >served.txt
[ "$(wc -l <served.txt)" -ge 50 ] || fail "only $(wc -l <served.txt) families served"
# Declared in the sources: the counter blocks, the port and flow-log families, the RED families.
grep -rhoE '(declare|make_family|port_family|log_family)\(\s*"l7tap_[a-z0-9_]+"' \
  "$L7TAP_SOURCE_DIR/control" "$L7TAP_SOURCE_DIR/dataplane" | grep -oE 'l7tap_[a-z0-9_]+' >declared.txt
sed -n '/kFamilyNames\[/,/};/p' "$L7TAP_SOURCE_DIR/control/red_collector.cpp" | grep -oE 'l7tap_[a-z0-9_]+' \
  >>declared.txt
grep -qx l7tap_port_rx_packets_total declared.txt && grep -qx l7tap_requests_total declared.txt ||
  fail "the declared families were not found in the sources"
sort -u served.txt declared.txt >families.txt
while read -r f; do
  grep -qw -- "$f" metrics.txt || fail "metric family $f is not in the METRICS section of $PAGE"
done <families.txt
# And nothing documented that l7tap does not have (a renamed or removed family).
grep -oE 'l7tap_[a-z0-9_]+' page.txt | sort -u >documented.txt
extra=$(comm -23 documented.txt families.txt)
[ -z "$extra" ] || fail "$PAGE names metric families l7tap does not have: $extra"
echo "man page ok: $(wc -l <options.want) options, $(wc -l <families.txt) metric families"
