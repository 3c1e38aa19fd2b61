#!/usr/bin/python3
"""Minimal Pulsar broker responder: a TEST PEER written from the Pulsar binary protocol specification
(https://pulsar.apache.org/docs/next/developing-binary-protocol/ and PulsarApi.proto,
pulsar-common/src/main/proto/PulsarApi.proto in the Pulsar sources). It is not a broker: one
process, in-memory non-partitioned topics, no persistence, no cursors, no schemas, no auth. It
answers just enough for a real client (the pure-JavaScript npm client pulsar-flex) to look a topic
up, produce to it and consume from it, so that l7tap's Pulsar parser can be tested on real client
bytes (Debian ships no Pulsar broker).

Frames (both directions): totalSize (u32 BE) | commandSize (u32 BE) | BaseCommand (protobuf), and for
SEND / MESSAGE after the command: magic 0x0e01 | CRC32C (u32 BE) over the rest | metadataSize (u32 BE)
| MessageMetadata | payload. BaseCommand carries `type` (field 1) and the command in the field whose
number equals the type.

Answered: CONNECT (CONNECTED), PARTITIONED_METADATA (0 partitions), LOOKUP (Connect to this very
responder), PRODUCER (PRODUCER_SUCCESS, then the broker sends one PING, which the client answers with
PONG; a topic whose name contains "forbidden" is refused with ERROR AuthorizationError), SEND
(SEND_RECEIPT with a message id ledgerId:entryId), SUBSCRIBE (SUCCESS; every subscription reads the
topic from its first message), FLOW (MESSAGE deliveries of what was sent, up to the permits, also of
messages sent later), ACK (ACK_RESPONSE when the ack carries a request_id, as brokers do since
protocol v17), PING (PONG), PONG (nothing), CLOSE_PRODUCER / CLOSE_CONSUMER / UNSUBSCRIBE (SUCCESS).
Anything else is logged and ignored. Messages are delivered with the producer's MessageMetadata
bytes unchanged, as a broker does.

Usage: pulsar_responder.py [--host 127.0.0.1] [--port 0] [--port-file PATH]
With --port 0 a free port is chosen; it is printed on stdout ("listening HOST PORT") and written to
--port-file when given.
"""
import socketserver
import struct
import sys
import threading

import responder_server

# BaseCommand.Type (PulsarApi.proto); the command travels in the BaseCommand field of that number.
CONNECT, CONNECTED, SUBSCRIBE, PRODUCER, SEND, SEND_RECEIPT = 2, 3, 4, 5, 6, 7
MESSAGE, ACK, FLOW, UNSUBSCRIBE, SUCCESS, ERROR = 9, 10, 11, 12, 13, 14
CLOSE_PRODUCER, CLOSE_CONSUMER, PRODUCER_SUCCESS, PING, PONG = 15, 16, 17, 18, 19
PARTITIONED_METADATA, PARTITIONED_METADATA_RESPONSE, LOOKUP, LOOKUP_RESPONSE = 21, 22, 23, 24
ACK_RESPONSE = 38
CLOSE_NAMES = {CLOSE_PRODUCER: "CLOSE_PRODUCER", CLOSE_CONSUMER: "CLOSE_CONSUMER", UNSUBSCRIBE: "UNSUBSCRIBE"}
SERVER_ERROR_AUTHORIZATION = 4  # ServerError.AuthorizationError
LOOKUP_CONNECT = 1  # CommandLookupTopicResponse.LookupType.Connect
PROTOCOL_VERSION = 21  # the newest ProtocolVersion this responder claims; CONNECTED says min(client's, this)
MAGIC_CRC32C = 0x0E01


# --- protobuf wire format (proto2, only what the commands above need) ---
def varint(v):
    v &= (1 << 64) - 1  # negative int32/int64 are sent as 10-byte two's complement
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(no, v):
    return varint(no << 3) + varint(v)


