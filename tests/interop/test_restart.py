"""Durability across restarts, seen by real clients: every record a producer had acknowledged (acks=all) is read
back after a clean stop (SIGTERM) and after a crash (SIGKILL), exactly once and in order, and the log keeps
appending at the right offsets afterwards.

  1. confluent-kafka produces A (idempotent, acks=all)            -> SIGTERM, restart on the same log dir and port
  2. franz-go produces B                                          -> SIGKILL, restart
  3. confluent-kafka produces C while the broker is SIGKILLed under it, then restarted: the idempotent producer
     retries through the outage; the records it acknowledged are all there, once each, in order
  4. kcat produces D; kcat, franz-go and confluent-kafka read the whole partition back
"""
from __future__ import annotations

import threading
import time

from clients import (DataSet, canonical_line, checksum_of, confluent_consume, confluent_produce, franz_consume,
                     franz_produce, kcat_consume, kcat_produce)
from kafka_rpc import LATEST, KafkaConnection, error_name

TOPIC = "durable"


def end_offset(b, partition: int = 0) -> int:
    with KafkaConnection(b.host, b.port) as c:
        lo = c.list_offsets(TOPIC, partition, LATEST, retry_for=30)
    assert lo.error_code == 0, error_name(lo.error_code)
    return lo.offset


def lines(ds: DataSet) -> list[str]:
    return [canonical_line(k, v, h) for k, v, h in ds.records()]


def produce_through_crash(b, ds: DataSet, kill_after: int) -> list[int]:
    """confluent-kafka produces `ds` one record at a time in order (max.in.flight 5, idempotent); once `kill_after`
    records are acknowledged the broker is SIGKILLed and restarted. Returns the offsets acknowledged, in order."""
    from confluent_kafka import Producer
    acked: list[tuple[int, int]] = []  # (record index, offset)
    errors = []
    p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 2,
                  "batch.num.messages": 200, "message.timeout.ms": 120_000, "reconnect.backoff.max.ms": 500})

    def report(i):
        def cb(err, msg):
            if err is None:
                acked.append((i, msg.offset()))
            else:
                errors.append((i, err))
        return cb

    killed = threading.Event()
    at_kill = []

    def killer():
        while len(acked) < kill_after and not errors:
            time.sleep(0.005)
        b.kill()
        at_kill.append(len(acked))
        killed.set()
        t0 = time.monotonic()
        b.restart()
        print(f"killed with {at_kill[0]} of {ds.n} acknowledged; restarted in {time.monotonic() - t0:.1f}s")

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    for i, (k, v, h) in enumerate(ds.records()):
        while True:
            try:
                p.produce(TOPIC, key=k, value=v, headers=h, partition=0, on_delivery=report(i))
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        if i % 1000 == 999:
            p.poll(0.05)  # pace the data set so the kill lands mid-stream
    deadline = time.monotonic() + 150
    while t.is_alive() and time.monotonic() < deadline:
        p.poll(0.1)  # delivery reports (which the killer counts) are served only from poll()
    assert killed.is_set() and not t.is_alive(), f"the broker was not killed and restarted ({len(acked)} acked)"
    assert at_kill[0] < ds.n, "the kill came after the last acknowledgement: nothing was in flight"
    left = p.flush(120)
    assert left == 0 and not errors, f"{left} undelivered, errors {errors[:3]}"
    assert [i for i, _ in acked] == list(range(ds.n)), "acknowledgements out of order"
    return [o for _, o in acked]


def test_acknowledged_records_survive_sigterm_and_sigkill(broker_factory):
    b = broker_factory()
    with KafkaConnection(b.host, b.port) as c:
        assert c.create_topic(TOPIC, 1) == 0
    a, bb, cc, d = (DataSet("confluent", 20_000), DataSet("franz-go", 20_000), DataSet("confluent", 20_000, 20_000),
                    DataSet("kcat", 5_000))

    t0 = time.monotonic()
    confluent_produce(b.bootstrap, TOPIC, 0, a, "lz4")
    assert end_offset(b) == a.n
    clean, how = b.stop()
    assert clean, f"SIGTERM: {how}"
    b.restart()
    print(f"A produced, SIGTERM and restart: {time.monotonic() - t0:.1f}s")
    assert end_offset(b) == a.n, "after a clean restart the log ends where it ended"

    franz_produce(b.bootstrap, TOPIC, 0, bb, "zstd")
    assert end_offset(b) == a.n + bb.n
    b.kill()
    b.restart()
    assert end_offset(b) == a.n + bb.n, "acknowledged records lost (or extra records) after SIGKILL"

    print(f"B produced, SIGKILL and restart: {time.monotonic() - t0:.1f}s")
    offsets = produce_through_crash(b, cc, kill_after=5_000)
    first = a.n + bb.n
    assert offsets == list(range(first, first + cc.n)), \
        "acknowledged records of the crash run are not at consecutive offsets (lost, duplicated or reordered)"

    print(f"C produced through a SIGKILL: {time.monotonic() - t0:.1f}s")
    kcat_produce(b.bootstrap, TOPIC, 0, d, "gzip")
    total = a.n + bb.n + cc.n + d.n
    assert end_offset(b) == total, f"end offset {end_offset(b)}, expected {total}: records duplicated or lost"

    expected = checksum_of(lines(a) + lines(bb) + lines(cc) + lines(d))
    assert kcat_consume(b.bootstrap, TOPIC, 0, total, timeout=90) == expected
    assert franz_consume(b.bootstrap, TOPIC, 0, total) == expected
    assert confluent_consume(b.bootstrap, TOPIC, 0, total) == expected
