"""The interop data set and one producer/consumer runner per real client.

Data set: record i (0-based) produced by client `src` is
    key     "key-%06d" % i
    value   "value-%06d-" % i + 8 x the 8-hex-digit ((i * 2654435761) mod 2^32)
    headers [("src", src), ("seq", str(i))]      (kcat: [("src", "kcat")] only; kcat -H sets one header set for
                                                  every record of a run)
A consumer's result is its record count and the SHA-256 of the canonical lines "key\\tvalue\\tk1=v1,k2=v2\\n" in
offset order; the Go consumer (go/main.go) computes the same thing, the kafkajs producer (node/produce.js) and the
franz-go producer generate the same records.

Clients (all real, none mocked):
  console   Apache Kafka 4.1.1 kafka-console-producer / kafka-console-consumer (Java, Maven jars)
  kcat      kcat 1.7.1 / librdkafka 2.0.2 (Debian)
  confluent confluent-kafka-python 2.16.1 (PyPI; bundles librdkafka 2.16), in this process
  franz-go  github.com/twmb/franz-go v1.22.3 (tests/interop/go, built by scripts/setup-clients)
  kafkajs   kafkajs 2.2.4 (tests/interop/node, npm; producer only: its consumer always joins a group)
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from kafka_tools import ToolError, kcat, run_command, run_kafka_tool

HERE = Path(__file__).resolve().parent
GO_CLIENT = HERE / "go" / "bin" / "kgoclient"
NODE_DIR = HERE / "node"


# ------------------------------------------------------------------------------------------- data set

@dataclass(frozen=True)
class DataSet:
    src: str
    n: int
    start: int = 0

    @property
    def seq_header(self) -> bool:
        return self.src != "kcat"

    def record(self, i: int) -> tuple[str, str, list[tuple[str, str]]]:
        key = "key-%06d" % i
        value = "value-%06d-" % i + ("%08x" % ((i * 2654435761) % 4294967296)) * 8
        headers = [("src", self.src)] + ([("seq", str(i))] if self.seq_header else [])
        return key, value, headers

    def records(self):
        for i in range(self.start, self.start + self.n):
            yield self.record(i)

    def checksum(self) -> "Checksum":
        return checksum_of(canonical_line(k, v, h) for k, v, h in self.records())


@dataclass(frozen=True)
class Checksum:
    count: int
    sha256: str


def canonical_line(key: str | None, value: str | None, headers: list[tuple[str, str]]) -> str:
    return f"{key or ''}\t{value or ''}\t" + ",".join(f"{k}={v}" for k, v in headers) + "\n"


def checksum_of(lines) -> Checksum:
    h = hashlib.sha256()
    n = 0
    for line in lines:
        h.update(line.encode())
        n += 1
    return Checksum(n, h.hexdigest())


# ------------------------------------------------------------------------------------------- Java console tools

def console_produce(bs: str, topic: str, ds: DataSet, compression: str = "none", timeout: float = 90,
                    extra_props: dict | None = None) -> None:
    """kafka-console-producer with parse.key/parse.headers: input lines "src:X,seq:I<TAB>key<TAB>value"."""
    lines = "".join(",".join(f"{k}:{v}" for k, v in h) + f"\t{k_}\t{v_}\n" for k_, v_, h in ds.records())
    props = {"acks": "all", "enable.idempotence": "true", "linger.ms": "5", "batch.size": "65536",
             **(extra_props or {})}
    # ConsoleProducer sets compression.type from --compression-codec (default none) over --producer-property.
    args = ["--bootstrap-server", bs, "--topic", topic, "--compression-codec", compression,
            "--property", "parse.key=true", "--property", "parse.headers=true"]
    for k, v in props.items():
        args += ["--producer-property", f"{k}={v}"]
    r = run_kafka_tool("kafka-console-producer", *args, input=lines, timeout=timeout)
    # A failed send is only logged ("ERROR Error when sending message to topic ..."); the exit code stays 0.
    if "ERROR" in r.stderr:
        raise ToolError("console producer reported an error\n" + r.describe()[-4000:])


def console_consume(bs: str, topic: str, partition: int, n: int, offset: str = "earliest",
                    timeout_ms: int = 20000, timeout: float = 90) -> Checksum:
    """kafka-console-consumer --partition (explicit assignment, no group) printing headers, key and value."""
    r = run_kafka_tool("kafka-console-consumer", "--bootstrap-server", bs, "--topic", topic,
                       "--partition", str(partition), "--offset", str(offset), "--max-messages", str(n),
                       "--timeout-ms", str(timeout_ms),
                       "--property", "print.key=true", "--property", "print.headers=true",
                       "--consumer-property", "enable.auto.commit=false",
                       timeout=timeout, check=False)
    lines = []
    for out in r.stdout.splitlines():
        hdrs, key, value = out.split("\t", 2)
        headers = [] if hdrs == "NO_HEADERS" else [tuple(h.split(":", 1)) for h in hdrs.split(",")]
        lines.append(canonical_line(key, value, headers))
    if r.returncode != 0 and len(lines) != n:
        raise ToolError(f"console consumer read {len(lines)} of {n}\n" + r.describe()[-4000:])
    return checksum_of(lines)


# ------------------------------------------------------------------------------------------- kcat

def kcat_produce(bs: str, topic: str, partition: int, ds: DataSet, compression: str = "none",
                 timeout: float = 60) -> None:
    assert not ds.seq_header, "kcat sets one header set for a whole run"
    data = "".join(f"{k}\t{v}\n" for k, v, _ in ds.records())
    kcat("-P", "-b", bs, "-t", topic, "-p", str(partition), "-K", "\t", "-H", f"src={ds.src}",
         "-z", compression, "-X", "enable.idempotence=true", "-X", "acks=all", "-X", "linger.ms=5",
         input=data, timeout=timeout)


def kcat_consume(bs: str, topic: str, partition: int, n: int, offset: str = "beginning",
                 timeout: float = 60) -> Checksum:
    r = kcat("-C", "-b", bs, "-t", topic, "-p", str(partition), "-o", str(offset), "-c", str(n), "-e", "-q",
             "-f", "%k\t%s\t%h\n", timeout=timeout)
    lines = []
    for out in r.stdout.splitlines():
        key, value, hdrs = out.split("\t", 2)
        headers = [tuple(h.split("=", 1)) for h in hdrs.split(",")] if hdrs else []
        lines.append(canonical_line(key, value, headers))
    return checksum_of(lines)


# ------------------------------------------------------------------------------------------- confluent-kafka

def confluent_produce(bs: str, topic: str, partition: int, ds: DataSet, compression: str = "none",
                      timeout: float = 60) -> None:
    from confluent_kafka import Producer
    errors = []
    p = Producer({"bootstrap.servers": bs, "enable.idempotence": True, "acks": "all",
                  "compression.type": compression, "linger.ms": 5})

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)

    for k, v, h in ds.records():
        while True:
            try:
                p.produce(topic, key=k, value=v, headers=h, partition=partition, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
    left = p.flush(timeout)
    assert left == 0, f"confluent-kafka: {left} messages not delivered within {timeout}s"
    assert not errors, f"confluent-kafka delivery errors: {errors[:3]} ({len(errors)} in all)"


def confluent_consume(bs: str, topic: str, partition: int, n: int, offset: int = 0,
                      timeout: float = 60) -> Checksum:
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bs, "group.id": "unused-explicit-assignment",
                  "enable.auto.commit": False, "enable.auto.offset.store": False})
    lines = []
    try:
        c.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + timeout
        while len(lines) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"confluent-kafka read {len(lines)} of {n} within {timeout}s")
            for m in c.consume(num_messages=min(10000, n - len(lines)), timeout=1.0):
                if m.error():
                    raise AssertionError(f"confluent-kafka consume error: {m.error()}")
                headers = [(k, (v or b"").decode()) for k, v in (m.headers() or [])]
                lines.append(canonical_line((m.key() or b"").decode(), (m.value() or b"").decode(), headers))
    finally:
        c.close()
    return checksum_of(lines)


# ------------------------------------------------------------------------------------------- franz-go

def _go_client() -> str:
    if not GO_CLIENT.exists():
        raise ToolError(f"{GO_CLIENT} not built: run scripts/setup-clients")
    return str(GO_CLIENT)


def franz_produce(bs: str, topic: str, partition: int, ds: DataSet, compression: str = "none",
                  timeout: float = 60) -> None:
    r = run_command([_go_client(), "produce", "-brokers", bs, "-topic", topic, "-partition", str(partition),
                     "-n", str(ds.n), "-start", str(ds.start), "-src", ds.src, "-compression", compression,
                     "-timeout", f"{int(timeout)}s"], timeout=timeout + 10)
    assert json.loads(r.stdout) == {"produced": ds.n}, r.describe()


def franz_consume(bs: str, topic: str, partition: int, n: int, offset: int = 0, timeout: float = 60) -> Checksum:
    r = run_command([_go_client(), "consume", "-brokers", bs, "-topic", topic, "-partition", str(partition),
                     "-n", str(n), "-offset", str(offset), "-timeout", f"{int(timeout)}s"], timeout=timeout + 10)
    out = json.loads(r.stdout)
    return Checksum(out["count"], out["sha256"])


# ------------------------------------------------------------------------------------------- kafkajs

def kafkajs_produce(bs: str, topic: str, partition: int, ds: DataSet, compression: str = "none",
                    timeout: float = 60) -> None:
    node = shutil.which("node")
    if not node or not (NODE_DIR / "node_modules" / "kafkajs").is_dir():
        raise ToolError("node or kafkajs missing: run scripts/setup-clients")
    r = run_command([node, NODE_DIR / "produce.js", "--brokers", bs, "--topic", topic, "--partition", partition,
                     "--n", ds.n, "--start", ds.start, "--src", ds.src, "--compression", compression],
                    timeout=timeout, env={"KAFKAJS_NO_PARTITIONER_WARNING": "1"}, cwd=NODE_DIR)
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"produced": ds.n}, r.describe()


PRODUCERS = {"confluent": confluent_produce, "franz-go": franz_produce, "kafkajs": kafkajs_produce,
             "kcat": kcat_produce}
CONSUMERS = {"confluent": confluent_consume, "franz-go": franz_consume, "kcat": kcat_consume}
