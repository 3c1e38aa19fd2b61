#!/usr/bin/env python3
"""Checks l7tap's flow log for the capture tests/e2e/mosquitto_capture.sh makes: mosquitto 2.x with
mosquitto_sub / mosquitto_pub, one MQTT 5.0 round and one 3.1.1 round (subscriber, then publishers at
QoS 0, 1 and 2; the v5 QoS 1 publish carries a traceparent user property). The expected values were
verified against tshark's dissection of the same traffic."""
import collections
import json
import sys

TRACE = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")

recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


check(all(r["protocol"] == "mqtt" for r in recs), "non-MQTT records")
check(all(r["type"] == "session" for r in recs), "every request must be answered: %s" %
      collections.Counter(r["type"] for r in recs))
kinds = collections.Counter(r["request_type"] for r in recs)
check(kinds == {"CONNECT": 8, "SUBSCRIBE": 2, "PUBLISH": 12, "PUBREL": 2, "DISCONNECT": 8},
      "packet kinds %s" % dict(kinds))
check(all(r.get("response_status") == "ok" for r in recs), "all statuses ok")

connects = {r["request_domain"]: r for r in recs if r["request_type"] == "CONNECT"}
check(set(connects) == {"sub-v5", "pub-v5-q0", "pub-v5-q1", "pub-v5-q2",
                        "sub-v311", "pub-v311-q0", "pub-v311-q1", "pub-v311-q2"},
      "client ids %s" % sorted(connects))
for cid, r in connects.items():
    v5 = "v5" in cid
    check(r["version"] == ("5.0" if v5 else "3.1.1"), "%s version %s" % (cid, r["version"]))
    check(r.get("response_code") == 0, "%s CONNACK code" % cid)
    check(r.get("response_length") == (9 if v5 else 2), "%s CONNACK length %s" % (cid, r.get("response_length")))
    check("rrt_us" in r and r["start_time_us"] <= r["end_time_us"], "%s timing" % cid)

subs = sorted(r["request_resource"] for r in recs if r["request_type"] == "SUBSCRIBE")
check(subs == ["l7tap/e2e/v311/#", "l7tap/e2e/v5/#"], "subscriptions %s" % subs)

pubs = [r for r in recs if r["request_type"] == "PUBLISH"]
for version in ("v5", "v311"):
    for q in ("q0", "q1", "q2"):
        topic = "l7tap/e2e/%s/%s" % (version, q)
        got = [r for r in pubs if r.get("request_resource") == topic]
        # each message twice: publisher → broker, broker → subscriber
        check(len(got) == 2, "%s seen %d times" % (topic, len(got)))
        for r in got:
            check(r["endpoint"] == topic, "%s endpoint" % topic)
            if q == "q0":
                check("rrt_us" not in r and "response_length" not in r, "%s QoS 0 is one-way" % topic)
            else:
                check("rrt_us" in r and r.get("response_length") == 2, "%s acked" % topic)
            if version == "v5" and q == "q1":
                check((r.get("trace_id"), r.get("span_id")) == TRACE, "%s trace context %s" %
                      (topic, (r.get("trace_id"), r.get("span_id"))))
            else:
                check("trace_id" not in r, "%s has no trace context" % topic)

if errors:
    print("mosquitto flow log check failed:\n  " + "\n  ".join(errors), file=sys.stderr)
    sys.exit(1)
print("mosquitto flow log ok: %d sessions %s" % (len(recs), dict(kinds)))
