"""Apache Kafka 4.1.1's own kafka-dump-log (kafka.tools.DumpLogSegments) reads the segments Gregor's Log writes.

For each codec, `gregor-log-tool write` appends deterministic batches (keys, null values, headers) into a log
with small segments and a small index.interval.bytes, so there are several segments and the .index/.timeindex
files have many entries. Then the real tool:

  * `--files <every .log> --deep-iteration --print-data-log` must decode every batch and every record, and
    agree with the tool's JSON on offsets, counts, codecs, timestamps, keys, values and header keys
    (DumpLogSegments prints header keys only);
  * `--files <every .index,.timeindex> --verify-index-only` must report no mismatch (each offset-index
    entry names the last offset of the batch at its position; each time-index entry the max timestamp of
    its batch, strictly increasing);
  * `--index-sanity-check` must pass for every index (the check Kafka runs at startup to decide whether to
    rebuild an index).

Any "error", "mismatch", "corrupt", "invalid bytes", "Non-consecutive" or "exception" in the output, or a
non-zero exit, fails the test. This is the proof that the on-disk format is Kafka's.

Env: GREGOR_LOG_TOOL (default <repo>/build/tests/tools/gregor-log-tool); GREGOR_INTEROP_REQUIRE=1 fails
instead of skipping when the tool or the Kafka classpath is missing.
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

CODECS = ["none", "gzip", "snappy", "lz4", "zstd", "mixed"]
# Per case: codec, extra `write` flags. "mixed/full-index" rolls on a full index (segment.index.bytes 96: 12
# offset-index entries, 8 time-index entries) and indexes every batch (index.interval.bytes 1).
CASES = [(c, []) for c in CODECS] + [("mixed", ["--segment-bytes", "1048576", "--index-interval-bytes", "1",
                                                "--segment-index-bytes", "96"])]
CASE_IDS = CODECS + ["mixed/full-index"]
LEADER_EPOCH = 3

BAD_WORDS = re.compile(r"error|mismatch|corrupt|invalid bytes|non-consecutive|exception|not found in the log|"
                       r"out of order", re.IGNORECASE)

BATCH_RE = re.compile(
    r"^baseOffset: (?P<base>\d+) lastOffset: (?P<last>\d+) count: (?P<count>\d+) baseSequence: (?P<bseq>-?\d+) "
    r"lastSequence: (?P<lseq>-?\d+) producerId: (?P<pid>-?\d+) producerEpoch: (?P<pepoch>-?\d+) "
    r"partitionLeaderEpoch: (?P<epoch>-?\d+) isTransactional: (?P<txn>\w+) isControl: (?P<control>\w+) "
    r"deleteHorizonMs: (?P<horizon>\S+) position: (?P<pos>\d+) (?P<tstype>CreateTime|LogAppendTime): "
    r"(?P<maxts>-?\d+) size: (?P<size>\d+) magic: (?P<magic>\d+) compresscodec: (?P<codec>\w+) "
    r"crc: (?P<crc>\d+) isvalid: (?P<valid>\w+)$")
RECORD_RE = re.compile(
    r"^\| offset: (?P<offset>\d+) (?P<tstype>CreateTime|LogAppendTime): (?P<ts>-?\d+) keySize: (?P<ksize>-?\d+) "
    r"valueSize: (?P<vsize>-?\d+) sequence: (?P<seq>-?\d+) headerKeys: \[(?P<hkeys>[^\]]*)\]"
    r"(?: key: (?P<key>\S*))?(?: payload: (?P<payload>.*))?$")


def _require(condition: bool, why: str) -> None:
    if condition:
        return
    if REQUIRE:
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    _require(LOG_TOOL.exists(), f"{LOG_TOOL} not built (set GREGOR_LOG_TOOL)")
    _require(CLASSPATH_FILE.exists(), f"{CLASSPATH_FILE} missing: run scripts/setup-clients")


def write_log(tmp_path: Path, codec: str, seed: int, extra: list[str]) -> dict:
    # Keep the workload flags in step with the `verify` call at the end of the test. Later flags win.
    cmd = [str(LOG_TOOL), "write", str(tmp_path), "--topic", "dump-test", "--partition", "2",
           "--batches", "80", "--records-per-batch", "7", "--codec", codec, "--key-every", "2", "--headers",
           "--value-bytes", "300", "--segment-bytes", "8192", "--index-interval-bytes", "256",
           "--seed", str(seed), "--leader-epoch", str(LEADER_EPOCH), *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"$ {' '.join(cmd)}\nexit {p.returncode}\n{p.stdout}\n{p.stderr}"
    summary = json.loads(p.stdout)
    summary["_cmd"] = " ".join(cmd)
    return summary


def check_clean(result, what: str) -> None:
    """No error words on stderr, none on stdout lines other than record lines (whose payloads are data)."""
    assert result.returncode == 0, f"{what}: non-zero exit\n{result.describe()}"
    for line in result.stderr.splitlines():
        if line.startswith("SLF4J"):
            continue
        assert not BAD_WORDS.search(line), f"{what}: stderr says {line!r}\n{result.describe()}"
    for line in result.stdout.splitlines():
        if line.startswith("| offset:"):
            continue
        assert not BAD_WORDS.search(line), f"{what}: stdout says {line!r}\n{result.describe()}"


def parse_dump(stdout: str) -> tuple[dict[str, list[dict]], list[dict]]:
    """-> ({segment file name: [batch dicts]}, [record dicts]) from --deep-iteration --print-data-log output."""
    batches: dict[str, list[dict]] = {}
    records: list[dict] = []
    current = None
    for line in stdout.splitlines():
        if line.startswith("Dumping "):
            current = Path(line[len("Dumping "):].strip()).name
            batches[current] = []
            continue
        if line.startswith("Log starting offset:") or not line.strip():
            continue
        m = BATCH_RE.match(line)
        if m:
            batches[current].append(m.groupdict())
            continue
        m = RECORD_RE.match(line)
        assert m, f"unparsed kafka-dump-log line: {line!r}"
        rec = m.groupdict()
        rec["file"] = current
        records.append(rec)
    return batches, records


@pytest.mark.parametrize("codec,extra", CASES, ids=CASE_IDS)
def test_kafka_dump_log_reads_our_segments(tmp_path: Path, codec: str, extra: list[str]):
    seed = 1000 + CASES.index((codec, extra))
    summary = write_log(tmp_path, codec, seed, extra)
    pdir = Path(summary["partition_dir"])
    assert pdir.name == "dump-test-2"
    seg_files = sorted(pdir.glob("*.log"))
    assert [f.name for f in seg_files] == [s["file"] for s in summary["segments"]]
    assert len(seg_files) >= 3, f"expected several segments, got {[f.name for f in seg_files]}"
    for f in seg_files:
        assert re.fullmatch(r"\d{20}\.log", f.name)
        for suffix in (".index", ".timeindex"):
            assert f.with_suffix(suffix).exists(), f"{f.with_suffix(suffix).name} missing"

    # ---- deep iteration over every segment
    dump = run_kafka_tool("kafka-dump-log", "--files", ",".join(map(str, seg_files)), "--deep-iteration",
                          "--print-data-log", timeout=120, check=False)
    check_clean(dump, "kafka-dump-log --deep-iteration")
    seg_batches, records = parse_dump(dump.stdout)

    expected_batches = summary["batches"]
    got_batches = [b for f in seg_files for b in seg_batches.get(f.name, [])]
    assert len(got_batches) == len(expected_batches), "batch count differs"
    for seg in summary["segments"]:
        got = seg_batches.get(seg["file"], [])
        assert len(got) == seg["batches"], f"{seg['file']}: {len(got)} batches, tool says {seg['batches']}"
        position = 0
        for b in got:
            assert int(b["pos"]) == position, f"{seg['file']}: batch at {b['pos']}, expected {position}"
            position += int(b["size"])
        assert position == seg["size"], f"{seg['file']}: batches cover {position} of {seg['size']} bytes"
        if got:
            assert int(got[0]["base"]) == seg["base_offset"], f"{seg['file']} does not start at its base offset"
    for exp, got in zip(expected_batches, got_batches):
        where = f"batch at {exp['base_offset']}"
        assert int(got["base"]) == exp["base_offset"], where
        assert int(got["last"]) == exp["last_offset"], where
        assert int(got["count"]) == exp["records"], where
        assert got["valid"] == "true", where
        assert int(got["magic"]) == 2, where
        assert got["codec"] == exp["codec"], f"{where}: codec {got['codec']}, wrote {exp['codec']}"
        assert int(got["size"]) == exp["size"], where
        assert int(got["epoch"]) == LEADER_EPOCH, where
        assert got["tstype"] == "CreateTime", where
        assert int(got["maxts"]) == exp["max_timestamp"], where
        assert int(got["pid"]) == -1 and got["txn"] == "false" and got["control"] == "false", where

    expected_records = summary["records"]
    assert len(records) == len(expected_records), "record count differs"
    assert [int(r["offset"]) for r in records] == list(range(summary["log_end_offset"]))
    for exp, got in zip(expected_records, records):
        where = f"record at offset {exp['offset']}"
        assert int(got["offset"]) == exp["offset"], where
        assert int(got["ts"]) == exp["timestamp"], where
        if exp["key"] is None:
            assert int(got["ksize"]) == -1 and got["key"] is None, where
        else:
            assert int(got["ksize"]) == len(exp["key"].encode()) and got["key"] == exp["key"], where
        if exp["value"] is None:
            assert int(got["vsize"]) == -1 and got["payload"] is None, where
        else:
            assert int(got["vsize"]) == len(exp["value"].encode()), where
            assert got["payload"] == exp["value"], where
        header_keys = [h[0] for h in exp["headers"]]
        assert got["hkeys"] == ",".join(header_keys), where
    assert any(r["key"] is None for r in expected_records) and any(r["key"] for r in expected_records)
    assert any(r["value"] is None for r in expected_records), "the workload should include tombstones"
    assert any(r["headers"] for r in expected_records), "the workload should include headers"

    # ---- indexes
    index_files = []
    for f in seg_files:
        index_files += [f.with_suffix(".index"), f.with_suffix(".timeindex")]
    entries = check_index_files(pdir, seg_files)
    assert entries["index"] >= 20, f"expected many offset-index entries, got {entries}"
    assert entries["timeindex"] >= 20, f"expected many time-index entries, got {entries}"

    verify = run_kafka_tool("kafka-dump-log", "--files", ",".join(map(str, index_files)), "--verify-index-only",
                            timeout=120, check=False)
    check_clean(verify, "kafka-dump-log --verify-index-only")

    plain = run_kafka_tool("kafka-dump-log", "--files", ",".join(map(str, index_files)), timeout=120, check=False)
    check_clean(plain, "kafka-dump-log (index dump)")
    check_index_dump(plain.stdout, seg_batches)

    sanity = run_kafka_tool("kafka-dump-log", "--files", ",".join(map(str, index_files)), "--index-sanity-check",
                            timeout=120, check=False)
    check_clean(sanity, "kafka-dump-log --index-sanity-check")
    for f in index_files:
        if f.stat().st_size:
            assert f"{f} passed sanity check." in sanity.stdout, f"no sanity verdict for {f.name}\n{sanity.stdout}"

    # ---- and our own reader agrees (last: opening the log runs recovery, which may rewrite the indexes)
    cmd = [str(LOG_TOOL), "verify", str(tmp_path), "--fixed", "--topic", "dump-test", "--partition", "2",
           "--records-per-batch", "7", "--codec", codec, "--key-every", "2", "--headers", "--value-bytes", "300",
           "--seed", str(seed)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"$ {' '.join(cmd)}\n{p.stdout}\n{p.stderr}"
    verdict = json.loads(p.stdout)
    assert verdict["ok"] and verdict["log_end_offset"] == summary["log_end_offset"], verdict
    assert verdict["payload_crc32c"] == summary["payload_crc32c"], verdict


def check_index_files(pdir: Path, seg_files: list[Path]) -> dict[str, int]:
    """Closed log: index files trimmed to their entries (no preallocated zero tail)."""
    counts = {"index": 0, "timeindex": 0}
    for f in seg_files:
        base = int(f.stem)
        for suffix, width in ((".index", 8), (".timeindex", 12)):
            data = f.with_suffix(suffix).read_bytes()
            assert len(data) % width == 0, f"{f.with_suffix(suffix).name}: {len(data)} bytes, not whole entries"
            n = len(data) // width
            for i in range(1, n):
                entry = data[i * width:(i + 1) * width]
                assert entry != bytes(width), f"{f.with_suffix(suffix).name}: zero entry {i} (not trimmed?)"
            counts[suffix[1:]] += n
        _ = base
    return counts


def check_index_dump(stdout: str, seg_batches: dict[str, list[dict]]) -> None:
    """Each offset-index entry points at a batch start whose last offset it names; time-index entries name a
    batch's last offset and its max timestamp."""
    current = None
    for line in stdout.splitlines():
        if line.startswith("Dumping "):
            current = Path(line[len("Dumping "):].strip())
            continue
        m = re.match(r"^offset: (\d+) position: (\d+)$", line)
        if m:
            batches = seg_batches[current.with_suffix(".log").name]
            at = [b for b in batches if int(b["pos"]) == int(m[2])]
            assert at, f"{current.name}: entry {line!r} does not point at a batch start"
            assert int(at[0]["last"]) == int(m[1]), f"{current.name}: entry {line!r} vs batch {at[0]}"
            continue
        m = re.match(r"^timestamp: (-?\d+) offset: (\d+)$", line)
        if m:
            batches = seg_batches[current.with_suffix(".log").name]
            at = [b for b in batches if int(b["last"]) == int(m[2])]
            assert at, f"{current.name}: entry {line!r} names no batch's last offset"
            assert int(at[0]["maxts"]) == int(m[1]), f"{current.name}: entry {line!r} vs batch {at[0]}"
