"""Raw Kafka frames for the integration tests: encoders, strict decoders, a well-behaved background client,
connection-close probes and broker RSS sampling. Test harness only; 127.0.0.1 only.

Wire layout used here (Kafka protocol, big-endian):
  frame            int32 size, then `size` bytes
  request header   v1: int16 api_key, int16 api_version, int32 correlation_id, int16-length client_id
                   v2: v1 + tagged fields (unsigned varint count, 0 here)
  response header  v0: int32 correlation_id (ApiVersions always uses v0); v1: v0 + tagged fields
"""
from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

API_PRODUCE = 0
API_FETCH = 1
API_METADATA = 3
API_API_VERSIONS = 18
API_DESCRIBE_CLUSTER = 60

UNSUPPORTED_VERSION = 35


# --------------------------------------------------------------------------------------------- encoding

def uvarint(n: int) -> bytes:
    if n < 0:
        raise ValueError(n)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def compact_string(s: str | None) -> bytes:
    if s is None:
        return uvarint(0)
    raw = s.encode()
    return uvarint(len(raw) + 1) + raw


def header_v1(api_key: int, api_version: int, corr: int, client_id: str | None = "gregor-it") -> bytes:
    cid = b"\xff\xff" if client_id is None else struct.pack(">h", len(client_id)) + client_id.encode()
    return struct.pack(">hhi", api_key, api_version, corr) + cid


def header_v2(api_key: int, api_version: int, corr: int, client_id: str | None = "gregor-it") -> bytes:
    return header_v1(api_key, api_version, corr, client_id) + uvarint(0)


def frame(payload: bytes) -> bytes:
    """Size prefix + payload."""
    return struct.pack(">i", len(payload)) + payload


def api_versions_v3(corr: int, client_id: str = "gregor-it") -> bytes:
    """ApiVersions v3 request payload (no size prefix): header v2, client_software_name/version, no tags."""
    return (header_v2(API_API_VERSIONS, 3, corr, client_id)
            + compact_string("gregor-it") + compact_string("1.0") + uvarint(0))


def metadata_v12(corr: int, client_id: str = "gregor-it") -> bytes:
    """Metadata v12 request payload for no topics (empty, non-null array): header v2, topics=[],
    allow_auto_topic_creation=false, include_topic_authorized_operations=false, no tags."""
    return header_v2(API_METADATA, 12, corr, client_id) + uvarint(1) + b"\x00" + b"\x00" + uvarint(0)


def metadata_v1(corr: int, topics: list[str] | None = None, client_id: str = "gregor-it") -> bytes:
    body = struct.pack(">i", -1 if topics is None else len(topics))
    for t in topics or []:
        body += struct.pack(">h", len(t)) + t.encode()
    return header_v1(API_METADATA, 1, corr, client_id) + body


# --------------------------------------------------------------------------------------------- decoding

