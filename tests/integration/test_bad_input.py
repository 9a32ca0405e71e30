"""Bad input on the wire: the broker must drop the offending connection and nobody else may notice.

Kafka's behaviour (the spec; check it with GREGOR_INTEROP_TARGET=apache-kafka):
  * an unknown API key, an unsupported version of any API but ApiVersions, a frame that does not parse, a size
    prefix < 8 or > socket.request.max.bytes  ->  the broker closes that connection without answering;
  * ApiVersions above the broker's range  ->  a v0-format ApiVersionsResponse (correlation id; error_code 35
    UNSUPPORTED_VERSION; int32 count + (key, min, max) entries) and the connection stays usable;
  * an incomplete frame is waited for until connections.max.idle.ms closes the connection;
  * CVE-2022-34917: lengths in a request never make the broker allocate beyond what actually arrived.
Every test runs a well-behaved client (GoodClient: ApiVersions v3 + Metadata v12 on one persistent connection)
during the abuse and requires each of its responses correct and within 2 s.

Memory bounds (/proc/<pid>/status VmRSS, peak via VmHWM) are asserted for Gregor only; against Apache Kafka they are
printed (the JVM heap makes RSS meaningless, and Kafka allocates declared frame sizes up front).
Run with -s to see the measurements. GREGOR_BAD_INPUT_SEED=N replays the random garbage of a failed run.
"""
from __future__ import annotations

import resource
import socket
import struct
import time

import pytest

from gregor_interop_conftest import TARGET  # loaded by conftest.py here
from kafka_wire import api_versions_v0 as probe_api_versions_v0, metadata_v1_brokers
from raw_kafka import (API_API_VERSIONS, API_DESCRIBE_CLUSTER, API_FETCH, API_METADATA, API_PRODUCE,
                       UNSUPPORTED_VERSION, GoodClient, MemWatch, api_versions_v3, await_close, compact_string,
                       connect, env_seed, frame, header_v1, header_v2, metadata_v1, metadata_v12,
                       parse_api_versions_v0, parse_api_versions_v3, probe_many, read_frame, rss_kib,
                       send_quietly, uvarint)

IS_GREGOR = TARGET == "gregor"
IDLE_MS = 4000
BROKER_OVERRIDES = {"connections.max.idle.ms": IDLE_MS}  # module broker; socket.request.max.bytes stays default
DEFAULT_CAP = 104857600
PROMPT = 2.0  # a rejected connection must be closed within this (well under the idle timeout)
IDLE_WAIT = IDLE_MS / 1000 + 6.0  # an incomplete frame must be closed by the idle timeout within this
MIB = 1024 * 1024

gregor_only = pytest.mark.skipif(not IS_GREGOR, reason="Gregor-specific bound (Apache Kafka's JVM heap / "
                                                       "up-front allocation make it meaningless there)")


def good_client(b) -> GoodClient:
    return GoodClient(b.host, b.port, max_latency=2.0)


def min_ok(gc: GoodClient) -> int:
    """Round trips a healthy good client manages at the very least: 5 per second of abuse, and 10 anyway."""
    return max(10, int(5 * gc.stats.duration))


def assert_all_closed(results, labels, *, within: float, what: str, allow_data: bool = False, context: str = ""):
    bad = []
    for label, r in zip(labels, results):
        if not r.closed or r.elapsed > within or (r.data and not allow_data):
            bad.append(f"  {label}: {r}")
    assert not bad, (f"{len(bad)}/{len(results)} connections not {what} (closed within {within:.1f}s, "
                     f"no response bytes){context}:\n" + "\n".join(bad))


def is_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


# ----------------------------------------------------------------------------------------------- 1. baseline

@pytest.mark.timeout(30)
def test_good_client_baseline(broker):
    """The well-behaved client on its own: responses parse, match and come quickly."""
    with good_client(broker) as gc:
        time.sleep(1.0)
    gc.assert_healthy(min_ok=20)


# ----------------------------------------------------------------------------------------------- 2. garbage

