#!/usr/bin/env bash
# The systemd units as meson configures them (build/conf/) pass `systemd-analyze verify` with no
# message at all: verify exits 0 on an unknown key or a bad value and only warns, so any output
# fails. ExecStart must exist, so the copies checked here run the built binary; Documentation=
# names man:l7tap(8), found in a temporary MANPATH holding our page. A deliberately broken unit
# must fail the same check. The single and the template unit must differ only where the template
# names its instance, so hardening added to one is not missing from the other.
source "$(dirname "$0")/lib.sh"
: "${L7TAP_BUILD_DIR:?build root}"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed" >&2; exit 77; }
cd "$WORK"

mkdir -p units man/man8
cp "$L7TAP_SOURCE_DIR/conf/man/l7tap.8" man/man8/
for u in l7tap.service l7tap@.service; do
  src="$L7TAP_BUILD_DIR/conf/$u"
  [ -f "$src" ] || fail "$src not configured"
  grep -q '@[a-z]*@' "$src" && fail "$src has an unsubstituted @variable@"
  # The installed path (…/bin/l7tap) does not exist here: point ExecStart at the built binary.
  sed -E "s|^ExecStart=[^ ]*/l7tap |ExecStart=$L7TAP |" "$src" >"units/$u"
  grep -q "^ExecStart=$L7TAP " "units/$u" || fail "$u: ExecStart not found"
done
cp units/l7tap@.service units/l7tap@eth1.service

# verify_quiet UNIT: systemd-analyze verify passes and says nothing.
verify_quiet() {
  local rc=0
  MANPATH="$WORK/man" systemd-analyze verify "$1" >verify.out 2>&1 || rc=$?
  [ "$rc" = 0 ] && [ ! -s verify.out ]
}
for u in units/l7tap.service units/l7tap@.service units/l7tap@eth1.service; do
  verify_quiet "$u" || fail "systemd-analyze verify $u: $(cat verify.out)"
done

# The check fails on what it is meant to catch: a misspelled key, a bad value, a missing binary.
sed 's/^ProtectSystem=/ProtectSystm=/' units/l7tap.service >units/broken-key.service
sed 's/^Restart=on-failure/Restart=on-falure/' units/l7tap.service >units/broken-value.service
sed -E 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/l7tap|' units/l7tap.service >units/broken-exec.service
for b in broken-key broken-value broken-exec; do
  ! verify_quiet "units/$b.service" || fail "verify accepted units/$b.service"
done

# What an operator relies on (README, "Installing as a service").
for want in '^Type=simple$' '^Restart=on-failure$' '^RestartPreventExitStatus=2$' \
  '^ExecReload=/bin/kill -HUP \$MAINPID$' '^LimitMEMLOCK=infinity$' '^ProtectSystem=strict$' \
  '^NoNewPrivileges=yes$' '^CapabilityBoundingSet=CAP_IPC_LOCK CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_RAWIO$' \
  '^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK$' '^LogsDirectory=l7tap$'; do
  grep -Eq "$want" units/l7tap.service || fail "l7tap.service lacks /$want/"
done
grep -q "^ExecStart=$L7TAP --config /.*/l7tap/%i.yaml -- --file-prefix=l7tap-%i$" units/l7tap@.service ||
  fail "l7tap@.service does not read <sysconfdir>/l7tap/%i.yaml with its own EAL file prefix"

# The template, its instance name replaced, is the single unit (comments aside).
strip() { grep -v '^#' "$1" | grep -v '^$'; }
strip units/l7tap@.service |
  sed -e 's|/%i.yaml|/l7tap.yaml|' -e 's|l7tap-%i|l7tap|g' -e 's|^Description=l7tap on %i:|Description=l7tap:|' \
    >template.norm
strip units/l7tap.service >single.norm
diff single.norm template.norm >units.diff || fail "l7tap.service and l7tap@.service differ: $(cat units.diff)"
echo "systemd units ok"
