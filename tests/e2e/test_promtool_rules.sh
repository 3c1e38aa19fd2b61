#!/usr/bin/env bash
# The Prometheus side of the RED metrics: the Asserts recording rules load and compute what their
# unit tests expect, the example Prometheus config is valid, and every PromQL expression of the
# Grafana dashboard parses and queries only metrics l7tap serves. Needs promtool, no l7tap binary.
set -euo pipefail
: "${L7TAP_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$L7TAP_SOURCE_DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"

RULES=conf/prometheus/l7tap-asserts-rules.yml
promtool check rules "$RULES" || fail "promtool check rules rejected $RULES"
promtool test rules tests/prometheus/l7tap-asserts-rules.test.yml ||
  fail "the Asserts recording rules do not record what tests/prometheus/l7tap-asserts-rules.test.yml expects"

# The example config loads the rules file (relative to itself).
promtool check config conf/prometheus/prometheus.yml || fail "conf/prometheus/prometheus.yml is not valid"

# The group interval is meant to be overridable by rewriting "interval: 15s"; make sure that stays
# true (every group has exactly that line) and that the rewritten file still loads.
WORK=$(mktemp -d /tmp/l7tap-promtool.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
groups=$(grep -c '^  - name: ' "$RULES")
intervals=$(grep -c '^    interval: 15s$' "$RULES")
[ "$groups" -gt 0 ] && [ "$groups" = "$intervals" ] ||
  fail "$RULES: $groups rule groups but $intervals 'interval: 15s' lines"
sed 's/^    interval: 15s$/    interval: 1s/' "$RULES" >"$WORK/rules-1s.yml"
promtool check rules "$WORK/rules-1s.yml" >/dev/null || fail "rules with a rewritten interval do not load"

# The fleet variant (conf/prometheus/fleet/): generated from the rules above, so it must be what
# tools/fleet_rules.sh makes of them today; its unit tests show why it keeps `instance`.
FLEET=conf/prometheus/fleet/l7tap-asserts-fleet-rules.yml
tools/fleet_rules.sh >"$WORK/fleet-rules.yml"
diff -u "$FLEET" "$WORK/fleet-rules.yml" >"$WORK/fleet.diff" ||
  fail "$FLEET is stale: regenerate it with tools/fleet_rules.sh >$FLEET ($(head -20 "$WORK/fleet.diff"))"
promtool check rules "$FLEET" || fail "promtool check rules rejected $FLEET"
promtool test rules tests/prometheus/l7tap-asserts-fleet-rules.test.yml ||
  fail "the fleet rules do not record what tests/prometheus/l7tap-asserts-fleet-rules.test.yml expects"
[ "$(grep -c '^    interval: 15s$' "$FLEET")" = "$(grep -c '^  - name: ' "$FLEET")" ] ||
  fail "$FLEET: not one 'interval: 15s' per group"
promtool check config conf/prometheus/fleet/prometheus.yml || fail "conf/prometheus/fleet/prometheus.yml is not valid"
promtool check config conf/prometheus/fleet/federate.yml || fail "conf/prometheus/fleet/federate.yml is not valid"
# remote-write.yml is appended to prometheus.yml (README): the result must load, rules included.
mkdir -p "$WORK/rw"
cat conf/prometheus/fleet/prometheus.yml conf/prometheus/fleet/remote-write.yml >"$WORK/rw/prometheus.yml"
cp "$FLEET" "$WORK/rw/"
promtool check config "$WORK/rw/prometheus.yml" >/dev/null ||
  fail "conf/prometheus/fleet/prometheus.yml with remote-write.yml appended is not valid"
# promtool does not read file_sd files: load the example as Prometheus would (a list of
# {targets: [host:port, ...], labels: {...}}) and check its shape.
python3 - conf/prometheus/fleet/targets/example.yml <<'PY' || fail "conf/prometheus/fleet/targets/example.yml is not a valid targets file"
import re, sys, yaml
groups = yaml.safe_load(open(sys.argv[1]))
assert isinstance(groups, list) and groups, groups
names = []
for g in groups:
    assert set(g) <= {"targets", "labels"}, g
    assert g["targets"] and all(re.fullmatch(r"[^\s/]+:\d+", t) for t in g["targets"]), g
    labels = g.get("labels", {})
    assert all(re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", k) and isinstance(v, str) for k, v in labels.items()), g
    names.append(labels.get("appliance"))
assert None not in names and len(set(names)) == len(names), f"appliance names must be unique: {names}"
PY

python3 tests/prometheus/check_dashboard.py conf/prometheus/l7tap-grafana-dashboard.json \
  --sources control dataplane protocols || fail "Grafana dashboard check failed"
echo "PASS"
