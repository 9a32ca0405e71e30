"""Crash test for the partition Log: SIGKILL a writer at random points, recover, check the log.

Each iteration (seeded; every seed is printed, and the master seed is in every failure message):
  1. `gregor-log-tool writer` appends the deterministic batch sequence of a seed to a fresh log dir or to the
     previous iteration's, printing `acked <last offset> <crc>` after each Log::flush returned (or, in half the
     iterations, `--flusher`: after the group-commit Flusher called back while the appends went on);
  2. after a random 50-500 ms (sometimes 1-30 ms, to land inside the writer's own recovery) it gets SIGKILL;
  3. sometimes we then simulate what a power loss adds to a process crash: everything after a random byte
     past the last acknowledged flush point is lost or torn (the segment truncated there, or zero-filled, or
     overwritten with junk; later segments deleted, emptied, zeroed or left; their indexes cut or zeroed).
     Bytes before the acknowledged point are never touched: fdatasync made them durable;
     In a third of the log dirs the writer (and verify) open the log through a LogManager instead, as the
     broker does: recovery starts at the checkpointed recovery point (written every 5-100 ms by its background
     thread, so kills land inside checkpoint writes too) and the clean-shutdown marker is honoured; a
     checkpointed recovery point counts as durable like an ack;
  4. `gregor-log-tool verify` opens the log (running recovery) and checks that it is exactly a prefix of the
     sequence (byte for byte, every batch CRC-valid and decodable, offsets contiguous from 0, reads inside a
     batch return the whole batch) and that it holds at least everything ever acknowledged, with the same
     payload CRC the writer acknowledged.

Env: GREGOR_LOG_TOOL (default <repo>/build/tests/tools/gregor-log-tool), GREGOR_CRASH_ITERATIONS (default 40),
GREGOR_CRASH_SECONDS (time budget, default 50), GREGOR_CRASH_SEED (master seed; random by default),
GREGOR_CHAOS_REQUIRE=1 (fail instead of skip when the tool is missing).
"""
from __future__ import annotations

import json
import os
import random
import signal
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOG_TOOL = Path(os.environ.get("GREGOR_LOG_TOOL", REPO / "build" / "tests" / "tools" / "gregor-log-tool"))
ITERATIONS = int(os.environ.get("GREGOR_CRASH_ITERATIONS", "40"))
BUDGET_S = float(os.environ.get("GREGOR_CRASH_SECONDS", "50"))
TOPIC, PARTITION = "crash", 0


def _master_seed() -> int:
    env = os.environ.get("GREGOR_CRASH_SEED")
    return int(env) if env else random.SystemRandom().randrange(1 << 31)


@pytest.fixture(scope="module", autouse=True)
def _tool():
    if not LOG_TOOL.exists():
        if os.environ.get("GREGOR_CHAOS_REQUIRE") == "1":
            pytest.fail(f"{LOG_TOOL} not built")
        pytest.skip(f"{LOG_TOOL} not built (set GREGOR_LOG_TOOL)")


# ----------------------------------------------------------------------------- segment files

def segment_files(pdir: Path) -> list[Path]:
    return sorted(p for p in pdir.glob("*.log") if len(p.stem) == 20 and p.stem.isdigit())


def batch_boundaries(path: Path) -> list[tuple[int, int, int]]:
    """(position, base offset, next offset) of each whole batch at the start of a .log file, up to the first
    that is cut short or has an impossible length (framing only: enough to find byte positions)."""
    out = []
    data = path.read_bytes()
    pos = 0
    while pos + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        if length < 49 or pos + 12 + length > len(data):
            break
        last_delta = struct.unpack_from(">i", data, pos + 23)[0]
        out.append((pos, base, base + last_delta + 1))
        pos += 12 + length
    return out


def durable_position(pdir: Path, durable_end: int) -> tuple[int, int]:
    """(index of the segment file, byte position in it) where offset `durable_end` starts: the first byte a
    power loss may lose."""
    files = segment_files(pdir)
    if durable_end == 0 or not files:
        return 0, 0
    for i, f in enumerate(files):
        for pos, base, nxt in batch_boundaries(f):
            if nxt == durable_end:
                return i, pos + (12 + struct.unpack_from(">i", f.read_bytes(), pos + 8)[0])
            if base >= durable_end:
                return i, pos
    raise AssertionError(f"acknowledged end {durable_end} not found at a batch boundary in {pdir}")


def _zero_tail(path: Path, start: int) -> None:
    size = path.stat().st_size
    if start < size:
        with open(path, "r+b") as fh:
            fh.seek(start)
            fh.write(bytes(size - start))


