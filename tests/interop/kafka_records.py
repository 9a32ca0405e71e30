"""Kafka RecordBatch v2 (magic 2) encoder/decoder in pure Python, for the raw-protocol produce/fetch tests.

Layout (big-endian; Kafka's DefaultRecordBatch):
  baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (=2) | crc uint32 |
  attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 | producerId int64 |
  producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
batchLength counts the bytes after itself; the CRC is CRC-32C (Castagnoli) over attributes .. end of batch.
A record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint | key (varint length, -1 =
null) | value (likewise) | header count varint | headers (varint key length, key, varint value length, value).
Varints are zigzag-encoded. Python has no builtin CRC-32C, so it is computed here with the usual 256-entry table.
"""
from __future__ import annotations

import gzip
import struct
import time
from dataclasses import dataclass, field

MAGIC_V2 = 2
BATCH_HEADER_SIZE = 61  # baseOffset .. recordCount
CRC_OFFSET = 17  # baseOffset(8) + batchLength(4) + partitionLeaderEpoch(4) + magic(1)
ATTRIBUTES_OFFSET = 21

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CODEC_NAMES = {v: k for k, v in CODECS.items()}


# ----------------------------------------------------------------------------------------- CRC-32C

def _crc32c_table() -> list[int]:
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ----------------------------------------------------------------------------------------- varints

def zigzag_varint(n: int) -> bytes:
    """Signed varint (zigzag), as Kafka's ByteUtils.writeVarint/writeVarlong."""
    u = (n << 1) ^ (n >> 63)
    u &= (1 << 64) - 1
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def read_zigzag_varint(buf: bytes, off: int) -> tuple[int, int]:
    u = shift = 0
    while True:
        if off >= len(buf):
            raise ValueError("truncated varint")
        b = buf[off]
        off += 1
        u |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")
    return (u >> 1) ^ -(u & 1), off


# ----------------------------------------------------------------------------------------- records

@dataclass
class Record:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    timestamp: int | None = None  # absolute ms; None: the batch's base timestamp
    offset: int | None = None  # filled in by the decoder


def _bytes_field(b: bytes | None) -> bytes:
    return zigzag_varint(-1) if b is None else zigzag_varint(len(b)) + b


def encode_record(r: Record, offset_delta: int, base_timestamp: int) -> bytes:
    ts = base_timestamp if r.timestamp is None else r.timestamp
    body = b"\x00" + zigzag_varint(ts - base_timestamp) + zigzag_varint(offset_delta)
    body += _bytes_field(r.key) + _bytes_field(r.value) + zigzag_varint(len(r.headers))
    for k, v in r.headers:
        body += _bytes_field(k.encode()) + _bytes_field(v)
    return zigzag_varint(len(body)) + body


def encode_batch(records: list[Record], *, base_offset: int = 0, base_timestamp: int | None = None,
                 producer_id: int = -1, producer_epoch: int = -1, base_sequence: int = -1,
                 codec: str = "none", partition_leader_epoch: int = -1, corrupt_crc: bool = False) -> bytes:
    """One RecordBatch v2. codec "gzip" compresses the records section; others are not implemented here.
    corrupt_crc=True writes a CRC that is off by one (for the CORRUPT_MESSAGE test)."""
    if not records:
        raise ValueError("a batch needs at least one record")
    if base_timestamp is None:
        base_timestamp = int(time.time() * 1000)
    payload = b"".join(encode_record(r, i, base_timestamp) for i, r in enumerate(records))
    if codec == "gzip":
        payload = gzip.compress(payload)
    elif codec != "none":
        raise ValueError(f"codec {codec} not supported by this encoder")
    max_ts = max(base_timestamp if r.timestamp is None else r.timestamp for r in records)
    after_crc = struct.pack(">hiqqqhii", CODECS[codec], len(records) - 1, base_timestamp, max_ts, producer_id,
                            producer_epoch, base_sequence, len(records)) + payload
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc = (crc + 1) & 0xFFFFFFFF
    batch_length = 4 + 1 + 4 + len(after_crc)  # partitionLeaderEpoch + magic + crc + rest
    return struct.pack(">qiibI", base_offset, batch_length, partition_leader_epoch, MAGIC_V2, crc) + after_crc


@dataclass
class Batch:
    base_offset: int
    partition_leader_epoch: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int
    crc_ok: bool
    records: list[Record] | None  # None when the codec is not decodable here (snappy, lz4, zstd)

    @property
    def codec(self) -> str:
        return CODEC_NAMES.get(self.attributes & 0x7, f"unknown({self.attributes & 0x7})")

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & 0x20)

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1


def _decode_records(data: bytes, count: int, base_offset: int, base_ts: int) -> list[Record]:
    out = []
    off = 0

    def take_bytes(o):
        n, o = read_zigzag_varint(data, o)
        if n < 0:
            return None, o
        if o + n > len(data):
            raise ValueError("truncated record field")
        return data[o:o + n], o + n

    for _ in range(count):
        length, off = read_zigzag_varint(data, off)
        end = off + length
        off += 1  # attributes
        ts_delta, off = read_zigzag_varint(data, off)
        off_delta, off = read_zigzag_varint(data, off)
        key, off = take_bytes(off)
        value, off = take_bytes(off)
        nh, off = read_zigzag_varint(data, off)
        headers = []
        for _ in range(nh):
            hk, off = take_bytes(off)
            hv, off = take_bytes(off)
            headers.append((hk.decode(), hv))
        if off != end:
            raise ValueError(f"record length {length} does not match its fields")
        out.append(Record(key, value, headers, base_ts + ts_delta, base_offset + off_delta))
    return out


def decode_batches(data: bytes) -> list[Batch]:
    """Every complete batch in `data` (a Fetch response's records; a trailing partial batch is ignored, as
    clients do)."""
    batches = []
    off = 0
    while off + 12 <= len(data):
        base_offset, batch_length = struct.unpack_from(">qi", data, off)
        end = off + 12 + batch_length
        if end > len(data):
            break  # partial batch at the end of a fetch
        (ple, magic, crc, attrs, lod, base_ts, max_ts, pid, pepoch, bseq, count) = struct.unpack_from(
            ">ibIhiqqqhii", data, off + 12)
        if magic != MAGIC_V2:
            raise ValueError(f"magic {magic} at offset {off}")
        crc_ok = crc32c(data[off + ATTRIBUTES_OFFSET:end]) == crc
        payload = data[off + BATCH_HEADER_SIZE:end]
        codec = attrs & 0x7
        records = None
        if codec == 0:
            records = _decode_records(payload, count, base_offset, base_ts)
        elif codec == 1:
            records = _decode_records(gzip.decompress(payload), count, base_offset, base_ts)
        batches.append(Batch(base_offset, ple, attrs, lod, base_ts, max_ts, pid, pepoch, bseq, count, crc_ok,
                             records))
        off = end
    return batches
