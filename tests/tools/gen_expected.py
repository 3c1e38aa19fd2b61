"""What l7tap-gen said l7tap should write (--expected FILE.json) against what l7tap wrote: record
counts per (protocol, type, request_type, response_status). Shared by the tests/tools/test_*gen*.sh
scripts, which add their own checks of the records' fields."""
import collections
import json
import sys


def kind(r):
    return (r.get("protocol"), r.get("type"), r.get("request_type"), r.get("response_status"))


def load(expected_path, flow_log_path):
    """(expected JSON, wanted counts, written counts, written records)."""
    expected = json.load(open(expected_path))
    want = collections.Counter()
    for r in expected["records"]:
        want[kind(r)] += r["count"]
    records = [json.loads(line) for line in open(flow_log_path) if line.strip()]
    return expected, want, collections.Counter(kind(r) for r in records), records


def mismatches(want, got):
    """[(kind, wanted, written)] where the counts differ, in a stable order."""
    return [(k, want[k], got[k]) for k in sorted(set(want) | set(got), key=str) if want[k] != got[k]]


def exit_on_mismatch(want, got):
    bad = mismatches(want, got)
    for k, w, g in bad:
        print(f"MISMATCH {k}: generator expects {w}, l7tap wrote {g}", file=sys.stderr)
    if bad:
        sys.exit(1)