def _classify(b: bytes, cap: int) -> str | None:
    """What the broker sees in these bytes: 'prompt' (bad prefix or a complete unparseable frame), 'idle' (an
    incomplete prefix or frame, waited for), None (a complete frame with a plausible api key: regenerate)."""
    if len(b) < 4:
        return "idle"
    (size,) = struct.unpack_from(">i", b)
    if size < 8 or size > cap:
        return "prompt"
    if size > len(b) - 4:
        return "idle"
    (key,) = struct.unpack_from(">h", b, 4)
    return None if 0 <= key < 128 else "prompt"


@pytest.mark.timeout(60)
def test_random_garbage(broker):
    seed = env_seed()
    print(f"\n[garbage] seed={seed} (GREGOR_BAD_INPUT_SEED={seed} replays it)")
    import random
    rng = random.Random(seed)
    cases: list[tuple[str, bytes, str]] = []
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 64, 100, 1000, 4096, 65536, 1 << 20):
        for _ in range(1000):
            b = rng.randbytes(n)
            kind = _classify(b, DEFAULT_CAP)
            if kind:
                break
        cases.append((f"random[{n}] {b[:12].hex()}", b, kind))
    for n in (8, 9, 10, 20, 100, 1000, 30000):  # complete frames of random bytes behind a correct size prefix
        body = bytearray(rng.randbytes(n))
        (key,) = struct.unpack_from(">h", body)
        if 0 <= key < 128:
            body[0] ^= 0x40  # keep the api key unknown (a random valid key/version could legitimately be answered)
        cases.append((f"framed-random[{n}] {bytes(body[:12]).hex()}", frame(bytes(body)), "prompt"))
    for n in (0, 1, 10, 1000):  # the size prefix promises more than ever arrives
        declared = max(8, n + rng.randint(1, 1000))
        b = struct.pack(">i", declared) + rng.randbytes(n)
        cases.append((f"short[{n}/{declared}] {b[:12].hex()}", b, "idle"))

    with good_client(broker) as gc:
        results = probe_many(broker.host, broker.port, [c[1] for c in cases], timeout=IDLE_WAIT)
    for (label, _, kind), r in zip(cases, results):
        print(f"  {kind:6} {label}: {r}")
    ctx = f" [seed {seed}]"
    prompt = [(c, r) for c, r in zip(cases, results) if c[2] == "prompt"]
    idle = [(c, r) for c, r in zip(cases, results) if c[2] == "idle"]
    assert_all_closed([r for _, r in prompt], [c[0] for c, _ in prompt], within=PROMPT,
                      what="rejected promptly", context=ctx)
    assert_all_closed([r for _, r in idle], [c[0] for c, _ in idle], within=IDLE_WAIT,
                      what="closed by the idle timeout", context=ctx)
    gc.assert_healthy(min_ok(gc))


# ----------------------------------------------------------------------------------------------- 3. size prefixes

@pytest.mark.timeout(30)
def test_bad_size_prefixes(broker):
    """2 GiB, negative, just above socket.request.max.bytes, and under 8 bytes: closed at once. Prefixes 1..7
    are followed by that many bytes, so a broker that only fails at header parsing (Apache Kafka) also closes."""
    sizes = [0x7FFFFFFF, -1, -2, -(1 << 31), DEFAULT_CAP + 1, 0x40000000, 0, 1, 4, 7]
    payloads = [struct.pack(">i", s) + (b"\x00" * s if 0 < s < 8 else b"") for s in sizes]
    labels = [f"prefix {s} ({payload.hex()})" for s, payload in zip(sizes, payloads)]
    with good_client(broker) as gc:
        results = probe_many(broker.host, broker.port, payloads, timeout=IDLE_WAIT)
        # the same with a few KiB after the prefix, as a client that does not wait would send them
        more = [struct.pack(">i", s) + b"\x00" * 4096 for s in (0x7FFFFFFF, -1, DEFAULT_CAP + 1)]
        results2 = probe_many(broker.host, broker.port, more, timeout=IDLE_WAIT)
    for label, r in zip(labels, results):
        print(f"  {label}: {r}")
    assert_all_closed(results, labels, within=PROMPT, what="rejected promptly")
    assert_all_closed(results2, ["2GiB+4KiB", "-1+4KiB", "cap+1 +4KiB"], within=PROMPT, what="rejected promptly")
    gc.assert_healthy(min_ok(gc))


