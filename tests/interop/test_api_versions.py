"""ApiVersions / Metadata / DescribeCluster as seen by real clients (Apache Kafka 4.1.1 tools, kcat/librdkafka).

Expected values are those of a single Apache Kafka 4.1 node (shared design protocol-scope.md §1): ApiVersions 0-4,
Metadata 0-13, node id 1. Run against the real thing with GREGOR_INTEROP_TARGET=apache-kafka.
"""
from __future__ import annotations

import json
import re

from kafka_tools import kcat, parse_broker_api_versions, run_kafka_tool, run_tool

# What a 4.1 broker advertises, and the highest version the 4.1 Java client / librdkafka 2.0.2 know.
EXPECTED = {  # api key: (name, broker min, broker max, java client max)
    18: ("ApiVersions", 0, 4, 4),
    3: ("Metadata", 0, 13, 13),
}
LIBRDKAFKA_MAX = {18: 3, 3: 4}  # librdkafka 2.0.2 (Debian 12 kcat 1.7.1)


def test_broker_api_versions_tool(broker):
    r = run_kafka_tool("kafka-broker-api-versions", "--bootstrap-server", broker.bootstrap, timeout=60)
    nodes = parse_broker_api_versions(r.stdout)
    assert len(nodes) == 1, r.describe()
    n = nodes[0]
    assert (n.node_id, n.host, n.port) == (1, "127.0.0.1", broker.port), r.describe()
    for key, (name, lo, hi, client_max) in EXPECTED.items():
        assert key in n.apis, f"{name}({key}) missing\n{r.stdout}"
        line = n.apis[key]
        assert line.name == name, line.raw
        assert (line.min_version, line.max_version) == (lo, hi), line.raw
        assert line.usable == min(hi, client_max), line.raw
    # every advertised API must be printed as a usable range or UNSUPPORTED, nothing else
    for line in n.apis.values():
        assert line.usable is not None or line.raw.endswith(("UNSUPPORTED,", "UNSUPPORTED")), line.raw


def test_kcat_metadata_lists_one_broker(broker):
    r = kcat("-L", "-b", broker.bootstrap, "-m", "10", timeout=30)
    assert re.search(r"^ 1 brokers:$", r.stdout, re.M), r.describe()
    assert re.search(rf"^  broker 1 at 127\.0\.0\.1:{broker.port}\b", r.stdout, re.M), r.describe()

    j = json.loads(kcat("-L", "-J", "-b", broker.bootstrap, "-m", "10", timeout=30).stdout)
    assert j["brokers"] == [{"id": 1, "name": f"127.0.0.1:{broker.port}"}], j
    assert j["controllerid"] == 1, j


def test_admin_describe_cluster(broker):
    r = run_tool("io.gregor.interop.DescribeCluster", broker.bootstrap, "20000", timeout=60)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert isinstance(out["clusterId"], str) and out["clusterId"], out
    assert out["nodes"] == [{"id": 1, "host": "127.0.0.1", "port": broker.port, "rack": None}], out
    assert out["controller"] is not None and out["controller"]["id"] in {n["id"] for n in out["nodes"]}, out


def test_kcat_negotiated_api_versions(broker):
    """librdkafka's debug log shows the broker's advertised ranges and the versions it then uses."""
    r = kcat("-L", "-b", broker.bootstrap, "-m", "10", "-X", "api.version.request=true", "-d", "protocol,feature",
             timeout=30)
    log = r.stderr
    advertised = {int(m[1]): (int(m[2]), int(m[3]))
                  for m in re.finditer(r"ApiKey \w+ \((\d+)\) Versions (\d+)\.\.(\d+)", log)}
    for key, (name, lo, hi, _) in EXPECTED.items():
        assert advertised.get(key) == (lo, hi), f"{name}: {advertised.get(key)}\n{log}"
    sent = re.search(r"Sent ApiVersionRequest \(v(\d+),", log)
    assert sent and int(sent[1]) == LIBRDKAFKA_MAX[18], log
    assert re.search(r"Received ApiVersionResponse \(v\d+, \d+ bytes, CorrId 1,", log), log
    md = re.search(r"Received MetadataResponse \(v(\d+),", log)
    assert md and int(md[1]) == min(LIBRDKAFKA_MAX[3], EXPECTED[3][2]), log
