#!/usr/bin/env python3
"""Hostile and ordinary /metrics clients for test_metrics_slowloris.sh.

  hold PORT IDLE SLOW SECONDS   open IDLE connections that send nothing and SLOW slowloris
                                connections (one header byte every 2 s, never finishing the head);
                                print "ready" once all are connected, keep them SECONDS (or until
                                killed), reconnecting any the server closes (as an attacker would)
  scrapers PORT N               N concurrent scrapes; each must get a 200 with a parseable
                                text exposition (exit 1 otherwise)
  garbage PORT                  malformed and unwanted requests; each must get a 4xx response or a
                                closed connection, never a 200 or a hang
"""
import socket
import sys
import threading
import time


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def hold(port, idle, slow, seconds):
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
    conns = []  # [socket, is_slow, bytes sent]
    for i in range(idle + slow):
        conns.append([connect(port), i >= idle, 0])
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for c in conns:
            try:
                if c[1]:
                    c[0].send(head[c[2]:c[2] + 1])
                    c[2] += 1
                else:
                    c[0].send(b"")  # nothing on the wire; only notices a reset
            except OSError:
                c[0].close()
                try:
                    c[0], c[2] = connect(port), 0
                except OSError:
                    pass  # refused at the cap: try again next round
        time.sleep(2)


def read_response(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def parse_exposition(body):
    """Every line is a comment or 'name{labels} value'; returns the number of samples."""
    samples = 0
    for line in body.decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, value = line.rsplit(" ", 1)
        float(value)
        if not name_labels or not (name_labels[0].isalpha() or name_labels[0] in "_:"):
            raise ValueError(f"bad sample line: {line!r}")
        samples += 1
    if samples == 0:
        raise ValueError("no samples")
    return samples


def scrapers(port, n):
    errors = []
    barrier = threading.Barrier(n)

    def one(i):
        try:
            barrier.wait(timeout=30)
            s = connect(port, timeout=30)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n")
            resp = read_response(s)
            s.close()
            head, _, body = resp.partition(b"\r\n\r\n")
            status = head.split(b"\r\n", 1)[0]
            if not status.startswith(b"HTTP/1.1 200"):
                raise ValueError(f"status {status!r}")
            parse_exposition(body)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            errors.append(f"scraper {i}: {e}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("\n".join(errors[:10]), file=sys.stderr)
        print(f"{len(errors)} of {n} scrapes failed", file=sys.stderr)
        return 1
    print(f"{n} concurrent scrapes: all 200 with a parseable exposition")
    return 0


GARBAGE = [
    b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /metrics\r\n\r\n",
    b"GET /metrics FTP/1.0\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /admin HTTP/1.1\r\n\r\n",
    b"GET /../../etc/passwd HTTP/1.0\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nX-Big: " + b"A" * 200000 + b"\r\n\r\n",
    b"\r\n" * 50000,
    b"GET /metrics HTTP/1.1\r\n",  # then the client half-closes: an unfinished head
]


def garbage(port):
    bad = 0
    for i, req in enumerate(GARBAGE):
        s = connect(port, timeout=10)
        try:
            s.sendall(req)
            s.shutdown(socket.SHUT_WR)
            resp = read_response(s)
        except (ConnectionResetError, BrokenPipeError):
            resp = b""  # closed on us: allowed
        except socket.timeout:
            print(f"garbage {i}: no response and no close within 10 s", file=sys.stderr)
            bad += 1
            continue
        finally:
            s.close()
        status = resp.split(b"\r\n", 1)[0]
        if resp and not (status.startswith(b"HTTP/1.") and status[9:10] == b"4"):
            print(f"garbage {i}: got {status!r}, want a 4xx or a close", file=sys.stderr)
            bad += 1
    if bad:
        return 1
    print(f"{len(GARBAGE)} garbage requests: each got a 4xx or a closed connection")
    return 0


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "hold":
        hold(port, int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        return 0
    if cmd == "scrapers":
        return scrapers(port, int(sys.argv[3]))
    if cmd == "garbage":
        return garbage(port)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
