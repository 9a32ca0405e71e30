#!/usr/bin/env python3
"""Capture golden request/response frames from REAL clients talking to REAL Apache Kafka 4.1.1.

    scripts/setup-clients && python3 tests/tools/capture_golden.py [--out tests/unit/protocol/golden] [--keep DIR]

1. Starts Apache Kafka 4.1.1 (tests/interop/apache_kafka.py) whose PLAINTEXT listener advertises a capture proxy
   (tests/tools/capture_proxy.py), so every client connection, bootstrap or not, goes through the proxy.
2. Creates topic `golden` (1 partition) with kafka-topics (label "setup", not saved).
3. Java (label "java"): kafka-console-producer sends 3 records with a key and a header, then
   kafka-broker-api-versions.
4. librdkafka (label "librdkafka"): kcat -P sends 3 records with a key and a header, then kcat -L.
5. For each client saves the FIRST ApiVersions, Metadata and Produce request and their responses, without the
   4-byte size prefix, as OUT/{java,librdkafka}_{api_versions,metadata,produce}_{request,response}_v<N>.bin, and
   writes OUT/manifest.json and OUT/README.md.

All traffic is on 127.0.0.1. Frames contain run-specific values (timestamps, cluster/topic ids, producer ids, CRCs),
so regenerating changes the bytes; decode/re-encode tests must not depend on particular values.
"""
from __future__ import annotations

import argparse
import datetime
import json
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "interop"))
sys.path.insert(0, str(HERE))

from apache_kafka import ApacheKafka  # noqa: E402
from capture_proxy import CaptureProxy  # noqa: E402
from kafka_tools import KAFKA_VERSION, kcat, kcat_version, run_kafka_tool  # noqa: E402
from kafka_wire import free_port  # noqa: E402

TOPIC = "golden"
APIS = {18: "api_versions", 3: "metadata", 0: "produce"}
API_NAMES = {18: "ApiVersions", 3: "Metadata", 0: "Produce"}
CLIENTS = {
    "java": f"Apache Kafka {KAFKA_VERSION} Java client (kafka-clients {KAFKA_VERSION} from Maven Central): "
            "kafka-console-producer (org.apache.kafka.tools.ConsoleProducer), then kafka-broker-api-versions",
    "librdkafka": None,  # filled from `kcat -V`
}


def wait_topic_ready(bootstrap: str) -> None:
    """Bounded wait until the topic has a leader (kcat -L on the real listener)."""
    for _ in range(40):
        r = kcat("-L", "-J", "-b", bootstrap, "-t", TOPIC, "-m", "5", timeout=15, check=False)
        try:
            t = json.loads(r.stdout)["topics"][0]
            if not t.get("err") and t["partitions"] and t["partitions"][0]["leader"] == 1:
                return
        except (ValueError, KeyError, IndexError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"topic {TOPIC} has no leader")


def run_clients(proxy: CaptureProxy, k: ApacheKafka) -> None:
    via_proxy = f"127.0.0.1:{proxy.port}"

    proxy.label = "setup"
    run_kafka_tool("kafka-topics", "--bootstrap-server", k.bootstrap, "--create", "--topic", TOPIC,
                   "--partitions", "1", "--replication-factor", "1", timeout=60)
    wait_topic_ready(k.bootstrap)

    proxy.label = "java"
    lines = "".join(f"h1:hv{i}\tk{i}\tvalue-{i}\n" for i in range(1, 4))
    run_kafka_tool("kafka-console-producer", "--bootstrap-server", via_proxy, "--topic", TOPIC,
                   "--property", "parse.key=true", "--property", "parse.headers=true",
                   "--producer-property", "client.id=golden-java-producer",
                   input=lines, timeout=60)
    run_kafka_tool("kafka-broker-api-versions", "--bootstrap-server", via_proxy, timeout=60)
    time.sleep(0.5)  # let the proxy threads record the last frames

    proxy.label = "librdkafka"
    lines = "".join(f"k{i}:value-{i}\n" for i in range(1, 4))
    kcat("-P", "-b", via_proxy, "-t", TOPIC, "-K", ":", "-H", "h1=hv", "-X", "client.id=golden-librdkafka",
         input=lines, timeout=30)
    kcat("-L", "-b", via_proxy, "-m", "10", timeout=30)
    time.sleep(0.5)


