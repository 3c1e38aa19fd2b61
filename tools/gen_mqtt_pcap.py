#!/usr/bin/env python3
"""Writes a pcap of MQTT conversations built from the MQTT 3.1.1 and 5.0 specifications (OASIS).

Plain libpcap file, Ethernet / IPv4 / TCP with the three-way handshake, consistent seq/ack numbers,
checksums and increasing timestamps. Standard library only.

Flows (server 10.0.0.2:1883 unless noted):
  1. 3.1.1 publisher/subscriber: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH QoS 0/1/2 both ways with
     their acks (PUBACK, PUBREC/PUBREL/PUBCOMP), one PUBLISH split over 3 segments, one segment with
     3 packets, PINGREQ/PINGRESP, UNSUBSCRIBE/UNSUBACK, DISCONNECT.
  2. 3.1.1 refused connection: CONNACK return code 5 (not authorized).
  3. 5.0: CONNECT/CONNACK with properties, SUBSCRIBE (one filter refused 0x87), PUBLISH with a
     `traceparent` user property, a topic alias, acks with reason codes (0x10, 0x87), server to
     client PUBLISH, PINGREQ/PINGRESP, UNSUBSCRIBE/UNSUBACK, DISCONNECT.
  4. 3.1 ("MQIsdp", level 3): CONNECT/CONNACK, PUBLISH QoS 1/PUBACK, DISCONNECT.
  5. 3.1.1 on VLAN 100: CONNECT/CONNACK, PUBLISH QoS 1/PUBACK, DISCONNECT.
  6. 5.0 inside VXLAN (VNI 4242, outer 172.16.0.1 -> 172.16.0.2:4789): CONNECT/CONNACK, PUBLISH QoS 0
     with a traceparent, PUBLISH QoS 1/PUBACK, DISCONNECT.

Usage: gen_mqtt_pcap.py OUT.pcap [--repeat N]
  --repeat N writes N copies of the whole set, each with other client addresses/ports and a later
  start time (for benchmarks).
"""
import argparse
import struct
import sys

BASE_TS = 1700000000.0  # 2023-11-14T22:13:20Z
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACEPARENT2 = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

# ---- MQTT encoding (3.1.1 §1.5, §2.2; 5.0 §1.5, §2.1, §2.2.2) ----------------------------------


def vbi(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def s(text):
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(raw)) + raw


