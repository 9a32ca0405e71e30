"""Produce, Fetch, ListOffsets and DeleteRecords as Apache Kafka 4.1.1's own tools use them.

* kafka-console-producer -> kafka-console-consumer --partition 0 (explicit assignment, no group): 100,000 keyed
  records with headers per codec (none, gzip, snappy, lz4, zstd); the consumer's checksum must equal the input's,
  and a raw Fetch shows the stored batches keep the producer's codec and producer id (idempotence).
* kafka-get-offsets: earliest, latest, max-timestamp and by timestamp (records with known CreateTimes).
* kafka-delete-records: the log start offset moves, get-offsets and consumers see it, older offsets are out of
  range, deleting past the high watermark is OFFSET_OUT_OF_RANGE.
* kafka-producer-perf-test with acks=all enable.idempotence=true: every record sent, no error.

One broker for the module (GREGOR_INTEROP_TARGET=apache-kafka runs the same against Apache Kafka 4.1.1).
"""
from __future__ import annotations

import json
import re
import time

import pytest

from clients import DataSet, confluent_produce, console_consume, console_produce, kcat_consume, kcat_produce
from kafka_rpc import EARLIEST, LATEST, OFFSET_OUT_OF_RANGE, KafkaConnection, error_name
from kafka_tools import run_kafka_tool

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
CONSOLE_RECORDS = 100_000


def create_topic(b, name: str, partitions: int = 1, configs: dict | None = None) -> None:
    with KafkaConnection(b.host, b.port) as c:
        err = c.create_topic(name, partitions, configs)
    assert err == 0, f"CreateTopics {name}: {error_name(err)}"


def latest(b, topic: str, partition: int = 0) -> int:
    with KafkaConnection(b.host, b.port) as c:
        r = c.list_offsets(topic, partition, LATEST)
    assert r.error_code == 0, error_name(r.error_code)
    return r.offset


def get_offsets(bs: str, topic: str, time_spec: str) -> dict[int, int]:
    """kafka-get-offsets output "topic:partition:offset" lines -> {partition: offset}."""
    r = run_kafka_tool("kafka-get-offsets", "--bootstrap-server", bs, "--topic", topic, "--time", time_spec)
    out = {}
    for line in r.stdout.splitlines():
        t, p, o = line.rsplit(":", 2)
        assert t == topic, r.describe()
        out[int(p)] = int(o)
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_console_producer_to_console_consumer(broker, codec):
    topic = f"console-{codec}"
    create_topic(broker, topic)
    ds = DataSet("console", CONSOLE_RECORDS)
    console_produce(broker.bootstrap, topic, ds, compression=codec)
    assert latest(broker, topic) == CONSOLE_RECORDS

    got = console_consume(broker.bootstrap, topic, 0, CONSOLE_RECORDS, offset="earliest")
    assert got == ds.checksum(), "records read back differ from the records produced (keys, values or headers)"

    # The broker keeps the producer's batches (topic compression.type=producer): codec and producer id intact.
    with KafkaConnection(broker.host, broker.port) as c:
        f = c.fetch(topic, 0, 0, max_bytes=256 * 1024)
    assert f.error_code == 0 and f.high_watermark == CONSOLE_RECORDS, f
    batches = f.batches()
    assert batches and batches[0].base_offset == 0
    for bt in batches:
        assert bt.crc_ok, f"batch at {bt.base_offset}: CRC-32C mismatch"
        assert bt.codec == codec, f"batch at {bt.base_offset} stored as {bt.codec}, produced as {codec}"
        assert bt.producer_id >= 0 and bt.producer_epoch >= 0, "idempotent batches carry a producer id"
    seqs = [bt.base_sequence for bt in batches]
    assert seqs[0] == 0 and all(s == bt.base_offset for s, bt in zip(seqs, batches)), \
        f"one producer from offset 0: sequence numbers follow offsets ({seqs[:5]}...)"


