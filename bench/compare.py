#!/usr/bin/env python3
"""Gregor against Apache Kafka 4.1.1 on the same machine, same workloads, one broker at a time.

    bench/compare.py                       # everything, 3 runs per figure (median), ~20-30 min on 2 cores
    bench/compare.py --smoke               # tiny sizes, 1 run, a few scenarios: < 2 min (scripts/test runs it)
    bench/compare.py --only produce/kgo,e2e --runs 1 --size 256M

For each broker in turn (Apache Kafka first, then build/gregor), in fresh log directories under --workdir
(default /var/tmp: the disk, not tmpfs): a "main" session (start, every produce scenario, the end-to-end latency
run, peak RSS, stop), then per run a "bulk" cycle (fresh start, produce --size, consume it all from the start,
SIGKILL, restart until the last offset is served again, stop). The broker runs on CPU 0, this script and every
load generator on CPU 1 (sched_setaffinity, inherited by the children). Prints one table (scenario, Kafka,
Gregor, ratio Gregor/Kafka, target met?) and writes it with the machine, the load average and every sample to
bench/results/<UTC date>.md (--out to change). Exit status 1 only when the harness itself broke (a broker that
did not start, a load generator that failed): never because of a number.

Load generators: Kafka's own kafka-producer-perf-test (Java, from the Maven jars of scripts/setup-clients) and
bench/loadgen (Go, franz-go; built on demand with `go build`). See bench/README.md for what each figure means.
Python 3 standard library only; reuses tests/interop/apache_kafka.py and kafka_tools.py.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "interop"))

from apache_kafka import BENCH_JVM_OPTS, ApacheKafka  # noqa: E402
from kafka_rpc import LATEST, KafkaConnection  # noqa: E402
from kafka_tools import KAFKA_VERSION, java_command, run_kafka_tool  # noqa: E402
from kafka_wire import api_versions_v0, free_port  # noqa: E402

LOADGEN_DIR = REPO / "bench" / "loadgen"
LOADGEN = LOADGEN_DIR / "bin" / "loadgen"
BROKER_CPU, CLIENT_CPU = 0, 1
# Kafka's bin/kafka-run-class.sh defaults for tools (G1, small heap), not the interop tests' C1-only JVMs.
PERF_JVM_OPTS = ["-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"]
# Kafka's broker defaults that apache_kafka.py lowers for tests on 2 shared cores: the benchmark uses the defaults.
KAFKA_DEFAULT_PROPS = {"num.network.threads": "3", "num.io.threads": "8"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_size(s: str) -> int:
    m = re.fullmatch(r"(\d+)([KMG]?)i?B?", s.strip(), re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {s!r} (e.g. 64M, 1G)")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def human(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} B"


class HarnessError(RuntimeError):
    """The harness (a broker, a tool) failed: not a measurement."""


# ----------------------------------------------------------------------------------------- /proc

def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of proc(5)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise HarnessError(f"no VmHWM for pid {pid}")


def pin_to_broker_cpu() -> None:  # preexec_fn: the broker's threads all inherit it
    os.sched_setaffinity(0, {BROKER_CPU})


# ----------------------------------------------------------------------------------------- brokers

class Broker:
    """One broker process in `workdir`; start() returns seconds from exec to the first answered ApiVersions."""
    name = "?"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.proc: subprocess.Popen | None = None
        self.logfile = workdir / "broker.log"
        self._log_fh = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Untimed work before the first start (Kafka's storage format)."""

    def start(self, timeout: float = 180) -> float:
        cmd = self.command()
        self._log_fh = open(self.logfile, "ab")
        env = dict(os.environ)
        env.pop("JAVA_TOOL_OPTIONS", None)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self._log_fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.workdir, env=env, preexec_fn=pin_to_broker_cpu)
        deadline = t0 + timeout
        while True:
            if self.proc.poll() is not None:
                raise HarnessError(f"{self.name} exited with {self.proc.returncode} before serving\n{self.log_tail()}")
            try:
                err, ranges = api_versions_v0(self.host, self.port, timeout=2.0)
                if err == 0 and ranges:
                    return time.monotonic() - t0
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise HarnessError(f"{self.name} did not answer ApiVersions in {timeout}s\n{self.log_tail()}")
            time.sleep(0.002)

    def wait_serving_offset(self, topic: str, end_offset: int, t0: float, timeout: float = 300) -> float:
        """Seconds from t0 until ListOffsets(latest) of topic/0 answers end_offset (the whole log is back)."""
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            try:
                with KafkaConnection(self.host, self.port, timeout=5) as c:
                    r = c.list_offsets(topic, 0, LATEST)
                    if r.error_code == 0 and r.offset == end_offset:
                        return time.monotonic() - t0
                    if r.error_code == 0 and r.offset > end_offset:
                        raise HarnessError(f"{topic}: end offset {r.offset} > {end_offset} produced")
            except (OSError, AssertionError, ValueError):
                pass
            time.sleep(0.002)
        raise HarnessError(f"{self.name}: {topic} not at offset {end_offset} after {timeout}s\n{self.log_tail()}")

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def rss_mb(self) -> float:
        return peak_rss_mb(self.proc.pid)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


