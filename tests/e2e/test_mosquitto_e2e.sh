#!/usr/bin/env bash
# A real mosquitto broker with real mosquitto_pub / mosquitto_sub clients (MQTT 3.1.1 and 5.0) on
# 127.0.0.1, captured with tcpdump, replayed through `l7tap --pcap`: the flow log must hold the
# sessions that traffic implies.
source "$(dirname "$0")/lib.sh"
bash "$L7TAP_SOURCE_DIR/tests/e2e/mosquitto_capture.sh" "$WORK" >/dev/null
[ -s "$WORK/mqtt.pcap" ] || fail "no capture"
offline_replay "$WORK/mqtt.pcap" "$WORK/flow.jsonl"
python3 "$L7TAP_SOURCE_DIR/tests/e2e/check_mosquitto_flow_log.py" "$WORK/flow.jsonl"
expect_no_parse_errors
echo "PASS"
