"""Consumer groups (classic protocol) with real clients: Kafka 4.1.1's kafka-console-consumer --group and
kafka-consumer-groups (--list, --describe with lag, --reset-offsets, --delete-offsets, --delete), confluent-kafka
consumers and Java KafkaConsumers (range and cooperative-sticky; tests/interop/java GroupConsumers) sharing a
topic's partitions in one group, committed offsets surviving a restart, and Kafka's offsets formatter reading
__consumer_offsets.

Every case holds on a single Apache Kafka 4.1 node too: GREGOR_INTEROP_TARGET=apache-kafka.
"""
from __future__ import annotations

import json
import shutil
import struct
import threading
import time

import pytest

from clients import NODE_DIR, Checksum, DataSet, _go_client, canonical_line, checksum_of, console_produce
from kafka_rpc import KafkaConnection, carray, cbytes, cstr, error_name
from kafka_tools import run_command, run_kafka_tool, run_tool

# A short initial delay keeps the tests quick; consumers started together still land in one generation.
OVERRIDES = {"group.initial.rebalance.delay.ms": "500", "offsets.topic.replication.factor": "1"}


@pytest.fixture(scope="module")
def gbroker(module_broker_factory):
    return module_broker_factory(OVERRIDES)


def unordered(ds: DataSet):
    """A data set's checksum regardless of order: a group reads its partitions interleaved."""
    return checksum_of(sorted(canonical_line(k, v, h) for k, v, h in ds.records()))


def create_topic(bs: str, topic: str, partitions: int) -> None:
    run_kafka_tool("kafka-topics", "--bootstrap-server", bs, "--create", "--topic", topic,
                   "--partitions", str(partitions), "--replication-factor", "1", timeout=90)


def groups_tool(bs: str, *args, check: bool = True):
    return run_kafka_tool("kafka-consumer-groups", "--bootstrap-server", bs, *args, check=check, timeout=90)


def group_consume(bs: str, topic: str, group: str, n: int, timeout_ms: int = 20000):
    r = run_kafka_tool("kafka-console-consumer", "--bootstrap-server", bs, "--topic", topic, "--group", group,
                       "--from-beginning", "--max-messages", str(n), "--timeout-ms", str(timeout_ms),
                       "--property", "print.key=true", "--property", "print.headers=true",
                       timeout=120, check=False)
    lines = []
    for out in r.stdout.splitlines():
        hdrs, key, value = out.split("\t", 2)
        headers = [] if hdrs == "NO_HEADERS" else [tuple(h.split(":", 1)) for h in hdrs.split(",")]
        lines.append(canonical_line(key, value, headers))
    return lines, r


def describe_rows(bs: str, group: str) -> dict[tuple[str, int], dict]:
    """kafka-consumer-groups --describe: (topic, partition) -> the row's columns."""
    r = groups_tool(bs, "--describe", "--group", group)
    rows = {}
    header = None
    for line in r.stdout.splitlines():
        cols = line.split()
        if not cols:
            continue
        if cols[0] == "GROUP":
            header = cols
            continue
        if header and len(cols) >= len(header) - 0 and cols[0] == group:
            row = dict(zip(header, cols))
            rows[(row["TOPIC"], int(row["PARTITION"]))] = row
    return rows


def test_console_consumer_group_commits_and_tools_show_lag(gbroker):
    bs = gbroker.bootstrap
    create_topic(bs, "g-console", 3)
    ds = DataSet("console", 300)
    console_produce(bs, "g-console", ds)

    lines, r = group_consume(bs, "g-console", "g1", ds.n)
    assert checksum_of(sorted(lines)) == unordered(ds), r.describe()[-3000:]
    # The group committed what it read: a second run of the same group reads nothing.
    again, r2 = group_consume(bs, "g-console", "g1", 1, timeout_ms=6000)
    assert again == [], r2.describe()[-3000:]

    assert "g1" in groups_tool(bs, "--list").stdout.split()
    rows = describe_rows(bs, "g1")
    assert sorted(rows) == [("g-console", p) for p in range(3)], rows
    assert sum(int(row["CURRENT-OFFSET"]) for row in rows.values()) == ds.n
    assert all(row["LAG"] == "0" for row in rows.values()), rows

    # More records: the group's next run reads exactly those.
    more = DataSet("console-more", 50, start=1000)
    console_produce(bs, "g-console", more)
    lines, r = group_consume(bs, "g-console", "g1", more.n)
    assert checksum_of(sorted(lines)) == unordered(more), r.describe()[-3000:]