def packet(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + vbi(len(body)) + body


# 5.0 properties: list of (id, value); the value type follows the property id.
PROP_BYTE = {0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A}
PROP_TWO = {0x13, 0x21, 0x22, 0x23}
PROP_FOUR = {0x02, 0x11, 0x18, 0x27}
PROP_VBI = {0x0B}
PROP_STR = {0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F}


def props(items):
    out = bytearray()
    for pid, val in items:
        out.append(pid)
        if pid in PROP_BYTE:
            out.append(val)
        elif pid in PROP_TWO:
            out += struct.pack(">H", val)
        elif pid in PROP_FOUR:
            out += struct.pack(">I", val)
        elif pid in PROP_VBI:
            out += vbi(val)
        elif pid in PROP_STR:
            out += s(val)
        elif pid == 0x26:
            out += s(val[0]) + s(val[1])
        else:
            raise ValueError(pid)
    return vbi(len(out)) + bytes(out)


def connect(client_id, level=4, keepalive=60, user=None, password=None, will=None, v5props=(),
            clean=True):
    name = "MQIsdp" if level == 3 else "MQTT"
    flags = 0x02 if clean else 0
    payload = s(client_id)
    if will:
        topic, msg = will
        flags |= 0x04 | (1 << 3)  # will QoS 1
        if level == 5:
            payload += props([(0x18, 5)])
        payload += s(topic) + s(msg)
    if user is not None:
        flags |= 0x80
        payload += s(user)
    if password is not None:
        flags |= 0x40
        payload += s(password)
    vh = s(name) + bytes([level, flags]) + struct.pack(">H", keepalive)
    if level == 5:
        vh += props(v5props)
    return packet(1, 0, vh + payload)


def connack(code, session_present=0, v5=False, v5props=()):
    body = bytes([session_present, code])
    if v5:
        body += props(v5props)
    return packet(2, 0, body)


def publish(topic, payload, qos=0, pid=None, retain=False, dup=False, v5=False, v5props=()):
    flags = (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
    body = s(topic)
    if qos:
        body += struct.pack(">H", pid)
    if v5:
        body += props(v5props)
    return packet(3, flags, body + (payload.encode() if isinstance(payload, str) else payload))


def pub_ack(ptype, pid, code=None, v5props=None):
    body = struct.pack(">H", pid)
    if code is not None:
        body += bytes([code])
        if v5props is not None:
            body += props(v5props)
    return packet(ptype, 2 if ptype == 6 else 0, body)


def subscribe(pid, filters, v5=False, v5props=()):
    body = struct.pack(">H", pid)
    if v5:
        body += props(v5props)
    for f, opts in filters:
        body += s(f) + bytes([opts])
    return packet(8, 2, body)


def suback(pid, codes, v5=False, v5props=()):
    body = struct.pack(">H", pid)
    if v5:
        body += props(v5props)
    return packet(9, 0, body + bytes(codes))


def unsubscribe(pid, filters, v5=False):
    body = struct.pack(">H", pid)
    if v5:
        body += props([])
    for f in filters:
        body += s(f)
    return packet(10, 2, body)


def unsuback(pid, codes=None, v5=False):
    body = struct.pack(">H", pid)
    if v5:
        body += props([]) + bytes(codes)
    return packet(11, 0, body)


PINGREQ = packet(12, 0, b"")
PINGRESP = packet(13, 0, b"")


def disconnect(code=None, v5props=None):
    body = b""
    if code is not None:
        body += bytes([code])
        if v5props is not None:
            body += props(v5props)
    return packet(14, 0, body)


# ---- Ethernet / IPv4 / TCP / VXLAN framing ------------------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ip4(addr):
    return bytes(int(x) for x in addr.split("."))


def ipv4_packet(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64, proto,
                      0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload):
    opts = b""
    if flags & 0x02:  # SYN: MSS option
        opts = struct.pack("!BBH", 2, 4, 1460)
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4, flags,
                      65535, 0, 0) + opts
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


MAC_CLIENT = bytes.fromhex("020000000001")
MAC_SERVER = bytes.fromhex("020000000002")


def ether(src_mac, dst_mac, ethertype, payload, vlan=None):
    if vlan is not None:
        return dst_mac + src_mac + struct.pack("!HHH", 0x8100, vlan & 0x0FFF, ethertype) + payload
    return dst_mac + src_mac + struct.pack("!H", ethertype) + payload


class Pcap:
    def __init__(self):
        self.records = []

    def add(self, ts, frame):
        self.records.append((ts, frame))

    def write(self, path):
        self.records.sort(key=lambda r: r[0])
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for ts, frame in self.records:
                sec = int(ts)
                usec = int(round((ts - sec) * 1e6))
                if usec >= 1000000:
                    sec, usec = sec + 1, usec - 1000000
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                f.write(frame)


class TcpFlow:
    """One TCP connection; send() writes segments with consistent seq/ack and timestamps."""

    def __init__(self, pcap, t0, cip, cport, sip, sport, vlan=None, vxlan=None):
        self.pcap, self.t = pcap, t0
        self.ep = {0: (cip, cport, MAC_CLIENT), 1: (sip, sport, MAC_SERVER)}
        self.seq = {0: 100000 + cport * 7, 1: 900000 + cport * 13}
        self.vlan, self.vxlan = vlan, vxlan
        self.ident = {0: cport, 1: cport + 1000}

    def _emit(self, d, flags, payload=b"", dt=0.0002):
        self.t += dt
        src, sport, smac = self.ep[d]
        dst, dport, dmac = self.ep[1 - d]
        seg = tcp_segment(src, dst, sport, dport, self.seq[d], self.seq[1 - d] if flags & 0x10 else 0,
                          flags, payload)
        self.ident[d] += 1
        frame = ether(smac, dmac, 0x0800, ipv4_packet(src, dst, 6, seg, self.ident[d]), self.vlan)
        if self.vxlan is not None:
            vni, osrc, odst = self.vxlan
            vx = struct.pack("!BBHI", 0x08, 0, 0, vni << 8) + frame
            udp = struct.pack("!HHHH", 49152 + (sport ^ dport) % 16384, 4789, 8 + len(vx), 0) + vx
            frame = ether(bytes.fromhex("020000000aa1"), bytes.fromhex("020000000aa2"), 0x0800,
                          ipv4_packet(osrc, odst, 17, udp, self.ident[d]))
        self.pcap.add(self.t, frame)
        self.seq[d] += len(payload) + (1 if flags & 0x03 else 0)

    def handshake(self):
        self._emit(0, 0x02)
        self._emit(1, 0x12)
        self._emit(0, 0x10)

    def send(self, d, data, split=None, dt=0.0005):
        """Sends `data` from side d (0 client, 1 server) in one segment, or in pieces of `split` sizes."""
        pieces = [data]
        if split:
            pieces, off = [], 0
            for n in split:
                pieces.append(data[off:off + n])
                off += n
            if off < len(data):
                pieces.append(data[off:])
        for i, p in enumerate(pieces):
            self._emit(d, 0x18, p, dt if i == 0 else 0.0001)
        self._emit(1 - d, 0x10, b"", 0.00005)  # the receiver's ACK

    def close(self, first=0):
        self._emit(first, 0x11)
        self._emit(1 - first, 0x11)
        self._emit(first, 0x10)


# ---- The conversations ---------------------------------------------------------------------------

C, S = 0, 1


def flow_v311(f):
    f.handshake()
    f.send(C, connect("gen-v311-client", 4, keepalive=30, user="alice", password="secret",
                      will=("clients/gen-v311-client/status", "offline")))
    f.send(S, connack(0))
    f.send(C, subscribe(1, [("sensors/+/temp", 1), ("alerts/#", 2)]))
    f.send(S, suback(1, [1, 2]))
    f.send(C, publish("sensors/a/temp", "21.5", qos=0))
    f.send(C, publish("sensors/a/temp", "21.7", qos=1, pid=2))
    f.send(S, pub_ack(4, 2))
    f.send(C, publish("alerts/fire", "building 7", qos=2, pid=3, retain=True))
    f.send(S, pub_ack(5, 3))
    f.send(C, pub_ack(6, 3))
    f.send(S, pub_ack(7, 3))
    # Server to subscriber: QoS 1 and QoS 2 deliveries, acked by the client.
    f.send(S, publish("sensors/a/temp", "21.7", qos=1, pid=1))
    f.send(C, pub_ack(4, 1))
    f.send(S, publish("alerts/fire", "building 7", qos=2, pid=2))
    f.send(C, pub_ack(5, 2))
    f.send(S, pub_ack(6, 2))
    f.send(C, pub_ack(7, 2))
    # One PUBLISH (QoS 1, 2776-byte payload) over 3 segments.
    f.send(C, publish("firmware/blob", bytes(range(256)) * 10 + bytes(216), qos=1, pid=4),
           split=[7, 1400])
    f.send(S, pub_ack(4, 4))
    # One segment with 3 packets: QoS 0 PUBLISH, QoS 1 PUBLISH, PINGREQ.
    f.send(C, publish("sensors/b/temp", "19.0") + publish("sensors/b/temp", "19.1", qos=1, pid=5)
           + PINGREQ)
    f.send(S, pub_ack(4, 5) + PINGRESP)
    f.send(C, unsubscribe(6, ["alerts/#"]))
    f.send(S, unsuback(6))
    f.send(C, PINGREQ)
    f.send(S, PINGRESP)
    f.send(C, disconnect())
    f.close(C)


def flow_refused(f):
    f.handshake()
    f.send(C, connect("gen-bad-auth", 4, user="mallory", password="guess"))
    f.send(S, connack(5))
    f.close(S)


def flow_v5(f):
    f.handshake()
    f.send(C, connect("gen-v5-client", 5, keepalive=45, user="bob", password="pw",
                      v5props=[(0x11, 3600), (0x21, 20), (0x22, 10), (0x26, ("app", "gen"))]))
    f.send(S, connack(0, v5=True, v5props=[(0x22, 10), (0x21, 100), (0x24, 1), (0x25, 1),
                                           (0x13, 45)]))
    f.send(C, subscribe(1, [("orders/#", 0x01), ("admin/#", 0x02)], v5=True, v5props=[(0x0B, 7)]))
    f.send(S, suback(1, [0x01, 0x87], v5=True, v5props=[(0x1F, "admin topics need role admin")]))
    f.send(C, publish("orders/new", '{"id":1}', qos=1, pid=2, v5=True,
                      v5props=[(0x01, 1), (0x03, "application/json"),
                               (0x26, ("traceparent", TRACEPARENT))]))
    f.send(S, pub_ack(4, 2))  # reason code omitted: Success
    f.send(C, publish("orders/paid", '{"id":1}', qos=2, pid=3, v5=True,
                      v5props=[(0x23, 1), (0x26, ("traceparent", TRACEPARENT2))]))
    f.send(S, pub_ack(5, 3, 0x10, [(0x1F, "no subscribers")]))
    f.send(C, pub_ack(6, 3, 0x00))
    f.send(S, pub_ack(7, 3, 0x00, []))
    # Topic alias 1 now stands for orders/paid: empty topic name.
    f.send(C, publish("", '{"id":2}', qos=0, v5=True, v5props=[(0x23, 1)]))
    f.send(C, publish("admin/reset", "now", qos=1, pid=4, v5=True, v5props=[]))
    f.send(S, pub_ack(4, 4, 0x87, [(0x1F, "not allowed")]))
    f.send(S, publish("orders/new", '{"id":1}', qos=1, pid=1, v5=True, v5props=[(0x0B, 7)]))
    f.send(C, pub_ack(4, 1, 0x00))
    f.send(C, PINGREQ)
    f.send(S, PINGRESP)
    f.send(C, unsubscribe(5, ["orders/#"], v5=True))
    f.send(S, unsuback(5, [0x00], v5=True))
    f.send(C, disconnect(0x00, [(0x11, 0)]))
    f.close(C)


def flow_v31(f):
    f.handshake()
    f.send(C, connect("gen-v31", 3))
    f.send(S, connack(0))
    f.send(C, publish("legacy/topic", "hello", qos=1, pid=1))
    f.send(S, pub_ack(4, 1))
    f.send(C, disconnect())
    f.close(C)


def flow_vlan(f):
    f.handshake()
    f.send(C, connect("gen-vlan", 4))
    f.send(S, connack(0))
    f.send(C, publish("vlan/topic", "v", qos=1, pid=1))
    f.send(S, pub_ack(4, 1))
    f.send(C, disconnect())
    f.close(C)


def flow_vxlan(f):
    f.handshake()
    f.send(C, connect("gen-vxlan", 5))
    f.send(S, connack(0, v5=True))
    f.send(C, publish("tunnel/topic", "t0", qos=0, v5=True,
                      v5props=[(0x26, ("traceparent", TRACEPARENT))]))
    f.send(C, publish("tunnel/topic", "t1", qos=1, pid=1, v5=True))
    f.send(S, pub_ack(4, 1))
    f.send(C, disconnect())
    f.close(C)


FLOWS = [  # (builder, client ip last octets, vlan, vxlan)
    (flow_v311, None, None),
    (flow_refused, None, None),
    (flow_v5, None, None),
    (flow_v31, None, None),
    (flow_vlan, 100, None),
    (flow_vxlan, None, (4242, "172.16.0.1", "172.16.0.2")),
]


def build(path, repeat):
    pcap = Pcap()
    t = BASE_TS
    for copy in range(repeat):
        for k, (fn, vlan, vxlan) in enumerate(FLOWS):
            n = copy * len(FLOWS) + k
            cip = "10.%d.%d.%d" % (1 + (n // 60000) % 250, (n // 240) % 250, 1 + (n // 1) % 240)
            cport = 20000 + n % 40000
            f = TcpFlow(pcap, t + k * 0.001, cip, cport, "10.0.0.2", 1883, vlan=vlan, vxlan=vxlan)
            fn(f)
        t += 0.05
    pcap.write(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error("--repeat must be >= 1")
    build(a.out, a.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
