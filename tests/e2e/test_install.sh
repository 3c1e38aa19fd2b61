#!/usr/bin/env bash
# `meson install` into a temporary DESTDIR puts every file where README's "Installing as a service"
# says, under the build's prefix: the binary, the conf (kept when one is there: installing again
# must not overwrite the operator's), its reference copy, the Prometheus rules, scrape config and
# dashboard, both systemd units with the install's paths, and the man page.
source "$(dirname "$0")/lib.sh"
: "${L7TAP_BUILD_DIR:?build root}"
cd "$WORK"

option() {
  meson introspect "$L7TAP_BUILD_DIR" --buildoptions |
    python3 -c "import json, sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name'] == sys.argv[1]))" "$1"
}
prefix=$(option prefix)
sysconfdir=$(option sysconfdir)
case "$sysconfdir" in /*) ;; *) sysconfdir="$prefix/$sysconfdir" ;; esac
D="$WORK/dest"

# --no-rebuild: the test runs inside `meson test`, after the build; install what is built.
install_once() { meson install -C "$L7TAP_BUILD_DIR" --no-rebuild --quiet --destdir "$D" >install.log 2>&1 ||
  fail "meson install failed: $(cat install.log)"; }
install_once

want=(
  "$prefix/bin/l7tap"
  "$sysconfdir/l7tap/l7tap.yaml"
  "$prefix/share/l7tap/l7tap.yaml"
  "$prefix/share/l7tap/prometheus/prometheus.yml"
  "$prefix/share/l7tap/prometheus/l7tap-asserts-rules.yml"
  "$prefix/share/l7tap/prometheus/l7tap-grafana-dashboard.json"
  "$prefix/share/l7tap/prometheus/fleet/prometheus.yml"
  "$prefix/share/l7tap/prometheus/fleet/l7tap-asserts-fleet-rules.yml"
  "$prefix/share/l7tap/prometheus/fleet/federate.yml"
  "$prefix/share/l7tap/prometheus/fleet/remote-write.yml"
  "$prefix/share/l7tap/prometheus/fleet/targets/example.yml"
  "$prefix/share/l7tap/clickhouse/l7_flow_log.sql"
  "$prefix/share/l7tap/clickhouse/l7_flow_log-compat.sql"
  "$prefix/share/l7tap/clickhouse/queries.sql"
  "$prefix/lib/systemd/system/l7tap.service"
  "$prefix/lib/systemd/system/l7tap@.service"
  "$prefix/share/man/man8/l7tap.8"
)
for f in "${want[@]}"; do [ -s "$D$f" ] || fail "meson install did not install $f"; done
[ -x "$D$prefix/bin/l7tap" ] || fail "$prefix/bin/l7tap is not executable"
"$D$prefix/bin/l7tap" --version | grep -q '^l7tap ' || fail "the installed l7tap does not run"
"$D$prefix/bin/l7tap" --config "$D$sysconfdir/l7tap/l7tap.yaml" --check-config >/dev/null ||
  fail "the installed conf does not load"
# Nothing else lands there (an install of tests or tools would be a mistake).
(cd "$D" && find . -type f | sed 's|^\.||' | sort) >installed.txt
printf '%s\n' "${want[@]}" | sort >want.txt
diff want.txt installed.txt >extra.diff || fail "installed files differ from the list: $(cat extra.diff)"

# The units run the installed binary on the installed conf.
grep -qx "ExecStart=$prefix/bin/l7tap --config $sysconfdir/l7tap/l7tap.yaml -- --file-prefix=l7tap" \
  "$D$prefix/lib/systemd/system/l7tap.service" || fail "l7tap.service: wrong ExecStart"
grep -qx "ExecStart=$prefix/bin/l7tap --config $sysconfdir/l7tap/%i.yaml -- --file-prefix=l7tap-%i" \
  "$D$prefix/lib/systemd/system/l7tap@.service" || fail "l7tap@.service: wrong ExecStart"
groff -man -ww -z "$D$prefix/share/man/man8/l7tap.8" || fail "the installed man page does not render"

# Installing again keeps the operator's conf and refreshes the reference copy.
echo '# edited by the operator' >>"$D$sysconfdir/l7tap/l7tap.yaml"
echo '# stale' >>"$D$prefix/share/l7tap/l7tap.yaml"
install_once
tail -n 1 "$D$sysconfdir/l7tap/l7tap.yaml" | grep -qx '# edited by the operator' ||
  fail "a second install overwrote $sysconfdir/l7tap/l7tap.yaml"
cmp -s "$L7TAP_SOURCE_DIR/conf/l7tap.yaml" "$D$prefix/share/l7tap/l7tap.yaml" ||
  fail "a second install did not refresh $prefix/share/l7tap/l7tap.yaml"
echo "install ok: ${#want[@]} files under $prefix"