def test_reset_delete_offsets_and_delete_group(gbroker):
    bs = gbroker.bootstrap
    create_topic(bs, "g-admin", 2)
    ds = DataSet("admin", 100)
    console_produce(bs, "g-admin", ds)
    lines, _ = group_consume(bs, "g-admin", "g2", ds.n)
    assert len(lines) == ds.n

    # --reset-offsets commits without a member (a "simple" commit to an empty group).
    r = groups_tool(bs, "--reset-offsets", "--group", "g2", "--topic", "g-admin", "--to-earliest", "--execute")
    assert "g-admin" in r.stdout, r.describe()
    rows = describe_rows(bs, "g2")
    assert all(row["CURRENT-OFFSET"] == "0" for row in rows.values()), rows
    lines, r = group_consume(bs, "g-admin", "g2", ds.n)
    assert checksum_of(sorted(lines)) == unordered(ds), r.describe()[-3000:]

    r = groups_tool(bs, "--delete-offsets", "--group", "g2", "--topic", "g-admin:0")
    assert "Successful" in r.stdout or "successful" in r.stdout, r.describe()
    rows = describe_rows(bs, "g2")
    # An empty group describes only the partitions it has offsets for.
    assert sorted(rows) == [("g-admin", 1)], rows

    r = groups_tool(bs, "--delete", "--group", "g2")
    assert "successful" in r.stdout.lower(), r.describe()
    assert "g2" not in groups_tool(bs, "--list").stdout.split()


def test_confluent_consumers_share_partitions(gbroker):
    from confluent_kafka import Consumer, KafkaError

    bs = gbroker.bootstrap
    topic = "g-shared"
    create_topic(bs, topic, 6)
    ds = DataSet("shared", 1200)
    console_produce(bs, topic, ds)

    seen: list[str] = []
    lock = threading.Lock()
    assigned: dict[int, set] = {}
    errors: list = []
    stop = threading.Event()

    def run(idx: int):
        c = Consumer({"bootstrap.servers": bs, "group.id": "g3", "auto.offset.reset": "earliest",
                      "enable.auto.commit": False, "session.timeout.ms": 10000,
                      "heartbeat.interval.ms": 1000})

        def on_assign(consumer, parts):
            assigned.setdefault(idx, set()).update(p.partition for p in parts)

        def on_revoke(consumer, parts):
            # Commit what was read before the partitions move, so no record is read twice.
            try:
                consumer.commit(asynchronous=False)
            except Exception as e:  # noqa: BLE001 - nothing read yet is fine
                if e.args and e.args[0].code() != KafkaError._NO_OFFSET:
                    errors.append(e)

        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
        try:
            while not stop.is_set():
                for m in c.consume(num_messages=100, timeout=0.5):
                    if m.error():
                        errors.append(m.error())
                        continue
                    headers = [(k, (v or b"").decode()) for k, v in (m.headers() or [])]
                    with lock:
                        seen.append(canonical_line((m.key() or b"").decode(), (m.value() or b"").decode(),
                                                   headers))
        finally:
            try:
                c.commit(asynchronous=False)
            except Exception:  # noqa: BLE001 - nothing consumed since the last commit
                pass
            c.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with lock:
            if len(seen) >= ds.n and len(assigned) == 2:
                break
        time.sleep(0.2)
    time.sleep(1.0)  # a duplicate would show up now
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert len(assigned) == 2, f"both consumers got partitions: {assigned}"
    assert len(seen) == ds.n, f"read {len(seen)} records, produced {ds.n}"
    assert checksum_of(sorted(seen)) == unordered(ds)
    rows = describe_rows(bs, "g3")
    assert sum(int(row["CURRENT-OFFSET"]) for row in rows.values()) == ds.n, rows