def select(index: list[dict]) -> list[dict]:
    """First request of each API per client label, with its response entry."""
    chosen = []
    for label in ("java", "librdkafka"):
        for key, name in APIS.items():
            req = next((e for e in index if e["label"] == label and e["dir"] == "req" and e["api_key"] == key), None)
            if req is None:
                raise RuntimeError(f"no {name} request captured for {label}")
            resp = next((e for e in index if e["dir"] == "resp" and e["conn"] == req["conn"]
                         and e["seq"] == req["seq"]), None)
            if resp is None:
                raise RuntimeError(f"no response captured for {label} {name} (correlation {req['correlation_id']})")
            chosen.append({"client": label, "api": name, "req": req, "resp": resp})
    return chosen


def _uvarint(b: bytes, off: int) -> tuple[int, int]:
    shift = val = 0
    while True:
        x = b[off]
        off += 1
        val |= (x & 0x7F) << shift
        if not x & 0x80:
            return val, off
        shift += 7


def describe_produce(frame: bytes) -> str:
    """One line about a Produce request's first record batch (acks, timeout, batch header fields)."""
    key, ver, _ = struct.unpack_from(">hhi", frame, 0)
    flex = ver >= 9
    (n,) = struct.unpack_from(">h", frame, 8)
    off = 10 + max(n, 0)
    if flex:
        _, off = _uvarint(frame, off)  # header tagged fields (count 0 expected)
        ln, off = _uvarint(frame, off)
        off += max(ln - 1, 0)  # transactional_id
    else:
        (ln,) = struct.unpack_from(">h", frame, off)
        off += 2 + max(ln, 0)
    acks, timeout = struct.unpack_from(">hi", frame, off)
    off += 6
    if flex:
        _, off = _uvarint(frame, off)
    else:
        off += 4
    if ver >= 13:
        topic = "topic_id " + frame[off:off + 16].hex()
        off += 16
    elif flex:
        ln, off = _uvarint(frame, off)
        topic = "topic " + frame[off:off + ln - 1].decode()
        off += ln - 1
    else:
        (ln,) = struct.unpack_from(">h", frame, off)
        topic = "topic " + frame[off + 2:off + 2 + ln].decode()
        off += 2 + ln
    off = _uvarint(frame, off)[1] if flex else off + 4  # partitions array
    (partition,) = struct.unpack_from(">i", frame, off)
    off += 4
    if flex:
        size, off = _uvarint(frame, off)
        size -= 1
    else:
        (size,) = struct.unpack_from(">i", frame, off)
        off += 4
    (_, _, _, magic, _, attrs, _, _, _, pid, epoch, seq, count) = struct.unpack_from(">qiibIhiqqqhii", frame, off)
    return (f"acks={acks}, timeout_ms={timeout}, {topic}, partition {partition}, records {size} B: one batch, "
            f"magic {magic}, attributes {attrs} (no compression), {count} records, producer_id {pid}, "
            f"epoch {epoch}, base_sequence {seq}")


def write_outputs(chosen: list[dict], cap_dir: Path, out: Path, kcat_ver: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.bin"):
        if old.name.startswith(("java_", "librdkafka_")):
            old.unlink()
    manifest = {"generated": datetime.date.today().isoformat(), "broker": f"Apache Kafka {KAFKA_VERSION}",
                "clients": {"java": CLIENTS["java"], "librdkafka": kcat_ver}, "files": []}
    for c in chosen:
        req, resp = c["req"], c["resp"]
        stem = f"{c['client']}_{c['api']}"
        v = req["api_version"]
        for kind, e in (("request", req), ("response", resp)):
            name = f"{stem}_{kind}_v{v}.bin"
            shutil.copyfile(cap_dir / e["file"], out / name)
            extra = {}
            if kind == "request" and req["api_key"] == 0:
                extra["summary"] = describe_produce((out / name).read_bytes())
            manifest["files"].append({
                "file": name, "client": c["client"], "kind": kind, "api_key": req["api_key"],
                "api_name": API_NAMES[req["api_key"]], "api_version": v, "correlation_id": req["correlation_id"],
                "client_id": req["client_id"], "size": e["size"], "connection": req["conn"],
                "request_seq_on_connection": req["seq"], **extra})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "README.md").write_text(readme(manifest))


