#!/usr/bin/python3
"""Real ZeroMQ peers (pyzmq / libzmq) on 127.0.0.1:PORT, one scenario after the other on the same
port (each binds, talks, closes): what tests/e2e/zmtp_capture.sh records.

  zmtp_peers.py PORT   → prints a JSON summary of what was sent (the test's expectations)

Scenarios:
  reqrep_null    REQ → REP, NULL: 4 one-frame requests, one 2-frame request answered by a 2-frame
                 reply, one 100 000-byte request (larger than l7tap's buffer: decoded and skipped).
  pubsub_null    SUB subscribes to "sports." and "weather.", PUB publishes 10 two-frame messages
                 ["sports.general", NNNNN] after a sync message got through, SUB cancels "weather.".
  dealer_router  DEALER → ROUTER, 3 messages [b"", job] answered [b"", done].
  reqrep_plain   REQ → REP with PLAIN (ZAP handler: zmq.auth ThreadAuthenticator), 3 exchanges.
  plain_refused  the same with a wrong password: the server answers HELLO with ERROR "400".
  curve_reqrep   REQ → REP with CURVE, 2 exchanges: metadata and messages are encrypted boxes
                 (skipped when libzmq lacks CURVE).
"""
import json
import sys
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

PORT = int(sys.argv[1])
ADDR = f"tcp://127.0.0.1:{PORT}"
TIMEOUT_MS = 5000
summary = {}


def recv(sock, timeout_ms=TIMEOUT_MS):
    if not sock.poll(timeout_ms):
        raise SystemExit(f"zmtp_peers: no message within {timeout_ms} ms on {sock.socket_type}")
    return sock.recv_multipart()


def finish(ctx, *socks):
    for s in socks:
        s.close(linger=0)
    ctx.term()
    time.sleep(0.2)  # the closed connections' FINs reach the capture before the next scenario


def reqrep_null():
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.bind(ADDR)
    req = ctx.socket(zmq.REQ)
    req.connect(ADDR)
    requests = [[f"hello-{i}".encode()] for i in range(4)]
    requests.append([b"aaa", b"bbbb"])
    requests.append([b"x" * 100_000])
    for parts in requests:
        req.send_multipart(parts)
        got = recv(rep)
        assert got == parts, got
        rep.send_multipart([b"rrrrr", b"ssssss"] if len(parts) == 2 else [b"world-" + parts[0][-1:]])
        recv(req)
    finish(ctx, req, rep)
    summary["reqrep_null"] = {"exchanges": len(requests), "multipart": [7, 11], "large": 100_000}


def pubsub_null():
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.bind(ADDR)
    sub = ctx.socket(zmq.SUB)
    sub.connect(ADDR)
    sub.setsockopt(zmq.SUBSCRIBE, b"sports.")
    sub.setsockopt(zmq.SUBSCRIBE, b"weather.")
    # The PUB side filters: nothing goes on the wire before it has the subscription. Sync messages
    # (one frame, 11 bytes) until one arrives.
    for _ in range(200):
        pub.send(b"sports.sync")
        if sub.poll(25):
            break
    else:
        raise SystemExit("zmtp_peers: subscription never reached the PUB socket")
    n = 10
    for i in range(n):
        pub.send_multipart([b"sports.general", b"%05d" % i])
    got = 0
    while got < n:
        if recv(sub)[0] == b"sports.general":
            got += 1
    sub.setsockopt(zmq.UNSUBSCRIBE, b"weather.")
    time.sleep(0.2)
    finish(ctx, sub, pub)
    summary["pubsub_null"] = {"published": n, "subscriptions": ["sports.", "weather."], "cancelled": ["weather."]}


def dealer_router():
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.bind(ADDR)
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(ADDR)
    k = 3
    for i in range(k):
        dealer.send_multipart([b"", b"job-%d" % i])
        ident, empty, body = recv(router)
        router.send_multipart([ident, b"", b"done-" + body])
        recv(dealer)
    finish(ctx, dealer, router)
    summary["dealer_router"] = {"messages": k}


def plain(password, exchanges):
    ctx = zmq.Context()
    auth = ThreadAuthenticator(ctx)
    auth.start()
    auth.configure_plain(domain="*", passwords={"admin": "secret"})
    rep = ctx.socket(zmq.REP)
    rep.plain_server = True
    rep.bind(ADDR)
    req = ctx.socket(zmq.REQ)
    req.plain_username = b"admin"
    req.plain_password = password
    req.setsockopt(zmq.RECONNECT_IVL, -1)  # one connection: a refused client does not retry
    done = 0
    for i in range(exchanges):
        if i == 0:
            req.connect(ADDR)
        req.send(b"plain-%d" % i)
        if not rep.poll(1500 if password != b"secret" else TIMEOUT_MS):
            break
        rep.send(b"ok-" + rep.recv())
        recv(req)
        done += 1
    auth.stop()
    finish(ctx, req, rep)
    return done


def reqrep_plain():
    summary["reqrep_plain"] = {"exchanges": plain(b"secret", 3)}


def plain_refused():
    summary["plain_refused"] = {"exchanges": plain(b"wrong", 1)}


def curve_reqrep():
    if not zmq.has("curve"):
        return
    ctx = zmq.Context()
    server_public, server_secret = zmq.curve_keypair()
    client_public, client_secret = zmq.curve_keypair()
    rep = ctx.socket(zmq.REP)
    rep.curve_server = True
    rep.curve_secretkey = server_secret
    rep.curve_publickey = server_public
    rep.bind(ADDR)
    req = ctx.socket(zmq.REQ)
    req.curve_serverkey = server_public
    req.curve_publickey = client_public
    req.curve_secretkey = client_secret
    req.connect(ADDR)
    n = 2
    for i in range(n):
        req.send(b"secret-%d" % i)
        rep.send(b"sealed-" + recv(rep)[0])
        recv(req)
    finish(ctx, req, rep)
    # Every frame is boxed, the empty delimiters too: [delimiter][body] each way per exchange.
    summary["curve_reqrep"] = {"frames": 4 * n}


for scenario in (reqrep_null, pubsub_null, dealer_router, reqrep_plain, plain_refused, curve_reqrep):
    scenario()
json.dump(summary, sys.stdout)
print()