@pytest.mark.timeout(40)
def test_50mib_prefix_then_silence(broker):
    """A 50 MiB prefix (allowed: under the 100 MiB cap) and 4 KiB, then nothing: the broker waits, but must not
    allocate the declared size. Four such connections at once."""
    n = 4
    mem = MemWatch(broker.pid, "50MiB prefix x4")
    socks = []
    with good_client(broker) as gc:
        try:
            for i in range(n):
                s = connect(broker.host, broker.port)
                socks.append(s)
                err = send_quietly(s, struct.pack(">i", 50 * MIB) + bytes([i]) * 4096)
                assert err is None, f"send failed: {err}"
            for _ in range(6):
                time.sleep(0.25)
                mem.sample()
            still_open = [is_open(s) for s in socks]
        finally:
            for s in socks:
                s.close()
        time.sleep(0.3)
        after_close = rss_kib(broker.pid)
    print(mem.report(), f"; after closing: {after_close / 1024 if after_close else 0:.1f} MiB")
    assert all(still_open), f"a 50 MiB (< socket.request.max.bytes) frame in progress was closed: {still_open}"
    gc.assert_healthy(min_ok(gc))
    if IS_GREGOR:
        assert mem.growth_kib() < 16 * 1024, f"RSS grew on declared-but-unsent bytes: {mem.report()}"


@gregor_only
@pytest.mark.timeout(40)
def test_declared_sizes_do_not_starve_other_clients(broker):
    """24 connections each declare a 50 MiB frame (1.2 GiB in all: more than the broker-wide request memory budget
    Gregor derives from queued.max.request.bytes=-1), send 4 KiB, then trickle one byte per second each, so that
    connections.max.idle.ms never closes them. Memory that never arrived must not block the good client's tiny
    requests, nor a new client's ApiVersions ("other clients are never affected"). Gregor only: Apache Kafka
    allocates each declared size on its heap up front, so 1.2 GiB would OOM the test JVM."""
    n = 24
    mem = MemWatch(broker.pid, f"50MiB prefix x{n}")
    socks = []
    with good_client(broker) as gc:
        try:
            for i in range(n):
                s = connect(broker.host, broker.port)
                socks.append(s)
                send_quietly(s, struct.pack(">i", 50 * MIB) + bytes([i]) * 4096)
            for tick in range(24):  # 6 s, longer than connections.max.idle.ms
                time.sleep(0.25)
                mem.sample()
                if tick % 4 == 3:
                    for s in socks:
                        send_quietly(s, b"\x01")
            # a fresh client must be served too
            t = time.monotonic()
            fresh = connect(broker.host, broker.port)
            fresh.settimeout(3.0)
            fresh_err = None
            try:
                fresh.sendall(frame(api_versions_v3(7)))
                err, _ = parse_api_versions_v3(read_frame(fresh), 7)
                assert err == 0, f"error_code {err}"
            except (OSError, ValueError, AssertionError) as e:
                fresh_err = f"{e!r} after {time.monotonic() - t:.2f}s"
            finally:
                fresh.close()
            attackers_open = sum(is_open(s) for s in socks)
        finally:
            for s in socks:
                s.close()
    print(mem.report(), f"; {attackers_open}/{n} attacking connections still open at the end")
    print(gc.summary())
    problems = []
    if gc.stats.errors or gc.stats.max_gap > 2.5:
        problems.append(f"the good client stalled: {gc.summary()}")
    if fresh_err:
        problems.append(f"a new client's ApiVersions v3 ({frame(api_versions_v3(7)).hex()}) was not answered "
                        f"within 3 s: {fresh_err}")
    assert not problems, (f"{n} connections each declaring 50 MiB ({struct.pack('>i', 50 * MIB).hex()} + 4 KiB, "
                          f"then 1 byte/s) starve everyone else:\n  " + "\n  ".join(problems))
    gc.assert_healthy(min_ok(gc))
    assert mem.growth_kib() < 32 * 1024, mem.report()