def test_get_offsets_earliest_latest_and_by_time(broker):
    topic = "get-offsets"
    create_topic(broker, topic, partitions=2)
    t0 = int(time.time() * 1000) - 3_600_000  # an hour ago, 1 s apart: lookups by time are exact
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True, "linger.ms": 0})
    for i in range(10):
        p.produce(topic, key=f"k{i}", value=f"p0-{i}", partition=0, timestamp=t0 + i * 1000)
    for i in range(5):
        p.produce(topic, key=f"k{i}", value=f"p1-{i}", partition=1, timestamp=t0 + 20_000 + i * 1000)
    assert p.flush(30) == 0
    bs = broker.bootstrap
    assert get_offsets(bs, topic, "earliest") == {0: 0, 1: 0}
    assert get_offsets(bs, topic, "latest") == {0: 10, 1: 5}
    assert get_offsets(bs, topic, "max-timestamp") == {0: 9, 1: 4}
    # by time: the first offset whose timestamp is >= the given time
    assert get_offsets(bs, topic, str(t0 + 3500)) == {0: 4, 1: 0}
    assert get_offsets(bs, topic, str(t0 + 9000)) == {0: 9, 1: 0}
    assert get_offsets(bs, topic, str(t0 + 22_000)) == {1: 2}, "no partition-0 record is that late: no line"
    assert get_offsets(bs, topic, str(t0 + 60_000)) == {}


def test_delete_records_moves_log_start(broker, tmp_path):
    topic = "delete-records"
    create_topic(broker, topic)
    bs = broker.bootstrap
    kcat_produce(bs, topic, 0, DataSet("kcat", 1000))
    spec = tmp_path / "offsets.json"
    spec.write_text(json.dumps({"version": 1, "partitions": [{"topic": topic, "partition": 0, "offset": 400}]}))
    r = run_kafka_tool("kafka-delete-records", "--bootstrap-server", bs, "--offset-json-file", str(spec))
    assert re.search(rf"partition: {topic}-0\s+low_watermark: 400\b", r.stdout), r.describe()

    assert get_offsets(bs, topic, "earliest") == {0: 400}
    assert get_offsets(bs, topic, "latest") == {0: 1000}
    # A consumer starting at the beginning now starts at 400.
    assert kcat_consume(bs, topic, 0, 600) == DataSet("kcat", 600, start=400).checksum()
    with KafkaConnection(broker.host, broker.port) as c:
        f = c.fetch(topic, 0, 100)
        assert f.error_code == OFFSET_OUT_OF_RANGE, f"fetch below the log start: {error_name(f.error_code)}"
        f = c.fetch(topic, 0, 400)
        assert f.error_code == 0 and f.log_start_offset == 400, f
        assert f.batches()[0].records is not None

    # Deleting past the high watermark is refused.
    spec.write_text(json.dumps({"version": 1, "partitions": [{"topic": topic, "partition": 0, "offset": 5000}]}))
    r = run_kafka_tool("kafka-delete-records", "--bootstrap-server", bs, "--offset-json-file", str(spec))
    assert "OffsetOutOfRangeException" in r.stdout, r.describe()
    assert get_offsets(bs, topic, "earliest") == {0: 400}


def test_producer_perf_test_idempotent(broker):
    topic = "perf"
    create_topic(broker, topic, partitions=2)
    n = 50_000
    r = run_kafka_tool("kafka-producer-perf-test", "--topic", topic, "--num-records", str(n), "--record-size", "100",
                       "--throughput", "-1", "--producer-props", f"bootstrap.servers={broker.bootstrap}", "acks=all",
                       "enable.idempotence=true", "linger.ms=5", timeout=120)
    summary = r.stdout.strip().splitlines()[-1]
    assert re.match(rf"^{n} records sent, [\d.]+ records/sec", summary), r.describe()
    assert "ERROR" not in r.stderr and "Exception" not in r.stderr, r.describe()
    assert latest(broker, topic, 0) + latest(broker, topic, 1) == n
