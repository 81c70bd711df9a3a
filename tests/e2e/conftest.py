"""The whole deployment, built and started once per test session under a compose project of its own.

The stack is `docker-compose.yml` exactly as users run it, plus `compose.e2e.yml` (MySQL on an
ephemeral loopback port for the SQL cross-check, and a webhook receiver for failure alerts).
Settings that differ from the defaults: random passwords (proving they flow from the environment),
free ports for both webservers, the daily refresh schedule retimed to every minute, alerts POSTed
to the receiver, and the docker group of this machine's socket.
"""

import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e.stack import TIMINGS, WEBHOOK_URL, Stack, free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """Build the images, bring the five services up healthy; remove everything at the end."""
    docker = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    assert docker.returncode == 0, f"the end-to-end tests need a running Docker engine:\n{docker.stderr}"
    env_file = tmp_path_factory.mktemp("compose") / "e2e.env"
    env_file.write_text("")  # a developer's .env must not leak into the test stack
    port = free_port()
    readonly_port = next(p for p in iter(free_port, None) if p != port)
    env = {
        **os.environ,
        "BOOKSHOP_IMAGE_TAG": "e2e",
        "DAGSTER_WEBSERVER_PORT": str(port),
        "DAGSTER_WEBSERVER_READONLY_PORT": str(readonly_port),
        "DAGSTER_WEBSERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BOOKSHOP_ALERT_WEBHOOK_URL": WEBHOOK_URL,
        "DAGSTER_POSTGRES_PASSWORD": f"pg-{secrets.token_hex(8)}",
        "MYSQL_ROOT_PASSWORD": f"root-{secrets.token_hex(8)}",
        "MYSQL_READER_PASSWORD": f"reader-{secrets.token_hex(8)}",
        "DAILY_REFRESH_SCHEDULE_CRON": "* * * * *",
        "BOOKSHOP_SCHEDULES_RUNNING": "false",
    }
    for name in list(env):
        if name.startswith("COMPOSE_"):
            del env[name]
    stack = Stack(f"bookshop-e2e-{os.getpid()}", env, env_file, port, readonly_port)
    try:
        started = time.monotonic()
        stack.compose("build", timeout=1800)
        TIMINGS["build images"] = time.monotonic() - started
        started = time.monotonic()
        stack.up()
        TIMINGS["up until all healthy"] = time.monotonic() - started
        yield stack
    finally:
        logs = stack.compose("logs", "--no-color", "--tail", "200", check=False, timeout=120)
        (Path(tempfile.gettempdir()) / f"{stack.project}.log").write_text(logs.stdout + logs.stderr)
        stack.remove_run_containers()
        stack.compose("down", "--volumes", "--remove-orphans", check=False, timeout=300)


@dataclass
class OperatorRuns:
    """Two finished runs of source_refresh for the operator's pages and the failure alerts."""

    succeeded: dict[str, Any]
    failed: dict[str, Any]


def succeed_then_fail(stack: Stack) -> OperatorRuns:
    """A run that succeeds, then one made to fail by stopping MySQL for it; MySQL is back at the end.

    The failed run selects one asset only: connectorx waits 30 s for a refused connection (its
    pool's timeout), for each step in turn.
    """

    def launch(job: str, assets: list[str] | None = None) -> str:
        launched = stack.launch_run(job, assets)
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    started = time.monotonic()
    succeeded = stack.wait_until_finished(launch("source_refresh"))
    stack.compose("stop", "mysql")
    try:
        failed = stack.wait_until_finished(launch("source_refresh", ["mysql_users"]))
    finally:
        stack.compose("up", "--detach", "--wait", "mysql")
    TIMINGS["a run that succeeds and one that fails (background)"] = time.monotonic() - started
    return OperatorRuns(succeeded, failed)


@pytest.fixture(scope="session")
def operator_runs(stack: Stack) -> Iterator[Future[OperatorRuns]]:
    """Made in a background thread, so that tests which need no run go on meanwhile."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        runs = pool.submit(succeed_then_fail, stack)
        yield runs
        wait([runs])


@pytest.fixture(autouse=True)
def _time_each_test(request):
    started = time.monotonic()
    yield
    TIMINGS[request.node.name] = time.monotonic() - started


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("end-to-end timings")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:8.1f} s  {name}")
