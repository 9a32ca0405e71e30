"""Raw-protocol consumer-group races and bad input (classic protocol): stale generations, made-up member ids,
commits and heartbeats while a rebalance is in progress, a member that joins and never syncs, oversized member
metadata. Hand-built JoinGroup v6 / SyncGroup v5 / Heartbeat v4 / OffsetCommit v8 / DescribeGroups v5, so each
test reads the exact error code back.

Every case holds on a single Apache Kafka 4.1 node too: GREGOR_INTEROP_TARGET=apache-kafka.
"""
from __future__ import annotations

import struct
import threading
import time

import pytest

from kafka_rpc import KafkaConnection, Reader, carray, cbytes, cstr, error_name
from test_groups import MEMBER_ID_REQUIRED, UNKNOWN_MEMBER_ID, find_coordinators

ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS = 22, 27
SESSION_MS = 2000
# Short session timeouts and no initial delay keep each test to a few seconds on both targets.
OVERRIDES = {"group.initial.rebalance.delay.ms": "0", "group.min.session.timeout.ms": "1000",
             "offsets.topic.replication.factor": "1"}


@pytest.fixture(scope="module")
def gbroker(module_broker_factory):
    b = module_broker_factory(OVERRIDES)
    with KafkaConnection(b.host, b.port) as c:
        deadline = time.monotonic() + 30
        while any(f[4] != 0 for f in find_coordinators(c, ["probe"])):  # until __consumer_offsets exists
            assert time.monotonic() < deadline, "no group coordinator"
            time.sleep(0.2)
    return b


def conn(b) -> KafkaConnection:
    return KafkaConnection(b.host, b.port)


def subscription(topics: list[str], user_data: bytes = b"") -> bytes:
    """A ConsumerProtocolSubscription v0 (what Kafka parses the "consumer" protocol's metadata as)."""
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", len(user_data)) + user_data


def join(c: KafkaConnection, group: str, member_id: str, metadata: bytes = subscription([]),
         session_ms: int = SESSION_MS, rebalance_ms: int = 10000) -> dict:
    """JoinGroup v6 with one "range" protocol."""
    protocol = cstr("range") + cbytes(metadata) + b"\x00"
    body = (cstr(group) + struct.pack(">ii", session_ms, rebalance_ms) + cstr(member_id) + cstr(None)
            + cstr("consumer") + carray([protocol]) + b"\x00")
    r = c.call(11, 6, body)
    r.i32()
    out = {"error": r.i16(), "generation": r.i32(), "protocol": r.cstr(), "leader": r.cstr(),
           "member_id": r.cstr(), "members": []}
    for _ in range(r.carray_len()):
        out["members"].append(r.cstr())
        r.cstr()
        r.cbytes()
        r.tags()
    return out


def join_new(c: KafkaConnection, group: str, **kw) -> dict:
    """The MEMBER_ID_REQUIRED round trip, then the real join (which blocks until the rebalance completes)."""
    first = join(c, group, "", **kw)
    assert first["error"] == MEMBER_ID_REQUIRED, error_name(first["error"])
    return join(c, group, first["member_id"], **kw)


def sync(c: KafkaConnection, group: str, generation: int, member_id: str,
         assignments: dict[str, bytes] | None = None) -> int:
    """SyncGroup v5: the error code."""
    items = [cstr(m) + cbytes(a) + b"\x00" for m, a in (assignments or {}).items()]
    body = (cstr(group) + struct.pack(">i", generation) + cstr(member_id) + cstr(None) + cstr("consumer")
            + cstr("range") + carray(items) + b"\x00")
    r = c.call(14, 5, body)
    r.i32()
    return r.i16()


def heartbeat(c: KafkaConnection, group: str, generation: int, member_id: str) -> int:
    """Heartbeat v4: the error code."""
    r = c.call(12, 4, cstr(group) + struct.pack(">i", generation) + cstr(member_id) + cstr(None) + b"\x00")
    r.i32()
    return r.i16()


