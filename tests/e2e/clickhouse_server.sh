# A private clickhouse-server for a test (sourced after lib.sh): free ports, everything under
# $WORK/ch, a cluster "fleet" of two shards on this one server (databases s1 and s2), the tables of
# conf/clickhouse/l7_flow_log-compat.sql: l7_flow_log in s1 and s2, l7_flow_log_dist in default.
# Users: default (no password) and l7tap (password fl0w-log). start_ch / stop_ch (SIGTERM by pid),
# chq (clickhouse-client on the TCP port), $HTTP the HTTP port.
# shellcheck shell=bash
DDL=$L7TAP_SOURCE_DIR/conf/clickhouse
HTTP=$(free_port)
TCP=$(free_port)
CH=$WORK/ch
mkdir -p "$CH/data" "$CH/tmp"
cat >"$CH/config.xml" <<XML
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>$HTTP</http_port>
  <tcp_port>$TCP</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$CH/data/</path>
  <tmp_path>$CH/tmp/</tmp_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <remote_servers><fleet>
    <shard><replica><host>127.0.0.1</host><port>$TCP</port><default_database>s1</default_database></replica></shard>
    <shard><replica><host>127.0.0.1</host><port>$TCP</port><default_database>s2</default_database></replica></shard>
  </fleet></remote_servers>
</yandex>
XML
# insert_distributed_sync: an insert into the Distributed table returns once both shards have
# their rows, so counts are final when the sink's insert is acknowledged.
cat >"$CH/users.xml" <<'XML'
<yandex>
  <profiles><default><insert_distributed_sync>1</insert_distributed_sync></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <l7tap><password>fl0w-log</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></l7tap>
  </users>
  <quotas><default/></quotas>
</yandex>
XML
CH_PID=
start_ch() {
  (cd "$CH" && exec clickhouse-server --config-file="$CH/config.xml") >>"$CH/server.log" 2>&1 &
  CH_PID=$!
  PIDS+=("$CH_PID")
  wait_for curl -sf "http://127.0.0.1:$HTTP/?query=SELECT%201" || fail "clickhouse-server did not start: $(tail -20 "$CH/server.log")"
}
stop_ch() {
  kill -TERM "$CH_PID"
  wait "$CH_PID" 2>/dev/null || true
  CH_PID=
}
chq() { clickhouse-client --host 127.0.0.1 --port "$TCP" "$@"; }
start_ch

# The tables: the local one on each shard (s1, s2), the Distributed one in default.
# `sed` maps the reference cluster and database to the test's: database '' = each replica's own.
SCHEMA=$(sed -e '/^ *--/d' -e "s/Distributed(fleet, default,/Distributed(fleet, '',/" "$DDL/l7_flow_log-compat.sql")
LOCAL=${SCHEMA%%;*}
DIST=${SCHEMA#*;}
DIST=${DIST%%;*}
for db in s1 s2 default; do chq -q "CREATE DATABASE IF NOT EXISTS $db"; done
for db in s1 s2 default; do chq --database "$db" -q "$LOCAL" || fail "local table DDL in $db"; done
chq -q "$DIST" || fail "Distributed table DDL"

