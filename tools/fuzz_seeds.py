#!/usr/bin/env python3
"""Makes seed corpora for the libFuzzer targets in tests/fuzz/ from pcap files.

Writes OUT/fuzz_decode/ (one file per distinct frame), OUT/fuzz_parsers/ (per TCP/UDP flow, its
payload as the target's "framed" records: [u16 BE header: bit 15 = to-client, bits 0-13 = length]
[bytes], after a mode byte 0 and the protocol's registry index as an unsigned LEB128 varint),
OUT/fuzz_pipeline/ (per flow, its frames as [u16 BE length][frame]) and OUT/fuzz_reassembly/ (per
TCP flow, its segments with flags, seq, ack and window in that target's raw mode). File names are content hashes, so reruns add nothing twice.

The protocol of a flow comes from a protocol name in the pcap's path (e.g. .../kafka/x.pcap), else
from its server port; a flow of unknown protocol is seeded for every protocol. The index is the
protocol's position in protocols/registry.cpp (the order all_protocols() returns).

Reads classic pcap (micro/nanosecond, either byte order, and the "modified" 0xa1b2cd34 variant);
pcapng is converted first with editcap when it is installed. Link types: Ethernet, Linux cooked
(SLL, SLL2), raw IP. Standard library only.

Usage: fuzz_seeds.py OUTDIR PCAP...
"""
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SEED = 65536          # the fuzzers run with -max_len=65536
MAX_RECORD = 0x3FFF       # bits 0-13 of a record header
MAX_FRAMES_PER_PCAP = 4000

# Well-known server ports (IANA / the projects' defaults) of the protocols l7tap parses.
PORTS = {
    "mqtt": {1883, 8883}, "amqp": {5672, 5671}, "nats": {4222}, "kafka": {9092},
    "openwire": {61616}, "pulsar": {6650}, "rocketmq": {9876, 10911}, "dubbo": {20880},
    "grpc": {50051}, "sofarpc": {12200}, "fastcgi": {9000}, "brpc": {8002}, "tars": {10000},
    "zmtp": {5555},
}


def registry_order():
    """Protocol names in registry order, from the kProtocols list of protocols/registry.cpp."""
    text = open(os.path.join(ROOT, "protocols", "registry.cpp")).read()
    block = re.search(r"kProtocols\s*=\s*\{(.*?)\};", text, re.S)
    if not block:
        sys.exit("fuzz_seeds: cannot find kProtocols in protocols/registry.cpp")
    return [m.lower() for m in re.findall(r"&k(\w+?)Descriptor", block.group(1))]