@pytest.mark.timeout(120)
def test_frame_cap_boundary_with_small_limits(broker_factory):
    """socket.request.max.bytes=1048576, connections.max.idle.ms=2000 on a broker of its own. A prefix of cap+1 is
    closed at once even while the client keeps trickling bytes; a prefix of exactly cap is accepted (kept open
    while bytes trickle in) and idle-closed once they stop; a complete cap-sized frame with an unknown api key is
    read and rejected."""
    cap = 1048576
    b = broker_factory({"socket.request.max.bytes": cap, "connections.max.idle.ms": 2000})
    with good_client(b) as gc:
        over = connect(b.host, b.port)
        at = connect(b.host, b.port)
        try:
            over_err = send_quietly(over, struct.pack(">i", cap + 1))
            t_over = time.monotonic()
            send_quietly(at, struct.pack(">i", cap))
            over_closed_at = None
            for _ in range(10):  # 3 s of one byte every 0.3 s on both
                time.sleep(0.3)
                if over_closed_at is None and (over_err or not is_open(over)):
                    over_closed_at = time.monotonic() - t_over
                else:
                    over_err = over_err or send_quietly(over, b"\x00")
                err = send_quietly(at, b"\x00")
                assert err is None, f"prefix == socket.request.max.bytes ({cap}) was rejected: {err}"
            assert is_open(at), f"prefix == socket.request.max.bytes ({cap}) was closed while bytes kept coming"
            idle = await_close(at, timeout=2.0 + 6.0)
        finally:
            over.close()
            at.close()
        h = header_v1(999, 0, 1)
        full = frame(h + b"\x00" * (cap - len(h)))
        assert len(full) == cap + 4
        [r_full] = probe_many(b.host, b.port, [full], timeout=8.0)
    print(f"  cap+1: closed after {over_closed_at}s; cap (trickle stopped): {idle}; full cap frame key 999: {r_full}")
    assert over_closed_at is not None and over_closed_at < PROMPT, \
        f"prefix {cap + 1} (> socket.request.max.bytes) not closed within {PROMPT}s: {over_closed_at}"
    assert idle.closed and not idle.data, f"incomplete cap-sized frame not idle-closed within 8 s: {idle}"
    assert r_full.closed and not r_full.data, f"complete {cap}-byte frame with api key 999 not closed: {r_full}"
    gc.assert_healthy(min_ok(gc))


# ----------------------------------------------------------------------------------------------- 4. keys & versions

def _unsupported_cases() -> list[tuple[str, bytes]]:
    cases = [
        ("api key 999", header_v1(999, 0, 11) + b"\x00" * 8),
        ("api key -5", header_v1(-5, 0, 12) + b"\x00" * 8),
        ("api key 200", header_v1(200, 0, 13) + b"\x00" * 8),
        ("api key 32767 v32767", header_v2(32767, 32767, 14)),
        ("api key -32768", header_v1(-32768, 0, 15)),
        ("Metadata v99", header_v2(API_METADATA, 99, 16) + uvarint(1) + b"\x00\x00" + uvarint(0)),
        ("Metadata v-1", header_v1(API_METADATA, -1, 17) + struct.pack(">i", 0)),
        ("DescribeCluster v7", header_v2(API_DESCRIBE_CLUSTER, 7, 18) + b"\x00\x01\x00" + uvarint(0)),
        # Produce v0: advertised by Kafka 4.1 (for librdkafka, KAFKA-18659) but refused (KIP-896)
        ("Produce v0", header_v1(API_PRODUCE, 0, 19) + struct.pack(">hii", 1, 1000, 0)),
        # Fetch v3: below the v4 floor both brokers serve
        ("Fetch v3", header_v1(API_FETCH, 3, 20) + struct.pack(">iiii", -1, 100, 1, 1 << 20) + struct.pack(">i", 0)),
    ]
    return cases


