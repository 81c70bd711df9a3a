"""Shared test settings: the tiers (markers by folder), the environment the code location reads,
the loaded definitions and the headless browser."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from bookshop.definitions import defs
from support.browser import chromium
from support.stack import TIMINGS

TESTS = Path(__file__).resolve().parent
# Each folder is one tier (see pytest.ini); what is not in a tier's folder needs no Docker: unit.
TIERS = {
    "integration": "integration",
    "bench": "integration",
    "e2e": "e2e",
    "faults": "faults",
    "security": "security",
    "monitoring": "monitoring",
    "operations": "operations",
}

CODE_LOCATION_ENV = {
    "BOOKSHOP_MYSQL_HOST": "127.0.0.1",
    "BOOKSHOP_MYSQL_PORT": "3306",
    "BOOKSHOP_MYSQL_DATABASE": "shop",
    "BOOKSHOP_MYSQL_USER": "bookshop_reader",
    "BOOKSHOP_MYSQL_PASSWORD": "unused",
    "BOOKSHOP_ALERT_WEBHOOK_URL": "",
    "DAGSTER_WEBSERVER_PUBLIC_URL": "http://localhost:3000",
}


@pytest.fixture
def code_location_env(monkeypatch, tmp_path):
    """A complete environment for the code location, with its folders under tmp_path."""
    for name in ("BOOKSHOP_TIMEZONE", "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING", "BOOKSHOP_RETENTION_DAYS"):
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


@pytest.fixture
def definitions(code_location_env) -> dg.Definitions:
    return defs()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by every browser test."""
    with sync_playwright() as playwright:
        browser = chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def signed_in(browser: Browser) -> Iterator[Callable[[tuple[str, str]], Page]]:
    """Opens a page signed in as (user, password): Basic credentials sent with every request,
    WebSocket handshakes included (as a browser does once a person has signed in), not only
    after a 401."""
    contexts = []

    def open_page(credentials: tuple[str, str]) -> Page:
        user, password = credentials
        context = browser.new_context(
            viewport={"width": 1400, "height": 900},
            locale="en-US",
            timezone_id="UTC",
            http_credentials={"username": user, "password": password, "send": "always"},
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items):
    """The tier of a test's folder, and `browser` on every test that opens the browser."""
    for item in items:
        relative = Path(item.path).relative_to(TESTS)
        tier = TIERS.get(relative.parts[0], "unit") if len(relative.parts) > 1 else "unit"
        item.add_marker(getattr(pytest.mark, tier))
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)


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