@pytest.mark.parametrize("assignor", ["range", "cooperative-sticky"])
def test_java_consumers_share_partitions(gbroker, assignor):
    """Three KafkaConsumers joining one after another (each arrival rebalances the group: eager revokes
    everything, cooperative only what moves) read every record of a 12-partition topic exactly once."""
    bs = gbroker.bootstrap
    topic = f"g-java-{assignor}"
    group = f"g-java-{assignor}"
    create_topic(bs, topic, 12)
    ds = DataSet("java", 3000)
    console_produce(bs, topic, ds)
    r = run_tool("io.gregor.interop.GroupConsumers", bs, topic, group, 3, assignor, ds.n, 1500, 90000,
                 timeout=150)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["errors"] == 0, r.describe()[-4000:]
    assert out["assignedConsumers"] == 3, out
    assert out["distinct"] == ds.n, out
    assert out["records"] == ds.n, f"records read twice: {out}"
    rows = describe_rows(bs, group)
    assert len(rows) == 12, rows
    assert sum(int(row["CURRENT-OFFSET"]) for row in rows.values()) == ds.n, rows
    assert all(row["LAG"] == "0" for row in rows.values()), rows


def test_committed_offsets_survive_a_restart(broker_factory):
    """Offsets and groups are kept in __consumer_offsets: after a restart the group resumes where it was."""
    b = broker_factory(OVERRIDES)
    bs = b.bootstrap
    create_topic(bs, "g-restart", 3)
    ds = DataSet("restart", 200)
    console_produce(bs, "g-restart", ds)
    lines, r = group_consume(bs, "g-restart", "g4", ds.n)
    assert checksum_of(sorted(lines)) == unordered(ds), r.describe()[-3000:]
    before = describe_rows(bs, "g4")

    clean, how = b.stop()
    assert clean, how
    b.restart()
    bs = b.bootstrap
    assert "g4" in groups_tool(bs, "--list").stdout.split()
    after = describe_rows(bs, "g4")
    assert {k: v["CURRENT-OFFSET"] for k, v in after.items()} == \
        {k: v["CURRENT-OFFSET"] for k, v in before.items()}, (before, after)
    assert all(row["LAG"] == "0" for row in after.values()), after
    again, r2 = group_consume(bs, "g-restart", "g4", 1, timeout_ms=6000)
    assert again == [], r2.describe()[-3000:]


def test_offsets_formatter_reads_consumer_offsets(gbroker):
    """__consumer_offsets holds Kafka's record formats: Kafka's own offsets formatter decodes them."""
    bs = gbroker.bootstrap
    create_topic(bs, "g-format", 1)
    ds = DataSet("format", 20)
    console_produce(bs, "g-format", ds)
    lines, _ = group_consume(bs, "g-format", "g5", ds.n)
    assert len(lines) == ds.n
    r = run_kafka_tool("kafka-console-consumer", "--bootstrap-server", bs, "--topic", "__consumer_offsets",
                       "--from-beginning", "--timeout-ms", "8000",
                       "--formatter", "org.apache.kafka.tools.consumer.OffsetsMessageFormatter",
                       "--consumer-property", "exclude.internal.topics=false",
                       timeout=90, check=False)
    # One JSON object per offset commit; they are read from the stream, as the formatter's line breaks do not
    # always separate them (it skips the group metadata records).
    decoder, text, pos, objects = json.JSONDecoder(), r.stdout, 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = decoder.raw_decode(text, pos)
        objects.append(obj)
    commits = [o for o in objects if o["key"]["data"].get("group") == "g5"]
    assert commits, r.describe()[-3000:]
    last = commits[-1]
    assert last["key"]["data"]["topic"] == "g-format", last
    assert last["value"]["data"]["offset"] == ds.n, last


def franz_group_consume(bs: str, topic: str, group: str, n: int, timeout_s: int) -> Checksum:
    r = run_command([_go_client(), "group-consume", "-brokers", bs, "-topic", topic, "-group", group,
                     "-n", str(n), "-timeout", f"{timeout_s}s"], timeout=timeout_s + 60)
    out = json.loads(r.stdout)
    return Checksum(out["count"], out["sha256"])