def _damage_index(rng: random.Random, log_file: Path, notes: list[str]) -> None:
    for suffix in (".index", ".timeindex"):
        idx = log_file.with_suffix(suffix)
        if not idx.exists() or rng.random() < 0.5:
            continue
        size = idx.stat().st_size
        cut = rng.randrange(size + 1)
        if rng.random() < 0.5:
            os.truncate(idx, cut)
            notes.append(f"{idx.name} truncated to {cut}")
        else:
            _zero_tail(idx, cut)
            notes.append(f"{idx.name} zeroed from {cut}")


def simulate_power_loss(rng: random.Random, pdir: Path, durable_end: int) -> list[str]:
    """Lose or tear everything after a random byte past the durable point. Returns what was done."""
    files = segment_files(pdir)
    if not files:
        return []
    seg, pos = durable_position(pdir, durable_end)
    # Pick the cut uniformly over the bytes after the durable point.
    spans = [(seg, pos, files[seg].stat().st_size)] + [(i, 0, files[i].stat().st_size)
                                                         for i in range(seg + 1, len(files))]
    total = sum(end - start for _, start, end in spans)
    if total == 0:
        return []
    target = rng.randrange(total + 1)
    cut_seg, cut_pos = spans[-1][0], spans[-1][2]
    for i, start, end in spans:
        if target <= end - start:
            cut_seg, cut_pos = i, start + target
            break
        target -= end - start
    notes = []
    f = files[cut_seg]
    mode = rng.choice(["truncate", "zero", "junk"])
    if mode == "truncate":
        os.truncate(f, cut_pos)
    elif mode == "zero":
        _zero_tail(f, cut_pos)
    else:
        size = f.stat().st_size
        n = min(size - cut_pos, rng.randrange(1, 4097))
        if n > 0:
            with open(f, "r+b") as fh:
                fh.seek(cut_pos)
                fh.write(rng.randbytes(n))
    notes.append(f"{f.name} {mode} at {cut_pos}")
    _damage_index(rng, f, notes)
    for later in files[cut_seg + 1:]:
        fate = rng.choice(["leave", "delete", "empty", "zero"])
        if fate == "delete":
            for suffix in (".log", ".index", ".timeindex"):
                later.with_suffix(suffix).unlink(missing_ok=True)
        elif fate == "empty":
            os.truncate(later, 0)
        elif fate == "zero":
            _zero_tail(later, 0)
        if fate != "delete":
            _damage_index(rng, later, notes)
        notes.append(f"{later.name} {fate}")
    return notes


# ----------------------------------------------------------------------------- one crash

class Writer:
    def __init__(self, args: list[str]):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self.err = b""
        self._out = threading.Thread(target=self._read_out, daemon=True)
        self._err = threading.Thread(target=self._read_err, daemon=True)
        self._out.start()
        self._err.start()

    def _read_out(self):
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace"))

    def _read_err(self):
        self.err = self.proc.stderr.read()

    def kill(self) -> int | None:
        """SIGKILL; returns the exit code if it had already exited on its own, else None."""
        early = self.proc.poll()
        if early is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._out.join(10)
        self._err.join(10)
        return early

    def last_ack(self) -> tuple[int, str] | None:
        """The highest acknowledged (offset, crc); a line cut short by the kill does not count."""
        best = None
        for line in self.lines:
            parts = line.split()
            if line.endswith("\n") and len(parts) == 3 and parts[0] == "acked":
                if best is None or int(parts[1]) > best[0]:
                    best = (int(parts[1]), parts[2])
        return best

    def acks(self) -> int:
        return sum(1 for line in self.lines if line.startswith("acked"))


def read_recovery_checkpoint(root: Path) -> int:
    """Our partition's offset in DIR/recovery-point-offset-checkpoint (Kafka's format: version 0, a count, then
    "topic partition offset" lines); 0 when absent."""
    try:
        lines = (root / "recovery-point-offset-checkpoint").read_text().splitlines()
    except OSError:
        return 0
    for line in lines[2:]:
        parts = line.split()
        if len(parts) == 3 and parts[0] == TOPIC and parts[1] == str(PARTITION):
            return int(parts[2])
    return 0


def run_verify(pdir_root: Path, seed: int, durable_end: int, acked_crc: str | None, acked_end: int,
               manager: bool) -> dict:
    cmd = [str(LOG_TOOL), "verify", str(pdir_root), "--topic", TOPIC, "--partition", str(PARTITION),
           "--seed", str(seed), "--min-end-offset", str(durable_end)]
    if acked_end > 0 and acked_crc is not None:
        cmd += ["--acked-offset", str(acked_end - 1), "--acked-crc", acked_crc]
    if manager:
        cmd.append("--manager")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    try:
        result = json.loads(p.stdout)
    except json.JSONDecodeError:
        result = {"ok": False, "error": f"unparseable output {p.stdout!r}"}
    result["_exit"] = p.returncode
    result["_stderr"] = p.stderr[-4000:]
    result["_cmd"] = " ".join(cmd)
    return result


