"""Deterministic torn-segment vectors for Log recovery (docs: shared design durability-security.md, "Crash
recovery of a torn segment", after Kafka's LogLoader / LogSegment.recover).

A small log is written once with `gregor-log-tool write`; each vector damages a fresh copy, then
`gregor-log-tool verify` opens it (unclean: recovery from offset 0) and must find exactly the whole, valid
batches before the damage, nothing after it (a valid batch after a corrupt one is dropped, later segments are
deleted), a leader-epoch cache that agrees with the cut log, and correct reads and timestamp lookups (indexes
rebuilt). Vectors:
  * the file cut at every byte of the last two batches;
  * a zero-filled tail from each batch start and from mid-batch; a preallocated zero tail after the last batch;
  * one bit flipped in every CRC-covered or framing byte of a middle batch (the base offset and partition
    leader epoch lie outside the CRC by design, as in Kafka, and are not flipped);
  * a length field running past the end of the file;
  * corruption in a middle segment of a multi-segment log: that segment cut, every later segment dropped;
  * the epoch cache agrees with the cut log (checked by verify in every vector);
  * missing, truncated or garbage .index/.timeindex files (rebuilt);
  * leftover .cleaned/.deleted files (removed).
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOG_TOOL = Path(os.environ.get("GREGOR_LOG_TOOL", REPO / "build" / "tests" / "tools" / "gregor-log-tool"))
TOPIC, PARTITION = "torn", 0
WORKLOAD = ["--records-per-batch", "2", "--codec", "none", "--key-every", "2", "--headers", "--value-bytes", "12",
            "--seed", "42"]


@pytest.fixture(scope="module", autouse=True)
def _tool():
    if not LOG_TOOL.exists():
        if os.environ.get("GREGOR_CHAOS_REQUIRE") == "1":
            pytest.fail(f"{LOG_TOOL} not built")
        pytest.skip(f"{LOG_TOOL} not built (set GREGOR_LOG_TOOL)")


class Pristine:
    """A log written once; `batches` lists (segment file, position, size, base offset, next offset)."""

    def __init__(self, root: Path, batches: int, segment_bytes: int):
        cmd = [str(LOG_TOOL), "write", str(root), "--topic", TOPIC, "--partition", str(PARTITION),
               "--batches", str(batches), "--segment-bytes", str(segment_bytes), "--index-interval-bytes", "64",
               "--no-records", *WORKLOAD]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"$ {' '.join(cmd)}\n{p.stdout}\n{p.stderr}"
        self.summary = json.loads(p.stdout)
        self.root = root
        self.pdir = Path(self.summary["partition_dir"])
        self.log_end = self.summary["log_end_offset"]
        self.batches = []
        it = iter(self.summary["batches"])
        for seg in self.summary["segments"]:
            pos = 0
            for _ in range(seg["batches"]):
                b = next(it)
                self.batches.append((seg["file"], pos, b["size"], b["base_offset"], b["last_offset"] + 1))
                pos += b["size"]
            assert pos == seg["size"]

    def copy(self, dest: Path) -> Path:
        """A fresh copy of the log dir; returns the partition dir inside it."""
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(self.root, dest)
        return dest / self.pdir.name


def verify(root: Path) -> dict:
    cmd = [str(LOG_TOOL), "verify", str(root), "--fixed", "--topic", TOPIC, "--partition", str(PARTITION),
           *WORKLOAD]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    try:
        result = json.loads(p.stdout)
    except json.JSONDecodeError:
        result = {"ok": False, "error": f"unparseable output {p.stdout!r}"}
    result["_exit"] = p.returncode
    result["_cmd"] = " ".join(cmd)
    result["_stderr"] = p.stderr[-2000:]
    return result


def check(pristine: Pristine, work: Path, damage, expected_end: int, what: str, failures: list[str]) -> dict:
    pdir = pristine.copy(work)
    damage(pdir)
    r = verify(work)
    if r["_exit"] != 0 or not r.get("ok"):
        failures.append(f"{what}: verify failed: {r.get('error')} (kept in {work}_failed)\n  $ {r['_cmd']}")
    elif r["log_end_offset"] != expected_end:
        failures.append(f"{what}: recovered end {r['log_end_offset']}, expected exactly {expected_end}")
    else:
        # Nothing past the log end survives: later segments are gone (an empty active segment may start there).
        for f in pdir.glob("*.log"):
            base = int(f.stem)
            if base > expected_end or (base == expected_end and f.stat().st_size > 0):
                failures.append(f"{what}: segment {f.name} ({f.stat().st_size} bytes) survived the cut at "
                                f"{expected_end}")
    if failures and failures[-1].startswith(what + ":"):
        dest = Path(f"{work}_failed")
        if not dest.exists():
            shutil.copytree(work, dest)
    return r


def report(failures: list[str], total: int) -> None:
    assert not failures, f"{len(failures)} of {total} vectors failed:\n" + "\n".join(failures[:30])


@pytest.fixture(scope="module")
def one_segment(tmp_path_factory) -> Pristine:
    return Pristine(tmp_path_factory.mktemp("pristine1"), batches=8, segment_bytes=1 << 20)


@pytest.fixture(scope="module")
def many_segments(tmp_path_factory) -> Pristine:
    return Pristine(tmp_path_factory.mktemp("pristine4"), batches=16, segment_bytes=420)


def _truncate(file: Path, size: int):
    return lambda pdir: os.truncate(pdir / file, size)


def test_cut_at_every_byte(one_segment: Pristine, tmp_path: Path):
    p = one_segment
    failures, total = [], 0
    for seg, pos, size, base, nxt in p.batches[-2:]:
        for cut in range(pos, pos + size):
            total += 1
            check(p, tmp_path / "w", _truncate(Path(seg), cut), base, f"cut {seg} at {cut}", failures)
    report(failures, total)


def test_zero_filled_tails(one_segment: Pristine, tmp_path: Path):
    p = one_segment
    failures, total = [], 0

    def zero_from(seg: str, start: int, extra: int = 0):
        def damage(pdir: Path):
            f = pdir / seg
            size = f.stat().st_size
            with open(f, "r+b") as fh:
                fh.seek(start)
                fh.write(bytes(size - start + extra))
        return damage

    for seg, pos, size, base, nxt in p.batches[1:]:
        data = (p.pdir / seg).read_bytes()
        for start in (pos, pos + 1, pos + 12, pos + size // 2, pos + size - 1):
            # Zeroing bytes that already are zero damages nothing: the batch then survives.
            expected = nxt if not any(data[start:pos + size]) else base
            total += 1
            check(p, tmp_path / "w", zero_from(seg, start), expected, f"{seg} zeroed from {start}", failures)
    seg = p.batches[-1][0]
    end = p.batches[-1][1] + p.batches[-1][2]
    total += 1
    check(p, tmp_path / "w", zero_from(seg, end, 8192), p.log_end, f"{seg}: 8 KiB preallocated zeros after the end",
          failures)
    report(failures, total)


def test_bit_flip_in_every_checked_byte(one_segment: Pristine, tmp_path: Path):
    p = one_segment
    seg, pos, size, base, nxt = p.batches[3]  # a valid batch follows it: it must be dropped too
    failures, total = [], 0

    def flip(at: int, bit: int):
        def damage(pdir: Path):
            with open(pdir / seg, "r+b") as fh:
                fh.seek(at)
                b = fh.read(1)[0]
                fh.seek(at)
                fh.write(bytes([b ^ (1 << bit)]))
        return damage

    # Bytes 0-7 (base offset) and 12-15 (partition leader epoch) are outside the CRC, as in Kafka.
    for rel in [*range(8, 12), *range(16, size)]:
        total += 1
        check(p, tmp_path / "w", flip(pos + rel, rel % 8), base, f"{seg}: bit {rel % 8} of byte {rel} of the batch "
              f"at {base} flipped", failures)
    report(failures, total)


def test_length_past_end_of_file(one_segment: Pristine, tmp_path: Path):
    p = one_segment
    failures = []
    for k in (3, len(p.batches) - 1):
        seg, pos, size, base, nxt = p.batches[k]
        for length in (size - 12 + 1, 0x7FFFFF00):
            def damage(pdir: Path, seg=seg, pos=pos, length=length):
                with open(pdir / seg, "r+b") as fh:
                    fh.seek(pos + 8)
                    fh.write(struct.pack(">i", length))
            check(p, tmp_path / "w", damage, base, f"batch at {base}: length {length}", failures)
    report(failures, 4)


def test_corrupt_middle_segment_drops_later_segments(many_segments: Pristine, tmp_path: Path):
    p = many_segments
    files = sorted({b[0] for b in p.batches})
    assert len(files) >= 4, f"expected several segments, got {files}"
    failures, total = [], 0
    middle = [b for b in p.batches if b[0] == files[1]]
    for seg, pos, size, base, nxt in (middle[0], middle[-1]):
        def damage(pdir: Path, seg=seg, pos=pos, size=size):
            with open(pdir / seg, "r+b") as fh:
                fh.seek(pos + size - 3)
                fh.write(b"\xde\xad")
        total += 1
        r = check(p, tmp_path / "w", damage, base, f"payload of the batch at {base} in {seg} corrupted", failures)
        if r.get("ok") and r["recovery"]["segments_deleted"] < len(files) - 2:
            failures.append(f"batch at {base}: recovery reports {r['recovery']['segments_deleted']} segments deleted")
    # (A whole segment file missing is not a vector: gaps between segments are legal after compaction, and
    # Kafka's LogLoader does not detect one either.)
    report(failures, total)


def test_damaged_indexes_are_rebuilt(many_segments: Pristine, tmp_path: Path):
    p = many_segments
    files = sorted({b[0] for b in p.batches})
    failures, total = [], 0

    def each_index(action):
        def damage(pdir: Path):
            for f in files:
                for suffix in (".index", ".timeindex"):
                    action(pdir / Path(f).with_suffix(suffix).name)
        return damage

    def garbage(path: Path):
        size = max(path.stat().st_size, 24)
        path.write_bytes(bytes((i * 151 + 7) % 256 for i in range(size)))

    for name, action in (("deleted", lambda f: f.unlink()),
                         ("truncated to 5 bytes", lambda f: os.truncate(f, 5)),
                         ("zero-filled", lambda f: f.write_bytes(bytes(f.stat().st_size))),
                         ("garbage", garbage)):
        total += 1
        r = check(p, tmp_path / "w", each_index(action), p.log_end, f"every index {name}", failures)
        if r.get("ok") and r["recovery"]["indexes_rebuilt"] == 0 and name != "zero-filled":
            failures.append(f"every index {name}: recovery reports no index rebuilt")
    report(failures, total)


def test_leftover_cleaner_and_delete_files_are_resolved(many_segments: Pristine, tmp_path: Path):
    p = many_segments
    files = sorted({b[0] for b in p.batches})
    failures = []

    def leftovers(pdir: Path):
        shutil.copy(pdir / files[0], pdir / (files[0] + ".deleted"))
        shutil.copy(pdir / files[1], pdir / (files[1] + ".cleaned"))
        shutil.copy(pdir / Path(files[1]).with_suffix(".index").name,
                    pdir / (Path(files[1]).with_suffix(".index").name + ".cleaned"))

    check(p, tmp_path / "w", leftovers, p.log_end, "leftover .deleted/.cleaned files", failures)
    left = sorted(f.name for f in (tmp_path / "w" / p.pdir.name).iterdir()
                  if f.name.endswith((".cleaned", ".deleted")))
    if left:
        failures.append(f"leftover files not resolved: {left}")
    report(failures, 1)