@pytest.mark.timeout(30)
def test_unknown_keys_and_unsupported_versions_close(broker):
    cases = _unsupported_cases()
    with good_client(broker) as gc:
        results = probe_many(broker.host, broker.port, [frame(p) for _, p in cases], timeout=IDLE_WAIT)
        # the same after a successful ApiVersions exchange on that connection
        s = connect(broker.host, broker.port)
        try:
            s.sendall(frame(api_versions_v3(1)))
            assert parse_api_versions_v3(read_frame(s), 1)[0] == 0
            send_quietly(s, frame(header_v1(999, 0, 2) + b"\x00" * 8))
            after_handshake = await_close(s, IDLE_WAIT)
        finally:
            s.close()
    labels = [f"{label} ({frame(p).hex()})" for label, p in cases]
    for label, r in zip(labels, results):
        print(f"  {label}: {r}")
    assert_all_closed(results + [after_handshake], labels + ["api key 999 after ApiVersions"], within=PROMPT,
                      what="closed without an answer")
    gc.assert_healthy(min_ok(gc))


@pytest.mark.timeout(30)
def test_api_versions_above_range_answers_v0_unsupported(broker):
    """ApiVersions v5, v99, v32767 -> v0-format UNSUPPORTED_VERSION with the broker's ranges; the connection stays
    usable (a client then retries with a version from the list)."""
    with good_client(broker) as gc:
        for version in (5, 99, 32767):
            corr = 4000 + version
            req = header_v2(API_API_VERSIONS, version, corr) + compact_string("gregor-it") + compact_string("1.0") \
                + uvarint(0)
            s = connect(broker.host, broker.port)
            try:
                s.settimeout(PROMPT)
                s.sendall(frame(req))
                try:
                    payload = read_frame(s)
                except OSError as e:
                    pytest.fail(f"ApiVersions v{version} ({frame(req).hex()}): no answer: {e!r}")
                try:
                    err, ranges = parse_api_versions_v0(payload, corr)
                except (ValueError, struct.error) as e:
                    pytest.fail(f"ApiVersions v{version}: answer is not v0 format ({e}): {payload.hex()}")
                print(f"  ApiVersions v{version}: error {err}, {len(ranges)} ranges, "
                      f"18->{[r for r in ranges if r[0] == 18]}, 3->{[r for r in ranges if r[0] == 3]}")
                assert err == UNSUPPORTED_VERSION, f"v{version}: error_code {err}, want 35: {payload.hex()}"
                assert ranges, f"v{version}: empty api key list: {payload.hex()}"
                assert (18, 0, 4) in ranges, f"v{version}: (18, 0, 4) missing: {ranges}"
                assert len({r[0] for r in ranges}) == len(ranges), f"duplicate keys: {ranges}"
                # still usable: the retry with a supported version is answered on the same connection
                s.sendall(frame(api_versions_v3(corr + 1)))
                err3, ranges3 = parse_api_versions_v3(read_frame(s), corr + 1)
                assert err3 == 0, f"retry with ApiVersions v3 after v{version}: error {err3}"
                # Apache Kafka lists only ApiVersions itself here (KIP-511); a fuller list must match v3's
                assert set(ranges) <= set(ranges3), f"v0 answer {ranges} not a subset of v3's {ranges3}"
            finally:
                s.close()
    gc.assert_healthy(min_ok(gc))


# ----------------------------------------------------------------------------------------------- 5. truncation

@pytest.mark.timeout(40)
def test_truncated_requests_close(broker):
    """Valid ApiVersions v3 / Metadata v12 / Metadata v1 requests cut at every byte, each behind a size prefix
    that matches the shortened frame: they cannot parse, so the connection is closed without an answer."""
    full = {"ApiVersions v3": api_versions_v3(31), "Metadata v12": metadata_v12(32),
            "Metadata v1 [t]": metadata_v1(33, ["t"])}
    cases = [(f"{name} cut to {n}/{len(p)}", frame(p[:n])) for name, p in full.items() for n in range(len(p))]
    with good_client(broker) as gc:
        results = probe_many(broker.host, broker.port, [c[1] for c in cases], timeout=IDLE_WAIT)
    bad = [(c, r) for c, r in zip(cases, results) if not r.closed or r.elapsed > PROMPT or r.data]
    for (label, b), r in bad:
        print(f"  NOT REJECTED {label}: {b.hex()}: {r}")
    assert not bad, f"{len(bad)}/{len(cases)} truncated frames not rejected promptly:\n" + "\n".join(
        f"  {label} ({b.hex()}): {r}" for (label, b), r in bad)
    gc.assert_healthy(min_ok(gc))


