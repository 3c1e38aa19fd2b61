#!/usr/bin/env bash
# protocols/mq/openwire_commands.cpp begins with the tables tools/openwire_tables/gen.py writes from
# the committed fields.json (extracted from ActiveMQ's marshallers by extract.py): the generated
# part is reproducible and has not been edited by hand.
set -euo pipefail
ROOT="${L7TAP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
python3 "$ROOT/tools/openwire_tables/gen.py" > "$out"
n=$(stat -c %s "$out")
[ "$n" -gt 50000 ] || { echo "FAIL: gen.py wrote only $n bytes"; exit 1; }
if ! cmp -s -n "$n" "$out" "$ROOT/protocols/mq/openwire_commands.cpp"; then
  echo "FAIL: protocols/mq/openwire_commands.cpp does not begin with gen.py's output:"
  diff <(cat "$out") <(head -c "$n" "$ROOT/protocols/mq/openwire_commands.cpp") | head -20
  exit 1
fi
echo "ok: the first $n bytes of openwire_commands.cpp are gen.py's output"