def commit(c: KafkaConnection, group: str, generation: int, member_id: str, topic: str, offset: int = 5) -> int:
    """OffsetCommit v8 of partition 0: its error code."""
    part = struct.pack(">iqi", 0, offset, -1) + cstr(None) + b"\x00"
    body = (cstr(group) + struct.pack(">i", generation) + cstr(member_id) + cstr(None)
            + carray([cstr(topic) + carray([part]) + b"\x00"]) + b"\x00")
    r: Reader = c.call(8, 8, body)
    r.i32()
    assert r.carray_len() == 1
    r.cstr()
    assert r.carray_len() == 1
    assert r.i32() == 0
    return r.i16()


def describe(c: KafkaConnection, group: str) -> tuple[int, str, list[str]]:
    """DescribeGroups v5: (error, state, member ids)."""
    r = c.call(15, 5, carray([cstr(group)]) + b"\x00" + b"\x00")
    r.i32()
    assert r.carray_len() == 1
    err, _, state = r.i16(), r.cstr(), r.cstr()
    r.cstr()
    r.cstr()
    members = []
    for _ in range(r.carray_len()):
        members.append(r.cstr())
        r.cstr()
        r.cstr()
        r.cstr()
        r.cbytes()
        r.cbytes()
        r.tags()
    return err, state, members


def stable_member(c: KafkaConnection, group: str) -> dict:
    j = join_new(c, group)
    assert j["error"] == 0 and j["leader"] == j["member_id"], j
    assert sync(c, group, j["generation"], j["member_id"], {j["member_id"]: b""}) == 0
    return j


def in_thread(fn, *args, **kw):
    box: dict = {}

    def run():
        try:
            box["result"] = fn(*args, **kw)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def wait_state(c: KafkaConnection, group: str, state: str, timeout: float = 15.0) -> tuple:
    deadline = time.monotonic() + timeout
    while True:
        d = describe(c, group)
        if d[1] == state or time.monotonic() > deadline:
            return d
        time.sleep(0.1)


def test_stale_generation_is_illegal(gbroker):
    with conn(gbroker) as c:
        c.create_topic("races-stale")
        a = stable_member(c, "races-stale")
        # A second member's arrival and rejoin moves the group to generation g+1; A's old g is stale then.
        with conn(gbroker) as c2:
            t, box = in_thread(join_new, c2, "races-stale")
            wait_state(c, "races-stale", "PreparingRebalance")
            ra = join(c, "races-stale", a["member_id"])
            t.join(20)
            rb = box["result"]
            g = ra["generation"]
            assert ra["error"] == 0 and rb["error"] == 0 and g == a["generation"] + 1 == rb["generation"], (ra, rb)
            assert sync(c, "races-stale", g, a["member_id"], {a["member_id"]: b"", rb["member_id"]: b""}) == 0
            assert sync(c2, "races-stale", g, rb["member_id"]) == 0
        assert heartbeat(c, "races-stale", g, a["member_id"]) == 0
        assert heartbeat(c, "races-stale", g - 1, a["member_id"]) == ILLEGAL_GENERATION
        assert commit(c, "races-stale", g - 1, a["member_id"], "races-stale") == ILLEGAL_GENERATION
        assert sync(c, "races-stale", g - 1, a["member_id"]) == ILLEGAL_GENERATION
        assert commit(c, "races-stale", g, a["member_id"], "races-stale") == 0


def test_unknown_member_id(gbroker):
    with conn(gbroker) as c:
        c.create_topic("races-unknown")
        a = stable_member(c, "races-unknown")
        g = a["generation"]
        assert heartbeat(c, "races-unknown", g, "made-up-member") == UNKNOWN_MEMBER_ID
        assert sync(c, "races-unknown", g, "made-up-member") == UNKNOWN_MEMBER_ID
        assert commit(c, "races-unknown", g, "made-up-member", "races-unknown") == UNKNOWN_MEMBER_ID
        # A group nobody joined knows no member either.
        assert heartbeat(c, "races-nobody", 1, "made-up-member") == UNKNOWN_MEMBER_ID
        assert heartbeat(c, "races-unknown", g, a["member_id"]) == 0


