#!/usr/bin/env bash
# Two l7tap appliances scraped by one real Prometheus with the shipped fleet config
# (conf/prometheus/fleet/: file-based discovery, relabelling, fleet Asserts rules), then the same
# series through a global Prometheus (federate.yml) and, when installed, VictoriaMetrics
# (remote-write.yml). README "Running a fleet". Each appliance replays its own generated capture (different seeds and protocol mixes)
# offline with --linger, so its /metrics stays up with final counters. Both share one service map,
# as a fleet does: mqtt-broker and nats are seen by both, the unmatched kafka servers only by tap-a,
# the amqp ones only by tap-b. Checked through Prometheus' HTTP API:
#   - asserts:* per service (requests, client errors, server errors + timeouts, latency count and sum)
#     = the sum over both appliances' flow logs, and per (appliance, service) = that appliance's log;
#   - every series carries appliance = instance from the targets file; l7tap's own site/env labels
#     stay as the service map set them; the targets file's site/env arrive as asserts_site/asserts_env.
# The config is the shipped one apart from the intervals (1 s here), and the targets file written here.
source "$(dirname "$0")/lib.sh"
: "${GEN:?path to the l7tap-gen binary}"
command -v prometheus >/dev/null || fail "prometheus not installed"
FLEET="$L7TAP_SOURCE_DIR/conf/prometheus/fleet"
cd "$WORK"

# ---- two appliances ------------------------------------------------------------------------------
"$GEN" --out a.pcap --packets 20000 --concurrency 200 --seed 31 --mix mqtt=2,kafka=1,nats=1 --errors 0.1 \
  --high-ports 0 2>/dev/null || fail "l7tap-gen (a) failed"
"$GEN" --out b.pcap --packets 15000 --concurrency 150 --seed 32 --mix mqtt=1,amqp=1,nats=2 --errors 0.1 \
  --vlan 0.2 --high-ports 0 2>/dev/null || fail "l7tap-gen (b) failed"
# The generator's servers are 10.(200 + protocol).0.x: 200 mqtt, 201 kafka, 202 amqp, 203 nats.
cat > l7tap.yaml <<'YAML'
service_map:
  unmatched: name
  rules:
    - { cidr: 10.200.0.0/16, service: mqtt-broker, namespace: iot, workload: mosquitto, env: e2e, site: lab }
    - { cidr: 10.203.0.0/16, service: nats, namespace: bus }
YAML
start_appliance() {  # NAME PORT: replay NAME.pcap, then keep /metrics up
  "$L7TAP" --config l7tap.yaml --pcap "$1.pcap" --flow-log "$1.jsonl" --metrics-listen "127.0.0.1:$2" \
    --linger 2>"$1.err" &
  PIDS+=("$!")
}
PA=$(free_port)
PB=$(free_port)
[ "$PB" != "$PA" ] || PB=$(free_port)  # two binds in a row rarely, but can, get one port
start_appliance a "$PA"
start_appliance b "$PB"
# Done when the replay has ended and /metrics has counted every record the flow log holds.
drained() {  # NAME PORT
  grep -q "end of input" "$1.err" || return 1
  local lines counted
  lines=$(grep -c '' "$1.jsonl")
  counted=$(curl -sf "http://127.0.0.1:$2/metrics" | awk '/^l7tap_records_total\{/ { n += $NF } END { print n + 0 }')
  [ "$lines" -gt 0 ] && [ "$lines" = "$counted" ]
}
wait_for drained a "$PA" || fail "appliance a did not finish: $(tail -3 a.err)"
wait_for drained b "$PB" || fail "appliance b did not finish: $(tail -3 b.err)"

# ---- VictoriaMetrics, the long-term store (when installed) ------------------------------------------
VMPORT=
if command -v victoria-metrics >/dev/null; then
  VMPORT=$(free_port)
  # latencyOffset 0 and no cache: a query sees what has just been written.
  victoria-metrics -httpListenAddr="127.0.0.1:$VMPORT" -storageDataPath=vm -retentionPeriod=1 \
    -search.latencyOffset=0s -search.disableCache -loggerLevel=ERROR 2>vm.err &
  VMPID=$!
  PIDS+=("$VMPID")
  wait_for curl -sf "http://127.0.0.1:$VMPORT/health" || fail "victoria-metrics did not start: $(tail -3 vm.err)"
else
  echo "note: victoria-metrics not installed: remote_write not tested" >&2
fi

# ---- Prometheus with the shipped fleet config -------------------------------------------------------
# Copied as they are (relative paths: the rules and targets/ next to prometheus.yml); only the
# intervals become 1 s. The diff below proves nothing else changed.
set_intervals() { sed -E 's/^([[:space:]]*(scrape_interval|evaluation_interval|scrape_timeout|refresh_interval):)[[:space:]]*[0-9]+[smh]$/\1 1s/' "$@"; }
mkdir -p prom/targets
set_intervals "$FLEET/prometheus.yml" >prom/prometheus.yml
sed -E 's/^([[:space:]]*interval:)[[:space:]]*15s$/\1 1s/' "$FLEET/l7tap-asserts-fleet-rules.yml" \
  >prom/l7tap-asserts-fleet-rules.yml
