# Shared by tools/run and tools/test: install what is missing (quietly when nothing is), then build.
# shellcheck shell=bash
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages the build needs.
BUILD_PKGS=(g++ meson ninja-build pkg-config python3 dpdk-dev libdpdk-dev libhyperscan-dev libboost-dev
  prometheus-cpp-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev libpcap-dev libprotobuf-dev
  protobuf-compiler zlib1g-dev)
# What the tests use besides: real servers and clients, capture tools, Prometheus, clang sanitizers;
# systemd-analyze, groff and man for the units and the man page; VictoriaMetrics for the fleet test;
# ClickHouse for the flow log sink.
TEST_PKGS=(prometheus tshark tcpdump mosquitto mosquitto-clients clang libclang-rt-14-dev curl
  rabbitmq-server amqp-tools python3-pika nats-server kcat systemd groff-base man-db
  activemq python3-zmq victoria-metrics clickhouse-server clickhouse-client)
# Commands the tests need that the machine image may already provide from elsewhere (node and npm
# come with the image's Node.js; Debian's npm package would conflict with it).
TEST_CMDS=(node:nodejs npm:npm ss:iproute2 javac:default-jdk-headless)

install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "tools: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections 2>/dev/null || true
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# install_commands CMD:PACKAGE... : installs PACKAGE only when CMD is not on PATH.
install_commands() {
  local pair pkgs=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || pkgs+=("${pair#*:}"); done
  [ ${#pkgs[@]} -eq 0 ] || install_missing "${pkgs[@]}"
}

# build DIR [meson setup args...]
build() {
  local dir=$1
  shift
  if [ ! -f "$ROOT/$dir/build.ninja" ]; then
    meson setup "$ROOT/$dir" "$ROOT" "$@" >/dev/null
  fi
  ninja -C "$ROOT/$dir" >&2
}

# test_targets DIR: the files every registered test of build DIR depends on (its executables, the
# binaries an e2e script runs), read from meson's introspection so that a test added later is built
# too; used with `meson test --no-rebuild` where building every target would cost too much.
test_targets() {
  local dir=$1
  python3 - "$dir" <<'PY'
import json, os, subprocess, sys
d = sys.argv[1]
intro = lambda what: json.loads(subprocess.check_output(["meson", "introspect", what, d]))
files = {t["id"]: t["filename"] for t in intro("--targets")}
deps = {dep for t in intro("--tests") for dep in t["depends"]}
for dep in sorted(deps):
    for f in files.get(dep, []):
        print(os.path.relpath(f, os.path.abspath(d)))
PY
}
