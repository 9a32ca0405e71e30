"""Topic and broker configs and partition additions, as real clients see them: Apache Kafka 4.1.1's kafka-configs
(DescribeConfigs, IncrementalAlterConfigs), kafka-topics (CreatePartitions, configs in --describe), the Java Admin client
(io.gregor.interop.ConfigsAdmin: incrementalAlterConfigs APPEND/SUBTRACT, describeConfigs with synonyms and
documentation) and a hand-written AlterConfigs v0 request (the Java client no longer sends it).

Every case holds on a single Apache Kafka 4.1 node too: GREGOR_INTEROP_TARGET=apache-kafka. Apache Kafka bootstraps a
cluster-wide min.insync.replicas and its test server.properties sets a few broker configs, so the tests never assert
on those.
"""
from __future__ import annotations

import json
import struct
import time
import uuid

from kafka_tools import run_kafka_tool, run_tool
from kafka_wire import request_header_v1, roundtrip

# Kafka 4.1's topic configs (LogConfig).
TOPIC_CONFIGS = {
    "cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type",
    "compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
    "follower.replication.throttled.replicas", "index.interval.bytes", "leader.replication.throttled.replicas",
    "local.retention.bytes", "local.retention.ms", "max.compaction.lag.ms", "max.message.bytes",
    "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "message.timestamp.type",
    "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
    "remote.log.copy.disable", "remote.log.delete.on.disable", "remote.storage.enable", "retention.bytes",
    "retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
    "unclean.leader.election.enable",
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def configs_tool(bs, *args, check=True):
    return run_kafka_tool("kafka-configs", "--bootstrap-server", bs, *args, check=check, timeout=90)


def topics_tool(bs, *args, check=True):
    return run_kafka_tool("kafka-topics", "--bootstrap-server", bs, *args, check=check, timeout=90)


def create_topic(bs, name, partitions=1):
    topics_tool(bs, "--create", "--topic", name, "--partitions", str(partitions), "--replication-factor", "1")


def admin(bs, *args, check=True):
    return run_tool("io.gregor.interop.ConfigsAdmin", bs, *args, check=check, timeout=90)


def describe(bs, kind, name, *flags) -> dict:
    """{config name: entry} from Admin.describeConfigs."""
    out = admin(bs, "describe", kind, name, *flags).stdout
    return {e["name"]: e for e in (json.loads(line) for line in out.splitlines() if line.startswith("{"))}


def alter(bs, kind, name, *ops, check=True) -> dict | None:
    """Admin.incrementalAlterConfigs: None on success, else {"error": class, "message": ...}."""
    r = admin(bs, "alter", kind, name, *ops, check=False)
    if r.returncode == 0 and r.stdout.strip().endswith("OK"):
        return None
    assert r.returncode == 3, r.describe()
    return json.loads(r.stdout.strip().splitlines()[-1])


def assert_logs_follow(broker, line: str) -> None:
    """Gregor logs the LogConfig its partition logs switched to (Apache Kafka has no such line)."""
    if broker.kind != "gregor":
        return
    deadline = time.monotonic() + 10
    while line not in broker.logfile.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"no '{line}' in the broker log:\n{broker.log_tail()}"
        time.sleep(0.1)


def cli_entries(stdout: str) -> dict:
    """kafka-configs --describe lines '  name=value sensitive=... synonyms={...}' -> {name: value}."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("  ") and "=" in line:
            name, rest = line.strip().split("=", 1)
            out[name] = rest.split(" sensitive=", 1)[0]
    return out


def test_describe_topic_defaults_synonyms_and_docs(broker):
    bs = broker.bootstrap
    t = unique("cfg-defaults")
    create_topic(bs, t)
    configs = describe(bs, "topic", t, "synonyms", "docs")
    assert TOPIC_CONFIGS <= set(configs), sorted(TOPIC_CONFIGS - set(configs))
    r = configs["retention.ms"]
    assert (r["value"], r["source"], r["type"], r["sensitive"], r["readOnly"]) == \
        ("604800000", "DEFAULT_CONFIG", "LONG", False, False)
    assert r["synonyms"] == []  # only log.retention.hours has a value, and Kafka lists from log.retention.ms on
    c = configs["cleanup.policy"]
    assert (c["value"], c["type"]) == ("delete", "LIST")
    assert c["synonyms"] == [{"name": "log.cleanup.policy", "value": "delete", "source": "DEFAULT_CONFIG"}]
    s = configs["segment.bytes"]
    assert (s["value"], s["type"]) == ("1073741824", "INT")
    assert s["synonyms"] == [{"name": "log.segment.bytes", "value": "1073741824", "source": "DEFAULT_CONFIG"}]
    assert configs["remote.storage.enable"]["synonyms"] == []
    assert configs["min.cleanable.dirty.ratio"]["type"] == "DOUBLE"
    assert all(e["documentation"] for e in configs.values())
    without = describe(bs, "topic", t)
    assert all(e["synonyms"] == [] and e["documentation"] is None for e in without.values())


def test_kafka_configs_alter_describe_delete(broker):
    bs = broker.bootstrap
    t = unique("cfg-alter")
    create_topic(bs, t)
    base = ["--entity-type", "topics", "--entity-name", t]
    r = configs_tool(bs, "--alter", *base, "--add-config", "retention.ms=3600000,cleanup.policy=compact")
    assert f"Completed updating config for topic {t}." in r.stdout
    assert_logs_follow(broker, f"topic {t}: 1 partition log(s) now use retention.ms=3600000 ")
    r = configs_tool(bs, "--describe", *base)
    assert f"Dynamic configs for topic {t} are:" in r.stdout
    assert cli_entries(r.stdout) == {"retention.ms": "3600000", "cleanup.policy": "compact"}
    assert "synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000}" in r.stdout
    assert "synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}" \
        in r.stdout

    r = configs_tool(bs, "--describe", "--all", *base)
    assert f"All configs for topic {t} are:" in r.stdout
    everything = cli_entries(r.stdout)
    assert TOPIC_CONFIGS <= set(everything)
    assert everything["retention.ms"] == "3600000"
    assert everything["segment.bytes"] == "1073741824"

    r = topics_tool(bs, "--describe", "--topic", t)
    assert "cleanup.policy=compact" in r.stdout and "retention.ms=3600000" in r.stdout

    configs_tool(bs, "--alter", *base, "--delete-config", "retention.ms")
    r = configs_tool(bs, "--describe", *base)
    assert cli_entries(r.stdout) == {"cleanup.policy": "compact"}
    assert describe(bs, "topic", t)["retention.ms"]["value"] == "604800000"


def test_incremental_append_subtract_and_validate_only(broker):
    bs = broker.bootstrap
    t = unique("cfg-list")
    create_topic(bs, t)
    # APPEND starts from the default (delete) when the topic has no value.
    assert alter(bs, "topic", t, "APPEND", "cleanup.policy=compact") is None
    c = describe(bs, "topic", t, "synonyms")["cleanup.policy"]
    assert (c["value"], c["source"]) == ("delete,compact", "DYNAMIC_TOPIC_CONFIG")
    assert c["synonyms"][0] == {"name": "cleanup.policy", "value": "delete,compact", "source": "DYNAMIC_TOPIC_CONFIG"}
    assert alter(bs, "topic", t, "SUBTRACT", "cleanup.policy=delete") is None
    assert describe(bs, "topic", t)["cleanup.policy"]["value"] == "compact"
    # validate_only checks but changes nothing.
    assert alter(bs, "topic", t, "validate", "SET", "retention.ms=1000") is None
    assert describe(bs, "topic", t)["retention.ms"]["value"] == "604800000"
    bad = alter(bs, "topic", t, "validate", "SET", "retention.ms=soon")
    assert bad["error"] == "InvalidConfigurationException"
    # SET and DELETE in one request.
    assert alter(bs, "topic", t, "SET", "retention.ms=5000", "DELETE", "cleanup.policy") is None
    configs = describe(bs, "topic", t)
    assert (configs["retention.ms"]["value"], configs["cleanup.policy"]["value"]) == ("5000", "delete")
    assert configs["cleanup.policy"]["source"] == "DEFAULT_CONFIG"


def test_bad_topic_config_input(broker):
    bs = broker.bootstrap
    t = unique("cfg-bad")
    create_topic(bs, t)
    cases = [
        (("SET", "retention.ms=abc"), "InvalidConfigurationException",
         "Invalid value abc for configuration retention.ms: Not a number of type LONG"),
        (("SET", "retention.ms=-5"), "InvalidConfigurationException",
         "Invalid value -5 for configuration retention.ms: Value must be at least -1"),
        (("SET", "cleanup.policy=foo"), "InvalidConfigurationException",
         "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete"),
        (("SET", "no.such.config=1"), "InvalidConfigurationException", "Unknown topic config name: no.such.config"),
        (("APPEND", "retention.ms=5"), "InvalidConfigurationException",
         "Can't APPEND to key retention.ms because its type is not LIST."),
    ]
    for ops, error, message in cases:
        assert alter(bs, "topic", t, *ops) == {"error": error, "message": message}, ops
    assert alter(bs, "topic", unique("cfg-missing"), "SET", "retention.ms=1000")["error"] == \
        "UnknownTopicOrPartitionException"
    r = configs_tool(bs, "--alter", "--entity-type", "topics", "--entity-name", t, "--add-config", "retention.ms=abc",
                     check=False)
    assert r.returncode != 0
    assert "InvalidConfigurationException: Invalid value abc for configuration retention.ms" in r.stderr
    assert describe(bs, "topic", t)["retention.ms"]["source"] == "DEFAULT_CONFIG"


def test_broker_configs_default_and_per_broker(broker):
    bs = broker.bootstrap
    t = unique("cfg-broker")
    create_topic(bs, t)
    try:
        configs_tool(bs, "--alter", "--entity-type", "brokers", "--entity-default",
                     "--add-config", "log.retention.ms=7200000")
        r = configs_tool(bs, "--describe", "--entity-type", "brokers", "--entity-default")
        assert "Default configs for brokers in the cluster are:" in r.stdout
        assert "log.retention.ms=7200000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=7200000}" \
            in r.stdout
        # Topics without an override follow the cluster-wide default.
        rt = describe(bs, "topic", t, "synonyms")["retention.ms"]
        assert (rt["value"], rt["source"]) == ("7200000", "DYNAMIC_DEFAULT_BROKER_CONFIG")
        assert rt["synonyms"][0] == {"name": "log.retention.ms", "value": "7200000",
                                     "source": "DYNAMIC_DEFAULT_BROKER_CONFIG"}
        assert_logs_follow(broker, f"topic {t}: 1 partition log(s) now use retention.ms=7200000 ")

        configs_tool(bs, "--alter", "--entity-type", "brokers", "--entity-name", "1",
                     "--add-config", "log.cleaner.threads=2")
        r = configs_tool(bs, "--describe", "--entity-type", "brokers", "--entity-name", "1")
        assert "Dynamic configs for broker 1 are:" in r.stdout
        assert "log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.threads=2, " \
               "DEFAULT_CONFIG:log.cleaner.threads=1}" in r.stdout
        everything = describe(bs, "broker", "1", "synonyms")
        assert everything["log.cleaner.threads"]["source"] == "DYNAMIC_BROKER_CONFIG"
        assert everything["log.retention.ms"]["value"] == "7200000"
        assert everything["log.retention.hours"]["readOnly"] is True
        assert everything["ssl.keystore.password"]["sensitive"] is True
        assert everything["ssl.keystore.password"]["value"] is None

        bad = alter(bs, "broker", "1", "SET", "log.dirs=/tmp/elsewhere")
        assert bad == {"error": "InvalidRequestException",
                       "message": "Cannot update these configs dynamically: Set(log.dirs)"}
        bad = alter(bs, "broker", "", "SET", "log.retention.ms=abc")
        assert bad == {"error": "InvalidRequestException",
                       "message": "Invalid value abc for configuration log.retention.ms: Not a number of type LONG"}
    finally:
        configs_tool(bs, "--alter", "--entity-type", "brokers", "--entity-default", "--delete-config",
                     "log.retention.ms")
        configs_tool(bs, "--alter", "--entity-type", "brokers", "--entity-name", "1", "--delete-config",
                     "log.cleaner.threads")
    assert describe(bs, "topic", t)["retention.ms"]["value"] == "604800000"


def _string(s: str) -> bytes:
    return struct.pack(">h", len(s)) + s.encode()


def _nullable(s: str | None) -> bytes:
    return b"\xff\xff" if s is None else _string(s)


def alter_configs_v0(broker, resources, validate_only=False, incremental=False) -> list[tuple[int, str | None, int, str]]:
    """AlterConfigs v0 (the legacy, replace-everything API), or IncrementalAlterConfigs v0 with SET ops:
    [(error, message, type, name)]."""
    api = 44 if incremental else 33
    body = request_header_v1(api, 0, 0x7733, "gregor-configs-test") + struct.pack(">i", len(resources))
    for rtype, name, configs in resources:
        body += struct.pack(">b", rtype) + _string(name) + struct.pack(">i", len(configs))
        for k, v in configs.items():
            body += _string(k) + (b"\x00" if incremental else b"") + _nullable(v)
    body += struct.pack(">?", validate_only)
    return _parse_results(roundtrip(broker.host, broker.port, body, timeout=30))


def describe_configs_v1_errors(broker, resources) -> list[tuple[int, str | None, int, str]]:
    """DescribeConfigs v1 for resources that fail: [(error, message, type, name)]."""
    body = request_header_v1(32, 1, 0x7732, "gregor-configs-test") + struct.pack(">i", len(resources))
    for rtype, name in resources:
        body += struct.pack(">b", rtype) + _string(name) + struct.pack(">i", -1)
    body += struct.pack(">?", False)
    return _parse_results(roundtrip(broker.host, broker.port, body, timeout=30), configs=True)


def _parse_results(frame: bytes, configs: bool = False) -> list[tuple[int, str | None, int, str]]:
    off = 8  # correlation id, throttle time
    (n,) = struct.unpack_from(">i", frame, off)
    off += 4
    out = []
    for _ in range(n):
        err, mlen = struct.unpack_from(">hh", frame, off)
        off += 4
        msg = None if mlen < 0 else frame[off:off + mlen].decode()
        off += max(mlen, 0)
        rtype, nlen = struct.unpack_from(">bh", frame, off)
        off += 3
        out.append((err, msg, rtype, frame[off:off + nlen].decode()))
        off += nlen
        if configs:
            (count,) = struct.unpack_from(">i", frame, off)
            assert count == 0, "only failing resources can be parsed here"
            off += 4
    return out


def test_wrong_broker_id_and_unknown_topic_on_the_wire(broker):
    assert describe_configs_v1_errors(broker, [(4, "2"), (2, unique("cfg-missing"))])[0] == \
        (42, "Unexpected broker id, expected 1 or empty string, but received 2", 4, "2")
    [_, (err, _, _, _)] = describe_configs_v1_errors(broker, [(4, "2"), (2, "cfg-missing-topic")])
    assert err == 3  # UNKNOWN_TOPIC_OR_PARTITION
    assert alter_configs_v0(broker, [(4, "2", {"log.cleaner.threads": "2"})], incremental=True) == \
        [(42, "Unexpected broker id, expected 1, but received 2", 4, "2")]
    assert alter_configs_v0(broker, [(4, "2", {"log.cleaner.threads": "2"})]) == \
        [(42, "Unexpected broker id, expected 1, but received 2", 4, "2")]


def test_legacy_alter_configs_replaces_all(broker):
    bs = broker.bootstrap
    t = unique("cfg-legacy")
    create_topic(bs, t)
    assert alter(bs, "topic", t, "SET", "retention.ms=5000", "SET", "cleanup.policy=compact") is None
    # AlterConfigs sets exactly the configs given: cleanup.policy goes back to its default.
    assert alter_configs_v0(broker, [(2, t, {"segment.ms": "100000"})]) == [(0, None, 2, t)]
    configs = describe(bs, "topic", t)
    assert configs["segment.ms"]["value"] == "100000"
    assert configs["retention.ms"]["source"] == "DEFAULT_CONFIG"
    assert configs["cleanup.policy"]["value"] == "delete"
    [(err, msg, _, _)] = alter_configs_v0(broker, [(2, t, {"retention.ms": "x"})])
    assert (err, msg) == (40, "Invalid value x for configuration retention.ms: Not a number of type LONG")
    [(err, _, _, _)] = alter_configs_v0(broker, [(2, unique("cfg-missing"), {"retention.ms": "1"})])
    assert err == 3  # UNKNOWN_TOPIC_OR_PARTITION


def test_create_partitions(broker):
    bs = broker.bootstrap
    t = unique("cfg-parts")
    create_topic(bs, t, partitions=2)
    topics_tool(bs, "--alter", "--topic", t, "--partitions", "5")
    r = topics_tool(bs, "--describe", "--topic", t)
    assert "PartitionCount: 5" in r.stdout
    assert sorted(int(line.split("Partition: ")[1].split()[0]) for line in r.stdout.splitlines()
                  if "Partition: " in line) == [0, 1, 2, 3, 4]
    r = topics_tool(bs, "--alter", "--topic", t, "--partitions", "3", check=False)
    assert r.returncode != 0
    assert f"InvalidPartitionsException: The topic {t} currently has 5 partition(s); 3 would not be an increase." \
        in r.stdout + r.stderr
    r = topics_tool(bs, "--alter", "--topic", t, "--partitions", "5", check=False)
    assert "InvalidPartitionsException: Topic already has 5 partition(s)." in r.stdout + r.stderr
    r = topics_tool(bs, "--alter", "--topic", t, "--partitions", "7", "--replica-assignment", "1,2", check=False)
    assert r.returncode != 0 and "InvalidReplicaAssignmentException" in r.stdout + r.stderr


def test_altered_configs_survive_a_restart(broker_factory):
    h = broker_factory()
    t = unique("cfg-restart")
    create_topic(h.bootstrap, t)
    assert alter(h.bootstrap, "topic", t, "SET", "retention.ms=123456", "SET", "cleanup.policy=compact") is None
    topics_tool(h.bootstrap, "--alter", "--topic", t, "--partitions", "3")
    clean, how = h.stop()
    assert clean, how
    h.start()
    configs = describe(h.bootstrap, "topic", t)
    assert (configs["retention.ms"]["value"], configs["retention.ms"]["source"]) == ("123456", "DYNAMIC_TOPIC_CONFIG")
    assert configs["cleanup.policy"]["value"] == "compact"
    assert "PartitionCount: 3" in topics_tool(h.bootstrap, "--describe", "--topic", t).stdout