class KafkaBroker(Broker):
    name = "kafka"

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.k = ApacheKafka(workdir, port=self.port, jvm_opts=BENCH_JVM_OPTS, extra_props=KAFKA_DEFAULT_PROPS)

    def prepare(self) -> None:
        self.k.format_storage()

    def command(self) -> list[str]:
        return java_command("kafka.Kafka", [str(self.k.config_file)], jvm_opts=self.k.jvm_opts, log_level="info")


class GregorBroker(Broker):
    name = "gregor"
    binary = REPO / "build" / "gregor"

    def command(self) -> list[str]:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        return [str(self.binary),
                "--override", f"listeners=PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:0",
                "--override", f"log.dirs={data}"]


# ----------------------------------------------------------------------------------------- load generators

def loadgen(*args, timeout: float = 600) -> dict:
    cmd = [str(LOADGEN), *map(str, args)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"timed out: {' '.join(cmd)}") from None
    if p.returncode != 0:
        raise HarnessError(f"$ {' '.join(cmd)}\n-> {p.returncode}\n{p.stderr.strip()}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def build_loadgen() -> None:
    srcs = [LOADGEN_DIR / "main.go", LOADGEN_DIR / "go.mod", LOADGEN_DIR / "go.sum"]
    if LOADGEN.exists() and all(LOADGEN.stat().st_mtime > s.stat().st_mtime for s in srcs):
        return
    # The same places scripts/setup-clients looks (it may have bootstrapped a Go under ~/.cache/gregor-go).
    candidates = [shutil.which("go"), "/usr/local/go/bin/go", "/usr/lib/go/bin/go",
                  str(Path.home() / ".cache" / "gregor-go" / "bin" / "go")]
    go = next((g for g in candidates if g and os.access(g, os.X_OK)), None)
    if go is None:
        raise HarnessError("no Go toolchain: run scripts/setup-clients")
    log(f"building {LOADGEN.relative_to(REPO)}")
    env = dict(os.environ, GOFLAGS="-mod=readonly", GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN", "auto"))
    subprocess.run([go, "build", "-trimpath", "-o", "bin/loadgen", "."], cwd=LOADGEN_DIR, check=True, env=env)


_PERF_RE = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)")


def perf_test(bootstrap: str, topic: str, n: int, size: int, acks: str) -> float:
    """kafka-producer-perf-test at max rate; returns payload MB/s (10^6 bytes)."""
    idem = "true" if acks == "all" else "false"  # the Java producer refuses idempotence with acks=1
    r = run_kafka_tool("kafka-producer-perf-test", "--topic", topic, "--num-records", n, "--record-size", size,
                       "--throughput", -1, "--producer-props", f"bootstrap.servers={bootstrap}", f"acks={acks}",
                       f"enable.idempotence={idem}", timeout=600, jvm_opts=PERF_JVM_OPTS, check=False)
    found = _PERF_RE.findall(r.stdout)
    if r.returncode != 0 or not found or int(found[-1][0]) != n:
        raise HarnessError("kafka-producer-perf-test failed\n" + r.describe()[-3000:])
    return float(found[-1][1]) * size / 1e6


# ----------------------------------------------------------------------------------------- scenarios

@dataclass
class Metric:
    name: str
    unit: str
    target: str = ""  # e.g. ">=1.5" (ratio Gregor/Kafka)
    samples: dict = field(default_factory=lambda: {"kafka": [], "gregor": []})
    errors: dict = field(default_factory=dict)
    extra: dict = field(default_factory=lambda: {"kafka": [], "gregor": []})  # e.g. CPU-s/GB per produce run

    def median(self, broker: str):
        s = self.samples[broker]
        return statistics.median(s) if s else None

    def ratio(self):
        k, g = self.median("kafka"), self.median("gregor")
        return g / k if k and g is not None else None

    def met(self) -> str:
        r = self.ratio()
        if not self.target or r is None:
            return ""
        op, val = self.target[:2], float(self.target[2:])
        ok = r >= val if op == ">=" else r <= val
        return "yes" if ok else "no"


@dataclass
class ProduceCase:
    driver: str  # "perf" (kafka-producer-perf-test) or "kgo" (bench/loadgen)
    size: int
    acks: str
    partitions: int

    @property
    def name(self) -> str:
        return f"produce/{self.driver}/{self.size}B/acks={self.acks}/p{self.partitions}"


ALL_PRODUCE = [ProduceCase(d, s, a, p) for d in ("perf", "kgo") for s in (1024, 100) for a in ("1", "all")
               for p in (1, 12)]
SMOKE_PRODUCE = [ProduceCase("perf", 1024, "all", 1), ProduceCase("kgo", 1024, "all", 1),
                 ProduceCase("kgo", 100, "1", 12)]


class Bench:
    def __init__(self, args):
        self.a = args
        self.metrics: dict[str, Metric] = {}
        self.topic_seq = 0
        self.failures: list[str] = []

    def metric(self, name: str, unit: str, target: str = "") -> Metric:
        if name not in self.metrics:
            self.metrics[name] = Metric(name, unit, target)
        return self.metrics[name]

    def wanted(self, name: str) -> bool:
        return not self.a.only or any(p in name for p in self.a.only)

    def new_topic(self, b: Broker, partitions: int) -> str:
        self.topic_seq += 1
        t = f"bench-{self.topic_seq}"
        loadgen("create", "-brokers", b.bootstrap, "-topic", t, "-partitions", partitions, timeout=60)
        return t

    # ------------------------------------------------------------------ one broker
    def run_broker(self, cls) -> None:
        name = cls.name
        produce = [c for c in self.a.produce_cases if self.wanted(c.name)]
        want_e2e = self.wanted("e2e")
        bulk_names = ("consume", "recovery", "startup", "cpu-s/GB", "peak-rss")
        want_bulk = any(self.wanted(n) for n in bulk_names)
        if produce or want_e2e:
            self.guard(name, "main session", lambda: self.main_session(cls, produce, want_e2e))
        if want_bulk:
            for run in range(self.a.runs):
                self.guard(name, f"bulk cycle {run + 1}", lambda: self.bulk_cycle(cls, run))

    def guard(self, broker: str, what: str, fn) -> None:
        try:
            fn()
        except (HarnessError, subprocess.SubprocessError, OSError, json.JSONDecodeError) as e:
            msg = f"{broker} {what}: {e}"
            log("FAILED " + msg)
            self.failures.append(msg)

    def fresh(self, cls) -> Broker:
        d = Path(tempfile.mkdtemp(prefix=f"{cls.name}-", dir=self.a.workdir))
        b = cls(d)
        b.prepare()
        return b

    def main_session(self, cls, produce: list, want_e2e: bool) -> None:
        b = self.fresh(cls)
        log(f"{cls.name}: main session in {b.workdir}")
        try:
            startup = b.start()
            self.metric("startup (s, empty log dir)", "s").samples[cls.name].append(startup)
            self.warm_up(b)
            for case in produce:
                m = self.metric(case.name, "MB/s", ">=1.5")
                for run in range(self.a.runs):
                    t = self.new_topic(b, case.partitions)
                    n = max(1, self.a.produce_bytes // case.size)
                    cpu0 = b.cpu()
                    if case.driver == "perf":
                        mbs = perf_test(b.bootstrap, t, n, case.size, case.acks)
                    else:
                        mbs = loadgen("produce", "-brokers", b.bootstrap, "-topic", t, "-record-size", case.size,
                                      "-bytes", n * case.size, "-acks", case.acks)["mb_per_s"]
                    cpu_gb = (b.cpu() - cpu0) / (n * case.size / 1e9)
                    m.samples[cls.name].append(mbs)
                    m.extra[cls.name].append(cpu_gb)
                    log(f"{cls.name} {case.name} run {run + 1}: {mbs:.1f} MB/s, broker {cpu_gb:.2f} CPU-s/GB")
            if want_e2e:
                ms = {q: self.metric(f"e2e latency {q} (ms) @ {self.a.e2e_rate:g} MB/s, 1 KiB, acks=all",
                                     "ms", "<=0.5" if q == "p99" else "") for q in ("p50", "p99", "p99.9")}
                for run in range(self.a.runs):
                    t = self.new_topic(b, 1)
                    r = loadgen("e2e", "-brokers", b.bootstrap, "-topic", t, "-record-size", 1024,
                                "-rate", self.a.e2e_rate, "-duration", f"{self.a.e2e_seconds}s",
                                "-warmup", f"{min(2.0, self.a.e2e_seconds / 4):g}s", "-acks", "all",
                                timeout=self.a.e2e_seconds + 120)
                    for q, key in (("p50", "p50_ms"), ("p99", "p99_ms"), ("p99.9", "p999_ms")):
                        ms[q].samples[cls.name].append(r[key])
                    log(f"{cls.name} e2e run {run + 1}: p50 {r['p50_ms']:.3f} p99 {r['p99_ms']:.3f} "
                        f"p99.9 {r['p999_ms']:.3f} ms (achieved {r['achieved_mb_per_s']:.1f} MB/s)")
            self.metric("peak RSS (MB), main session", "MB", "<=0.1").samples[cls.name].append(b.rss_mb())
        finally:
            b.stop()
            self.cleanup(b)

    def warm_up(self, b: Broker) -> None:
        """Untimed produce, so that Kafka's JIT has compiled the produce path before anything is measured."""
        if self.a.warmup_bytes:
            t = self.new_topic(b, 1)
            loadgen("produce", "-brokers", b.bootstrap, "-topic", t, "-record-size", 1024, "-bytes",
                    self.a.warmup_bytes, "-acks", "all")

    def bulk_cycle(self, cls, run: int) -> None:
        """Fresh broker; produce --size to one partition; consume it all; SIGKILL; time until served again."""
        b = self.fresh(cls)
        log(f"{cls.name}: bulk cycle {run + 1} ({human(self.a.size)}) in {b.workdir}")
        try:
            self.metric("startup (s, empty log dir)", "s").samples[cls.name].append(b.start())
            self.warm_up(b)
            t = self.new_topic(b, 1)
            n = self.a.size // 1024
            cpu0 = b.cpu()
            r = loadgen("produce", "-brokers", b.bootstrap, "-topic", t, "-record-size", 1024, "-bytes", n * 1024,
                        "-acks", "all", timeout=1200)
            cpu_gb = (b.cpu() - cpu0) / (n * 1024 / 1e9)
            self.metric(f"broker CPU-s/GB, produce {human(self.a.size)} 1 KiB acks=all (loadgen)", "CPU-s/GB",
                        "<=0.5").samples[cls.name].append(cpu_gb)
            c = loadgen("consume", "-brokers", b.bootstrap, "-topic", t, "-records", n, timeout=1200)
            self.metric(f"consume {human(self.a.size)} from the start (MB/s)", "MB/s").samples[cls.name].append(
                c["mb_per_s"])
            rss = b.rss_mb()
            log(f"{cls.name} bulk: produce {r['mb_per_s']:.1f} MB/s ({cpu_gb:.2f} CPU-s/GB), "
                f"consume {c['mb_per_s']:.1f} MB/s, peak RSS {rss:.0f} MB")
            self.metric("peak RSS (MB), bulk produce + consume", "MB", "<=0.1").samples[cls.name].append(rss)
            b.kill()
            t0 = time.monotonic()
            api = b.start()
            self.metric(f"restart after SIGKILL, {human(self.a.size)} on disk: ApiVersions answered (s)",
                        "s").samples[cls.name].append(api)
            rec = b.wait_serving_offset(t, n, t0)
            self.metric(f"restart after SIGKILL, {human(self.a.size)} on disk: partition served again (s)",
                        "s").samples[cls.name].append(rec)
            log(f"{cls.name} recovery: {rec:.3f} s to serve offset {n} again")
        finally:
            b.stop()
            self.cleanup(b)

    def cleanup(self, b: Broker) -> None:
        if not self.a.keep:
            shutil.rmtree(b.workdir, ignore_errors=True)

    # ------------------------------------------------------------------ report
    def table(self) -> str:
        ran = self.a.brokers.split(",")

        def fmt(v, broker):
            if v is None:
                return "error" if broker in ran else "not run"
            return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"

        rows = ["| scenario | Kafka | Gregor | Gregor/Kafka | target | met? |", "|---|---:|---:|---:|---|---|"]
        for m in self.metrics.values():
            r = m.ratio()
            rows.append(f"| {m.name} | {fmt(m.median('kafka'), 'kafka')} | {fmt(m.median('gregor'), 'gregor')} | "
                        f"{'' if r is None else f'{r:.2f}'} | {m.target and m.target[:2] + ' ' + m.target[2:] + '×'}"
                        f" | {m.met()} |")
        return "\n".join(rows)

    def details(self) -> str:
        out = ["| scenario | Kafka samples | Gregor samples | Kafka broker CPU-s/GB | Gregor broker CPU-s/GB |",
               "|---|---|---|---|---|"]

        def ls(v):
            return ", ".join(f"{x:.3f}" if x < 10 else f"{x:.1f}" for x in v)
        for m in self.metrics.values():
            out.append(f"| {m.name} | {ls(m.samples['kafka'])} | {ls(m.samples['gregor'])} | "
                       f"{ls(m.extra['kafka'])} | {ls(m.extra['gregor'])} |")
        return "\n".join(out)


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    return {"cpu": f"{os.cpu_count()} × {cpu}", "mem": f"{int(mem) // 1024 // 1024} GiB",
            "kernel": os.uname().release, "commit": commit}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, 1 run, a subset: a CI check, not a measurement")
    ap.add_argument("--only", default="", help="comma-separated substrings of scenario names "
                    "(produce, produce/kgo, 1024B, acks=1, p12, e2e, consume, recovery, startup, cpu, rss)")
    ap.add_argument("--runs", type=int, default=None, help="runs per figure (median); default 3, --smoke 1")
    ap.add_argument("--size", type=parse_size, default=None,
                    help="bytes on disk for consume/recovery/CPU (default 1G, --smoke 16M)")
    ap.add_argument("--produce-bytes", type=parse_size, default=None,
                    help="payload per produce-throughput run (default 256M, --smoke 4M)")
    ap.add_argument("--warmup-bytes", type=parse_size, default=None,
                    help="untimed produce after each fresh start (default 64M, --smoke 0)")
    ap.add_argument("--e2e-rate", type=float, default=None, help="offered load for latency, MB/s (default 20)")
    ap.add_argument("--e2e-seconds", type=float, default=None, help="latency run length (default 20, --smoke 3)")
    ap.add_argument("--brokers", default="kafka,gregor", help="which brokers (kafka,gregor)")
    ap.add_argument("--gregor-bin", default=os.environ.get("GREGOR_BIN", str(REPO / "build" / "gregor")))
    ap.add_argument("--workdir", default=os.environ.get("GREGOR_BENCH_DIR", "/var/tmp"),
                    help="where fresh log dirs are made (put it on the disk; not tmpfs)")
    ap.add_argument("--keep", action="store_true", help="keep the log dirs")
    ap.add_argument("--out", default=None, help="results file (default bench/results/<UTC date>.md; "
                    "--smoke: none unless given)")
    a = ap.parse_args()
    a.only = [s for s in a.only.split(",") if s]
    smoke = a.smoke
    a.runs = a.runs or (1 if smoke else 3)
    a.size = a.size or (16 << 20 if smoke else 1 << 30)
    a.produce_bytes = a.produce_bytes or (4 << 20 if smoke else 256 << 20)
    a.warmup_bytes = (0 if smoke else 64 << 20) if a.warmup_bytes is None else a.warmup_bytes
    a.e2e_rate = a.e2e_rate or (5 if smoke else 20)
    a.e2e_seconds = a.e2e_seconds or (3 if smoke else 20)
    a.produce_cases = SMOKE_PRODUCE if smoke else ALL_PRODUCE
    if smoke and not a.only:
        a.only = ["produce", "e2e", "consume", "recovery", "startup", "cpu", "rss"]
    GregorBroker.binary = Path(a.gregor_bin)
    if not GregorBroker.binary.exists():
        log(f"{GregorBroker.binary} missing: scripts/build release first")
        return 1
    Path(a.workdir).mkdir(parents=True, exist_ok=True)
    if os.cpu_count() and os.cpu_count() >= 2:
        os.sched_setaffinity(0, {CLIENT_CPU})  # this script and every load generator; brokers get BROKER_CPU
    else:
        log("fewer than 2 CPUs: no pinning")
        global pin_to_broker_cpu
        pin_to_broker_cpu = None  # noqa: F811
    build_loadgen()

    bench = Bench(a)
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.timezone.utc)
    classes = {"kafka": KafkaBroker, "gregor": GregorBroker}
    for name in a.brokers.split(","):
        bench.run_broker(classes[name])
    load_after = os.getloadavg()
    finished = dt.datetime.now(dt.timezone.utc)

    table = bench.table()
    print(table)
    for f in bench.failures:
        print(f"FAILED: {f.splitlines()[0]}")
    out = a.out or (None if smoke else str(REPO / "bench" / "results" / f"{started:%Y-%m-%d}.md"))
    if out:
        mach = machine()
        text = (f"# Gregor vs Apache Kafka {KAFKA_VERSION}: {started:%Y-%m-%d %H:%M}–{finished:%H:%M} UTC\n\n"
                f"`bench/compare.py {' '.join(sys.argv[1:])}` at commit {mach['commit']}; "
                f"{a.runs} run(s) per figure, the median shown.\n\n"
                f"* machine: {mach['cpu']}, {mach['mem']} RAM, Linux {mach['kernel']}; broker on CPU {BROKER_CPU}, "
                f"load generators on CPU {CLIENT_CPU}; log dirs under {a.workdir}\n"
                f"* load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; after: "
                f"{', '.join(f'{x:.2f}' for x in load_after)}\n"
                f"* sizes: {human(a.produce_bytes)} per produce run, {human(a.size)} for consume/recovery/CPU, "
                f"latency at {a.e2e_rate:g} MB/s for {a.e2e_seconds:g} s\n\n"
                f"{table}\n\n## Every sample\n\n{bench.details()}\n")
        if bench.failures:
            text += "\n## Failures\n\n" + "\n".join(f"* {f.splitlines()[0]}" for f in bench.failures) + "\n"
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
        log(f"wrote {out}")
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
