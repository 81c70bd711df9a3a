"""Shared test settings: the tiers (markers by folder), the environment the code location reads."""

import time
from pathlib import Path

import pytest

from support.stack import TIMINGS

TESTS = Path(__file__).resolve().parent
# Each folder is one tier (see pytest.ini); what is not in a tier's folder needs no Docker: unit.
TIERS = {"integration": "integration", "bench": "integration", "e2e": "e2e", "faults": "faults", "security": "security"}
BROWSER_MODULES = {"test_browser.py"}

CODE_LOCATION_ENV = {
    "BOOKSHOP_MYSQL_HOST": "127.0.0.1",
    "BOOKSHOP_MYSQL_PORT": "3306",
    "BOOKSHOP_MYSQL_DATABASE": "shop",
    "BOOKSHOP_MYSQL_USER": "bookshop_reader",
    "BOOKSHOP_MYSQL_PASSWORD": "unused",
    "BOOKSHOP_ALERT_WEBHOOK_URL": "",
    "DAGSTER_WEBSERVER_PUBLIC_URL": "http://localhost:3000",
    "BOOKSHOP_RETENTION_DAYS": "90",
}


@pytest.fixture
def code_location_env(monkeypatch, tmp_path):
    """A complete environment for the code location, with its folders under tmp_path."""
    for name in ("BOOKSHOP_TIMEZONE", "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING"):
        monkeypatch.delenv(name, raising=False)
    env = {
        **CODE_LOCATION_ENV,
        "BOOKSHOP_STORAGE_PATH": str(tmp_path / "storage"),
        "BOOKSHOP_EXPORTS_PATH": str(tmp_path / "exports"),
        "BOOKSHOP_INCOMING_PATH": str(tmp_path / "incoming"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def pytest_collection_modifyitems(items):
    for item in items:
        relative = Path(item.path).relative_to(TESTS)
        tier = TIERS.get(relative.parts[0], "unit") if len(relative.parts) > 1 else "unit"
        if relative.name in BROWSER_MODULES:
            tier = "browser"
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(autouse=True)
def _time_each_stack_test(request):
    started = time.monotonic()
    yield
    if "stack" in request.fixturenames:
        TIMINGS[request.node.nodeid] = time.monotonic() - started


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("stack timings")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:8.1f} s  {name}")