@pytest.mark.timeout(30)
def test_client_vanishes_mid_frame(broker):
    """Frames whose declared size exceeds what is sent, then the client closes (FIN or RST), also mid-prefix and
    mid-header: no crash, nobody else affected."""
    with good_client(broker) as gc:
        body = api_versions_v3(41)
        for rst in (False, True):
            for data in (struct.pack(">i", len(body) + 100) + body,  # declared > sent
                         struct.pack(">i", 50 * MIB) + b"\x00" * 65536,
                         b"\x00\x00",  # half a prefix
                         struct.pack(">i", len(body)) + body[:5],  # mid-header
                         frame(body) + struct.pack(">i", len(body)) + body[:3]):  # one good request, half another
                s = connect(broker.host, broker.port)
                send_quietly(s, data)
                if rst:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        time.sleep(0.5)
        assert broker.proc.poll() is None, f"broker exited with {broker.proc.returncode}"
        err, ranges = probe_api_versions_v0(broker.host, broker.port, timeout=PROMPT)
        assert err == 0 and ranges
    gc.assert_healthy(min_ok(gc))


# ----------------------------------------------------------------------------------------------- 6. huge lengths

def _huge_length_cases() -> list[tuple[str, bytes]]:
    def pad(p: bytes, to: int = 1024) -> bytes:
        return p + b"A" * (to - len(p))
    return [
        ("Metadata v1 topics count 2^31-1 in 1 KiB",
         pad(header_v1(API_METADATA, 1, 51) + struct.pack(">i", 0x7FFFFFFF))),
        ("Metadata v1 topics count 2^31-1 in 1 KiB of zeros",
         header_v1(API_METADATA, 1, 52) + struct.pack(">i", 0x7FFFFFFF) + b"\x00" * 1000),
        ("Metadata v1 one topic, name length 32767, 10 bytes",
         header_v1(API_METADATA, 1, 53) + struct.pack(">ih", 1, 32767) + b"x" * 10),
        ("Metadata v12 compact topics count 2^31-1 in 1 KiB",
         pad(header_v2(API_METADATA, 12, 54) + uvarint(0x80000000))),
        ("Metadata v12 topics count 2^28 in 4 KiB",
         pad(header_v2(API_METADATA, 12, 55) + uvarint(1 << 28), 4096)),
        ("ApiVersions v3 client_software_name length 2^31-2",
         pad(header_v2(API_API_VERSIONS, 3, 56) + uvarint(0x7FFFFFFF))),
        ("ApiVersions v3 tagged field count 2^31-1",
         pad(header_v2(API_API_VERSIONS, 3, 57) + compact_string("a") + compact_string("1") + uvarint(0x7FFFFFFF))),
        ("Metadata v12 header tagged field of size 2^31-1",
         pad(header_v1(API_METADATA, 12, 58, "gregor-it") + uvarint(1) + uvarint(0) + uvarint(0x7FFFFFFF))),
        ("client_id length 32767 in 1 KiB",
         pad(struct.pack(">hhih", API_METADATA, 1, 59, 32767))),
    ]


