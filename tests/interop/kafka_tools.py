"""Run the REAL Apache Kafka 4.1.1 command-line tools (and kcat) with timeouts, capturing their output.

The jars come from Maven Central via tests/interop/java/pom.xml; `scripts/setup-clients` writes the resolved
runtime classpath to tests/interop/java/target/classpath.txt and compiles our small programs into target/classes.

    from kafka_tools import run_kafka_tool, run_tool, kcat
    r = run_kafka_tool("kafka-topics", "--bootstrap-server", bs, "--list")
    r = run_tool("io.gregor.interop.DescribeCluster", bs)
    r = kcat("-L", "-b", bs)

Every call has a timeout (default 60 s); on timeout the child is killed and ToolError is raised with what it printed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JAVA_DIR = REPO / "tests" / "interop" / "java"
TARGET = JAVA_DIR / "target"
CLASSPATH_FILE = TARGET / "classpath.txt"
CLASSES_DIR = TARGET / "classes"

KAFKA_VERSION = "4.1.1"

# bin/kafka-*.sh -> main class, Apache Kafka 4.1 (see shared design protocol-scope.md §3).
MAIN_CLASSES = {
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-producer-perf-test": "org.apache.kafka.tools.ProducerPerformance",
    "kafka-consumer-perf-test": "org.apache.kafka.tools.ConsumerPerformance",
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",  # kafka_2.13 in 4.0-4.3
    "kafka-acls": "org.apache.kafka.tools.AclCommand",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-delete-records": "org.apache.kafka.tools.DeleteRecordsCommand",
    "kafka-transactions": "org.apache.kafka.tools.TransactionsCommand",
    "kafka-leader-election": "org.apache.kafka.tools.LeaderElectionCommand",
    "kafka-reassign-partitions": "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
    "kafka-dump-log": "kafka.tools.DumpLogSegments",  # kafka_2.13 in 4.0-4.2
    "kafka-broker-api-versions": "org.apache.kafka.tools.BrokerApiVersionsCommand",
    "kafka-features": "org.apache.kafka.tools.FeatureCommand",
    "kafka-storage": "kafka.tools.StorageTool",
    "kafka-server-start": "kafka.Kafka",
}

# Small, fast-starting JVMs: the machine has 2 shared cores.
TOOL_JVM_OPTS = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                 "-Djava.awt.headless=true"]


class ToolError(AssertionError):
    """A tool failed or timed out; the message carries the command and its output."""


@dataclass
class ToolResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def command_line(self) -> str:
        """The command, with the (very long) classpath abbreviated."""
        args = list(self.args)
        for i, a in enumerate(args[:-1]):
            if a in ("-cp", "-classpath"):
                args[i + 1] = "<target/classes:target/classpath.txt>"
        return " ".join(args)

    def describe(self) -> str:
        return (f"$ {self.command_line()}\n-> exit {self.returncode}\n"
                f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")


def java_bin() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java") or "java"


def classpath() -> str:
    """target/classes plus the resolved Maven runtime classpath."""
    if not CLASSPATH_FILE.exists():
        raise ToolError(f"{CLASSPATH_FILE} missing: run scripts/setup-clients first")
    cp = CLASSPATH_FILE.read_text().strip()
    return f"{CLASSES_DIR}{os.pathsep}{cp}"


def java_command(main_class: str, args=(), *, jvm_opts=None, log_level: str = "warn") -> list[str]:
    """`java <opts> -cp <classpath> main_class args...` (slf4j-simple logs to stderr at `log_level`)."""
    opts = list(TOOL_JVM_OPTS if jvm_opts is None else jvm_opts)
    opts.append(f"-Dorg.slf4j.simpleLogger.defaultLogLevel={log_level}")
    return [java_bin(), *opts, "-cp", classpath(), main_class, *map(str, args)]


def _run(cmd: list[str], *, timeout: float, input: str | None, check: bool, env: dict | None,
         cwd: str | os.PathLike | None) -> ToolResult:
    full_env = dict(os.environ)
    full_env.pop("JAVA_TOOL_OPTIONS", None)
    if env:
        full_env.update(env)
    try:
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=full_env,
                           cwd=cwd, stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise ToolError(f"timed out after {timeout}s (killed)\n"
                        + ToolResult(cmd, -9, out, err).describe()) from None
    r = ToolResult(cmd, p.returncode, p.stdout, p.stderr)
    if check and p.returncode != 0:
        raise ToolError(r.describe())
    return r


def run_tool(main_class: str, *args, timeout: float = 60, input: str | None = None, check: bool = True,
             env: dict | None = None, jvm_opts=None, log_level: str = "warn", cwd=None) -> ToolResult:
    """Run a Java main class (a Kafka tool or one of ours in io.gregor.interop) and capture its output."""
    return _run(java_command(main_class, args, jvm_opts=jvm_opts, log_level=log_level),
                timeout=timeout, input=input, check=check, env=env, cwd=cwd)


def run_command(cmd: list, *, timeout: float = 60, input: str | None = None, check: bool = True,
                env: dict | None = None, cwd=None) -> ToolResult:
    """Run any client program (franz-go, node, ...) with the same timeout and output capture as the tools."""
    return _run([str(c) for c in cmd], timeout=timeout, input=input, check=check, env=env, cwd=cwd)


def run_kafka_tool(name: str, *args, **kw) -> ToolResult:
    """Run a tool by its bin/ script name, e.g. run_kafka_tool("kafka-topics", "--bootstrap-server", bs, "--list")."""
    name = name.removesuffix(".sh")
    if name not in MAIN_CLASSES:
        raise KeyError(f"unknown tool {name!r}; known: {sorted(MAIN_CLASSES)}")
    return run_tool(MAIN_CLASSES[name], *args, **kw)


def kcat(*args, timeout: float = 30, input: str | None = None, check: bool = True, env: dict | None = None,
         cwd=None) -> ToolResult:
    """Run kcat (Debian package, librdkafka) and capture its output."""
    exe = shutil.which("kcat") or shutil.which("kafkacat")
    if not exe:
        raise ToolError("kcat not installed: run scripts/setup-clients")
    return _run([exe, *map(str, args)], timeout=timeout, input=input, check=check, env=env, cwd=cwd)


def kcat_version() -> str:
    """e.g. 'kcat 1.7.1 (librdkafka 2.0.2)'."""
    out = kcat("-V", timeout=10, check=False).stdout
    m = re.search(r"Version (\S+) .*librdkafka (\S+?) ", out)
    return f"kcat {m.group(1)} (librdkafka {m.group(2)})" if m else out.strip().splitlines()[0]


# ----------------------------------------------------------------------------- output parsers

_NODE_RE = re.compile(r"^(?P<host>\S+):(?P<port>\d+) \(id: (?P<id>-?\d+) rack: (?P<rack>\S+)(?P<rest>[^)]*)\) -> \($")
_API_RE = re.compile(r"^\s*(?P<name>\w+)\((?P<key>\d+)\): (?P<body>.*?),?$")
_RANGE_RE = re.compile(r"^(?P<min>\d+) to (?P<max>\d+) \[usable: (?P<usable>\d+)\]$")


@dataclass
class ApiVersionLine:
    name: str
    api_key: int
    min_version: int | None
    max_version: int | None
    usable: int | None
    raw: str


@dataclass
class NodeApiVersions:
    host: str
    port: int
    node_id: int
    rack: str
    apis: dict[int, ApiVersionLine]


def parse_broker_api_versions(stdout: str) -> list[NodeApiVersions]:
    """Parse kafka-broker-api-versions output:

        127.0.0.1:34567 (id: 1 rack: null isFenced: false) -> (
        \tProduce(0): 0 to 13 [usable: 13],
        \tUnknownApi(99): UNSUPPORTED,  ...
        )
    Lines whose body is not "A to B [usable: C]" (UNSUPPORTED, "0 [usable: 0]" style) keep min/max/usable None
    unless parseable.
    """
    nodes: list[NodeApiVersions] = []
    cur: NodeApiVersions | None = None
    for line in stdout.splitlines():
        m = _NODE_RE.match(line.strip())
        if m:
            cur = NodeApiVersions(m["host"], int(m["port"]), int(m["id"]), m["rack"], {})
            nodes.append(cur)
            continue
        if line.strip() == ")":
            cur = None
            continue
        if cur is None:
            continue
        m = _API_RE.match(line)
        if not m:
            continue
        body = m["body"]
        r = _RANGE_RE.match(body)
        lo = hi = us = None
        if r:
            lo, hi, us = int(r["min"]), int(r["max"]), int(r["usable"])
        else:
            single = re.match(r"^(\d+) \[usable: (\d+)\]$", body)
            if single:
                lo = hi = int(single.group(1))
                us = int(single.group(2))
        cur.apis[int(m["key"])] = ApiVersionLine(m["name"], int(m["key"]), lo, hi, us, line.strip())
    return nodes
