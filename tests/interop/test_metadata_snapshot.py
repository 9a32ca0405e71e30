"""Metadata snapshots: Gregor's controller writes `.checkpoint` files in Kafka's format next to the
__cluster_metadata log, Apache Kafka 4.1.1's kafka-dump-log decodes them with its metadata decoder, and a
restarted broker rebuilds every topic (same ids) from the newest snapshot plus the log after it.

The snapshot threshold is made small (metadata.log.max.record.bytes.between.snapshots=4096) so a few CreateTopics
requests cross it. Holds on a single Apache Kafka 4.1 node too: GREGOR_INTEROP_TARGET=apache-kafka.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from kafka_tools import run_kafka_tool, run_tool
from test_configs import alter, configs_tool, describe
from test_producer_ids import new_producer_id
from test_topics import create_topics_v7, listed, metadata_v12, topics

OVERRIDES = {"metadata.log.max.record.bytes.between.snapshots": "4096"}
SNAPSHOT_NAME = re.compile(r"^(\d{20})-(\d{10})\.checkpoint$")
BAD_WORDS = re.compile(r"error|exception|corrupt|invalid|mismatch", re.IGNORECASE)


def metadata_dir(h) -> Path:
    found = [p for p in h.workdir.rglob("__cluster_metadata-0") if p.is_dir()]
    assert len(found) == 1, f"metadata log dirs under {h.workdir}: {found}"
    return found[0]


def snapshots(h) -> list[Path]:
    return sorted(p for p in metadata_dir(h).iterdir() if SNAPSHOT_NAME.match(p.name))


def wait_for_snapshot_covering(h, offset_floor: int, timeout: float = 30.0) -> Path:
    """Apache Kafka writes snapshots on a background thread; Gregor before it answers. Wait for one whose end
    offset is past `offset_floor`."""
    deadline = time.monotonic() + timeout
    while True:
        snaps = [p for p in snapshots(h) if int(SNAPSHOT_NAME.match(p.name)[1]) > offset_floor]
        if snaps:
            return snaps[-1]
        assert time.monotonic() < deadline, f"no snapshot past offset {offset_floor}: {snapshots(h)}"
        time.sleep(0.2)


def check_clean(result, what: str) -> None:
    assert result.returncode == 0, f"{what}: non-zero exit\n{result.describe()}"
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        if line.startswith("SLF4J") or line.startswith("| offset:") or "payload:" in line:
            continue
        assert not BAD_WORDS.search(line), f"{what}: {line!r}\n{result.describe()}"


def create(h, names: list[str], partitions: int = 3) -> None:
    """CreateTopics on the wire, retrying NOT_CONTROLLER (41) while the controller starts, as clients do."""
    deadline = time.monotonic() + 20
    while True:
        result = create_topics_v7(h.host, h.port, [(n, partitions, 1, {}) for n in names])
        if all(v["error"] == 41 for v in result.values()) and time.monotonic() < deadline:
            time.sleep(0.1)
            continue
        assert all(result[n]["error"] == 0 for n in names), result
        return


def kafka_loads(snapshot: Path) -> dict:
    """The MetadataImage Apache Kafka's own snapshot reader and MetadataDelta build from the file (LoadSnapshot.java)."""
    r = run_tool("io.gregor.interop.LoadSnapshot", str(snapshot), timeout=120, check=False)
    assert r.returncode == 0, r.describe()
    return json.loads(r.stdout.strip().splitlines()[-1])