def test_franz_go_group_commits(gbroker):
    bs = gbroker.bootstrap
    create_topic(bs, "g-franz", 3)
    ds = DataSet("franz", 300)
    console_produce(bs, "g-franz", ds)
    assert franz_group_consume(bs, "g-franz", "g6", ds.n, 60) == unordered(ds)
    # The commit holds: the group's next member starts past everything.
    assert franz_group_consume(bs, "g-franz", "g6", 1, 8).count == 0
    rows = describe_rows(bs, "g6")
    assert all(row["LAG"] == "0" for row in rows.values()) and len(rows) == 3, rows


def kafkajs_group_consume(bs: str, topic: str, group: str, n: int, timeout_s: int) -> Checksum:
    node = shutil.which("node")
    assert node and (NODE_DIR / "node_modules" / "kafkajs").is_dir(), "node or kafkajs missing: scripts/setup-clients"
    r = run_command([node, NODE_DIR / "group-consume.js", "--brokers", bs, "--topic", topic, "--group", group,
                     "--n", n, "--timeout", timeout_s * 1000], timeout=timeout_s + 60, cwd=NODE_DIR)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return Checksum(out["count"], out["sha256"])


def test_kafkajs_group_commits(gbroker):
    bs = gbroker.bootstrap
    create_topic(bs, "g-kafkajs", 3)
    ds = DataSet("kafkajs", 300)
    console_produce(bs, "g-kafkajs", ds)
    assert kafkajs_group_consume(bs, "g-kafkajs", "g7", ds.n, 60) == unordered(ds)
    assert kafkajs_group_consume(bs, "g-kafkajs", "g7", 1, 8).count == 0
    rows = describe_rows(bs, "g7")
    assert all(row["LAG"] == "0" for row in rows.values()) and len(rows) == 3, rows


UNKNOWN_MEMBER_ID, INVALID_SESSION_TIMEOUT, MEMBER_ID_REQUIRED = 25, 26, 79


def find_coordinators(c: KafkaConnection, keys: list[str]) -> list[tuple]:
    """FindCoordinator v4 (batched keys, GROUP): [(key, node_id, host, port, error)]."""
    r = c.call(10, 4, b"\x00" + carray([cstr(k) for k in keys]) + b"\x00")
    r.i32()  # throttle
    out = []
    for _ in range(r.carray_len()):
        key, node, host, port, err = r.cstr(), r.i32(), r.cstr(), r.i32(), r.i16()
        r.cstr()
        r.tags()
        out.append((key, node, host, port, err))
    return out


def join_group_v6(c: KafkaConnection, group: str, member_id: str, session_ms: int = 10000) -> tuple:
    """JoinGroup v6: (error, generation, member_id)."""
    protocol = cstr("range") + cbytes(b"\x00\x00") + b"\x00"
    body = (cstr(group) + struct.pack(">ii", session_ms, 10000) + cstr(member_id) + cstr(None) + cstr("consumer")
            + carray([protocol]) + b"\x00")
    r = c.call(11, 6, body)
    r.i32()
    err, generation = r.i16(), r.i32()
    r.cstr()  # protocol name
    r.cstr()  # leader
    return err, generation, r.cstr()


def test_raw_find_coordinator_and_member_id_required(gbroker):
    with KafkaConnection(gbroker.host, gbroker.port) as c:
        deadline = time.monotonic() + 30
        while True:  # COORDINATOR_NOT_AVAILABLE until __consumer_offsets exists
            found = find_coordinators(c, ["raw-a", "raw-b"])
            if all(f[4] == 0 for f in found) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert [f[0] for f in found] == ["raw-a", "raw-b"], found
        assert all(f[4] == 0 and f[1] == gbroker.node_id and f[3] == gbroker.port for f in found), found

        err, _, member = join_group_v6(c, "raw-a", "", session_ms=1)
        assert err == INVALID_SESSION_TIMEOUT, error_name(err)
        err, _, member = join_group_v6(c, "raw-a", "")
        assert err == MEMBER_ID_REQUIRED and member, (error_name(err), member)
        err, generation, joined = join_group_v6(c, "raw-a", member)
        assert (err, generation, joined) == (0, 1, member)
        err, _, _ = join_group_v6(c, "raw-a", "not-a-member")
        assert err == UNKNOWN_MEMBER_ID, error_name(err)
