"""Start a REAL Apache Kafka 4.1.1 node (KRaft combined mode) from the Maven jars, for interop tests,
golden captures and benchmarks.

    from apache_kafka import ApacheKafka
    with ApacheKafka(tmpdir) as k:
        print(k.bootstrap)        # "127.0.0.1:<port>"

One node: process.roles=broker,controller, node.id=1, PLAINTEXT and CONTROLLER listeners on free loopback ports,
log dir under `workdir`, storage formatted with `kafka.tools.StorageTool format` and a random cluster id, then
`kafka.Kafka server.properties`. Waits until ApiVersions and Metadata answer on the PLAINTEXT port; stop() sends
SIGTERM, then SIGKILL after `stop_timeout`. Everything it writes (server.properties, data/, kafka.log) stays in
`workdir`.

Run directly for a manual broker:  python3 tests/interop/apache_kafka.py [--port N]   (Ctrl-C stops it)
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
import base64
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kafka_tools import KAFKA_VERSION, java_command, run_tool  # noqa: E402
from kafka_wire import free_port, wait_until_serving  # noqa: E402

# Fast startup, small heap: good for tests on 2 shared cores.
TEST_JVM_OPTS = ["-Xmx512m", "-Xms128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                 "-Djava.awt.headless=true"]
# Closer to a production JVM (full JIT, G1): use for benchmarks against the reference broker.
BENCH_JVM_OPTS = ["-Xmx1g", "-Xms1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"]


def random_cluster_id() -> str:
    """Same format as `kafka-storage random-uuid`: base64url of 16 random bytes, no padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class ApacheKafka:
    def __init__(self, workdir, *, host: str = "127.0.0.1", port: int | None = None,
                 controller_port: int | None = None, advertised: str | None = None, node_id: int = 1,
                 cluster_id: str | None = None, extra_props: dict | None = None, jvm_opts=None,
                 log_level: str = "info", start_timeout: float = 120, stop_timeout: float = 30):
        """`advertised` = "host:port" to advertise instead of the real listener (e.g. a capture proxy)."""
        self.workdir = Path(workdir)
        self.host = host
        self.port = port or free_port(host)
        self.controller_port = controller_port or free_port(host)
        while self.controller_port == self.port:
            self.controller_port = free_port(host)
        self.advertised = advertised or f"{host}:{self.port}"
        self.node_id = node_id
        self.cluster_id = cluster_id or random_cluster_id()
        self.extra_props = dict(extra_props or {})
        self.jvm_opts = list(TEST_JVM_OPTS if jvm_opts is None else jvm_opts)
        self.log_level = log_level
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.version = KAFKA_VERSION
        self.config_file = self.workdir / "server.properties"
        self.data_dir = self.workdir / "data"
        self.logfile = self.workdir / "kafka.log"
        self.proc: subprocess.Popen | None = None
        self._log_fh = None

    # ------------------------------------------------------------------ properties
    @property
    def bootstrap(self) -> str:
        """The address clients should bootstrap from (the real listener, even when advertising a proxy)."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def properties(self) -> dict:
        p = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": f"{self.node_id}@{self.host}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.advertised}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "default.replication.factor": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "log.flush.interval.messages": "9223372036854775807",
        }
        p.update({k: str(v) for k, v in self.extra_props.items()})
        return p

    # ------------------------------------------------------------------ lifecycle
    def format_storage(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        meta = self.data_dir / "meta.properties"
        if meta.exists():  # a reused workdir keeps its cluster id
            for line in meta.read_text().splitlines():
                if line.startswith("cluster.id="):
                    self.cluster_id = line.split("=", 1)[1].strip()
        self.config_file.write_text("".join(f"{k}={v}\n" for k, v in self.properties().items()))
        run_tool("kafka.tools.StorageTool", "format", "--config", str(self.config_file),
                 f"--cluster-id={self.cluster_id}", "--ignore-formatted", timeout=90,
                 jvm_opts=["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])

    def start(self) -> "ApacheKafka":
        if self.proc is not None:
            raise RuntimeError("already started")
        self.format_storage()
        cmd = java_command("kafka.Kafka", [str(self.config_file)], jvm_opts=self.jvm_opts,
                           log_level=self.log_level)
        self._log_fh = open(self.logfile, "ab")
        env = dict(os.environ)
        env.pop("JAVA_TOOL_OPTIONS", None)
        self.proc = subprocess.Popen(cmd, stdout=self._log_fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.workdir, env=env)
        try:
            wait_until_serving(self.host, self.port, time.monotonic() + self.start_timeout, proc=self.proc)
        except BaseException as e:
            self.stop()
            raise RuntimeError(f"Apache Kafka did not start: {e}\n--- {self.logfile} (tail) ---\n"
                               f"{self.log_tail()}") from None
        return self

    def stop(self) -> int | None:
        """SIGTERM, wait `stop_timeout`, then SIGKILL. Returns the exit code (None if never started)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None
        return self.proc.returncode

    def log_tail(self, n: int = 80) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> "ApacheKafka":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    import tempfile
    ap = argparse.ArgumentParser(description="Run a single-node Apache Kafka " + KAFKA_VERSION + " on loopback")
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="apache-kafka-")
    with ApacheKafka(workdir, port=args.port) as k:
        print(f"Apache Kafka {k.version} serving on {k.bootstrap} (pid {k.pid}, log {k.logfile})", flush=True)
        try:
            while k.proc.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