def test_commit_and_heartbeat_during_rebalance(gbroker):
    with conn(gbroker) as c, conn(gbroker) as c2:
        c.create_topic("races-rebalance")
        a = stable_member(c, "races-rebalance")
        g = a["generation"]
        t, box = in_thread(join_new, c2, "races-rebalance")
        err, state, _ = wait_state(c, "races-rebalance", "PreparingRebalance")
        assert state == "PreparingRebalance", state
        # Kafka 4.1 (ClassicGroup.validateOffsetCommit) still takes the commit of a member of the current
        # generation while the group prepares a rebalance; only CompletingRebalance refuses it.
        assert commit(c, "races-rebalance", g, a["member_id"], "races-rebalance") == 0
        assert heartbeat(c, "races-rebalance", g, a["member_id"]) == REBALANCE_IN_PROGRESS
        # A rejoins; both land in generation g+1 and nothing is stuck.
        ra = join(c, "races-rebalance", a["member_id"])
        t.join(20)
        rb = box["result"]
        assert ra["error"] == rb["error"] == 0 and ra["generation"] == rb["generation"] == g + 1, (ra, rb)
        # Between join and the leader's sync (CompletingRebalance) a commit is refused.
        assert commit(c, "races-rebalance", g + 1, a["member_id"], "races-rebalance") == REBALANCE_IN_PROGRESS
        assert sync(c, "races-rebalance", g + 1, a["member_id"], {a["member_id"]: b"", rb["member_id"]: b""}) == 0
        assert commit(c, "races-rebalance", g + 1, a["member_id"], "races-rebalance") == 0


def test_member_that_never_syncs_is_removed(gbroker):
    with conn(gbroker) as c:
        j = join_new(c, "races-nosync")
        assert j["error"] == 0 and j["members"] == [j["member_id"]], j
        # (Kafka describes from committed state: the join's group record may take a moment.)
        assert wait_state(c, "races-nosync", "CompletingRebalance", timeout=1.0)[1] == "CompletingRebalance"
        # No SyncGroup and no heartbeat: the member expires after its session timeout.
        err, state, members = wait_state(c, "races-nosync", "Empty", timeout=SESSION_MS / 1000 * 5)
        assert (err, state, members) == (0, "Empty", []), (err, state, members)
        # The group is usable again: a new member joins a fresh generation and syncs.
        b = stable_member(c, "races-nosync")
        assert b["generation"] > j["generation"], (j, b)


def test_other_members_not_stuck_behind_one_that_never_syncs(gbroker):
    with conn(gbroker) as c, conn(gbroker) as c2:
        a = stable_member(c, "races-stuck")
        t, box = in_thread(join_new, c2, "races-stuck")
        wait_state(c, "races-stuck", "PreparingRebalance")
        ra = join(c, "races-stuck", a["member_id"])
        t.join(20)
        rb = box["result"]
        g = ra["generation"]
        assert ra["error"] == rb["error"] == 0 and g == rb["generation"], (ra, rb)
        # The leader A syncs; B never syncs nor heartbeats. A keeps heartbeating until B is gone and A is
        # asked to rejoin, then A alone forms the next generation.
        assert sync(c, "races-stuck", g, a["member_id"], {a["member_id"]: b"", rb["member_id"]: b""}) == 0
        deadline = time.monotonic() + SESSION_MS / 1000 * 5
        hb = 0
        while hb == 0 and time.monotonic() < deadline:
            time.sleep(0.3)
            hb = heartbeat(c, "races-stuck", g, a["member_id"])
        assert hb == REBALANCE_IN_PROGRESS, error_name(hb)
        again = join(c, "races-stuck", a["member_id"])
        assert again["error"] == 0 and again["generation"] == g + 1 and again["members"] == [a["member_id"]], again
        assert sync(c, "races-stuck", g + 1, a["member_id"], {a["member_id"]: b""}) == 0
        assert describe(c, "races-stuck")[1:] == ("Stable", [a["member_id"]])


