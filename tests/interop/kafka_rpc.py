"""Hand-built Kafka requests for the raw produce/fetch tests: CreateTopics v7, Produce v9, Fetch v12, ListOffsets v7.

All four are flexible versions (request header v2, response header v1, compact strings/arrays, tagged fields) that
Apache Kafka 4.1 serves and that still name topics (Produce v13+ and Fetch v13+ use topic ids). Real clients are
what the interop tests trust; these exist so a test can send what no well-behaved client sends (a bad CRC, an
oversized batch) and read the exact error code back.

    with KafkaConnection(host, port) as c:
        c.create_topic("t", partitions=1)
        resp = c.produce("t", 0, encode_batch([Record(b"k", b"v")]))   # -> ProducePartition
        f = c.fetch("t", 0, offset=0)                                   # -> FetchPartition (.batches())
        lo = c.list_offsets("t", 0, EARLIEST)                          # -> ListOffsetsPartition
"""
from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

from kafka_records import Batch, decode_batches

API_PRODUCE, API_FETCH, API_LIST_OFFSETS, API_CREATE_TOPICS = 0, 1, 2, 19
LATEST, EARLIEST, MAX_TIMESTAMP = -1, -2, -3

# Error codes (Kafka's Errors.java) the tests look for.
NONE = 0
OFFSET_OUT_OF_RANGE = 1
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
RECORD_LIST_TOO_LARGE = 18
INVALID_RECORD = 87
LEADER_NOT_AVAILABLE = 5
NOT_LEADER_OR_FOLLOWER = 6
REQUEST_TIMED_OUT = 7
NOT_CONTROLLER = 41
ERROR_NAMES = {0: "NONE", 1: "OFFSET_OUT_OF_RANGE", 2: "CORRUPT_MESSAGE", 3: "UNKNOWN_TOPIC_OR_PARTITION",
               5: "LEADER_NOT_AVAILABLE", 6: "NOT_LEADER_OR_FOLLOWER", 7: "REQUEST_TIMED_OUT",
               10: "MESSAGE_TOO_LARGE", 18: "RECORD_LIST_TOO_LARGE", 36: "TOPIC_ALREADY_EXISTS",
               41: "NOT_CONTROLLER", 87: "INVALID_RECORD"}
# What real clients retry while a just-started broker settles (controller elected, partitions loaded).
RETRIABLE_STARTUP = {LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_CONTROLLER}


def error_name(code: int) -> str:
    return ERROR_NAMES.get(code, str(code))


# ------------------------------------------------------------------------------------------- encoding

def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def cstr(s: str | None) -> bytes:
    """Compact (nullable) string."""
    if s is None:
        return b"\x00"
    raw = s.encode()
    return uvarint(len(raw) + 1) + raw


def cbytes(b: bytes | None) -> bytes:
    """Compact nullable bytes / records."""
    return b"\x00" if b is None else uvarint(len(b) + 1) + b


def carray(items: list[bytes]) -> bytes:
    return uvarint(len(items) + 1) + b"".join(items)


TAGS = b"\x00"  # an empty tagged-field section


def header_v2(api_key: int, version: int, corr: int, client_id: str = "gregor-interop-raw") -> bytes:
    return struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id.encode() + TAGS


# ------------------------------------------------------------------------------------------- decoding

class Reader:
    """Bounds-checked cursor over a response."""

    def __init__(self, buf: bytes):
        self.buf, self.off = buf, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.off + n > len(self.buf):
            raise ValueError(f"need {n} bytes at {self.off} of {len(self.buf)}")
        b = self.buf[self.off:self.off + n]
        self.off += n
        return b

    def fmt(self, f: str):
        return struct.unpack(f, self.take(struct.calcsize(f)))[0]

    def i8(self):
        return self.fmt(">b")

    def i16(self):
        return self.fmt(">h")

    def i32(self):
        return self.fmt(">i")

    def i64(self):
        return self.fmt(">q")

    def uvarint(self) -> int:
        n = shift = 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def cstr(self) -> str | None:
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def cbytes(self) -> bytes | None:
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1)

    def carray_len(self) -> int:
        return max(self.uvarint() - 1, 0)  # null arrays read as empty

    def tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


# ------------------------------------------------------------------------------------------- results

@dataclass
class ProducePartition:
    error_code: int
    base_offset: int
    log_append_time: int
    log_start_offset: int
    record_errors: list[tuple[int, str | None]]
    error_message: str | None


@dataclass
class FetchPartition:
    error_code: int
    high_watermark: int
    last_stable_offset: int
    log_start_offset: int
    records: bytes | None
    top_error_code: int = 0

    def batches(self) -> list[Batch]:
        return decode_batches(self.records or b"")


@dataclass
class ListOffsetsPartition:
    error_code: int
    timestamp: int
    offset: int


# ------------------------------------------------------------------------------------------- connection

