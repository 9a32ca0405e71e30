"""Producer ids for idempotent producers: InitProducerId (api 22) over the raw protocol, and DescribeProducers
(api 61) through Kafka's own `kafka-transactions describe-producers`.

InitProducerId is sent at every advertised version (0-5; v0-1 classic encoding, v2+ flexible) without a
transactional id, as an idempotent producer does. Every answer must be a new producer id with epoch 0, ids
unique and increasing, and still increasing after the broker restarts (the controller commits each block of
ids before handing it out, so a restart never reuses one). COORDINATOR_LOAD_IN_PROGRESS (14) is retried, as
clients do: a broker answers it while it waits for its first block of ids.

Also validated against Apache Kafka 4.1.1 (GREGOR_INTEROP_TARGET=apache-kafka).
"""
from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import TARGET  # noqa: E402
from kafka_tools import run_kafka_tool  # noqa: E402
from kafka_wire import api_versions_v0, request_header_v1, roundtrip  # noqa: E402

API_INIT_PRODUCER_ID = 22
API_DESCRIBE_PRODUCERS = 61
NONE = 0
COORDINATOR_LOAD_IN_PROGRESS = 14
COORDINATOR_NOT_AVAILABLE = 15
INVALID_REQUEST = 42


def init_producer_id(bs_host: str, port: int, version: int, transactional_id: str | None = None,
                     producer_id: int = -1, producer_epoch: int = -1, corr: int = 7) -> tuple[int, int, int]:
    """One InitProducerId request; (error_code, producer_id, producer_epoch)."""
    flexible = version >= 2
    header = request_header_v1(API_INIT_PRODUCER_ID, version, corr, "gregor-pid-test")
    if flexible:
        header += b"\x00"  # request header v2: no tagged fields
        if transactional_id is None:
            body = b"\x00"  # compact nullable string: null
        else:
            raw = transactional_id.encode()
            body = bytes([len(raw) + 1]) + raw
    else:
        body = b"\xff\xff" if transactional_id is None else struct.pack(">h", len(transactional_id)) + \
            transactional_id.encode()
    body += struct.pack(">i", 60000)  # transaction_timeout_ms
    if version >= 3:
        body += struct.pack(">qh", producer_id, producer_epoch)
    if flexible:
        body += b"\x00"
    resp = roundtrip(bs_host, port, header + body)
    (got_corr,) = struct.unpack_from(">i", resp, 0)
    assert got_corr == corr
    off = 4 + (1 if flexible else 0)  # response header v1 carries tagged fields
    _throttle, err, pid, epoch = struct.unpack_from(">ihqh", resp, off)
    return err, pid, epoch


def new_producer_id(broker, version: int, **kw) -> tuple[int, int]:
    """InitProducerId until it is not COORDINATOR_LOAD_IN_PROGRESS; (producer_id, epoch)."""
    deadline = time.monotonic() + 60
    while True:
        err, pid, epoch = init_producer_id(broker.host, broker.port, version, **kw)
        if err != COORDINATOR_LOAD_IN_PROGRESS or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert err == NONE, f"InitProducerId v{version} failed with error {err}"
    return pid, epoch


def test_advertised_versions(broker):
    err, ranges = api_versions_v0(broker.host, broker.port)
    assert err == NONE
    by_key = {r.api_key: (r.min_version, r.max_version) for r in ranges}
    assert by_key.get(API_INIT_PRODUCER_ID) == (0, 5)
    assert by_key.get(API_DESCRIBE_PRODUCERS) == (0, 0)


def test_every_version_gets_a_new_increasing_id(broker):
    ids = []
    for version in range(0, 6):
        for _ in range(3):
            pid, epoch = new_producer_id(broker, version)
            assert pid >= 0
            assert epoch == 0
            ids.append(pid)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_old_id_and_epoch_without_transactional_id_get_a_fresh_id(broker):
    # Kafka's TransactionCoordinator: without a transactional id the old id and epoch are ignored.
    pid, _ = new_producer_id(broker, 4)
    again, epoch = new_producer_id(broker, 4, producer_id=pid, producer_epoch=0)
    assert again > pid
    assert epoch == 0


