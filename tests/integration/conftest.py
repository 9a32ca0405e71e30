"""Fixtures for the integration tests: the interop harness's broker fixtures, reused as they are.

tests/interop/conftest.py is loaded under its own module name (pytest imports every rootless conftest as
`conftest`, so a plain import would clash) and its fixtures and hooks are re-exported here:

  broker_factory  function-scoped: broker_factory(overrides={...}) -> BrokerHandle, stopped after the test
  broker          module-scoped, like the interop one, except that it starts with the test module's
                  BROKER_OVERRIDES dict (if any), e.g. {"connections.max.idle.ms": 4000}
  TARGET          "gregor" or "apache-kafka" (GREGOR_INTEROP_TARGET)

Teardown sends SIGTERM and requires a clean exit (see tests/interop/conftest.py); GREGOR_BIN,
GREGOR_INTEROP_TARGET, GREGOR_INTEROP_REQUIRE and GREGOR_TEST_TIMEOUT work as documented there.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
_INTEROP = _HERE.parent / "interop"
for p in (str(_HERE), str(_INTEROP)):
    if p not in sys.path:
        sys.path.insert(0, p)

_spec = importlib.util.spec_from_file_location("gregor_interop_conftest", _INTEROP / "conftest.py")
_interop = importlib.util.module_from_spec(_spec)
sys.modules["gregor_interop_conftest"] = _interop
_spec.loader.exec_module(_interop)

# Re-exported: pytest picks fixtures and hooks up from this module's namespace.
broker_factory = _interop.broker_factory
pytest_report_header = _interop.pytest_report_header
pytest_runtest_call = _interop.pytest_runtest_call
pytest_runtest_makereport = _interop.pytest_runtest_makereport
pytest_configure = _interop.pytest_configure

BrokerHandle = _interop.BrokerHandle
TARGET = _interop.TARGET
GREGOR_BIN = _interop.GREGOR_BIN


@pytest.fixture(scope="module")
def broker(request, tmp_path_factory):
    overrides = getattr(request.module, "BROKER_OVERRIDES", None)
    h = _interop._start_broker(tmp_path_factory.mktemp("broker"), overrides)
    yield h
    _interop._teardown(h)