def f_bytes(no, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(no << 3 | 2) + varint(len(b)) + b


def parse(buf):
    """Decodes one message into {field number: [values]} (varints as int, length-delimited as bytes)."""
    out, p = {}, 0

    def rd_varint():
        nonlocal p
        v, shift = 0, 0
        while True:
            if p >= len(buf):
                raise ValueError("truncated varint")
            b = buf[p]
            p += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    while p < len(buf):
        key = rd_varint()
        no, wt = key >> 3, key & 7
        if wt == 0:
            val = rd_varint()
        elif wt == 1:
            val, p = buf[p:p + 8], p + 8
        elif wt == 2:
            n = rd_varint()
            val, p = buf[p:p + n], p + n
        elif wt == 5:
            val, p = buf[p:p + 4], p + 4
        else:
            raise ValueError(f"wire type {wt}")
        if p > len(buf):
            raise ValueError("truncated field")
        out.setdefault(no, []).append(val)
    return out


def first(msg, no, default=None):
    return msg.get(no, [default])[0]


# --- CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as the frame checksum requires ---
_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def frame(cmd_type, body, metadata=None, payload=b""):
    cmd = f_varint(1, cmd_type) + f_bytes(cmd_type, body)
    tail = b""
    if metadata is not None:
        checked = struct.pack(">I", len(metadata)) + metadata + payload
        tail = struct.pack(">HI", MAGIC_CRC32C, crc32c(checked)) + checked
    return struct.pack(">II", 4 + len(cmd) + len(tail), len(cmd)) + cmd + tail


def message_id(ledger, entry):
    return f_varint(1, ledger) + f_varint(2, entry)


class Topic:
    def __init__(self, ledger):
        self.ledger = ledger
        self.entries = []  # (metadata bytes, payload bytes); entry id = index


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.topics = {}
        self.consumers = []  # Consumer objects of every connection

    def topic(self, name):
        with self.lock:
            if name not in self.topics:
                self.topics[name] = Topic(ledger=100 + len(self.topics))
            return self.topics[name]


STORE = Store()


class Consumer:
    def __init__(self, conn, consumer_id, topic):
        self.conn, self.id, self.topic = conn, consumer_id, topic
        self.permits, self.next_entry = 0, 0

    def pump(self):
        """Delivers stored messages while permits last (caller holds STORE.lock)."""
        while self.permits > 0 and self.next_entry < len(self.topic.entries):
            metadata, payload = self.topic.entries[self.next_entry]
            body = f_varint(1, self.id) + f_bytes(2, message_id(self.topic.ledger, self.next_entry))
            self.conn.send(frame(MESSAGE, body, metadata, payload))
            self.next_entry += 1
            self.permits -= 1


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.write_lock = threading.Lock()
        self.producers = {}  # producer_id -> topic name
        self.consumers = {}  # consumer_id -> Consumer

    def send(self, data):
        with self.write_lock:
            try:
                self.request.sendall(data)
            except OSError:
                pass

    def log(self, text):
        print(f"[{self.client_address[1]}] {text}", file=sys.stderr, flush=True)

    def handle(self):
        try:
            while True:
                head = responder_server.recv_exact(self.request, 4)
                if head is None:
                    return
                size = struct.unpack(">I", head)[0]
                body = responder_server.recv_exact(self.request, size) if size else b""
                if body is None or len(body) < 4:
                    return
                cmd_size = struct.unpack_from(">I", body)[0]
                base = parse(body[4:4 + cmd_size])
                rest = body[4 + cmd_size:]
                cmd_type = first(base, 1)
                cmd = parse(first(base, cmd_type, b""))
                self.dispatch(cmd_type, cmd, rest)
        finally:
            with STORE.lock:
                STORE.consumers = [c for c in STORE.consumers if c.conn is not self]

    def success(self, request_id):
        self.send(frame(SUCCESS, f_varint(1, request_id)))

    def dispatch(self, t, cmd, rest):
        if t == CONNECT:
            client_version = first(cmd, 1, b"").decode(errors="replace")
            proto = min(first(cmd, 4, 0), PROTOCOL_VERSION)
            self.log(f"CONNECT {client_version!r} protocol_version {first(cmd, 4, 0)}")
            body = f_bytes(1, "l7tap-pulsar-responder") + f_varint(2, proto) + f_varint(3, 5 * 1024 * 1024)
            self.send(frame(CONNECTED, body))
        elif t == PARTITIONED_METADATA:
            topic, rid = first(cmd, 1, b"").decode(), first(cmd, 2, 0)
            self.log(f"PARTITIONED_METADATA {topic} request_id {rid}")
            self.send(frame(PARTITIONED_METADATA_RESPONSE, f_varint(1, 0) + f_varint(2, rid) + f_varint(3, 0)))
        elif t == LOOKUP:
            topic, rid = first(cmd, 1, b"").decode(), first(cmd, 2, 0)
            host, port = self.server.server_address[:2]
            self.log(f"LOOKUP {topic} request_id {rid}")
            body = (f_bytes(1, f"pulsar://{host}:{port}") + f_varint(3, LOOKUP_CONNECT) + f_varint(4, rid)
                    + f_varint(5, 1))
            self.send(frame(LOOKUP_RESPONSE, body))
        elif t == PRODUCER:
            topic, pid, rid = first(cmd, 1, b"").decode(), first(cmd, 2, 0), first(cmd, 3, 0)
            self.log(f"PRODUCER {topic} producer_id {pid} request_id {rid}")
            if "forbidden" in topic:
                body = (f_varint(1, rid) + f_varint(2, SERVER_ERROR_AUTHORIZATION)
                        + f_bytes(3, f"Client is not authorized to produce on {topic}"))
                self.send(frame(ERROR, body))
                return
            STORE.topic(topic)
            self.producers[pid] = topic
            name = first(cmd, 4, b"").decode() or f"l7tap-responder-{self.client_address[1]}-{pid}"
            self.send(frame(PRODUCER_SUCCESS, f_varint(1, rid) + f_bytes(2, name) + f_varint(3, -1)))
            # Brokers probe idle connections with PING; one here exercises the client's PONG.
            self.send(frame(PING, b""))
        elif t == SEND:
            pid, seq = first(cmd, 1, 0), first(cmd, 2, 0)
            if len(rest) < 10 or struct.unpack_from(">H", rest)[0] != MAGIC_CRC32C:
                self.log(f"SEND without checksummed metadata from producer {pid}; ignored")
                return
            checksum = struct.unpack_from(">I", rest, 2)[0]
            if crc32c(rest[6:]) != checksum:
                self.log(f"SEND from producer {pid} seq {seq}: CRC32C mismatch")
            meta_size = struct.unpack_from(">I", rest, 6)[0]
            metadata, payload = rest[10:10 + meta_size], rest[10 + meta_size:]
            topic_name = self.producers.get(pid)
            if topic_name is None:
                self.log(f"SEND for unknown producer {pid}; ignored")
                return
            topic = STORE.topic(topic_name)
            with STORE.lock:
                entry = len(topic.entries)
                topic.entries.append((metadata, payload))
            self.log(f"SEND producer {pid} seq {seq} -> {topic.ledger}:{entry} ({len(payload)} B)")
            body = f_varint(1, pid) + f_varint(2, seq) + f_bytes(3, message_id(topic.ledger, entry))
            self.send(frame(SEND_RECEIPT, body))
            with STORE.lock:
                for c in STORE.consumers:
                    if c.topic is topic:
                        c.pump()
        elif t == SUBSCRIBE:
            topic, sub, cid, rid = first(cmd, 1, b"").decode(), first(cmd, 2, b"").decode(), first(cmd, 4, 0), first(cmd, 5, 0)
            self.log(f"SUBSCRIBE {topic} subscription {sub!r} consumer_id {cid} request_id {rid}")
            c = Consumer(self, cid, STORE.topic(topic))
            self.consumers[cid] = c
            with STORE.lock:
                STORE.consumers.append(c)
            self.success(rid)
        elif t == FLOW:
            cid, permits = first(cmd, 1, 0), first(cmd, 2, 0)
            self.log(f"FLOW consumer_id {cid} permits {permits}")
            c = self.consumers.get(cid)
            if c is not None:
                with STORE.lock:
                    c.permits += permits
                    c.pump()
        elif t == ACK:
            cid, rid = first(cmd, 1, 0), first(cmd, 8)
            ids = [parse(m) for m in cmd.get(3, [])]
            self.log(f"ACK consumer_id {cid} {[(first(m, 1), first(m, 2)) for m in ids]} request_id {rid}")
            if rid is not None:
                self.send(frame(ACK_RESPONSE, f_varint(1, cid) + f_varint(6, rid)))
        elif t == PING:
            self.log("PING")
            self.send(frame(PONG, b""))
        elif t == PONG:
            self.log("PONG")
        elif t in (CLOSE_PRODUCER, CLOSE_CONSUMER, UNSUBSCRIBE):
            oid, rid = first(cmd, 1, 0), first(cmd, 2, 0)
            self.log(f"{CLOSE_NAMES[t]} id {oid} request_id {rid}")
            if t == CLOSE_PRODUCER:
                self.producers.pop(oid, None)
            else:
                c = self.consumers.pop(oid, None)
                with STORE.lock:
                    STORE.consumers = [x for x in STORE.consumers if x is not c]
            self.success(rid)
        else:
            self.log(f"command type {t} not handled; ignored")


if __name__ == "__main__":
    responder_server.serve(Handler, __doc__.split("\n\n")[0])
