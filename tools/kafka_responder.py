#!/usr/bin/python3
"""Minimal Kafka broker responder: a TEST PEER built from the Kafka protocol specification
(https://kafka.apache.org/protocol and the message definitions in the Kafka sources,
clients/src/main/resources/common/message/*.json). It is not a broker: one node, in-memory topics
with one partition each, no replication, no groups, no transactions. It answers just enough for
real clients (kcat / librdkafka) to produce to and consume from a topic on it, so that l7tap's
Kafka parser can be tested on real client traffic (Debian ships Kafka clients but no broker).

Supported (advertised in ApiVersions, all in the classic non-flexible encoding except ApiVersions
v3, which uses request header v2 and, as the protocol requires, response header v0):
  ApiVersions 0-3, Metadata 1-8, Produce 3-7 (record batch v2), Fetch 4-11, ListOffsets 1-5.

Usage: kafka_responder.py [--host 127.0.0.1] [--port 0] [--port-file PATH]
With --port 0 a free port is chosen; it is printed on stdout ("listening HOST PORT") and written to
--port-file when given.
"""
import socketserver
import struct
import sys
import threading
import time

import responder_server

API_PRODUCE, API_FETCH, API_LIST_OFFSETS, API_METADATA, API_API_VERSIONS = 0, 1, 2, 3, 18
SUPPORTED = {  # api_key: (min_version, max_version)
    API_PRODUCE: (3, 7),
    API_FETCH: (4, 11),
    API_LIST_OFFSETS: (1, 5),
    API_METADATA: (1, 8),
    API_API_VERSIONS: (0, 3),
}
ERR_NONE, ERR_OFFSET_OUT_OF_RANGE, ERR_UNKNOWN_TOPIC, ERR_UNSUPPORTED_VERSION = 0, 1, 3, 35


