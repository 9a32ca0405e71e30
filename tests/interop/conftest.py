"""pytest fixtures for the interop tests: real Kafka clients against the Gregor broker.

Fixtures
  broker          module-scoped: one broker per test module, on a free 127.0.0.1 port, fresh log dir.
  broker_factory  function-scoped: broker_factory(overrides={...}) starts extra brokers, all stopped after the test.
  module_broker_factory  the same, module-scoped (for a module's own shared broker with overrides).
All yield BrokerHandle objects: .bootstrap ("127.0.0.1:PORT"), .host, .port, .pid, .logfile, .kind, .log_tail(),
.stop() (SIGTERM), .kill() (SIGKILL), .restart() (same port, log dir and overrides).

Environment
  GREGOR_BIN              the broker binary (default <repo>/build/gregor), run as
                          gregor --override listeners=PLAINTEXT://127.0.0.1:<port>,CONTROLLER://127.0.0.1:0 --override log.dirs=<tmp> ...
  GREGOR_INTEROP_TARGET   "gregor" (default) or "apache-kafka": the same fixtures then start a real Apache Kafka
                          4.1.1 node (tests/interop/apache_kafka.py), so every test can be validated on the real thing.
  GREGOR_INTEROP_REQUIRE  "1": fail instead of skip when the Gregor binary does not exist.
  GREGOR_TEST_TIMEOUT     seconds allowed for one test's body (default 180); a SIGALRM fails a test that hangs.

On teardown the broker gets SIGTERM and must exit cleanly within 10 s (Gregor: exit code 0; Apache Kafka: 0 or 143,
as the JVM reports 128+SIGTERM after its shutdown hooks ran); otherwise the test errors with the broker log tail.
A failing test also gets the broker log tail appended to its report.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apache_kafka import ApacheKafka  # noqa: E402
from kafka_wire import free_port, port_accepts  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TARGET = os.environ.get("GREGOR_INTEROP_TARGET", "gregor").strip().lower()
if TARGET not in ("gregor", "apache-kafka"):
    raise pytest.UsageError(f"GREGOR_INTEROP_TARGET must be 'gregor' or 'apache-kafka', not {TARGET!r}")
GREGOR_BIN = Path(os.environ.get("GREGOR_BIN", REPO / "build" / "gregor"))
STOP_TIMEOUT = 10.0
START_TIMEOUT = 30.0 if TARGET == "gregor" else 120.0
TEST_TIMEOUT = int(os.environ.get("GREGOR_TEST_TIMEOUT", "180"))


class BrokerHandle:
    """A running broker (Gregor or Apache Kafka) on 127.0.0.1."""

    def __init__(self, kind: str, host: str, port: int, workdir: Path):
        self.kind = kind
        self.host = host
        self.port = port
        self.workdir = workdir
        self.logfile: Path = workdir / "broker.log"
        self.proc: subprocess.Popen | None = None
        self._kafka: ApacheKafka | None = None
        self._log_fh = None
        self.overrides: dict = {}

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def node_id(self) -> int:
        return 1

    def log_tail(self, n: int = 120) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no broker log)"

    # ---------------------------------------------------------------- start
    def start(self, overrides: dict | None = None) -> "BrokerHandle":
        self.overrides = dict(overrides or {})
        if self.kind == "apache-kafka":
            self._kafka = ApacheKafka(self.workdir / "apache-kafka", host=self.host, port=self.port,
                                      extra_props=overrides, start_timeout=START_TIMEOUT, stop_timeout=STOP_TIMEOUT)
            self.logfile = self._kafka.logfile
            self._kafka.start()
            self.proc = self._kafka.proc
            return self
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        cmd = [str(GREGOR_BIN),
               # The node is combined (broker + controller), so it needs its CONTROLLER listener too.
               "--override", f"listeners=PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:0",
               "--override", f"log.dirs={data}"]
        for k, v in (overrides or {}).items():
            cmd += ["--override", f"{k}={v}"]
        (self.workdir / "cmdline").write_text(" ".join(cmd) + "\n")
        self._log_fh = open(self.logfile, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log_fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.workdir)
        deadline = time.monotonic() + START_TIMEOUT
        while not port_accepts(self.host, self.port, timeout=0.5):
            if self.proc.poll() is not None:
                self._close_log()
                pytest.fail(f"gregor exited with {self.proc.returncode} before accepting on {self.bootstrap}\n"
                            f"$ {' '.join(cmd)}\n--- {self.logfile} ---\n{self.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"gregor did not accept on {self.bootstrap} within {START_TIMEOUT}s\n"
                            f"--- {self.logfile} ---\n{self.log_tail()}", pytrace=False)
            time.sleep(0.05)
        return self

    def restart(self) -> "BrokerHandle":
        """Start again after stop() or kill(): same port, log dir, overrides (and, for Apache Kafka, the same node,
        cluster id and controller port), so clients see the same broker come back with its log."""
        if self.proc is None or self.proc.poll() is None:
            raise RuntimeError("restart() needs a stopped broker")
        if self.kind == "apache-kafka":
            self._kafka.proc = None
            try:
                self._kafka.start()
            except RuntimeError as e:
                pytest.fail(f"Apache Kafka did not restart on {self.bootstrap}: {e}", pytrace=False)
            self.proc = self._kafka.proc
            return self
        return self.start(self.overrides)

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown, no final flush."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self._kafka is not None:
            self._kafka.stop()  # only closes its log handle: the process is gone
        self._close_log()

    # ---------------------------------------------------------------- stop
    def _close_log(self):
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None

    def stop(self) -> tuple[bool, str]:
        """SIGTERM; (clean, description). Clean = exited by itself within STOP_TIMEOUT with an accepted code."""
        if self.proc is None:
            return True, "never started"
        if self.proc.poll() is not None:
            self._close_log()
            return False, f"already exited with {self.proc.returncode} before teardown"
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self._close_log()
            return False, f"did not exit within {STOP_TIMEOUT}s of SIGTERM (SIGKILLed)"
        finally:
            if self._kafka is not None:
                self._kafka.stop()  # closes its log handle; the process is already gone
        self._close_log()
        ok_codes = (0,) if self.kind == "gregor" else (0, 143)
        took = time.monotonic() - t0
        if rc not in ok_codes:
            return False, f"exit code {rc} after SIGTERM (expected one of {ok_codes}), took {took:.1f}s"
        return True, f"exit code {rc} after {took:.1f}s"


def _start_broker(tmp: Path, overrides: dict | None = None) -> BrokerHandle:
    if TARGET == "gregor" and not GREGOR_BIN.exists():
        msg = f"Gregor binary {GREGOR_BIN} not built (set GREGOR_BIN, or GREGOR_INTEROP_TARGET=apache-kafka)"
        if os.environ.get("GREGOR_INTEROP_REQUIRE") == "1":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    h = BrokerHandle(TARGET, "127.0.0.1", free_port("127.0.0.1"), tmp)
    return h.start(overrides)


def _teardown(h: BrokerHandle) -> None:
    clean, how = h.stop()
    if not clean:
        pytest.fail(f"{h.kind} broker on {h.bootstrap} (pid {h.pid}) did not shut down cleanly: {how}\n"
                    f"--- {h.logfile} (tail) ---\n{h.log_tail()}", pytrace=False)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    h = _start_broker(tmp_path_factory.mktemp("broker"))
    yield h
    _teardown(h)


def _factory(tmp: Path):
    started: list[BrokerHandle] = []

    def start(overrides: dict | None = None) -> BrokerHandle:
        h = _start_broker(tmp / f"broker{len(started)}", overrides)
        started.append(h)
        return h

    yield start
    errors = []
    for h in started:
        clean, how = h.stop()
        if not clean:
            errors.append(f"{h.kind} broker {h.bootstrap}: {how}\n--- {h.logfile} (tail) ---\n{h.log_tail()}")
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


@pytest.fixture
def broker_factory(tmp_path):
    yield from _factory(tmp_path)


@pytest.fixture(scope="module")
def module_broker_factory(tmp_path_factory):
    """broker_factory for module-scoped fixtures (e.g. one broker with overrides shared by a module's tests)."""
    yield from _factory(tmp_path_factory.mktemp("brokers"))


# ------------------------------------------------------------------------- hooks

def pytest_report_header(config):
    where = GREGOR_BIN if TARGET == "gregor" else "Apache Kafka 4.1.1 (Maven jars)"
    return f"interop target: {TARGET} ({where})"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Bound every test body in time (subprocesses have their own timeouts; this catches anything else)."""
    timeout = TEST_TIMEOUT
    marker = item.get_closest_marker("timeout")
    if marker and marker.args:
        timeout = int(marker.args[0])

    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded {timeout}s (GREGOR_TEST_TIMEOUT)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(timeout)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        for h in item.funcargs.values():
            if isinstance(h, BrokerHandle):
                rep.sections.append((f"{h.kind} broker log tail ({h.logfile})", h.log_tail()))


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): per-test time limit for the interop harness")