@pytest.mark.timeout(40)
def test_huge_declared_lengths_close_and_memory_stays_bounded(broker):
    """CVE-2022-34917 class: array/string/tag lengths far beyond the frame. Each sent 5 times at once."""
    cases = _huge_length_cases() * 5
    mem = MemWatch(broker.pid, "huge lengths")
    with good_client(broker) as gc:
        results = probe_many(broker.host, broker.port, [frame(p) for _, p in cases], timeout=IDLE_WAIT)
        mem.sample()
    labels = [f"{label} ({frame(p)[:40].hex()}...)" for label, p in cases]
    for label, r in list(zip(labels, results))[:len(cases) // 5]:
        print(f"  {label}: {r}")
    print(mem.report())
    assert_all_closed(results, labels, within=PROMPT, what="closed without an answer")
    gc.assert_healthy(min_ok(gc))
    if IS_GREGOR:
        assert mem.growth_kib() < 16 * 1024, f"memory grew on lengths that never arrived: {mem.report()}"


# ----------------------------------------------------------------------------------------------- 7. idle flood

def _raise_nofile(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {need}")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    except (ValueError, OSError) as e:
        pytest.skip(f"cannot raise RLIMIT_NOFILE to {need}: {e}")


@pytest.mark.timeout(90)
def test_idle_connection_flood(broker):
    """~2000 connections that send nothing or half a size prefix: the good client keeps being served, RSS growth
    stays bounded, the idle timeout closes them, and the broker answers after they are gone."""
    want = 2000
    _raise_nofile(want + 256)
    mem = MemWatch(broker.pid, f"{want} idle connections")
    socks: list[socket.socket] = []
    failures: list[str] = []
    with good_client(broker) as gc:
        t0 = time.monotonic()
        try:
            for i in range(want):
                try:
                    s = socket.create_connection((broker.host, broker.port), timeout=3.0)
                except OSError as e:
                    failures.append(f"#{i}: {e!r}")
                    if len(failures) > 20:
                        break
                    continue
                if i % 2:
                    s.send(b"\x00\x00")  # half a size prefix
                socks.append(s)
                if i % 250 == 0:
                    mem.sample()
            t_opened = time.monotonic() - t0
            time.sleep(0.5)
            rss_open = mem.sample()
            open_now = sum(is_open(s) for s in socks)
            print(f"\n[flood] opened {len(socks)} of {want} in {t_opened:.1f}s ({len(failures)} failed "
                  f"{failures[:3]}); {open_now} still open 0.5 s later; RSS {rss_open / 1024:.1f} MiB "
                  f"(base {mem.base / 1024:.1f} MiB)")
            # connections.max.idle.ms=4000: every one of them must be closed by the broker
            deadline = time.monotonic() + IDLE_WAIT
            remaining = list(socks)
            while remaining and time.monotonic() < deadline:
                time.sleep(0.5)
                remaining = [s for s in remaining if is_open(s)]
            t_idle = time.monotonic() - t0
            mem.sample()
        finally:
            for s in socks:
                s.close()
        time.sleep(1.0)
        rss_after = mem.sample()
        err, ranges = probe_api_versions_v0(broker.host, broker.port, timeout=PROMPT)
        brokers, _ = metadata_v1_brokers(broker.host, broker.port, timeout=PROMPT)
    print(f"[flood] {len(socks) - len(remaining)} of {len(socks)} closed by the broker {t_idle:.1f}s after the "
          f"first connect; RSS after closing all {rss_after / 1024:.1f} MiB; {mem.report()}")
    assert not failures or len(failures) <= want // 100, f"{len(failures)} connects failed: {failures[:5]}"
    assert err == 0 and ranges and brokers, "broker does not answer after the flood"
    gc.assert_healthy(min_ok(gc))
    if IS_GREGOR:
        assert not remaining, (f"{len(remaining)} of {len(socks)} idle connections still open "
                               f"{t_idle:.1f}s after the first connect (connections.max.idle.ms={IDLE_MS})")
        assert mem.growth_kib() < 64 * 1024, f"RSS grew too much for {len(socks)} idle connections: {mem.report()}"
    else:  # Kafka's Selector closes at most one expired connection per poll(), so it drains them slowly
        assert len(remaining) < len(socks), "Apache Kafka closed none of the idle connections"


# ----------------------------------------------------------------------------------------------- 8. survival

@pytest.mark.timeout(30)
def test_zz_broker_survived(broker):
    """After everything above: alive, serving, (teardown) exits cleanly on SIGTERM."""
    assert broker.proc.poll() is None, f"broker exited with {broker.proc.returncode}"
    err, ranges = probe_api_versions_v0(broker.host, broker.port, timeout=PROMPT)
    assert err == 0 and ranges
    with good_client(broker) as gc:
        time.sleep(0.5)
    gc.assert_healthy(5)
    rss = rss_kib(broker.pid)
    try:
        log = broker.logfile.read_text(errors="replace")
    except OSError:
        log = ""
    closing = [line for line in log.splitlines() if "clos" in line.lower()]
    print(f"\n[end] broker RSS {rss / 1024 if rss else 0:.1f} MiB; {len(closing)} log lines mention closing; "
          f"last: {closing[-1][:200] if closing else None}")