def read_pcap(path):
    """Yields (ts_us, linktype, frame bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        if not shutil.which("editcap"):
            print(f"fuzz_seeds: {path} is pcapng and editcap is not installed: skipped", file=sys.stderr)
            return
        with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
            subprocess.run(["editcap", "-F", "pcap", path, tmp.name], check=True)
            yield from read_pcap(tmp.name)
        return
    if len(data) < 24:
        return
    magics = {0xA1B2C3D4: (1, 16), 0xA1B23C4D: (1000, 16), 0xA1B2CD34: (1, 24)}
    for endian in "<>":
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in magics:
            break
    else:
        print(f"fuzz_seeds: {path} is not a pcap file: skipped", file=sys.stderr)
        return
    ns_div, rec_hdr = magics[magic]
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + rec_hdr <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += rec_hdr
        frame = data[off:off + incl]
        off += incl
        yield sec * 1_000_000 + frac // ns_div, linktype, frame


def to_ethernet(linktype, frame):
    """The frame as Ethernet (what decode_frame and the pipeline take), or None."""
    if linktype == 1:
        return frame
    if linktype == 113 and len(frame) >= 16:          # Linux cooked v1: protocol at 14
        proto, rest = frame[14:16], frame[16:]
    elif linktype == 276 and len(frame) >= 20:        # Linux cooked v2: protocol at 0
        proto, rest = frame[0:2], frame[20:]
    elif linktype in (101, 12, 228, 229) and frame:   # raw IP
        proto = b"\x86\xdd" if frame[0] >> 4 == 6 else b"\x08\x00"
        rest = frame
    else:
        return None
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + proto + rest


def decode(frame, depth=0):
    """(src, dst, l4, sport, dport, flags, seq, payload, ack, window) of a TCP/UDP frame, else None."""
    if len(frame) < 14:
        return None
    etype, off = struct.unpack(">H", frame[12:14])[0], 14
    while etype in (0x8100, 0x88A8, 0x9100) and len(frame) >= off + 4:
        etype, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    ip = frame[off:]
    if etype == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4:
        ihl, total = (ip[0] & 15) * 4, struct.unpack(">H", ip[2:4])[0]
        if struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
            return None  # fragment
        src, dst, proto, l4 = ip[12:16], ip[16:20], ip[9], ip[ihl:total]
    elif etype == 0x86DD and len(ip) >= 40:
        src, dst, proto = ip[8:24], ip[24:40], ip[6]
        l4 = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        return None
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq, ack = struct.unpack(">HHII", l4[:12])
        window = struct.unpack(">H", l4[14:16])[0]
        return src, dst, 6, sport, dport, l4[13], seq, l4[(l4[12] >> 4) * 4:], ack, window
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack(">HH", l4[:4])
        if dport == 4789 and depth < 2 and len(l4) >= 16:
            return decode(l4[16:], depth + 1)  # VXLAN: the inner frame
        return src, dst, 17, sport, dport, 0, 0, l4[8:], 0, 0
    return None


class Flow:
    def __init__(self, client, server):
        self.client, self.server = client, server  # (ip, port)
        self.frames = []      # Ethernet frames of the flow, in capture order
        self.chunks = []      # (to_client, payload) in stream order
        self.next_seq = {}    # per direction: next expected TCP sequence number
        self.segments = []    # TCP: (to_client, flags, seq, ack, window, payload) in capture order


def collect(paths):
    flows = {}
    frames = []
    for path in paths:
        count = 0
        for _ts, linktype, raw in read_pcap(path):
            frame = to_ethernet(linktype, raw)
            if frame is None:
                continue
            if count < MAX_FRAMES_PER_PCAP:
                frames.append(frame)
                count += 1
            d = decode(frame)
            if d is None:
                continue
            src, dst, l4, sport, dport, flags, seq, payload, ack, window = d
            a, b = (src, sport), (dst, dport)
            key = (path, l4, min(a, b), max(a, b))
            flow = flows.get(key)
            if flow is None:
                # The SYN sender is the client; without a handshake, the higher (ephemeral) port.
                if l4 == 6 and flags & 0x02:
                    client = a if not flags & 0x10 else b
                else:
                    client = a if sport >= dport else b
                flow = flows[key] = Flow(client, b if client == a else a)
                flow.path = path
            flow.frames.append(frame)
            to_client = a == flow.server
            if l4 == 6:
                flow.segments.append((to_client, flags, seq, ack, window, bytes(payload)))
                expected = flow.next_seq.get(to_client)
                if flags & 0x02:
                    flow.next_seq[to_client] = (seq + 1) & 0xFFFFFFFF
                    continue
                if expected is not None and ((seq - expected) & 0xFFFFFFFF) >= 0x80000000:
                    continue  # retransmission (or old data): already in the stream
                flow.next_seq[to_client] = (seq + len(payload)) & 0xFFFFFFFF
            if payload:
                flow.chunks.append((to_client, bytes(payload)))
    return frames, flows.values()


def flow_protocols(flow, names):
    path = flow.path.lower()
    by_path = [i for i, n in enumerate(names) if re.search(r"(^|[/_.-])" + n + r"([/_.-]|\d|$)", path)]
    if by_path:
        return by_path
    port = flow.server[1]
    by_port = [i for i, n in enumerate(names) if port in PORTS.get(n, ())]
    return by_port or list(range(len(names)))


def framed(chunks):
    out = bytearray()
    for to_client, payload in chunks:
        for i in range(0, len(payload), MAX_RECORD):
            piece = payload[i:i + MAX_RECORD]
            if len(out) + 2 + len(piece) > MAX_SEED - 1:
                return bytes(out)
            out += struct.pack(">H", (0x8000 if to_client else 0) | len(piece)) + piece
    return bytes(out)


def frame_sequence(frames):
    out = bytearray()
    for frame in frames:
        frame = frame[:MAX_RECORD]
        if len(out) + 2 + len(frame) > MAX_SEED:
            break
        out += struct.pack(">H", len(frame)) + frame
    return bytes(out)


def segment_sequence(segments):
    """fuzz_reassembly's raw mode: [flags][seq i16][len u16] [ack i16][window u8] [payload] per
    segment, seq and ack relative to the highest sequence number each side has sent."""
    out = bytearray(b"\x06")  # raw payload, 64 KiB out-of-order cap, roomy pool, ISN 0
    sent_hi = {}
    for to_client, flags, seq, ack, window, payload in segments:
        d = 1 if to_client else 0
        data_seq = (seq + (1 if flags & 0x02 else 0)) & 0xFFFFFFFF
        hi = sent_hi.setdefault(d, seq)
        rel = ((seq - hi + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        if not -0x8000 <= rel < 0x8000:
            continue
        f = d | (0x02 if flags & 0x02 else 0) | (0x04 if flags & 0x01 else 0)
        tail = b""
        if flags & 0x10 and (1 - d) in sent_hi:
            ack_rel = ((ack - sent_hi[1 - d] + 0x80000000) & 0xFFFFFFFF) - 0x80000000
            if -0x8000 <= ack_rel < 0x8000:
                f |= 0x08
                tail = struct.pack(">hB", ack_rel, min(255, window >> 8))
        payload = payload[:0x1FFF]
        rec = struct.pack(">BhH", f, rel, len(payload)) + tail + payload
        if len(out) + len(rec) > MAX_SEED:
            break
        out += rec
        end = (data_seq + len(payload)) & 0xFFFFFFFF
        if ((end - hi) & 0xFFFFFFFF) < 0x80000000:
            sent_hi[d] = end
    return bytes(out)


def write(directory, blob, written):
    name = hashlib.sha1(blob).hexdigest()
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(blob)
        written[directory] = written.get(directory, 0) + 1


def leb128(n):
    """Unsigned LEB128, as fuzz_parsers reads the protocol index."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, paths = sys.argv[1], sys.argv[2:]
    names = registry_order()
    dirs = {t: os.path.join(out, t) for t in ("fuzz_decode", "fuzz_parsers", "fuzz_pipeline", "fuzz_reassembly")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    frames, flows = collect(paths)
    written = {}
    for frame in frames:
        write(dirs["fuzz_decode"], frame[:MAX_SEED], written)
    for flow in flows:
        write(dirs["fuzz_pipeline"], frame_sequence(flow.frames), written)
        if flow.segments:
            write(dirs["fuzz_reassembly"], segment_sequence(flow.segments), written)
        if not flow.chunks:
            continue
        body = framed(flow.chunks)
        for index in flow_protocols(flow, names):
            write(dirs["fuzz_parsers"], b"\x00" + leb128(index) + body, written)
    for t, d in dirs.items():
        print(f"fuzz_seeds: {t}: {written.get(d, 0)} new seeds in {d}")


if __name__ == "__main__":
    main()