def all_topic_ids(h, expect: set[str] | None = None, timeout: float = 20.0) -> dict[str, str]:
    """{name: id} from Metadata v12; waits until `expect` are all listed (Apache Kafka's broker learns new topics
    from the controller asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        md = metadata_v12(h.host, h.port, None)
        ids = {name: t["id"] for name, t in md.items() if t["error"] == 0}
        if not expect or expect <= set(ids) or time.monotonic() > deadline:
            return ids
        time.sleep(0.2)


def test_snapshots_are_written_decoded_by_kafka_and_survive_restart(broker_factory):
    h = broker_factory(OVERRIDES)
    bs = h.bootstrap
    # Enough records to cross the threshold several times: 6 requests of 10 topics of 3 partitions.
    names = []
    for batch in range(6):
        chunk = [f"snap-{batch}-{i}" for i in range(10)]
        create(h, chunk)
        names += chunk
    # And through the real admin client, one with a config that the snapshot must carry.
    r = topics(bs, "--create", "--topic", "snap-tool", "--partitions", "2", "--replication-factor", "1",
               "--config", "cleanup.policy=compact")
    assert "Created topic snap-tool." in r.stdout, r.describe()
    names.append("snap-tool")

    snap = wait_for_snapshot_covering(h, 0)
    assert len(snapshots(h)) <= 3, f"old snapshots are not deleted: {snapshots(h)}"
    assert not list(metadata_dir(h).glob("*.checkpoint.part")), "a .part file was left behind"

    dump = run_kafka_tool("kafka-dump-log", "--cluster-metadata-decoder", "--files", str(snap), timeout=120,
                          check=False)
    check_clean(dump, "kafka-dump-log --cluster-metadata-decoder")
    out = dump.stdout
    assert "TOPIC_RECORD" in out and "PARTITION_RECORD" in out, out[-3000:]
    assert "FEATURE_LEVEL_RECORD" in out and "REGISTER_BROKER_RECORD" in out, out[-3000:]
    assert "SnapshotHeader" in out and "SnapshotFooter" in out, out[:3000]
    snap_end = int(SNAPSHOT_NAME.match(snap.name)[1])
    # Every topic the snapshot covers is in it: the first request's topics always are.
    for n in names[:10]:
        assert f'"name":"{n}"' in out, f"{n} not in {snap.name}"
    assert snap_end > 0

    before = all_topic_ids(h, set(names))
    assert set(names) <= set(before), set(names) - set(before)

    # Kafka's own loader (CRC, header, footer, MetadataDelta replay) accepts the file: same topics and ids.
    image = kafka_loads(snap)
    assert image["lastContainedOffset"] == snap_end - 1
    assert image["metadataVersion"] > 0
    assert image["brokers"]["1"]["fenced"] is False
    assert set(names[:10]) <= set(image["topics"]), image["topics"].keys()
    for name, t in image["topics"].items():
        assert t["id"] == before[name], f"{name}: id {t['id']} in the snapshot, {before[name]} from Metadata"
        assert t["partitions"] == (2 if name == "snap-tool" else 3), (name, t)
    if "snap-tool" in image["topics"]:
        assert image["topics"]["snap-tool"]["configs"] == {"cleanup.policy": "compact"}

    # Restart on the same data: the snapshot plus the log tail rebuild every topic with its id.
    clean, how = h.stop()
    assert clean, how
    h.start(OVERRIDES)
    assert set(names) <= listed(bs)
    after = all_topic_ids(h, set(names))
    for n in names:
        assert after.get(n) == before[n], f"{n}: id {after.get(n)} after restart, {before[n]} before"
    md = metadata_v12(h.host, h.port, ["snap-tool", "snap-5-9"])
    assert len(md["snap-tool"]["partitions"]) == 2
    assert len(md["snap-5-9"]["partitions"]) == 3
    if h.kind == "gregor":
        assert "loaded the metadata snapshot" in h.logfile.read_text(errors="replace"), h.log_tail()

    # Still writable after the restart, and the next snapshots come after the loaded one.
    create(h, [f"post-{i}" for i in range(20)])
    newest = wait_for_snapshot_covering(h, snap_end)
    assert int(SNAPSHOT_NAME.match(newest.name)[1]) > snap_end


def test_unclean_restart_after_snapshots_keeps_every_topic(broker_factory):
    """SIGKILL (no clean shutdown) after snapshots and a log tail: the restart loads the newest snapshot, recovers
    the log and replays the tail."""
    h = broker_factory(OVERRIDES)
    for batch in range(4):
        create(h, [f"kill-{batch}-{i}" for i in range(10)])
    snap = wait_for_snapshot_covering(h, 0)
    snap_end = int(SNAPSHOT_NAME.match(snap.name)[1])
    create(h, ["tail-a", "tail-b"], partitions=1)
    expected = {f"kill-{b}-{i}" for b in range(4) for i in range(10)} | {"tail-a", "tail-b"}
    before = all_topic_ids(h, expected)
    assert expected <= set(before), expected - set(before)

    h.proc.kill()
    h.proc.wait(timeout=10)
    h._close_log()
    h.start(OVERRIDES)
    after = all_topic_ids(h, expected)
    for name, tid in before.items():
        assert after.get(name) == tid, f"{name}: id {after.get(name)} after restart, {tid} before"
    assert snap_end > 0
    assert not list(metadata_dir(h).glob("*.checkpoint.part"))


def test_configs_partitions_and_producer_ids_come_back_from_a_snapshot(broker_factory):
    """A one-byte threshold snapshots after every commit, so the restart rebuilds topic and broker configs, added
    partitions and the producer id block from the snapshot alone (the log tail is empty)."""
    every_commit = {"metadata.log.max.record.bytes.between.snapshots": "1"}
    h = broker_factory(every_commit)
    bs = h.bootstrap
    create(h, ["snap-cfg"], partitions=1)
    assert alter(bs, "topic", "snap-cfg", "SET", "retention.ms=123456", "SET", "cleanup.policy=compact") is None
    topics(bs, "--alter", "--topic", "snap-cfg", "--partitions", "3")
    configs_tool(bs, "--alter", "--entity-type", "brokers", "--entity-default", "--add-config",
                 "log.retention.ms=7200000")
    pid_before, _ = new_producer_id(h, 3)
    before = all_topic_ids(h, {"snap-cfg"})
    newest = wait_for_snapshot_covering(h, 0)
    end_before = int(SNAPSHOT_NAME.match(newest.name)[1])
    if h.kind == "gregor":  # every commit snapshots: the newest snapshot holds everything
        image = kafka_loads(newest)
        assert image["topics"]["snap-cfg"]["partitions"] == 3
        assert image["topics"]["snap-cfg"]["configs"] == {"cleanup.policy": "compact", "retention.ms": "123456"}
        assert image["nextProducerId"] > pid_before

    clean, how = h.stop()
    assert clean, how
    h.start(every_commit)
    assert all_topic_ids(h, {"snap-cfg"})["snap-cfg"] == before["snap-cfg"]
    configs = describe(bs, "topic", "snap-cfg")
    assert configs["retention.ms"]["value"] == "123456"
    assert configs["cleanup.policy"]["value"] == "compact"
    assert len(metadata_v12(h.host, h.port, ["snap-cfg"])["snap-cfg"]["partitions"]) == 3
    r = configs_tool(bs, "--describe", "--entity-type", "brokers", "--entity-default")
    assert "log.retention.ms=7200000" in r.stdout, r.describe()
    pid_after, _ = new_producer_id(h, 3)
    assert pid_after > pid_before
    if h.kind == "gregor":
        text = h.logfile.read_text(errors="replace")
        assert f"loaded the metadata snapshot {end_before:020d}-" in text, h.log_tail()