class Reader:
    """Classic (non-flexible) and compact primitive decoding."""

    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        if self.p + n > len(self.d):
            raise ValueError("truncated")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def bytes_(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, item):
        n = self.i32()
        return None if n < 0 else [item() for _ in range(n)]

    def uvarint(self):
        v, shift = 0, 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def compact_string(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def tagged_fields(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)


def string(s):
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def array(items, enc):
    if items is None:
        return i32(-1)
    return i32(len(items)) + b"".join(enc(x) for x in items)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class Partition:
    def __init__(self):
        self.batches = []  # (base_offset, last_offset, bytes)
        self.next_offset = 0


class Store:
    def __init__(self):
        self.lock = threading.Condition()
        self.topics = {}

    def partition(self, topic):
        with self.lock:
            return self.topics.setdefault(topic, Partition())

    def append(self, topic, records):
        """Stores the record batches of one produce, assigning offsets; returns the base offset."""
        with self.lock:
            part = self.topics.setdefault(topic, Partition())
            base = part.next_offset
            pos = 0
            while pos + 61 <= len(records):
                batch_len = struct.unpack_from(">i", records, pos + 8)[0]
                size = 12 + batch_len
                if records[pos + 16] != 2 or pos + size > len(records):
                    raise ValueError("only record batch v2 is supported")
                last_delta = struct.unpack_from(">i", records, pos + 23)[0]
                batch = bytearray(records[pos:pos + size])
                # base_offset is assigned by the broker; it is outside the batch CRC.
                struct.pack_into(">q", batch, 0, part.next_offset)
                part.batches.append((part.next_offset, part.next_offset + last_delta, bytes(batch)))
                part.next_offset += last_delta + 1
                pos += size
            self.lock.notify_all()
            return base

    def read(self, topic, offset, max_bytes):
        with self.lock:
            part = self.topics.get(topic)
            if part is None:
                return None, 0
            out = b""
            for base, last, data in part.batches:
                if last >= offset and (not out or len(out) + len(data) <= max_bytes):
                    out += data
            return out, part.next_offset

    def wait_for_data(self, topic, offset, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while True:
                part = self.topics.get(topic)
                if part is not None and part.next_offset > offset:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.lock.wait(left)


STORE = Store()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            head = responder_server.recv_exact(self.request, 4)
            if head is None:
                return
            size = struct.unpack(">i", head)[0]
            body = responder_server.recv_exact(self.request, size)
            if body is None:
                return
            r = Reader(body)
            key, version, corr = r.i16(), r.i16(), r.i32()
            r.string()  # client_id (classic string in header v1 and v2)
            lo_hi = SUPPORTED.get(key)
            if key == API_API_VERSIONS and version >= 3:
                r.tagged_fields()  # request header v2
            if lo_hi is None:
                print(f"unsupported api_key {key} v{version}; closing", file=sys.stderr, flush=True)
                return
            if key == API_API_VERSIONS:
                resp = self.api_versions(version)
            elif not lo_hi[0] <= version <= lo_hi[1]:
                print(f"unsupported version {version} of api_key {key}; closing", file=sys.stderr, flush=True)
                return
            else:
                handler = {API_PRODUCE: self.produce, API_FETCH: self.fetch,
                           API_LIST_OFFSETS: self.list_offsets, API_METADATA: self.metadata}[key]
                resp = handler(r, version)
                if resp is None:  # acks=0 produce: no response
                    continue
            # Every response here uses response header v0 (correlation id only).
            payload = i32(corr) + resp
            self.request.sendall(i32(len(payload)) + payload)

    # ApiVersions: v3 is flexible in its body, but its response header is always v0.
    def api_versions(self, version):
        if version > 3:
            # Unknown version: answer in v0 with UNSUPPORTED_VERSION so the client retries lower.
            return i16(ERR_UNSUPPORTED_VERSION) + array(sorted(SUPPORTED.items()),
                                                        lambda kv: i16(kv[0]) + i16(kv[1][0]) + i16(kv[1][1]))
        if version < 3:
            out = i16(ERR_NONE) + array(sorted(SUPPORTED.items()),
                                        lambda kv: i16(kv[0]) + i16(kv[1][0]) + i16(kv[1][1]))
            return out + (i32(0) if version >= 1 else b"")
        out = i16(ERR_NONE) + uvarint(len(SUPPORTED) + 1)
        for k, (lo, hi) in sorted(SUPPORTED.items()):
            out += i16(k) + i16(lo) + i16(hi) + uvarint(0)
        return out + i32(0) + uvarint(0)

    def metadata(self, r, version):
        topics = r.array(r.string)
        if version >= 4:
            r.i8()  # allow_auto_topic_creation
        if version >= 8:
            r.i8()  # include_cluster_authorized_operations
            r.i8()  # include_topic_authorized_operations
        host, port = self.server.server_address[:2]
        with STORE.lock:
            names = topics if topics is not None else (list(STORE.topics) or ["test"])
        for name in names:  # auto-create
            STORE.partition(name)
        out = i32(0) if version >= 3 else b""
        out += array([0], lambda node: i32(node) + string(host) + i32(port) + string(None))
        if version >= 2:
            out += string("l7tap-test-cluster")
        out += i32(0)  # controller_id

        def partition(_):
            p = i16(ERR_NONE) + i32(0) + i32(0)  # error, partition_index, leader_id
            if version >= 7:
                p += i32(0)  # leader_epoch
            p += array([0], i32) + array([0], i32)  # replicas, isr
            if version >= 5:
                p += array([], i32)  # offline_replicas
            return p

        def topic(name):
            t = i16(ERR_NONE) + string(name) + i8(0) + array([0], partition)
            if version >= 8:
                t += i32(-2147483648)  # topic_authorized_operations: not provided
            return t

        out += array(names, topic)
        if version >= 8:
            out += i32(-2147483648)  # cluster_authorized_operations
        return out

    def produce(self, r, version):
        r.string()  # transactional_id (v3+)
        acks = r.i16()
        r.i32()  # timeout_ms

        def partition():
            return r.i32(), r.bytes_()

        topics = r.array(lambda: (r.string(), r.array(partition)))
        results = []
        for name, parts in topics:
            presults = []
            for index, records in parts:
                try:
                    base = STORE.append(name, records or b"") if index == 0 else -1
                    err = ERR_NONE if index == 0 else ERR_UNKNOWN_TOPIC
                except ValueError:
                    base, err = -1, 2  # CORRUPT_MESSAGE
                presults.append((index, err, base))
            results.append((name, presults))
        if acks == 0:
            return None

        def partition_resp(p):
            out = i32(p[0]) + i16(p[1]) + i64(p[2]) + i64(-1)  # log_append_time_ms (v2+)
            if version >= 5:
                out += i64(0)  # log_start_offset
            return out

        out = array(results, lambda t: string(t[0]) + array(t[1], partition_resp))
        return out + i32(0)  # throttle_time_ms

    def fetch(self, r, version):
        r.i32()  # replica_id
        max_wait_ms = r.i32()
        r.i32()  # min_bytes
        max_bytes = r.i32()
        r.i8()  # isolation_level
        if version >= 7:
            r.i32()  # session_id
            r.i32()  # session_epoch

        def partition():
            index = r.i32()
            if version >= 9:
                r.i32()  # current_leader_epoch
            offset = r.i64()
            if version >= 5:
                r.i64()  # log_start_offset
            part_max = r.i32()
            return index, offset, part_max

        topics = r.array(lambda: (r.string(), r.array(partition)))
        # Long poll like a broker: wait (bounded) for data past the first requested offset.
        if topics and topics[0][1]:
            STORE.wait_for_data(topics[0][0], topics[0][1][0][1], min(max_wait_ms, 1000) / 1000.0)
        out = i32(0)  # throttle_time_ms
        if version >= 7:
            out += i16(ERR_NONE) + i32(0)  # error_code, session_id (no fetch sessions)

        def partition_resp(name, p):
            index, offset, part_max = p
            records, hw = STORE.read(name, offset, min(part_max, max_bytes))
            err = ERR_NONE
            if records is None or index != 0:
                err, records, hw = ERR_UNKNOWN_TOPIC, b"", -1
            elif offset > hw:
                err, records = ERR_OFFSET_OUT_OF_RANGE, b""
            out = i32(index) + i16(err) + i64(hw) + i64(hw)  # high_watermark, last_stable_offset
            if version >= 5:
                out += i64(0)  # log_start_offset
            out += i32(-1)  # aborted_transactions: null
            if version >= 11:
                out += i32(-1)  # preferred_read_replica
            return out + i32(len(records)) + records

        out += array(topics, lambda t: string(t[0]) + array(t[1], lambda p: partition_resp(t[0], p)))
        return out

    def list_offsets(self, r, version):
        r.i32()  # replica_id
        if version >= 2:
            r.i8()  # isolation_level

        def partition():
            index = r.i32()
            if version >= 4:
                r.i32()  # current_leader_epoch
            return index, r.i64()

        topics = r.array(lambda: (r.string(), r.array(partition)))
        out = i32(0) if version >= 2 else b""

        def partition_resp(name, p):
            index, ts = p
            part = STORE.partition(name)
            # -2 = earliest, -1 = latest; a real timestamp lookup is answered with latest.
            offset = 0 if ts == -2 else part.next_offset
            out = i32(index) + i16(ERR_NONE) + i64(-1) + i64(offset)
            if version >= 4:
                out += i32(0)  # leader_epoch
            return out

        out += array(topics, lambda t: string(t[0]) + array(t[1], lambda p: partition_resp(t[0], p)))
        return out


if __name__ == "__main__":
    responder_server.serve(Handler, __doc__.split("\n\n")[0])