def test_sigkill_recovery_keeps_an_exact_prefix_with_everything_acked(tmp_path: Path):
    master = _master_seed()
    print(f"crash test master seed {master} (GREGOR_CRASH_SEED={master} to replay), "
          f"{ITERATIONS} iterations, budget {BUDGET_S}s")
    t0 = time.monotonic()
    state = None  # the current log dir: {"root", "seed", "config", "durable_end", "durable_crc", "epoch"}
    stats = {"iterations": 0, "acks": 0, "damaged": 0, "truncated_bytes": 0, "fresh_dirs": 0, "max_end": 0}
    for it in range(ITERATIONS):
        if time.monotonic() - t0 > BUDGET_S:
            print(f"time budget reached after {it} iterations")
            break
        rng = random.Random(master * 1_000_003 + it)
        if state is None or rng.random() < 0.25:
            root = tmp_path / f"dir{it}"
            state = {
                "root": root,
                "seed": rng.randrange(1, 1 << 32),
                "config": ["--segment-bytes", str(rng.choice([16384, 65536, 262144, 1048576])),
                           "--index-interval-bytes", str(rng.choice([128, 512, 4096])),
                           "--segment-index-bytes", str(rng.choice([1024, 4096, 10485760]))],
                "durable_end": 0,
                "durable_crc": None,
                "epoch": 0,
                # A LogManager opens the log (checkpoints, clean-shutdown marker, its Flusher acks).
                "manager": rng.random() < 0.35,
            }
            stats["fresh_dirs"] += 1
        state["epoch"] += 1
        where = (f"master seed {master}, iteration {it}, workload seed {state['seed']}, dir {state['root']}, "
                 f"config {' '.join(state['config'])}")
        print(where)

        args = [str(LOG_TOOL), "writer", str(state["root"]), "--topic", TOPIC, "--partition", str(PARTITION),
                "--seed", str(state["seed"]), "--leader-epoch", str(state["epoch"]), *state["config"]]
        if state["manager"]:
            args += ["--manager", "--checkpoint-ms", str(rng.choice([5, 20, 100]))]
        elif rng.random() < 0.5:
            args.append("--flusher")  # acknowledged by the group-commit Flusher while appends go on
        delay = rng.uniform(0.001, 0.030) if rng.random() < 0.15 else rng.uniform(0.05, 0.5)
        writer = Writer(args)
        time.sleep(delay)
        early = writer.kill()
        assert early is None, (f"{where}: the writer exited on its own with {early}\n"
                               f"$ {' '.join(args)}\n{''.join(writer.lines[-5:])}{writer.err.decode(errors='replace')}")
        ack = writer.last_ack()
        stats["acks"] += writer.acks()
        if ack is not None:
            acked_end = ack[0] + 1
            assert acked_end >= state.get("acked_end", 0), f"{where}: writer acked {acked_end} below an earlier ack"
            state["acked_end"], state["durable_crc"] = acked_end, ack[1]
            state["durable_end"] = max(state["durable_end"], acked_end)

        pdir = state["root"] / f"{TOPIC}-{PARTITION}"
        # The checkpointed recovery point was fsynced before it was written (its flush may have returned
        # just before the kill, with no ack printed yet): a power loss cannot take anything below it.
        checkpointed = read_recovery_checkpoint(state["root"])
        state["durable_end"] = max(state["durable_end"], checkpointed)
        notes = []
        if pdir.exists() and rng.random() < 0.5:
            notes = simulate_power_loss(rng, pdir, state["durable_end"])
            if notes:
                stats["damaged"] += 1
        if notes:
            print("  power loss: " + "; ".join(notes))

        result = run_verify(state["root"], state["seed"], state["durable_end"], state["durable_crc"],
                            state["acked_end"] if "acked_end" in state else 0, state["manager"])
        assert result["_exit"] == 0 and result.get("ok") is True, (
            f"{where}\nkilled after {delay * 1000:.0f} ms, durable end {state['durable_end']}, damage: {notes}\n"
            f"$ {result['_cmd']}\n{json.dumps({k: v for k, v in result.items() if not k.startswith('_')})}\n"
            f"{result['_stderr']}")
        assert result["log_end_offset"] >= state["durable_end"]
        stats["truncated_bytes"] += result["recovery"]["bytes_truncated"]
        stats["max_end"] = max(stats["max_end"], result["log_end_offset"])
        stats["iterations"] += 1
        mode = "manager" if state["manager"] else "flusher" if "--flusher" in args else "Log::flush"
        print(f"  {mode}, killed after {delay * 1000:.0f} ms, acked end {state['durable_end']}, recovered end "
              f"{result['log_end_offset']} ({result['segments']} segments, recovery cut "
              f"{result['recovery']['bytes_truncated']} bytes)")

    print(f"crash test: {stats}")
    assert stats["iterations"] >= min(ITERATIONS, 5), f"only {stats['iterations']} iterations ran (seed {master})"
    assert stats["acks"] > 0, f"no writer ever acknowledged a flush (seed {master})"