only_intervals_changed() {  # SHIPPED COPY N
  local changed
  changed=$(diff "$1" "$2" | grep '^>' || true)
  [ "$(grep -c ' 1s$' <<<"$changed")" = "$3" ] && ! grep -qv ' 1s$' <<<"$changed" ||
    fail "$2 differs from $1 in more than its $3 intervals: $changed"
}
only_intervals_changed "$FLEET/prometheus.yml" prom/prometheus.yml 5
[ "$(grep -c 'interval: 1s' prom/l7tap-asserts-fleet-rules.yml)" = 2 ] || fail "could not set the rule group intervals"
if [ -n "$VMPORT" ]; then  # as README says: append remote-write.yml, set the URL
  sed "s|url: http://victoria-metrics.example.net:8428/|url: http://127.0.0.1:$VMPORT/|" "$FLEET/remote-write.yml" >rw.yml
  [ "$(diff "$FLEET/remote-write.yml" rw.yml | grep -c '^>')" = 1 ] || fail "could not set the remote_write URL"
  cat rw.yml >>prom/prometheus.yml
fi
# The targets file, as an operator writes it (conf/prometheus/fleet/targets/example.yml): tap-a
# first; tap-b is added while Prometheus runs, without a reload (README "Adding an appliance").
cat > prom/targets/e2e.yml <<YAML
- targets: ["127.0.0.1:$PA"]
  labels: {appliance: tap-a, site: fra1, env: e2e-a}
YAML
promtool check config prom/prometheus.yml >/dev/null || fail "promtool rejected the fleet config"
promtool check rules prom/l7tap-asserts-fleet-rules.yml >/dev/null || fail "promtool rejected the fleet rules"
start_prometheus() {  # NAME CONFIG PORT: sets PROMPID
  prometheus --config.file="$2" --storage.tsdb.path="$1.tsdb" --web.listen-address="127.0.0.1:$3" \
    --web.enable-lifecycle --log.level=warn 2>"$1.err" &
  PROMPID=$!
  PIDS+=("$PROMPID")
  wait_for curl -sf "http://127.0.0.1:$3/-/ready" || { cat "$1.err" >&2; fail "Prometheus ($1) did not become ready"; }
}
PPORT=$(free_port)
start_prometheus site prom/prometheus.yml "$PPORT"
SITEPID=$PROMPID
scraped() {  # N: Prometheus scrapes N appliances
  curl -sfG "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode 'query=count(up{job="l7tap"} == 1)' |
    grep -q "\"value\":\[[0-9.]*,\"$1\"\]"
}
wait_for scraped 1 || fail "Prometheus does not scrape tap-a: $(tail -3 site.err)"
# Plus an entry without labels for a port nobody serves: an appliance that is down, named after its
# address.
PDOWN=$(free_port)
cat > targets.new <<YAML
- targets: ["127.0.0.1:$PA"]
  labels: {appliance: tap-a, site: fra1, env: e2e-a}
- targets: ["127.0.0.1:$PB"]
  labels: {appliance: tap-b, site: ams2}
- targets: ["127.0.0.1:$PDOWN"]
YAML
mv targets.new prom/targets/e2e.yml  # replaced at once: Prometheus never reads half a file
wait_for scraped 2 || fail "tap-b, added to the targets file, is not scraped: $(tail -3 site.err)"

# ---- the asserts:* series against both flow logs -----------------------------------------------------
CHECK="$L7TAP_SOURCE_DIR/tests/e2e/check_fleet_series.py"
python3 "$CHECK" site "http://127.0.0.1:$PPORT" a.jsonl b.jsonl "127.0.0.1:$PDOWN" ||
  { tail -20 site.err >&2; fail "fleet series differ from the flow logs"; }

# ---- federation: a global Prometheus on the shipped federate.yml -------------------------------------
# Its two example sites become the one site Prometheus of this test.
set_intervals "$FLEET/federate.yml" >federate.yml
only_intervals_changed "$FLEET/federate.yml" federate.yml 3
sed -i -e "s|- prometheus-fra1.example.net:9090|- 127.0.0.1:$PPORT|" -e '/- prometheus-ams2.example.net:9090/d' federate.yml
grep -q "127.0.0.1:$PPORT" federate.yml || fail "could not set the federation target"
promtool check config federate.yml >/dev/null || fail "promtool rejected federate.yml"
GPORT=$(free_port)
start_prometheus global federate.yml "$GPORT"
GLOBALPID=$PROMPID
python3 "$CHECK" federated "http://127.0.0.1:$GPORT" a.jsonl b.jsonl "127.0.0.1:$PDOWN" ||
  { tail -20 global.err >&2; fail "federated series differ from the flow logs"; }

# ---- remote_write: the same series in VictoriaMetrics --------------------------------------------------
if [ -n "$VMPORT" ]; then
  python3 "$CHECK" store "http://127.0.0.1:$VMPORT" a.jsonl b.jsonl "127.0.0.1:$PDOWN" ||
    { tail -20 site.err vm.err >&2; fail "series written to VictoriaMetrics differ from the flow logs"; }
fi

# ---- stop -------------------------------------------------------------------------------------------
for port in "$GPORT" "$PPORT"; do
  curl -sf -X POST "http://127.0.0.1:$port/-/quit" >/dev/null || fail "Prometheus on $port refused /-/quit"
done
wait "$GLOBALPID" || fail "the global Prometheus did not exit cleanly"
wait "$SITEPID" || fail "the site Prometheus did not exit cleanly"
if [ -n "$VMPORT" ]; then
  kill -TERM "$VMPID"
  wait "$VMPID" || fail "victoria-metrics did not exit cleanly on SIGTERM"
fi
for pid in "${PIDS[@]:0:2}"; do
  kill -TERM "$pid"
  wait "$pid" || fail "l7tap did not exit cleanly on SIGTERM"
done
PIDS=()
echo "PASS"
