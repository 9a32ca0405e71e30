#!/usr/bin/env python3
"""Compares Gregor's protocol schema (src/protocol/schema/*.gs) with Apache Kafka's JSON schemas.

Two references, each used when present:
  * ../shared/kafka-spec/{message,metadata}: for every message both define, every version both
    define must have the same fields, field by field (name, type, nullability, tag, default,
    flexible encoding). That snapshot predates 4.1, so versions only one side has are not compared.
  * the Apache Kafka 4.1 jars in the local Maven repository (fetched by scripts/setup-clients):
    our schema targets exactly 4.1, so there every message must match in full, version ranges too.
With neither present the test skips.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import unittest
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "src", "protocol", "codegen"))
import schema as S  # noqa: E402

SHARED_SPEC = os.path.join(ROOT, "..", "shared", "kafka-spec")
M2 = os.path.expanduser("~/.m2/repository/org/apache/kafka")
KAFKA_VERSION = "4.1.1"
JARS = ["kafka-clients", "kafka-metadata", "kafka-group-coordinator", "kafka-transaction-coordinator",
        "kafka-raft", "kafka-storage", "kafka-share-coordinator"]
# ZooKeeper-era APIs removed in 4.0, and tiered-storage records Gregor does not serve.
NOT_OURS = {"LeaderAndIsr", "StopReplica", "UpdateMetadata", "ControlledShutdown", "RemoteLogSegmentMetadata",
            "RemoteLogSegmentMetadataUpdate", "RemotePartitionDeleteMetadata", "RemoteLogSegmentMetadataSnapshot",
            "ZkMigration", "ListClientMetricsResources"}


# Where the shared snapshot (trunk, 2024-10) and Kafka 4.1 disagree on a version both have. Each
# entry was checked against the 4.1 jars, which the second test compares in full.
CHANGED_SINCE_SNAPSHOT = {
    "VoteRequest": "4.1 renamed the Candidate* partition fields to Replica* (KIP-996 pre-vote)",
    "ReadShareGroupStateSummaryResponse": "LeaderEpoch joined v0 before share groups were stable",
}


def strip_comments(text: str) -> str:
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)


def norm_default(typ: str, d) -> str | None:
    if d is None:
        return None
    d = str(d)
    if typ == "bool":
        d = d.lower()
    if d == "None":
        d = "null"
    if typ in ("int8", "int16", "int32", "int64", "uint16", "uint32") and d not in ("", "null"):
        return str(int(d, 0))
    return d


def json_to_fields(fields: list[dict]) -> list[S.Field]:
    out = []
    for f in fields:
        vers = f.get("versions", f.get("taggedVersions"))
        nf = S.Field(name=f["name"], type=f["type"], versions=S.Versions.parse(vers))
        if "nullableVersions" in f:
            nf.nullable = S.Versions.parse(f["nullableVersions"])
        if "tag" in f:
            nf.tag = int(f["tag"])
            nf.tagged = S.Versions.parse(f["taggedVersions"])
        nf.default = norm_default(f["type"], f.get("default"))
        if "flexibleVersions" in f:
            nf.flexible = S.Versions.parse(f["flexibleVersions"])
        nf.fields = json_to_fields(f.get("fields", []))
        out.append(nf)
    return out


def json_message(path: str) -> S.Message:
    with open(path, encoding="utf-8") as fh:
        d = json.loads(strip_comments(fh.read()))
    return json_dict_message(d, path)


def json_dict_message(d: dict, source: str) -> S.Message:
    structs = [S.Struct(c["name"], S.Versions.parse(c.get("versions", "0+")), json_to_fields(c["fields"]))
               for c in d.get("commonStructs", [])]
    return S.Message(name=d["name"], kind=d["type"], key=d.get("apiKey"),
                     versions=S.Versions.parse(d["validVersions"]),
                     flexible=S.Versions.parse(d.get("flexibleVersions", "none")),
                     listeners=d.get("listeners", []), unstable_latest=bool(d.get("latestVersionUnstable")),
                     fields=json_to_fields(d["fields"]), structs=structs, source=source)


def view(m: S.Message, v: int) -> list:
    """The fields of message m as version v sees them, nested, in order."""
    shared = {s.name: s for s in m.structs}
    flexible = m.flexible.contains(v)

    def walk(fields: list[S.Field]) -> list:
        out = []
        for f in fields:
            tagged = f.tag is not None and f.tagged.contains(v) and flexible
            if not (f.versions.contains(v) or tagged):
                continue
            sub = f.fields
            if f.is_struct and not sub and f.element in shared:
                sub = shared[f.element].fields
            fflex = flexible if f.flexible is None else (flexible and f.flexible.contains(v))
            default = norm_default(f.type, f.default)
            out.append((f.name, f.type, f.nullable.contains(v), f.tag if tagged else None, default, fflex,
                        walk(sub)))
        return out

    return walk(m.fields)


def ours() -> dict[str, S.Message]:
    msgs = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "protocol", "schema", "*.gs"))):
        for m in S.parse_file(path):
            msgs[m.name] = m
    return msgs


def base_name(name: str) -> str:
    return re.sub(r"(Request|Response|Record|Key|Value)$", "", name)


class SchemaConformance(unittest.TestCase):
    maxDiff = None

    def compare(self, theirs: S.Message, mine: S.Message, versions: S.Versions) -> None:
        for v in range(versions.lo, versions.hi + 1):
            self.assertEqual(view(theirs, v), view(mine, v), f"{mine.name} v{v} differs from {theirs.source}")

    def test_against_shared_spec(self) -> None:
        if not os.path.isdir(SHARED_SPEC):
            self.skipTest("../shared/kafka-spec is absent")
        mine = ours()
        compared = 0
        for path in sorted(glob.glob(os.path.join(SHARED_SPEC, "*", "*.json"))):
            theirs = json_message(path)
            if base_name(theirs.name) in NOT_OURS or theirs.name in CHANGED_SINCE_SNAPSHOT:
                continue
            self.assertIn(theirs.name, mine, f"{path} has no counterpart in our schema")
            common = theirs.versions.intersect(mine[theirs.name].versions)
            if common.empty:
                continue
            self.assertEqual(theirs.key, mine[theirs.name].key, theirs.name)
            self.compare(theirs, mine[theirs.name], common)
            compared += 1
        self.assertGreater(compared, 150)

    def test_against_kafka_41_jars(self) -> None:
        jars = [os.path.join(M2, j, KAFKA_VERSION, f"{j}-{KAFKA_VERSION}.jar") for j in JARS]
        jars = [j for j in jars if os.path.exists(j)]
        if not jars:
            self.skipTest(f"Apache Kafka {KAFKA_VERSION} jars are not in the local Maven repository")
        mine = ours()
        seen = set()
        for jar in jars:
            with zipfile.ZipFile(jar) as z:
                for name in z.namelist():
                    if not name.endswith(".json") or "message" not in name and "metadata" not in name:
                        continue
                    d = json.loads(strip_comments(z.read(name).decode("utf-8")))
                    if "validVersions" not in d or "fields" not in d:
                        continue
                    theirs = json_dict_message(d, f"{os.path.basename(jar)}:{name}")
                    if base_name(theirs.name) in NOT_OURS or d.get("type") == "metadata" and "storage" in jar:
                        continue
                    if "share-coordinator" in jar and theirs.name in mine and mine[theirs.name].kind != theirs.kind:
                        continue
                    self.assertIn(theirs.name, mine, f"{theirs.source} has no counterpart in our schema")
                    m = mine[theirs.name]
                    self.assertEqual((theirs.key, str(theirs.versions), str(theirs.flexible), theirs.unstable_latest),
                                     (m.key, str(m.versions), str(m.flexible), m.unstable_latest), theirs.name)
                    self.compare(theirs, m, theirs.versions)
                    seen.add(theirs.name)
        self.assertEqual(set(), set(mine) - seen, "messages in our schema that Kafka 4.1 does not have")


if __name__ == "__main__":
    unittest.main(verbosity=2)
