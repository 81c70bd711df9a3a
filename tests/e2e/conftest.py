"""The whole deployment end to end, on the shared stack (tests/conftest.py, support/stack.py)."""

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import pytest

from support.stack import SHARED_STACK, TIMINGS, Stack


@pytest.fixture(scope="package")
def stack() -> Stack:
    return SHARED_STACK.start()


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


@pytest.fixture(scope="package")
def operator_runs(stack: Stack) -> Iterator[Future[OperatorRuns]]:
    """Made in a background thread, so that tests which need no run go on meanwhile."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        runs = pool.submit(succeed_then_fail, stack)
        yield runs
        wait([runs])
