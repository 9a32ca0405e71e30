"""Apache Kafka 4.1.1's kafka-dump-log decodes the producer state snapshots Gregor's Log writes.

`gregor-log-tool producers` appends idempotent batches from three producers (a retried duplicate among them, a
segment roll half-way), closes the log and prints what each producer's state must be. The real
`kafka-dump-log --files <every .snapshot>` must read both snapshots (the roll's and the clean close's: Kafka
checks the version and the CRC-32C) and show, for the latest, exactly those producers, epochs, last sequences,
last offsets and timestamps.

Env: GREGOR_LOG_TOOL (default <repo>/build/tests/tools/gregor-log-tool); GREGOR_INTEROP_REQUIRE=1 fails instead of
skipping when the tool or the Kafka classpath is missing.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kafka_tools import CLASSPATH_FILE, run_kafka_tool  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LOG_TOOL = Path(os.environ.get("GREGOR_LOG_TOOL", REPO / "build" / "tests" / "tools" / "gregor-log-tool"))
REQUIRE = os.environ.get("GREGOR_INTEROP_REQUIRE") == "1"

ENTRY_RE = re.compile(
    r"^producerId: (?P<pid>-?\d+) producerEpoch: (?P<epoch>-?\d+) coordinatorEpoch: (?P<coord>-?\d+) "
    r"currentTxnFirstOffset: (?P<txn>\S+) lastTimestamp: (?P<lts>-?\d+) firstSequence: (?P<fseq>-?\d+) "
    r"lastSequence: (?P<lseq>-?\d+) lastOffset: (?P<loff>-?\d+) offsetDelta: (?P<delta>-?\d+) "
    r"timestamp: (?P<ts>-?\d+)$")


def _require(condition: bool, why: str) -> None:
    if condition:
        return
    if REQUIRE:
        pytest.fail(why)
    pytest.skip(why)


def test_kafka_dump_log_reads_producer_snapshots(tmp_path):
    _require(LOG_TOOL.exists(), f"{LOG_TOOL} not built (set GREGOR_LOG_TOOL)")
    _require(CLASSPATH_FILE.exists(), f"{CLASSPATH_FILE} missing: run scripts/setup-clients")
    out = subprocess.run([str(LOG_TOOL), "producers", str(tmp_path), "--producers", "3", "--batches", "4"],
                         capture_output=True, text=True, timeout=60, check=True)
    expected = json.loads(out.stdout)
    part = tmp_path / "idem-0"
    snapshots = sorted(part.glob("*.snapshot"))
    end = expected["log_end_offset"]
    assert [s.name for s in snapshots] == ["00000000000000000012.snapshot", f"{end:020d}.snapshot"]

    r = run_kafka_tool("kafka-dump-log", "--files", ",".join(str(s) for s in snapshots), timeout=120)
    assert "exception" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
    dumped: dict[str, list[dict]] = {}
    current = None
    for line in r.stdout.splitlines():
        if line.startswith("Dumping "):
            current = Path(line.split(" ", 1)[1]).name
            dumped[current] = []
        elif line.strip():
            m = ENTRY_RE.match(line.strip())
            assert m, f"unexpected line: {line!r}"
            dumped[current].append(m.groupdict())
    assert set(dumped) == {s.name for s in snapshots}
    assert len(dumped["00000000000000000012.snapshot"]) == 3

    latest = dumped[f"{end:020d}.snapshot"]
    assert len(latest) == len(expected["producers"])
    for got, want in zip(latest, expected["producers"]):
        assert int(got["pid"]) == want["producer_id"]
        assert int(got["epoch"]) == want["epoch"]
        assert int(got["lseq"]) == want["last_sequence"]
        assert int(got["fseq"]) == want["last_sequence"] - 1  # two records per batch
        assert int(got["loff"]) == want["last_offset"]
        assert int(got["delta"]) == 1
        assert int(got["ts"]) == want["timestamp"] == int(got["lts"])
        assert int(got["coord"]) == -1
        assert got["txn"] == "OptionalLong.empty"
