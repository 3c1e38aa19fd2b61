#!/usr/bin/env python3
"""Checks conf/prometheus/l7tap-grafana-dashboard.json.

  check_dashboard.py DASHBOARD.json [--sources DIR ...]

- the file is well-formed JSON with the structure Grafana needs (schemaVersion, unique panel ids, a
  `datasource` variable of type datasource/prometheus, `service` and `endpoint` query variables, every
  panel and target using the ${datasource} variable);
- every PromQL expression (panel targets, and the series selectors inside the variables'
  label_values(...)) parses: Grafana's variables are replaced by values Prometheus accepts ($__*
  intervals by a duration, other variables by the regex ".*", as "All" does), each expression is put
  in a throwaway rules file and `promtool check rules` must accept it;
- every variable used is defined;
- with --sources, every l7tap_* metric the dashboard queries is named (as a "string literal") in the
  C++ sources under the given directories, so the dashboard cannot drift from what l7tap serves.
Exits 1 with the reasons on the first failing check, 0 after printing a summary.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

BUILTIN_VARS = {"__rate_interval", "__interval", "__range", "__all"}
INTERVAL_RE = re.compile(r"\$(?:\{)?__(?:rate_interval|interval|range)(?:\})?")
VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
LABEL_VALUES_RE = re.compile(r"^label_values\((.*),\s*(\w+)\)$", re.S)
METRIC_RE = re.compile(r"\b(l7tap_[a-z0-9_]+)\b")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def variables_used(expr):
    return {a or b for a, b in VAR_RE.findall(expr)}


def substitute(expr):
    # Intervals first (they sit inside [...] and must become a duration), then every other
    # variable becomes ".*" - what Grafana sends for "All" (allValue) in a =~ matcher.
    return VAR_RE.sub(".*", INTERVAL_RE.sub("5m", expr))


def promtool_check(exprs):
    """exprs: list of (where, promql). Runs promtool check rules on all of them at once."""
    lines = ["groups:", "  - name: dashboard-expression-check", "    rules:"]
    for i, (_, e) in enumerate(exprs):
        lines.append(f"      - record: l7tap_dashboard_check:expr_{i}")
        lines.append(f"        expr: {json.dumps(e)}")  # a JSON string is a valid YAML scalar
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        r = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        # Name the failing expressions (promtool reports them by their position in the group).
        out = r.stdout + r.stderr
        for i, (where, e) in enumerate(exprs):
            if f"expr_{i}\"" in out or f"expr_{i}:" in out or f"rule {i}:" in out:
                print(f"  bad expression in {where}: {e}", file=sys.stderr)
        fail("promtool check rules rejected dashboard expressions:\n" + out)


def source_strings(dirs):
    names = set()
    for d in dirs:
        for root, _, files in os.walk(d):
            for fn in files:
                if fn.endswith((".cpp", ".hpp")):
                    with open(os.path.join(root, fn), encoding="utf-8", errors="replace") as f:
                        names.update(re.findall(r'"(l7tap_[a-z0-9_]+)"', f.read()))
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dashboard")
    ap.add_argument("--sources", nargs="*", default=[],
                    help="directories whose C++ files must name every queried l7tap_* metric")
    args = ap.parse_args()

    try:
        with open(args.dashboard, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{args.dashboard}: not readable JSON: {e}")

    for key in ("title", "uid", "panels", "templating", "schemaVersion"):
        if key not in dash:
            fail(f"dashboard has no '{key}'")
    if not 36 <= dash["schemaVersion"] <= 41:
        fail(f"schemaVersion {dash['schemaVersion']} is not the Grafana 10-era schema (36..41)")

    variables = {v["name"]: v for v in dash["templating"]["list"]}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        fail("no 'datasource' variable of type datasource with query 'prometheus'")
    for name in ("service", "endpoint"):
        v = variables.get(name)
        if not v or v.get("type") != "query":
            fail(f"no '{name}' query variable")

    ds_ref = {"type": "prometheus", "uid": "${datasource}"}
    exprs = []
    ids = set()
    for p in walk_panels(dash["panels"]):
        pid = p.get("id")
        if pid in ids:
            fail(f"panel id {pid} is used twice")
        ids.add(pid)
        if p.get("type") == "row":
            continue
        where = f"panel {pid} '{p.get('title')}'"
        if p.get("datasource") != ds_ref:
            fail(f"{where}: datasource is not ${{datasource}}")
        targets = p.get("targets", [])
        if not targets:
            fail(f"{where}: no targets")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            fail(f"{where}: duplicate refIds {refs}")
        for t in targets:
            if t.get("datasource") != ds_ref:
                fail(f"{where} target {t.get('refId')}: datasource is not ${{datasource}}")
            e = t.get("expr", "").strip()
            if not e:
                fail(f"{where} target {t.get('refId')}: empty expr")
            exprs.append((f"{where} target {t['refId']}", e))

    for name, v in variables.items():
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
        m = LABEL_VALUES_RE.match(q.strip())
        if not m:
            fail(f"variable {name}: expected label_values(<selector>, <label>), got {q!r}")
        exprs.append((f"variable {name}", m.group(1)))

    for where, e in exprs:
        unknown = variables_used(e) - set(variables) - BUILTIN_VARS
        if unknown:
            fail(f"{where}: undefined variables {sorted(unknown)} in {e}")

    promtool_check([(w, substitute(e)) for w, e in exprs])

    metrics = set()
    for _, e in exprs:
        metrics.update(METRIC_RE.findall(e))
    if args.sources:
        known = source_strings(args.sources)
        missing = []
        for m in sorted(metrics):
            base = m
            for suffix in HISTOGRAM_SUFFIXES:
                if m.endswith(suffix) and m[: -len(suffix)] in known:
                    base = m[: -len(suffix)]
            if base not in known:
                missing.append(m)
        if missing:
            fail(f"metrics queried by the dashboard but named nowhere in {args.sources}: {missing}")

    print(f"dashboard ok: {len(ids)} panels, {len(exprs)} expressions parse, "
          f"{len(metrics)} l7tap metrics" + (" all served" if args.sources else ""))


if __name__ == "__main__":
    main()