def test_producer_id_without_epoch_is_invalid(broker):
    err, pid, epoch = init_producer_id(broker.host, broker.port, 3, producer_id=5, producer_epoch=-1)
    assert (err, pid, epoch) == (INVALID_REQUEST, -1, -1)
    err, _, _ = init_producer_id(broker.host, broker.port, 5, producer_id=-1, producer_epoch=3)
    assert err == INVALID_REQUEST


def test_empty_transactional_id_is_invalid(broker):
    err, pid, _ = init_producer_id(broker.host, broker.port, 4, transactional_id="")
    assert (err, pid) == (INVALID_REQUEST, -1)


@pytest.mark.skipif(TARGET != "gregor", reason="Apache Kafka has a transaction coordinator")
def test_transactional_id_waits_for_a_coordinator(broker):
    # Transactions are not implemented yet: Gregor answers as Kafka does while __transaction_state is
    # unavailable (retriable; the producer's initTransactions() times out after max.block.ms).
    for version in (0, 2, 5):
        err, pid, epoch = init_producer_id(broker.host, broker.port, version, transactional_id="txn-1")
        assert (err, pid, epoch) == (COORDINATOR_NOT_AVAILABLE, -1, -1)


def test_ids_are_never_reused_after_a_restart(broker_factory):
    b = broker_factory()
    before = [new_producer_id(b, v)[0] for v in (0, 3, 5)]
    clean, how = b.stop()
    assert clean, how
    b.start()
    after = [new_producer_id(b, v)[0] for v in (0, 3, 5)]
    assert after == sorted(after)
    assert min(after) > max(before), f"ids before restart {before}, after {after}"


def test_describe_producers_with_kafka_transactions_tool(broker):
    bs = broker.bootstrap
    run_kafka_tool("kafka-topics", "--bootstrap-server", bs, "--create", "--topic", "pid-described",
                   "--partitions", "2", "--replication-factor", "1", timeout=90)
    r = run_kafka_tool("kafka-transactions", "--bootstrap-server", bs, "describe-producers",
                       "--topic", "pid-described", "--partition", "1", timeout=90)
    # No producer has written yet: the header line and no rows.
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines and lines[0].split()[:2] == ["ProducerId", "ProducerEpoch"], r.stdout
    assert len(lines) == 1, r.stdout


def describe_producers_errors(broker, topic: str, partitions: list[int]) -> list[tuple[int, int, int]]:
    """Raw DescribeProducers v0 (flexible); [(partition, error_code, active producer count)]."""
    name = topic.encode()
    body = request_header_v1(API_DESCRIBE_PRODUCERS, 0, 11, "gregor-pid-test") + b"\x00"
    body += b"\x02" + bytes([len(name) + 1]) + name + bytes([len(partitions) + 1])
    body += b"".join(struct.pack(">i", p) for p in partitions) + b"\x00" + b"\x00"
    resp = roundtrip(broker.host, broker.port, body)
    off = 4 + 1 + 4  # correlation id, header tags, throttle
    assert resp[off] == 2  # one topic
    off += 1
    off += resp[off]  # compact string: length + 1, then the name
    n = resp[off] - 1
    off += 1
    out = []
    for _ in range(n):
        part, err = struct.unpack_from(">ih", resp, off)
        off += 6
        msg_len = resp[off]
        off += 1 + max(msg_len - 1, 0)
        producers = resp[off] - 1
        assert producers == 0, "these tests never produce"
        off += 1 + 1  # empty array, partition tags
        out.append((part, err, producers))
    return out


def test_describe_producers_unknown_partitions(broker):
    run_kafka_tool("kafka-topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", "pid-raw",
                   "--partitions", "1", "--replication-factor", "1", timeout=90)
    assert describe_producers_errors(broker, "pid-raw", [0, 5]) == [(0, NONE, 0), (5, 3, 0)]
    assert describe_producers_errors(broker, "pid-no-such-topic", [0]) == [(0, 3, 0)]
