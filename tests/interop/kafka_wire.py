"""Tiny hand-written Kafka wire helpers for readiness probes and frame parsing (test harness only).

Only what the harness needs: ApiVersions v0 and Metadata v1 (both non-flexible, request header v1) and the
size-prefixed frame / header layout. The real conformance checks use the real clients; this module is just so the
harness can tell "the broker serves Kafka requests" without starting a JVM.
"""
from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

API_PRODUCE = 0
API_METADATA = 3
API_API_VERSIONS = 18


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago (bind to 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def request_header_v1(api_key: int, api_version: int, correlation_id: int, client_id: str | None) -> bytes:
    cid = b"\xff\xff" if client_id is None else struct.pack(">h", len(client_id)) + client_id.encode()
    return struct.pack(">hhi", api_key, api_version, correlation_id) + cid


def parse_request_header_prefix(frame: bytes) -> tuple[int, int, int]:
    """(api_key, api_version, correlation_id) of a request frame WITHOUT its 4-byte size prefix."""
    return struct.unpack_from(">hhi", frame, 0)


def parse_client_id(frame: bytes) -> str | None:
    """client_id of a request frame without size prefix (request header v1/v2: nullable int16 string at offset 8)."""
    if len(frame) < 10:
        return None
    (n,) = struct.unpack_from(">h", frame, 8)
    if n < 0:
        return None
    return frame[10:10 + n].decode("utf-8", "replace")


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def roundtrip(host: str, port: int, frame_body: bytes, timeout: float = 5.0) -> bytes:
    """Send one size-prefixed request, return the response frame without its size prefix."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(frame_body)) + frame_body)
        (size,) = struct.unpack(">i", _recv_exact(s, 4))
        return _recv_exact(s, size)


@dataclass
class ApiRange:
    api_key: int
    min_version: int
    max_version: int


def api_versions_v0(host: str, port: int, timeout: float = 5.0) -> tuple[int, list[ApiRange]]:
    """Send ApiVersions v0, return (error_code, ranges)."""
    corr = 0x4752
    resp = roundtrip(host, port, request_header_v1(API_API_VERSIONS, 0, corr, "gregor-probe"), timeout)
    got_corr, err, n = struct.unpack_from(">ihi", resp, 0)
    if got_corr != corr:
        raise ValueError(f"correlation id {got_corr} != {corr}")
    off = 10
    ranges = []
    for _ in range(max(n, 0)):
        k, lo, hi = struct.unpack_from(">hhh", resp, off)
        off += 6
        ranges.append(ApiRange(k, lo, hi))
    return err, ranges


@dataclass
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None


def metadata_v1_brokers(host: str, port: int, timeout: float = 5.0) -> tuple[list[BrokerInfo], int]:
    """Send Metadata v1 for no topics (empty array), return (brokers, controller_id)."""
    corr = 0x4753
    body = request_header_v1(API_METADATA, 1, corr, "gregor-probe") + struct.pack(">i", 0)
    resp = roundtrip(host, port, body, timeout)
    got_corr, n = struct.unpack_from(">ii", resp, 0)
    if got_corr != corr:
        raise ValueError(f"correlation id {got_corr} != {corr}")
    off = 8
    brokers = []

    def string(nullable: bool = False):
        nonlocal off
        (ln,) = struct.unpack_from(">h", resp, off)
        off += 2
        if ln < 0:
            if not nullable:
                raise ValueError("null string")
            return None
        s = resp[off:off + ln].decode()
        off += ln
        return s

    for _ in range(n):
        (nid,) = struct.unpack_from(">i", resp, off)
        off += 4
        h = string()
        (p,) = struct.unpack_from(">i", resp, off)
        off += 4
        rack = string(nullable=True)
        brokers.append(BrokerInfo(nid, h, p, rack))
    (controller,) = struct.unpack_from(">i", resp, off)
    return brokers, controller


def wait_until_serving(host: str, port: int, deadline: float, proc=None, need_brokers: bool = True) -> None:
    """Poll until ApiVersions answers with error 0 and (optionally) Metadata lists at least one broker.

    Raises TimeoutError at `deadline` (a time.monotonic() value) and RuntimeError if `proc` exited meanwhile.
    """
    last = "never connected"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before serving ({last})")
        try:
            err, ranges = api_versions_v0(host, port, timeout=2.0)
            if err != 0 or not ranges:
                last = f"ApiVersions error {err}"
            elif not need_brokers:
                return
            else:
                brokers, _ = metadata_v1_brokers(host, port, timeout=2.0)
                if brokers:
                    return
                last = "Metadata lists no broker yet"
        except (OSError, ValueError, struct.error) as e:
            last = repr(e)
        time.sleep(0.25)
    raise TimeoutError(f"{host}:{port} not serving: {last}")
