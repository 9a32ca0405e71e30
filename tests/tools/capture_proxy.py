#!/usr/bin/env python3
"""Loopback TCP proxy that records every Kafka request frame and its response frame, per connection.

    python3 tests/tools/capture_proxy.py --listen 127.0.0.1:0 --target 127.0.0.1:9092 --out /tmp/capture

Frames are saved WITHOUT their 4-byte size prefix:
    OUT/conn-0003/0001-req-k18-v4-c0.bin     request  (api key 18, version 4, correlation id 0)
    OUT/conn-0003/0001-resp-k18-v4-c0.bin    its response (matched by correlation id)
and one JSON line per frame is appended to OUT/index.jsonl:
    {"conn": 3, "label": "java", "seq": 1, "dir": "req"|"resp", "api_key": 18, "api_version": 4,
     "correlation_id": 0, "client_id": "producer-1", "size": 123, "file": "conn-0003/0001-req-k18-v4-c0.bin"}

Only 127.0.0.1 is used. Importable: CaptureProxy(target_host, target_port, out_dir).start(); .port; .label = "..."
tags the connections accepted from then on; .stop().
"""
from __future__ import annotations

import argparse
import json
import socket
import struct
import sys
import threading
from pathlib import Path


class _Conn:
    def __init__(self, proxy: "CaptureProxy", n: int, label: str, client: socket.socket):
        self.proxy = proxy
        self.n = n
        self.label = label
        self.client = client
        self.dir = proxy.out_dir / f"conn-{n:04d}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pending: dict[int, tuple[int, int, int]] = {}  # correlation id -> (seq, api key, version)
        self.seq = 0
        self.lock = threading.Lock()


class CaptureProxy:
    def __init__(self, target_host: str, target_port: int, out_dir, listen_host: str = "127.0.0.1",
                 listen_port: int = 0, label: str = ""):
        self.target = (target_host, target_port)
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.label = label
        self._srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind((listen_host, listen_port))
        self._srv.listen(64)
        self.host, self.port = self._srv.getsockname()
        self._index_lock = threading.Lock()
        self._index = open(self.out_dir / "index.jsonl", "a")
        self._n = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "CaptureProxy":
        t = threading.Thread(target=self._accept_loop, name="capture-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stopping = True
        try:
            self._srv.close()
        except OSError:
            pass
        for s in list(self._socks):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for t in self._threads:
            t.join(timeout=5)
        with self._index_lock:
            self._index.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ internals
    def _record(self, conn: _Conn, entry: dict, frame: bytes) -> None:
        (conn.dir / entry["file_name"]).write_bytes(frame)
        entry = {k: v for k, v in entry.items() if k != "file_name"} | {
            "file": f"{conn.dir.name}/{entry['file_name']}"}
        with self._index_lock:
            if not self._index.closed:
                self._index.write(json.dumps(entry) + "\n")
                self._index.flush()

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._srv.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError as e:
                print(f"capture_proxy: cannot reach {self.target}: {e}", file=sys.stderr)
                client.close()
                continue
            self._n += 1
            conn = _Conn(self, self._n, self.label, client)
            self._socks += [client, upstream]
            for fn, a, b in ((self._pump_requests, client, upstream), (self._pump_responses, upstream, client)):
                t = threading.Thread(target=fn, args=(conn, a, b), daemon=True)
                t.start()
                self._threads.append(t)

    @staticmethod
    def _read_frame(sock: socket.socket) -> tuple[bytes, bytes] | None:
        """(size prefix, frame) or None at EOF."""
        hdr = b""
        while len(hdr) < 4:
            chunk = sock.recv(4 - len(hdr))
            if not chunk:
                return None
            hdr += chunk
        (size,) = struct.unpack(">i", hdr)
        buf = bytearray()
        while len(buf) < size:
            chunk = sock.recv(min(65536, size - len(buf)))
            if not chunk:
                return None
            buf += chunk
        return hdr, bytes(buf)

    @staticmethod
    def _close_pair(a: socket.socket, b: socket.socket) -> None:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _pump_requests(self, conn: _Conn, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                got = self._read_frame(src)
                if got is None:
                    break
                hdr, frame = got
                key, ver, corr = struct.unpack_from(">hhi", frame, 0) if len(frame) >= 8 else (-1, -1, -1)
                client_id = None
                if len(frame) >= 10:
                    (n,) = struct.unpack_from(">h", frame, 8)
                    if n >= 0:
                        client_id = frame[10:10 + n].decode("utf-8", "replace")
                with conn.lock:
                    conn.seq += 1
                    seq = conn.seq
                    conn.pending[corr] = (seq, key, ver)
                self._record(conn, {"conn": conn.n, "label": conn.label, "seq": seq, "dir": "req", "api_key": key,
                                    "api_version": ver, "correlation_id": corr, "client_id": client_id,
                                    "size": len(frame), "file_name": f"{seq:04d}-req-k{key}-v{ver}-c{corr}.bin"},
                             frame)
                dst.sendall(hdr + frame)
        except OSError:
            pass
        finally:
            self._close_pair(src, dst)

    def _pump_responses(self, conn: _Conn, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                got = self._read_frame(src)
                if got is None:
                    break
                hdr, frame = got
                (corr,) = struct.unpack_from(">i", frame, 0) if len(frame) >= 4 else (-1,)
                with conn.lock:
                    seq, key, ver = conn.pending.pop(corr, (0, -1, -1))
                self._record(conn, {"conn": conn.n, "label": conn.label, "seq": seq, "dir": "resp", "api_key": key,
                                    "api_version": ver, "correlation_id": corr, "client_id": None,
                                    "size": len(frame), "file_name": f"{seq:04d}-resp-k{key}-v{ver}-c{corr}.bin"},
                             frame)
                dst.sendall(hdr + frame)
        except OSError:
            pass
        finally:
            self._close_pair(src, dst)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:0", help="host:port to listen on (loopback)")
    ap.add_argument("--target", required=True, help="host:port of the Kafka broker (loopback)")
    ap.add_argument("--out", required=True, help="directory for frames and index.jsonl")
    ap.add_argument("--label", default="", help="tag written into index.jsonl")
    a = ap.parse_args()
    lh, lp = a.listen.rsplit(":", 1)
    th, tp = a.target.rsplit(":", 1)
    p = CaptureProxy(th, int(tp), a.out, lh, int(lp), a.label).start()
    print(f"capture_proxy listening on {p.host}:{p.port} -> {th}:{tp}, writing {a.out}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        p.stop()


if __name__ == "__main__":
    main()
