"""Shared test settings: the tiers (markers by folder), the environment the code location reads,
the loaded definitions and the headless browser."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
from integration.conftest import ShopDatabase, started_shop_database
from playwright.sync_api import Browser, Page, sync_playwright
from xdist.scheduler import LoadScopeScheduling

from bookshop.definitions import defs
from support.browser import chromium
from support.stack import SHARED_STACK, TIMINGS

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
def shop_database() -> Iterator[ShopDatabase]:
    """One MySQL with the shop for the integration tests and the bench smoke test (one worker group)."""
    yield from started_shop_database()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by the browser tests of a module and closed after them: while it
    runs, Playwright's event loop stands in the way of a later test that runs its own on the same
    worker (Dagster's `evaluate_automation_conditions`)."""
    with sync_playwright() as playwright:
        browser = chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def signed_in(browser: Browser, stack) -> Iterator[Callable[[tuple[str, str]], Page]]:
    """Opens a page signed in as (user, password) on the sign-in page, as a person signs in: the
    session cookie then goes with every request to both entries (a cookie ignores the port)."""
    contexts = []

    def open_page(credentials: tuple[str, str]) -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US", timezone_id="UTC")
        contexts.append(context)
        entry = f"http://127.0.0.1:{stack.readonly_port}"
        form = {"name": credentials[0], "password": credentials[1], "next": "/"}
        answer = context.request.post(f"{entry}/login", form=form, headers={"Origin": entry}, max_redirects=0)
        assert answer.status == 303, f"sign-in: {answer.status} {answer.text()[:300]}"
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


# Under `pytest -n 2` (make test) the tests that share a stack or a database server run on one
# worker, one stack per worker at a time. The groups are handed out longest first, each to the
# worker that is free first; the tests of no group fill the gaps. The faults tests are two groups:
# on two workers each brings up its own stack (the package's fixture), so the drills on runs and
# on services go on side by side.
WORKER_GROUPS = {
    "e2e": "shared stack",
    "security": "shared stack",
    "faults/test_order_files.py": "faults: runs",
    "faults/test_overlapping_runs.py": "faults: runs",
    "operations": "operations",
    "faults": "faults: services",
    "bench": "integration",
    "integration": "integration",
    "monitoring": "monitoring",
}
GROUP_ORDER = ("shared stack", "faults: runs", "operations", "faults: services", "integration", "monitoring")


def group_of(nodeid: str) -> str | None:
    """The worker group of a test ('tests/faults/test_alerts.py::...'): that of its file, else of its folder."""
    relative = Path(nodeid.split("::")[0]).relative_to(TESTS.name)
    return WORKER_GROUPS.get(relative.as_posix()) or WORKER_GROUPS.get(relative.parts[0])


class WorkerGroupScheduling(LoadScopeScheduling):
    """xdist's scheduling by scope, a scope being a worker group (or a test of none)."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid) or nodeid


def pytest_xdist_make_scheduler(config, log):
    return WorkerGroupScheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test's own teardown: the shared stack goes down when its group's last test is over,
    so that a worker never holds two stacks."""
    yield
    if group_of(item.nodeid) == "shared stack" and (nextitem is None or group_of(nextitem.nodeid) != "shared stack"):
        SHARED_STACK.stop()


def pytest_sessionfinish():
    SHARED_STACK.stop()


def folder_of(item: pytest.Item) -> str:
    """The folder under tests/ a test is in ('' for the top level)."""
    relative = Path(item.path).relative_to(TESTS)
    return relative.parts[0] if len(relative.parts) > 1 else ""


def pytest_collection_modifyitems(items):
    """The tier of a test's folder and `browser` on every test that opens the browser; the tests
    of each worker group together, in GROUP_ORDER (which `pytest -n 2 --no-loadscope-reorder` keeps)."""
    for item in items:
        item.add_marker(getattr(pytest.mark, TIERS.get(folder_of(item), "unit")))
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: GROUP_ORDER.index(group) if (group := group_of(item.nodeid)) else len(GROUP_ORDER))


@pytest.fixture(autouse=True)
def _time_each_stack_test(request):
    """Each stack test's seconds, and the harness's timings made meanwhile (a stack's build and
    start), carried in the test's report to the process that prints the summary."""
    started = time.monotonic()
    yield
    if "stack" in request.fixturenames:
        TIMINGS[request.node.nodeid] = time.monotonic() - started
    request.node.user_properties.extend(("timing", name, seconds) for name, seconds in TIMINGS.items())
    TIMINGS.clear()


def pytest_terminal_summary(terminalreporter):
    """How long each folder took (from its first test's start to its last test's end, and the
    seconds its tests took in all), then the stack timings."""
    reports = [report for reports in terminalreporter.stats.values() for report in reports if hasattr(report, "when")]
    folders: dict[str, list] = {}
    for report in reports:
        relative = Path(report.fspath)
        folder = relative.parts[1] if len(relative.parts) > 2 else "(top level)"
        folders.setdefault(folder, []).append(report)
    if not folders:
        return
    terminalreporter.section("time per folder")
    terminalreporter.write_line("    wall  in tests  tests  folder")
    for folder, made in sorted(folders.items(), key=lambda item: -sum(report.duration for report in item[1])):
        wall = max(report.stop for report in made) - min(report.start for report in made)
        tests = len({report.nodeid for report in made})
        in_tests = sum(report.duration for report in made)
        terminalreporter.write_line(f"{wall:7.0f} s {in_tests:7.0f} s {tests:6d}  {folder}")
    timings = [prop[1:] for report in reports for prop in report.user_properties if prop[0] == "timing"]
    if timings:
        terminalreporter.section("stack timings")
        for name, seconds in timings:
            terminalreporter.write_line(f"{seconds:8.1f} s  {name}")