def readme(m: dict) -> str:
    produce = "\n".join(f"* `{f['file']}`: {f['summary']}." for f in m["files"] if "summary" in f)
    rows = "\n".join(
        f"| `{f['file']}` | {f['client']} | {f['api_name']} ({f['api_key']}) | {f['api_version']} | "
        f"{f['correlation_id']} | {f['client_id'] if f['client_id'] is not None else '—'} | {f['size']} |"
        for f in m["files"])
    return f"""# Golden Kafka frames from real clients

Captured {m['generated']} by `tests/tools/capture_golden.py` from real clients talking to a real **{m['broker']}**
single-node KRaft broker (from the Maven Central jars) through the loopback capture proxy
`tests/tools/capture_proxy.py`.

* **java**: {m['clients']['java']}.
* **librdkafka**: {m['clients']['librdkafka']}, from the Debian 12 `kcat` package: `kcat -P` with `-K :` and
  `-H h1=hv`, then `kcat -L`.

Each client produced 3 short records (keys `k1..k3`, values `value-1..3`, one header `h1`) to topic `golden`
(1 partition, created beforehand with kafka-topics). Per client, the files hold the **first** ApiVersions, Metadata
and Produce request the client sent (counting all its connections, in time order) and the broker's response to it.

Format: one raw frame per file, **without** the 4-byte big-endian size prefix, i.e. request header + body, or
response header + body. Header versions follow the usual rules: flexible request versions use request header v2
(tagged fields after client_id), flexible responses use response header v1, except that the ApiVersions response
always uses response header v0. The api version is in the file name (`_v<N>`) and in the request header.

| File | Client | API (key) | Version | Correlation id | client_id | Bytes |
|---|---|---|---|---|---|---|
{rows}

`manifest.json` has the same table in machine-readable form.

Produce requests (the Java console producer is idempotent by default, so InitProducerId v5 precedes its Produce;
kcat is not):

{produce}

The bytes contain run-specific values (record timestamps, CRCs, producer id/epoch, cluster id, topic ids, throttle
times), so regenerating changes them: tests should decode each file with the generated codecs, check the header
(api key, version, correlation id above), re-encode, and compare byte for byte, not hard-code field values.

## Regenerating

```sh
scripts/setup-clients                      # kcat, JDK 17, Maven; resolves the Kafka {m['broker'].split()[-1]} jars
python3 tests/tools/capture_golden.py      # ~15 s; rewrites the *.bin files, manifest.json and this README
python3 tests/tools/capture_golden.py --keep /tmp/capture   # also keep every captured frame + index.jsonl
```
"""


def main() -> None:
    ap = argparse.ArgumentParser(description="Capture golden Kafka frames from real clients")
    ap.add_argument("--out", default=str(REPO / "tests" / "unit" / "protocol" / "golden"))
    ap.add_argument("--keep", default=None, help="directory to keep the full capture (all frames, index.jsonl)")
    a = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="gregor-golden-"))
    cap_dir = Path(a.keep) if a.keep else work / "capture"
    if cap_dir.exists():
        shutil.rmtree(cap_dir)
    try:
        kafka_port = free_port()
        proxy = CaptureProxy("127.0.0.1", kafka_port, cap_dir).start()
        try:
            with ApacheKafka(work / "kafka", port=kafka_port, advertised=f"127.0.0.1:{proxy.port}") as k:
                print(f"Apache Kafka {k.version} on {k.bootstrap}, advertised via proxy 127.0.0.1:{proxy.port}",
                      flush=True)
                run_clients(proxy, k)
        finally:
            proxy.stop()
        index = [json.loads(line) for line in (cap_dir / "index.jsonl").read_text().splitlines() if line]
        chosen = select(index)
        write_outputs(chosen, cap_dir, Path(a.out), kcat_version())
        for c in chosen:
            r = c["req"]
            print(f"{c['client']:10} {API_NAMES[r['api_key']]:12} v{r['api_version']:<2} corr {r['correlation_id']:<3}"
                  f" req {r['size']} B, resp {c['resp']['size']} B")
        print(f"wrote {a.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