def test_oversized_member_metadata(gbroker):
    """2 MiB of protocol metadata is far below socket.request.max.bytes (100 MiB): Kafka takes it and gives it
    back to the leader whole."""
    metadata = subscription(["races-big"], bytes(range(256)) * (2 * 1024 * 1024 // 256))
    with conn(gbroker) as c:
        first = join(c, "races-big", "", metadata=metadata)
        assert first["error"] == MEMBER_ID_REQUIRED, error_name(first["error"])
        protocol = cstr("range") + cbytes(metadata) + b"\x00"
        body = (cstr("races-big") + struct.pack(">ii", SESSION_MS, 10000) + cstr(first["member_id"]) + cstr(None)
                + cstr("consumer") + carray([protocol]) + b"\x00")
        r = c.call(11, 6, body)
        r.i32()
        assert r.i16() == 0
        r.i32()
        r.cstr()
        assert r.cstr() == first["member_id"]
        r.cstr()
        assert r.carray_len() == 1
        assert r.cstr() == first["member_id"]
        r.cstr()
        assert r.cbytes() == metadata
        assert describe(c, "races-big")[2] == [first["member_id"]]


def test_memberless_commit_and_heartbeat_while_completing(gbroker):
    """A commit without member id and generation (-1, "") is only taken by an Empty group; a Heartbeat between
    JoinGroup and SyncGroup (CompletingRebalance) is fine."""
    with conn(gbroker) as c:
        c.create_topic("races-memberless")
        assert commit(c, "races-memberless", -1, "", "races-memberless") == 0
        j = join_new(c, "races-memberless")
        assert j["error"] == 0, j
        assert heartbeat(c, "races-memberless", j["generation"], j["member_id"]) == 0
        assert commit(c, "races-memberless", -1, "", "races-memberless") == UNKNOWN_MEMBER_ID
        assert sync(c, "races-memberless", j["generation"], j["member_id"], {j["member_id"]: b""}) == 0
        assert commit(c, "races-memberless", -1, "", "races-memberless") == UNKNOWN_MEMBER_ID
        assert commit(c, "races-memberless", j["generation"], "made-up-member", "races-memberless") \
            == UNKNOWN_MEMBER_ID


INCONSISTENT_GROUP_PROTOCOL = 23


def test_inconsistent_protocol(gbroker):
    """SyncGroup naming another protocol or protocol type, and a newcomer's JoinGroup with another protocol type,
    → INCONSISTENT_GROUP_PROTOCOL; the group carries on."""
    group = "races-proto"

    def sync_as(c, g, m, ptype, pname):
        body = (cstr(group) + struct.pack(">i", g) + cstr(m) + cstr(None) + cstr(ptype) + cstr(pname)
                + carray([]) + b"\x00")
        r = c.call(14, 5, body)
        r.i32()
        return r.i16()

    with conn(gbroker) as c:
        j = join_new(c, group)
        g, m = j["generation"], j["member_id"]
        assert sync_as(c, g, m, "consumer", "roundrobin") == INCONSISTENT_GROUP_PROTOCOL
        assert sync_as(c, g, m, "connect", "range") == INCONSISTENT_GROUP_PROTOCOL
        assert sync(c, group, g, m, {m: b""}) == 0
        protocol = cstr("range") + cbytes(b"") + b"\x00"
        body = (cstr(group) + struct.pack(">ii", SESSION_MS, 10000) + cstr("") + cstr(None) + cstr("connect")
                + carray([protocol]) + b"\x00")
        r = c.call(11, 6, body)
        r.i32()
        assert r.i16() == INCONSISTENT_GROUP_PROTOCOL
        assert heartbeat(c, group, g, m) == 0
        assert describe(c, group)[1:] == ("Stable", [m])