class KafkaConnection:
    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.corr = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)

    def call(self, api_key: int, version: int, body: bytes) -> Reader:
        """One request (header v2) and its response; returns a Reader past the response header v1."""
        self.corr += 1
        req = header_v2(api_key, version, self.corr) + body
        self.sock.sendall(struct.pack(">i", len(req)) + req)
        (size,) = struct.unpack(">i", self._recv_exact(4))
        r = Reader(self._recv_exact(size))
        got = r.i32()
        if got != self.corr:
            raise ValueError(f"correlation id {got} != {self.corr}")
        r.tags()
        return r

    # ---------------------------------------------------------------- CreateTopics v7
    def create_topic(self, name: str, partitions: int = 1, configs: dict | None = None,
                     timeout_ms: int = 30000, retry_for: float = 20.0) -> int:
        """Returns the error code (0, or e.g. 36 TOPIC_ALREADY_EXISTS). Retries NOT_CONTROLLER and the like for
        up to `retry_for` seconds, as the Admin client does."""
        deadline = time.monotonic() + retry_for
        while True:
            err = self._create_topic(name, partitions, configs, timeout_ms)
            if err not in RETRIABLE_STARTUP or time.monotonic() > deadline:
                return err
            time.sleep(0.2)

    def _create_topic(self, name: str, partitions: int, configs: dict | None, timeout_ms: int) -> int:
        cfg = [cstr(k) + cstr(str(v)) + TAGS for k, v in (configs or {}).items()]
        topic = cstr(name) + struct.pack(">ih", partitions, 1) + carray([]) + carray(cfg) + TAGS
        r = self.call(API_CREATE_TOPICS, 7, carray([topic]) + struct.pack(">ib", timeout_ms, 0) + TAGS)
        r.i32()  # throttle
        assert r.carray_len() == 1
        r.cstr()
        r.take(16)
        return r.i16()

    # ---------------------------------------------------------------- Produce v9
    def produce(self, topic: str, partition: int, records: bytes | None, acks: int = -1,
                timeout_ms: int = 30000) -> ProducePartition:
        part = struct.pack(">i", partition) + cbytes(records) + TAGS
        body = cstr(None) + struct.pack(">hi", acks, timeout_ms) + carray([cstr(topic) + carray([part]) + TAGS]) \
            + TAGS
        r = self.call(API_PRODUCE, 9, body)
        assert r.carray_len() == 1, "one topic response"
        r.cstr()
        assert r.carray_len() == 1, "one partition response"
        r.i32()
        err, base, lat, lso = r.i16(), r.i64(), r.i64(), r.i64()
        rec_errors = []
        for _ in range(r.carray_len()):
            idx = r.i32()
            rec_errors.append((idx, r.cstr()))
            r.tags()
        msg = r.cstr()
        return ProducePartition(err, base, lat, lso, rec_errors, msg)

    # ---------------------------------------------------------------- Fetch v12
    def fetch(self, topic: str, partition: int, offset: int, max_bytes: int = 1 << 20, max_wait_ms: int = 100,
              min_bytes: int = 1) -> FetchPartition:
        part = struct.pack(">iiqiqi", partition, -1, offset, -1, -1, max_bytes) + TAGS
        body = struct.pack(">iiiibii", -1, max_wait_ms, min_bytes, max_bytes, 0, 0, -1)
        body += carray([cstr(topic) + carray([part]) + TAGS]) + carray([]) + cstr("") + TAGS
        r = self.call(API_FETCH, 12, body)
        r.i32()  # throttle
        top_err = r.i16()
        r.i32()  # session id
        if r.carray_len() != 1:
            return FetchPartition(top_err, -1, -1, -1, None, top_err)
        r.cstr()
        assert r.carray_len() == 1, "one partition response"
        r.i32()
        err, hw, lso, log_start = r.i16(), r.i64(), r.i64(), r.i64()
        for _ in range(r.carray_len()):  # aborted transactions
            r.i64(), r.i64()
            r.tags()
        r.i32()  # preferred read replica
        recs = r.cbytes()
        return FetchPartition(err, hw, lso, log_start, recs, top_err)

    def fetch_all(self, topic: str, partition: int, offset: int = 0, end: int | None = None) -> list:
        """Every record from `offset` up to the high watermark (or `end`), following batches."""
        out = []
        while True:
            f = self.fetch(topic, partition, offset)
            if f.error_code:
                raise AssertionError(f"fetch {topic}/{partition}@{offset}: {error_name(f.error_code)}")
            stop = f.high_watermark if end is None else end
            if offset >= stop:
                return out
            batches = f.batches()
            if not batches:
                raise AssertionError(f"fetch {topic}/{partition}@{offset} returned no batch below HW {stop}")
            for b in batches:
                assert b.crc_ok, f"bad CRC in fetched batch at {b.base_offset}"
                for rec in b.records or []:
                    if offset <= rec.offset < stop:
                        out.append(rec)
                offset = max(offset, b.next_offset)

    # ---------------------------------------------------------------- ListOffsets v7
    def list_offsets(self, topic: str, partition: int, timestamp: int, retry_for: float = 0.0) -> ListOffsetsPartition:
        """retry_for > 0: retry leadership errors (and UNKNOWN_TOPIC_OR_PARTITION) that long, as clients do while a
        restarted broker loads its partitions."""
        deadline = time.monotonic() + retry_for
        while True:
            r = self._list_offsets(topic, partition, timestamp)
            if r.error_code not in RETRIABLE_STARTUP | {UNKNOWN_TOPIC_OR_PARTITION} or time.monotonic() > deadline:
                return r
            time.sleep(0.2)

    def _list_offsets(self, topic: str, partition: int, timestamp: int) -> ListOffsetsPartition:
        part = struct.pack(">iiq", partition, -1, timestamp) + TAGS
        body = struct.pack(">ib", -1, 0) + carray([cstr(topic) + carray([part]) + TAGS]) + TAGS
        r = self.call(API_LIST_OFFSETS, 7, body)
        r.i32()
        assert r.carray_len() == 1
        r.cstr()
        assert r.carray_len() == 1
        r.i32()
        err, ts, off = r.i16(), r.i64(), r.i64()
        r.i32()  # leader epoch
        return ListOffsetsPartition(err, ts, off)
