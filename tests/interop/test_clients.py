"""Every real client library against the broker: each producer writes the data set (clients.py) to its own partition
of one topic, idempotent, each with a different codec; every consumer (explicit partition assignment, no group)
reads every producer's partition and must see exactly the records produced, keys, values and headers, in order.

  producers  confluent-kafka-python 2.16.1, franz-go v1.22.3, kafkajs 2.2.4, kcat 1.7.1 (librdkafka 2.0.2)
  consumers  confluent-kafka-python, franz-go, kcat (kafkajs's consumer always joins a group: producer only)
"""
from __future__ import annotations

import pytest

from clients import CONSUMERS, PRODUCERS, DataSet
from kafka_rpc import LATEST, KafkaConnection, error_name

TOPIC = "matrix"
N = 20_000
# producer -> (partition, codec); kafkajs ships only gzip, kcat's -z takes librdkafka's codecs.
PLAN = {"confluent": (0, "zstd"), "franz-go": (1, "lz4"), "kafkajs": (2, "gzip"), "kcat": (3, "snappy")}


@pytest.fixture(scope="module")
def produced(broker):
    """Runs each producer once (on first use) and remembers the outcome, so one failing producer fails its own
    tests only."""
    with KafkaConnection(broker.host, broker.port) as c:
        err = c.create_topic(TOPIC, len(PLAN))
    assert err == 0, f"CreateTopics {TOPIC}: {error_name(err)}"
    done: dict[str, DataSet | BaseException] = {}

    def get(name: str) -> DataSet:
        if name not in done:
            partition, codec = PLAN[name]
            ds = DataSet(name, N)
            try:
                PRODUCERS[name](broker.bootstrap, TOPIC, partition, ds, codec)
                done[name] = ds
            except BaseException as e:  # noqa: BLE001 - re-raised for every test that needs this producer
                done[name] = e
        if isinstance(done[name], BaseException):
            raise AssertionError(f"producer {name} failed") from done[name]
        return done[name]

    return get


@pytest.mark.parametrize("producer", list(PLAN))
def test_produce(broker, produced, producer):
    produced(producer)
    partition, codec = PLAN[producer]
    with KafkaConnection(broker.host, broker.port) as c:
        lo = c.list_offsets(TOPIC, partition, LATEST)
        assert lo.error_code == 0 and lo.offset == N, f"{error_name(lo.error_code)}, end offset {lo.offset}"
        f = c.fetch(TOPIC, partition, 0, max_bytes=128 * 1024)
    assert f.error_code == 0, error_name(f.error_code)
    batches = f.batches()
    assert batches, "no batch at offset 0"
    for b in batches:
        assert b.crc_ok and b.codec == codec, (b.base_offset, b.codec)
        assert b.producer_id >= 0 and b.base_sequence == b.base_offset, \
            f"{producer} is idempotent: batch at {b.base_offset} has pid {b.producer_id} seq {b.base_sequence}"


@pytest.mark.parametrize("consumer", list(CONSUMERS))
@pytest.mark.parametrize("producer", list(PLAN))
def test_consume(broker, produced, producer, consumer):
    ds = produced(producer)
    partition, _ = PLAN[producer]
    got = CONSUMERS[consumer](broker.bootstrap, TOPIC, partition, N)
    assert got == ds.checksum(), f"{consumer} read {got.count} records of {producer}'s {N}, checksum differs"
