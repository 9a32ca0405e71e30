"""The log-admin APIs with real tools and raw requests:

  kafka-log-dirs --describe          -> DescribeLogDirs: the log dir, each partition and its size on disk
  OffsetForLeaderEpoch v4 (raw)      -> the end offset of the leader epoch a consumer asks about, UNKNOWN_TOPIC_OR_PARTITION
                                        for a partition that does not exist, UNKNOWN_LEADER_EPOCH for a
                                        current_leader_epoch ahead of the leader's

Also run against Apache Kafka (GREGOR_INTEROP_TARGET=apache-kafka).
"""
from __future__ import annotations

import json
import struct
import time

from kafka_records import Record, encode_batch
from kafka_rpc import TAGS, KafkaConnection, carray, cstr, error_name
from kafka_tools import run_kafka_tool

TOPIC = "logadmin"
UNKNOWN_LEADER_EPOCH = 75
UNKNOWN_TOPIC_OR_PARTITION = 3


def produce(c: KafkaConnection, partition: int, n: int) -> None:
    """Retries while a new partition's leader settles (Apache Kafka answers NOT_LEADER_OR_FOLLOWER briefly)."""
    batch = encode_batch([Record(b"k%d" % i, b"v" * 100) for i in range(n)])
    deadline = time.monotonic() + 20
    while True:
        r = c.produce(TOPIC, partition, batch, acks=-1)
        if r.error_code not in (5, 6) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.error_code == 0, error_name(r.error_code)


def offset_for_leader_epoch(c: KafkaConnection, partition: int, leader_epoch: int,
                            current_leader_epoch: int = -1) -> tuple[int, int, int]:
    part = struct.pack(">iii", partition, current_leader_epoch, leader_epoch) + TAGS
    body = struct.pack(">i", -2) + carray([cstr(TOPIC) + carray([part]) + TAGS]) + TAGS
    r = c.call(23, 4, body)
    r.i32()  # throttle
    assert r.carray_len() == 1
    r.cstr()
    assert r.carray_len() == 1
    err, _, epoch, end = r.i16(), r.i32(), r.i32(), r.i64()
    return err, epoch, end


def test_log_dirs_describe(broker):
    with KafkaConnection(broker.host, broker.port) as c:
        assert c.create_topic(TOPIC, 2) == 0
        produce(c, 0, 50)
    out = run_kafka_tool("kafka-log-dirs", "--bootstrap-server", broker.bootstrap, "--describe",
                         "--topic-list", TOPIC)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("{"))
    desc = json.loads(line)
    (b,) = desc["brokers"]
    assert b["broker"] == broker.node_id
    (d,) = b["logDirs"]
    assert d["error"] is None, d
    sizes = {p["partition"]: p["size"] for p in d["partitions"]}
    assert set(sizes) == {f"{TOPIC}-0", f"{TOPIC}-1"}, sizes
    assert sizes[f"{TOPIC}-0"] > 50 * 100 and sizes[f"{TOPIC}-1"] == 0, sizes


def test_offset_for_leader_epoch(broker):
    with KafkaConnection(broker.host, broker.port) as c:
        c.create_topic(TOPIC, 2)
        produce(c, 1, 10)
        produce(c, 1, 5)
        end = c.list_offsets(TOPIC, 1, -1)
        assert (end.error_code, end.offset) == (0, 15)
        # A new topic's partitions start at leader epoch 0: its end is the log end.
        assert offset_for_leader_epoch(c, 1, 0) == (0, 0, 15)
        # A current leader epoch newer than the leader's is unknown to it (KIP-320).
        err, _, _ = offset_for_leader_epoch(c, 1, 0, current_leader_epoch=5)
        assert err == UNKNOWN_LEADER_EPOCH, error_name(err)
        # A partition the topic does not have.
        err, _, _ = offset_for_leader_epoch(c, 7, 0)
        assert err == UNKNOWN_TOPIC_OR_PARTITION, error_name(err)
