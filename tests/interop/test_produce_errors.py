"""Bad produce and fetch requests, built by hand (kafka_rpc.py, kafka_records.py) because no well-behaved client
sends them, and the exact error codes Apache Kafka 4.1 answers with:

  RecordBatch with a wrong CRC-32C                -> CORRUPT_MESSAGE (2), nothing appended
  batch larger than max.message.bytes             -> MESSAGE_TOO_LARGE (10), nothing appended
  topic that does not exist (auto-create off)     -> UNKNOWN_TOPIC_OR_PARTITION (3), and no topic appears
  partition that does not exist                   -> UNKNOWN_TOPIC_OR_PARTITION (3)
  fetch past the log end offset                   -> OFFSET_OUT_OF_RANGE (1); at the log end: no error, no records

After each refusal a good batch still lands at the offset the log had before. One broker for the module, with
auto.create.topics.enable=false.
"""
from __future__ import annotations

import pytest

from kafka_records import Record, encode_batch
from kafka_rpc import (CORRUPT_MESSAGE, LATEST, MESSAGE_TOO_LARGE, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION,
                       KafkaConnection, error_name)
from test_topics import metadata_v12

TOPIC = "errors"


@pytest.fixture(scope="module")
def strict(module_broker_factory):
    b = module_broker_factory({"auto.create.topics.enable": "false"})
    with KafkaConnection(b.host, b.port) as c:
        assert c.create_topic(TOPIC, 1) == 0
        assert c.create_topic("small", 1, {"max.message.bytes": "2000"}) == 0
    return b


@pytest.fixture
def conn(strict):
    with KafkaConnection(strict.host, strict.port) as c:
        yield c


def records(n: int, size: int = 20, tag: str = "r") -> list[Record]:
    return [Record(f"{tag}-{i}".encode(), (f"{tag}-{i}-" * size).encode()[:size], [("h", b"v")]) for i in range(n)]


def end_offset(c: KafkaConnection, topic: str) -> int:
    lo = c.list_offsets(topic, 0, LATEST)
    assert lo.error_code == 0, error_name(lo.error_code)
    return lo.offset


def assert_good_append(c: KafkaConnection, topic: str, expect_base: int, tag: str) -> None:
    """A valid batch after a refused one lands exactly at the old end, and reads back intact."""
    r = c.produce(topic, 0, encode_batch(records(3, tag=tag)))
    assert r.error_code == 0, f"good batch refused: {error_name(r.error_code)} {r.error_message}"
    assert r.base_offset == expect_base
    got = c.fetch_all(topic, 0, expect_base)
    assert [(x.offset, x.key) for x in got] == [(expect_base + i, f"{tag}-{i}".encode()) for i in range(3)]


def test_bad_crc_is_corrupt_message(conn):
    before = end_offset(conn, TOPIC)
    r = conn.produce(TOPIC, 0, encode_batch(records(5), corrupt_crc=True))
    assert r.error_code == CORRUPT_MESSAGE, f"got {error_name(r.error_code)} ({r.error_message})"
    assert end_offset(conn, TOPIC) == before, "a corrupt batch must not be appended"
    assert_good_append(conn, TOPIC, before, "after-crc")


def test_flipped_payload_byte_is_corrupt_message(conn):
    """The CRC covers the records too: a byte changed after the CRC was computed is caught."""
    before = end_offset(conn, TOPIC)
    batch = bytearray(encode_batch(records(5)))
    batch[-3] ^= 0x01
    r = conn.produce(TOPIC, 0, bytes(batch))
    assert r.error_code == CORRUPT_MESSAGE, f"got {error_name(r.error_code)} ({r.error_message})"
    assert end_offset(conn, TOPIC) == before


def test_batch_over_topic_max_message_bytes(conn):
    before = end_offset(conn, "small")
    big = encode_batch(records(10, size=400))  # ~4 KB > max.message.bytes=2000
    assert len(big) > 2000
    r = conn.produce("small", 0, big)
    assert r.error_code == MESSAGE_TOO_LARGE, f"got {error_name(r.error_code)} ({r.error_message})"
    assert end_offset(conn, "small") == before
    ok = encode_batch(records(3, size=100, tag="fits"))
    assert len(ok) < 2000
    assert_good_append(conn, "small", before, "fits")


def test_batch_over_default_max_message_bytes(conn):
    """Broker default message.max.bytes is 1048588 (1 MiB + 12)."""
    before = end_offset(conn, TOPIC)
    big = encode_batch([Record(b"big", b"x" * (1 << 20) + b"y" * 4096)])
    r = conn.produce(TOPIC, 0, big)
    assert r.error_code == MESSAGE_TOO_LARGE, f"got {error_name(r.error_code)} ({r.error_message})"
    assert end_offset(conn, TOPIC) == before


def test_unknown_topic_without_auto_create(strict, conn):
    r = conn.produce("no-such-topic", 0, encode_batch(records(1)))
    assert r.error_code == UNKNOWN_TOPIC_OR_PARTITION, error_name(r.error_code)
    md = metadata_v12(strict.host, strict.port, ["no-such-topic"], auto_create=True)
    assert md["no-such-topic"]["error"] == UNKNOWN_TOPIC_OR_PARTITION, \
        f"auto.create.topics.enable=false: Metadata must not create it either ({md})"


def test_unknown_partition(conn):
    r = conn.produce(TOPIC, 7, encode_batch(records(1)))
    assert r.error_code == UNKNOWN_TOPIC_OR_PARTITION, error_name(r.error_code)


def test_fetch_past_log_end_is_out_of_range(conn):
    assert conn.produce(TOPIC, 0, encode_batch(records(4, tag="f"))).error_code == 0
    end = end_offset(conn, TOPIC)
    at_end = conn.fetch(TOPIC, 0, end)
    assert at_end.error_code == 0 and at_end.high_watermark == end and not at_end.batches(), at_end
    past = conn.fetch(TOPIC, 0, end + 1)
    assert past.error_code == OFFSET_OUT_OF_RANGE, error_name(past.error_code)
    far = conn.fetch(TOPIC, 0, end + 1_000_000)
    assert far.error_code == OFFSET_OUT_OF_RANGE, error_name(far.error_code)
    unknown = conn.fetch("no-such-topic", 0, 0)
    assert unknown.error_code == UNKNOWN_TOPIC_OR_PARTITION, error_name(unknown.error_code)
