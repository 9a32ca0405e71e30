"""Topics through the controller, as real clients see them: Apache Kafka 4.1.1's kafka-topics (CreateTopics,
DeleteTopics, Metadata) and kcat (Metadata v4 via librdkafka).

Every case holds on a single Apache Kafka 4.1 node too: GREGOR_INTEROP_TARGET=apache-kafka.
"""
from __future__ import annotations

import base64
import json
import struct
import time

from kafka_tools import kcat, run_kafka_tool
from kafka_wire import request_header_v1, roundtrip


def topics(bs, *args, check=True, timeout=90):
    return run_kafka_tool("kafka-topics", "--bootstrap-server", bs, *args, check=check, timeout=timeout)


def listed(bs) -> set[str]:
    return {line.strip() for line in topics(bs, "--list").stdout.splitlines() if line.strip()}


def kcat_metadata(bs) -> dict:
    r = kcat("-L", "-J", "-b", bs, "-m", "10", timeout=30)
    return json.loads(r.stdout)


class _Buf:
    def __init__(self, data: bytes, off: int = 0):
        self.d, self.o = data, off

    def take(self, fmt: str):
        v = struct.unpack_from(fmt, self.d, self.o)
        self.o += struct.calcsize(fmt)
        return v[0]

    def uvarint(self) -> int:
        shift = n = 0
        while True:
            b = self.d[self.o]
            self.o += 1
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def cstr(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        s = self.d[self.o:self.o + n].decode()
        self.o += n
        return s

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.o += self.uvarint()

    def int32s(self):
        return [self.take(">i") for _ in range(self.uvarint() - 1)]


def metadata_v12(host: str, port: int, names: list[str] | None, auto_create: bool = False) -> dict:
    """Metadata v12 (topic ids; kcat's librdkafka 2.0.2 stops at v4, so it never sees ids).
    Returns {name: {"id": base64url id, "error": code, "partitions": {index: (leader, replicas, isr)}}}."""
    corr = 0x4754
    body = request_header_v1(3, 12, corr, "gregor-topics-test") + b"\x00"  # header v2: no tags
    if names is None:
        body += b"\x00"  # null topics: all
    else:
        body += bytes([len(names) + 1])
        for n in names:
            body += b"\x00" * 16 + bytes([len(n) + 1]) + n.encode() + b"\x00"
    body += bytes([1 if auto_create else 0, 0, 0])  # auto create, topic authorized ops, tags
    b = _Buf(roundtrip(host, port, body, timeout=10))
    assert b.take(">i") == corr
    b.tags()
    b.take(">i")  # throttle
    for _ in range(b.uvarint() - 1):
        b.take(">i"), b.cstr(), b.take(">i"), b.cstr(), b.tags()
    b.cstr(), b.take(">i")  # cluster id, controller id
    out = {}
    for _ in range(b.uvarint() - 1):
        err = b.take(">h")
        name = b.cstr()
        tid = b.d[b.o:b.o + 16]
        b.o += 16
        b.take(">b")  # is_internal
        parts = {}
        for _ in range(b.uvarint() - 1):
            b.take(">h")
            idx, leader = b.take(">i"), b.take(">i")
            b.take(">i")  # leader epoch
            replicas, isr = b.int32s(), b.int32s()
            b.int32s()  # offline
            b.tags()
            parts[idx] = (leader, replicas, isr)
        b.take(">i")  # authorized ops
        b.tags()
        out[name] = {"id": base64.urlsafe_b64encode(tid).decode().rstrip("="), "error": err, "partitions": parts}
    return out


def _cstr(s: str | None) -> bytes:
    if s is None:
        return b"\x00"
    raw = s.encode()
    return _uvarint(len(raw) + 1) + raw


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def create_topics_v7(host: str, port: int, topics_: list[tuple[str, int, int, dict]],
                     validate_only: bool = False) -> dict:
    """CreateTopics v7 on the wire (kafka-topics checks names and config values itself, so the broker's own checks
    need a raw request). Returns {name: {"error", "message", "num_partitions", "rf", "configs": {name: value}}}."""
    corr = 0x4755
    body = request_header_v1(19, 7, corr, "gregor-topics-test") + b"\x00"
    body += _uvarint(len(topics_) + 1)
    for name, parts, rf, configs in topics_:
        body += _cstr(name) + struct.pack(">ih", parts, rf) + b"\x01"  # no assignments
        body += _uvarint(len(configs) + 1)
        for k, v in configs.items():
            body += _cstr(k) + _cstr(v) + b"\x00"
        body += b"\x00"
    body += struct.pack(">i", 30000) + bytes([1 if validate_only else 0]) + b"\x00"
    b = _Buf(roundtrip(host, port, body, timeout=35))
    assert b.take(">i") == corr
    b.tags()
    b.take(">i")
    out = {}
    for _ in range(b.uvarint() - 1):
        name = b.cstr()
        b.o += 16
        err = b.take(">h")
        msg = b.cstr()
        parts, rf = b.take(">i"), b.take(">h")
        configs = {}
        n = b.uvarint() - 1
        for _ in range(max(n, 0)):
            k, v = b.cstr(), b.cstr()
            b.take(">b"), b.take(">b"), b.take(">b")
            b.tags()
            configs[k] = v
        b.tags()
        out[name] = {"error": err, "message": msg, "num_partitions": parts, "rf": rf, "configs": configs}
    return out


def delete_topics_v6(host: str, port: int, entries: list[tuple[str | None, bytes]]) -> list[tuple]:
    """DeleteTopics v6 (by name or by id) on the wire; returns [(name, id bytes, error, message)]."""
    corr = 0x4756
    body = request_header_v1(20, 6, corr, "gregor-topics-test") + b"\x00" + _uvarint(len(entries) + 1)
    for name, tid in entries:
        body += _cstr(name) + tid + b"\x00"
    body += struct.pack(">i", 30000) + b"\x00"
    b = _Buf(roundtrip(host, port, body, timeout=35))
    assert b.take(">i") == corr
    b.tags()
    b.take(">i")
    out = []
    for _ in range(b.uvarint() - 1):
        name = b.cstr()
        tid = b.d[b.o:b.o + 16]
        b.o += 16
        err = b.take(">h")
        msg = b.cstr()
        b.tags()
        out.append((name, tid, err, msg))
    return out


def topic_id(b, name) -> str:
    md = metadata_v12(b.host, b.port, [name])
    assert md[name]["error"] == 0, md
    return md[name]["id"]


def test_create_list_describe_delete(broker_factory):
    b = broker_factory()
    bs = b.bootstrap
    r = topics(bs, "--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "1",
               "--config", "retention.ms=3600000", "--config", "cleanup.policy=compact")
    assert "Created topic orders." in r.stdout, r.describe()
    r = topics(bs, "--create", "--topic", "defaults")
    assert "Created topic defaults." in r.stdout, r.describe()
    assert {"orders", "defaults"} <= listed(bs)

    # (kafka-topics --describe also needs DescribeConfigs, which comes with a later slice.)
    md12 = metadata_v12(b.host, b.port, ["orders", "defaults"])
    assert md12["orders"]["partitions"] == {p: (1, [1], [1]) for p in range(3)}, md12
    assert len(md12["defaults"]["partitions"]) == 1, md12
    assert md12["orders"]["id"] != md12["defaults"]["id"]

    md = kcat_metadata(bs)
    by_name = {t["topic"]: t for t in md["topics"]}
    assert len(by_name["orders"]["partitions"]) == 3, md
    for p in by_name["orders"]["partitions"]:
        assert p["leader"] == 1 and [r["id"] for r in p["replicas"]] == [1] and [r["id"] for r in p["isrs"]] == [1]

    r = topics(bs, "--delete", "--topic", "orders")
    assert r.returncode == 0, r.describe()
    deadline = time.monotonic() + 20
    while "orders" in listed(bs):
        assert time.monotonic() < deadline, "orders still listed after delete"
        time.sleep(0.5)
    assert "defaults" in listed(bs)


def test_create_existing_is_an_error(broker_factory):
    bs = broker_factory().bootstrap
    topics(bs, "--create", "--topic", "twice", "--partitions", "1")
    r = topics(bs, "--create", "--topic", "twice", "--partitions", "1", check=False)
    assert r.returncode != 0, r.describe()
    assert "Topic 'twice' already exists." in r.stdout + r.stderr, r.describe()
    # --if-not-exists makes it a no-op
    r = topics(bs, "--create", "--if-not-exists", "--topic", "twice", "--partitions", "1")
    assert r.returncode == 0, r.describe()


def test_invalid_requests_are_errors(broker_factory):
    bs = broker_factory().bootstrap
    bad_name = topics(bs, "--create", "--topic", "bad*name", check=False)
    assert bad_name.returncode != 0
    assert "Topic name is invalid: 'bad*name' contains one or more characters other than ASCII alphanumerics" \
        in bad_name.stdout + bad_name.stderr, bad_name.describe()

    topics(bs, "--create", "--topic", "a_b")
    collide = topics(bs, "--create", "--topic", "a.b", check=False)
    assert collide.returncode != 0
    assert "collides with existing topic" in collide.stdout + collide.stderr, collide.describe()

    rf = topics(bs, "--create", "--topic", "rf3", "--replication-factor", "3", check=False)
    assert rf.returncode != 0
    assert "The target replication factor of 3 cannot be reached because only 1 broker(s) are registered" \
        in rf.stdout + rf.stderr, rf.describe()

    cfg = topics(bs, "--create", "--topic", "cfg", "--config", "no.such.config=1", check=False)
    assert cfg.returncode != 0
    assert "Unknown topic config name: no.such.config" in cfg.stdout + cfg.stderr, cfg.describe()

    parts = topics(bs, "--create", "--topic", "p0", "--partitions", "0", check=False)
    assert parts.returncode != 0, parts.describe()

    missing = topics(bs, "--delete", "--topic", "never-created", check=False)
    assert missing.returncode != 0, missing.describe()
    assert not ({"rf3", "cfg", "p0", "a.b"} & listed(bs))


def test_broker_side_config_checks(broker_factory):
    """Values kafka-topics would refuse itself, sent raw: the broker answers INVALID_CONFIG (40) with Kafka's
    message; validate_only creates nothing but answers as a create would (KIP-525 details, v5+)."""
    b = broker_factory()
    r = create_topics_v7(b.host, b.port, [
        ("cfgv", 1, 1, {"retention.ms": "abc"}),
        ("cfgu", 1, 1, {"no.such.config": "1"}),
        ("cfgok", 2, 1, {"retention.ms": "1000"}),
    ], validate_only=True)
    assert r["cfgv"]["error"] == 40, r
    assert r["cfgv"]["message"].startswith("Invalid value abc for configuration retention.ms"), r
    assert (r["cfgu"]["error"], r["cfgu"]["message"]) == (40, "Unknown topic config name: no.such.config"), r
    ok = r["cfgok"]
    assert (ok["error"], ok["num_partitions"], ok["rf"]) == (0, 2, 1), r
    assert ok["configs"]["retention.ms"] == "1000", r
    assert ok["configs"]["cleanup.policy"] == "delete", r
    assert "cfgok" not in listed(b.bootstrap)
    r = create_topics_v7(b.host, b.port, [("cfgok", -1, -1, {})])
    assert (r["cfgok"]["error"], r["cfgok"]["num_partitions"], r["cfgok"]["rf"]) == (0, 1, 1), r
    assert "cfgok" in listed(b.bootstrap)


def test_create_with_typed_configs(broker_factory):
    bs = broker_factory().bootstrap
    r = topics(bs, "--create", "--topic", "typed",
               "--config", "cleanup.policy=compact,delete", "--config", "compression.type=zstd",
               "--config", "min.insync.replicas=1", "--config", "unclean.leader.election.enable=true",
               "--config", "segment.bytes=1048576", "--config", "min.cleanable.dirty.ratio=0.3",
               "--config", "preallocate=true", "--config", "message.timestamp.type=LogAppendTime",
               "--config", "max.message.bytes=2000000")
    assert "Created topic typed." in r.stdout, r.describe()


def test_metadata_auto_create(broker_factory):
    bs = broker_factory().bootstrap
    # librdkafka's Metadata for a named topic asks for auto-creation (allow_auto_topic_creation).
    deadline = time.monotonic() + 30
    while True:
        r = kcat("-L", "-J", "-b", bs, "-t", "auto-made", "-m", "10", timeout=30, check=False)
        md = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {"topics": []}
        t = {x["topic"]: x for x in md.get("topics", [])}.get("auto-made")
        if t and not t.get("error") and t.get("partitions"):
            break
        assert time.monotonic() < deadline, r.describe()
        time.sleep(0.5)
    assert "auto-made" in listed(bs)


def test_delete_by_topic_id(broker_factory):
    b = broker_factory()
    topics(b.bootstrap, "--create", "--topic", "by-id", "--partitions", "2")
    tid = base64.urlsafe_b64decode(topic_id(b, "by-id") + "==")
    unknown = bytes(range(1, 17))
    r = delete_topics_v6(b.host, b.port, [(None, tid), (None, unknown), ("never-there", b"\x00" * 16)])
    # Kafka lists the failures first; clients match results by name or id, not position.
    got = {(name, t): (err, msg) for name, t, err, msg in r}
    assert got[("by-id", tid)] == (0, None), r
    assert got[(None, unknown)] == (100, "This server does not host this topic ID."), r
    assert got[("never-there", b"\x00" * 16)] == (3, "This server does not host this topic-partition."), r
    deadline = time.monotonic() + 20
    while "by-id" in listed(b.bootstrap):
        assert time.monotonic() < deadline
        time.sleep(0.5)


def test_restart_keeps_topics_and_ids(broker_factory):
    b = broker_factory()
    bs = b.bootstrap
    topics(bs, "--create", "--topic", "durable", "--partitions", "2", "--config", "retention.ms=7200000")
    topics(bs, "--create", "--topic", "deleted-before-restart")
    topics(bs, "--delete", "--topic", "deleted-before-restart")
    before = topic_id(b, "durable")
    clean, how = b.stop()
    assert clean, how + "\n" + b.log_tail()
    b.start()
    bs = b.bootstrap
    deadline = time.monotonic() + 30
    while True:
        names = listed(bs)
        if "durable" in names or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "durable" in names
    assert "deleted-before-restart" not in names
    assert topic_id(b, "durable") == before
    md = kcat_metadata(bs)
    assert len({t["topic"]: t for t in md["topics"]}["durable"]["partitions"]) == 2