class Reader:
    """Strict cursor over a response payload: every read checks bounds, done() checks nothing is left."""

    def __init__(self, buf: bytes, off: int = 0):
        self.buf = buf
        self.off = off

    def _take(self, n: int) -> bytes:
        if n < 0 or self.off + n > len(self.buf):
            raise ValueError(f"need {n} bytes at offset {self.off}, frame has {len(self.buf)}")
        b = self.buf[self.off:self.off + n]
        self.off += n
        return b

    def int8(self) -> int:
        return struct.unpack(">b", self._take(1))[0]

    def int16(self) -> int:
        return struct.unpack(">h", self._take(2))[0]

    def int32(self) -> int:
        return struct.unpack(">i", self._take(4))[0]

    def uvarint(self) -> int:
        n = shift = 0
        while True:
            b = self._take(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
            if shift > 28:
                raise ValueError("varint too long")

    def compact_string(self, nullable: bool = False) -> str | None:
        n = self.uvarint()
        if n == 0:
            if not nullable:
                raise ValueError("null compact string")
            return None
        return self._take(n - 1).decode()

    def compact_array_len(self) -> int:
        n = self.uvarint()
        if n == 0:
            raise ValueError("null compact array")
        return n - 1

    def tagged_fields(self) -> dict[int, bytes]:
        out = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            out[tag] = self._take(self.uvarint())
        return out

    def done(self) -> None:
        if self.off != len(self.buf):
            raise ValueError(f"{len(self.buf) - self.off} trailing bytes at offset {self.off}")


def parse_api_versions_v3(payload: bytes, corr: int) -> tuple[int, list[tuple[int, int, int]]]:
    r = Reader(payload)
    got = r.int32()  # response header v0, even for flexible versions
    if got != corr:
        raise ValueError(f"ApiVersions correlation id {got} != {corr}")
    err = r.int16()
    ranges = []
    for _ in range(r.compact_array_len()):
        ranges.append((r.int16(), r.int16(), r.int16()))
        r.tagged_fields()
    r.int32()  # throttle_time_ms
    r.tagged_fields()
    r.done()
    return err, ranges


def parse_api_versions_v0(payload: bytes, corr: int) -> tuple[int, list[tuple[int, int, int]]]:
    """v0 format: corr, error_code, int32 count, (key, min, max)*; nothing after."""
    r = Reader(payload)
    got = r.int32()
    if got != corr:
        raise ValueError(f"ApiVersions correlation id {got} != {corr}")
    err = r.int16()
    n = r.int32()
    if n < 0 or n > 1000:
        raise ValueError(f"ApiVersions v0 api_keys count {n}")
    ranges = [(r.int16(), r.int16(), r.int16()) for _ in range(n)]
    r.done()
    return err, ranges


@dataclass
class MetadataV12:
    brokers: list[tuple[int, str, int, str | None]]
    cluster_id: str | None
    controller_id: int
    topics: int


def parse_metadata_v12(payload: bytes, corr: int) -> MetadataV12:
    r = Reader(payload)
    got = r.int32()
    if got != corr:
        raise ValueError(f"Metadata correlation id {got} != {corr}")
    r.tagged_fields()  # response header v1
    r.int32()  # throttle_time_ms
    brokers = []
    for _ in range(r.compact_array_len()):
        node = r.int32()
        host = r.compact_string()
        port = r.int32()
        rack = r.compact_string(nullable=True)
        r.tagged_fields()
        brokers.append((node, host, port, rack))
    cluster_id = r.compact_string(nullable=True)
    controller = r.int32()
    ntopics = r.compact_array_len()
    if ntopics != 0:
        raise ValueError(f"asked for no topics, got {ntopics}")
    r.tagged_fields()
    r.done()
    return MetadataV12(brokers, cluster_id, controller, ntopics)


# --------------------------------------------------------------------------------------------- sockets

def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def read_frame(sock: socket.socket, max_size: int = 16 << 20) -> bytes:
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    if size < 0 or size > max_size:
        raise ValueError(f"response size prefix {size}")
    return recv_exact(sock, size)


def connect(host: str, port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


@dataclass
class CloseResult:
    closed: bool  # EOF or reset seen
    elapsed: float  # seconds from the end of sending to the close (or to giving up)
    how: str  # "eof", "reset", "send-failed: ...", "open"
    data: bytes = b""  # anything the broker wrote before closing

    def __str__(self) -> str:
        extra = f", {len(self.data)} response bytes {self.data[:32].hex()}" if self.data else ""
        return f"{self.how} after {self.elapsed:.2f}s{extra}"


def send_quietly(sock: socket.socket, data: bytes) -> str | None:
    """sendall; returns the error text when the broker already closed on us (EPIPE/ECONNRESET)."""
    try:
        sock.sendall(data)
        return None
    except OSError as e:
        return f"{type(e).__name__}: {e}"


def await_close(sock: socket.socket, timeout: float, t0: float | None = None) -> CloseResult:
    """Read until EOF/reset or `timeout`; collects any bytes the broker sends meanwhile."""
    t0 = time.monotonic() if t0 is None else t0
    deadline = t0 + timeout
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return CloseResult(False, time.monotonic() - t0, "open", bytes(data))
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return CloseResult(True, time.monotonic() - t0, "reset", bytes(data))
        if not chunk:
            return CloseResult(True, time.monotonic() - t0, "eof", bytes(data))
        data += chunk


def probe_many(host: str, port: int, payloads: list[bytes], timeout: float) -> list[CloseResult]:
    """One fresh connection per payload, all at once: send it, then wait (poll) until the broker closes each
    connection or `timeout` passes. Elapsed times are measured from the end of each connection's send."""
    socks: list[socket.socket] = []
    results: list[CloseResult | None] = []
    starts: list[float] = []
    try:
        for p in payloads:
            s = connect(host, port)
            socks.append(s)
            err = send_quietly(s, p)
            starts.append(time.monotonic())
            if err is not None:
                results.append(CloseResult(True, 0.0, f"send-failed: {err}"))
            else:
                results.append(None)
            s.setblocking(False)
        data = [bytearray() for _ in payloads]
        poller = select.poll()
        by_fd = {}
        for i, s in enumerate(socks):
            if results[i] is None:
                poller.register(s.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
                by_fd[s.fileno()] = i
        deadline = time.monotonic() + timeout
        while by_fd:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _ev in poller.poll(min(left, 0.5) * 1000):
                i = by_fd.get(fd)
                if i is None:
                    continue
                how = None
                try:
                    chunk = socks[i].recv(65536)
                    if chunk:
                        data[i] += chunk
                    else:
                        how = "eof"
                except BlockingIOError:
                    pass
                except (ConnectionResetError, BrokenPipeError):
                    how = "reset"
                if how:
                    results[i] = CloseResult(True, time.monotonic() - starts[i], how, bytes(data[i]))
                    poller.unregister(fd)
                    del by_fd[fd]
        for fd, i in by_fd.items():
            results[i] = CloseResult(False, time.monotonic() - starts[i], "open", bytes(data[i]))
        return results  # type: ignore[return-value]
    finally:
        for s in socks:
            s.close()


# --------------------------------------------------------------------------------------------- memory

def _status_kib(pid: int, field_name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_kib(pid: int) -> int | None:
    return _status_kib(pid, "VmRSS")


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0, echo 5 > clear_refs); False if not permitted."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class MemWatch:
    """RSS of a process across an abuse phase: baseline, samples taken by sample(), and the peak (VmHWM after a
    reset, so short spikes between samples count too)."""

    def __init__(self, pid: int, label: str):
        self.pid = pid
        self.label = label
        self.peak_reset = reset_peak_rss(pid)
        self.base = rss_kib(pid) or 0
        self.samples: list[int] = []

    def sample(self) -> int:
        v = rss_kib(self.pid) or 0
        self.samples.append(v)
        return v

    @property
    def peak(self) -> int:
        hwm = _status_kib(self.pid, "VmHWM") if self.peak_reset else None
        return max([self.base, *self.samples, *([hwm] if hwm else [])])

    def growth_kib(self) -> int:
        return self.peak - self.base

    def report(self) -> str:
        last = self.samples[-1] if self.samples else self.base
        return (f"[rss {self.label}] pid {self.pid}: base {self.base / 1024:.1f} MiB, last {last / 1024:.1f} MiB, "
                f"peak {self.peak / 1024:.1f} MiB ({'VmHWM' if self.peak_reset else 'samples'}), "
                f"growth {self.growth_kib() / 1024:.1f} MiB")


# --------------------------------------------------------------------------------------------- good client

@dataclass
class GoodClientStats:
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    max_gap: float = 0.0  # longest time between two consecutive successful round trips
    duration: float = 0.0


class GoodClient:
    """A well-behaved client on ONE persistent connection (never reconnects): ApiVersions v3 and Metadata v12
    round trips, alternating, with a short pause between them. Every response must parse, match its correlation
    id and the expected content, and arrive within `max_latency` seconds.

        with GoodClient(host, port) as gc:
            ...abuse...
        gc.assert_healthy(min_ok=20)
    """

    def __init__(self, host: str, port: int, *, max_latency: float = 2.0, pause: float = 0.01,
                 min_duration: float = 1.5, expect_api_versions: dict[int, tuple[int, int]] | None = None):
        self.host, self.port = host, port
        self.max_latency = max_latency
        self.pause = pause
        self.min_duration = min_duration  # keeps running at least this long (covers the aftermath of quick abuse)
        self.expect = expect_api_versions or {API_API_VERSIONS: (0, 4), API_METADATA: (0, 13)}
        self.stats = GoodClientStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="good-client", daemon=True)
        self._first = threading.Event()
        self._cluster_id: str | None = None

    def __enter__(self) -> "GoodClient":
        self._t0 = time.monotonic()
        self._thread.start()
        if not self._first.wait(10):
            self.stop()
            raise AssertionError(f"good client: no successful round trip within 10 s: {self.stats.errors[:3]}")
        return self

    def __exit__(self, *exc) -> None:
        left = self.min_duration - (time.monotonic() - self._t0)
        if left > 0 and exc[0] is None:
            self._stop.wait(left)
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)
        self.stats.duration = time.monotonic() - self._t0

    def _check_response(self, kind: str, corr: int, payload: bytes) -> None:
        if kind == "api_versions":
            err, ranges = parse_api_versions_v3(payload, corr)
            if err != 0:
                raise ValueError(f"ApiVersions v3 error_code {err}")
            got = {k: (lo, hi) for k, lo, hi in ranges}
            for key, rng in self.expect.items():
                if got.get(key) != rng:
                    raise ValueError(f"ApiVersions v3: key {key} range {got.get(key)} != {rng}")
        else:
            md = parse_metadata_v12(payload, corr)
            if (1, "127.0.0.1", self.port, None) not in md.brokers:
                raise ValueError(f"Metadata v12 brokers {md.brokers} lack (1, 127.0.0.1, {self.port})")
            if not md.cluster_id:
                raise ValueError("Metadata v12 without cluster id")
            if self._cluster_id is None:
                self._cluster_id = md.cluster_id
            elif md.cluster_id != self._cluster_id:
                raise ValueError(f"cluster id changed {self._cluster_id} -> {md.cluster_id}")

    def _run(self) -> None:
        st = self.stats
        try:
            sock = connect(self.host, self.port)
        except OSError as e:
            st.errors.append(f"connect: {e!r}")
            self._first.set()
            return
        # A stall longer than this is reported as a failure rather than waited out.
        sock.settimeout(max(5.0, self.max_latency * 2.5))
        corr = 1000
        last_ok = time.monotonic()
        try:
            while not self._stop.is_set():
                for kind in ("api_versions", "metadata"):
                    corr += 1
                    req = api_versions_v3(corr) if kind == "api_versions" else metadata_v12(corr)
                    t = time.monotonic()
                    try:
                        sock.sendall(frame(req))
                        payload = read_frame(sock)
                        self._check_response(kind, corr, payload)
                    except (OSError, ValueError, struct.error) as e:
                        st.errors.append(f"{kind} corr {corr} after {time.monotonic() - t:.2f}s: {e!r}")
                        return  # never reconnect: the connection is the thing under test
                    now = time.monotonic()
                    lat = now - t
                    st.latencies.append(lat)
                    if lat > self.max_latency:
                        st.errors.append(f"{kind} corr {corr} took {lat:.2f}s > {self.max_latency}s")
                    st.max_gap = max(st.max_gap, now - last_ok)
                    last_ok = now
                    st.ok += 1
                    self._first.set()
                self._stop.wait(self.pause)
        finally:
            self._first.set()
            sock.close()

    def summary(self) -> str:
        st = self.stats
        lat = sorted(st.latencies)
        p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
        return (f"[good client] {st.ok} round trips in {st.duration:.1f}s, latency p50 {p(0.5):.1f} ms, "
                f"p99 {p(0.99):.1f} ms, max {max(lat, default=0) * 1000:.1f} ms, longest gap {st.max_gap:.2f}s, "
                f"{len(st.errors)} errors {st.errors[:3]}")

    def assert_healthy(self, min_ok: int) -> None:
        st = self.stats
        print(self.summary())
        assert not st.errors, self.summary()
        assert st.ok > min_ok, f"only {st.ok} round trips (need > {min_ok}): {self.summary()}"
        assert st.max_gap < self.max_latency + 0.5, f"served with a gap of {st.max_gap:.2f}s: {self.summary()}"


def env_seed(default: int | None = None) -> int:
    v = os.environ.get("GREGOR_BAD_INPUT_SEED")
    if v:
        return int(v)
    return default if default is not None else int.from_bytes(os.urandom(4), "big")
