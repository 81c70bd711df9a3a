"""The deployment as a team operates it over months: first start, redeploys, backups, upgrades.

One stack for the package (see support/stack.py): a fresh install with every schedule and sensor
on and every schedule retimed to every minute, without the monitoring services
(BOOKSHOP_MONITORING=0, as an operator may choose), which nothing here looks at.
"""

import shutil
import time
from collections.abc import Iterator

import pytest

from operations.history import (
    KEPT_ON,
    SCHEDULED_JOBS,
    SCHEDULES,
    Backup,
    history,
    run_statuses,
    runs,
    scheduled_jobs,
    successful_run,
    wait_until_idle,
)
from support.stack import TIMINGS, Stack, started_stack, wait_for
from support.switches import instigators, set_schedule, set_sensor

EVERYTHING_ON = {
    "BOOKSHOP_MONITORING": "0",
    "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING": "true",
    **{variable: "* * * * *" for variable in SCHEDULES.values()},
}


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    with started_stack("operations", EVERYTHING_ON) as started:
        yield started


@pytest.fixture(scope="package")
def first_start(stack: Stack) -> list[dict]:
    """Every run of the fresh install, from its start until each scheduled job has run once. Then
    every schedule and sensor is turned off, as an operator would, but one sensor that starts no
    run while no order file is dropped: the stack stays still, its switches stored."""
    started = time.monotonic()
    wait_for(
        lambda: scheduled_jobs(runs(stack)) >= SCHEDULED_JOBS,
        600,
        "every scheduled job to run once",
    )
    for schedule in SCHEDULES:
        set_schedule(stack, schedule, running=False)
    for sensor in instigators(stack)["sensors"]:
        set_sensor(stack, sensor["name"], running=sensor["name"] == KEPT_ON)
    wait_until_idle(stack, timeout=600)
    TIMINGS["operations: first start until every schedule's first run is over"] = time.monotonic() - started
    return runs(stack)


@pytest.fixture(scope="package")
def backup(stack: Stack, first_start, tmp_path_factory) -> Backup:
    """`docker compose run --rm backup` of the stack once its first runs are over and the operator
    has launched a run of their own, into a folder of the host, with what the stack shows at that
    moment."""
    launched = successful_run(stack, "source_refresh")
    assert launched["status"] == "SUCCESS", launched
    folder = tmp_path_factory.mktemp("backups")
    stack.env["BOOKSHOP_BACKUP_DIR"] = str(folder)
    # A schedule tick under way when its schedule was turned off still submits its run, a few
    # seconds later: a backup that a run joined after `before` was read is made again.
    for _ in range(3):
        wait_until_idle(stack, timeout=600)
        before = history(stack)
        started = time.monotonic()
        stack.compose("run", "--rm", "backup", timeout=600)
        seconds = time.monotonic() - started
        [made] = list(folder.iterdir())
        if run_statuses(stack) == before.runs:
            break
        shutil.rmtree(made)
    else:
        pytest.fail("runs kept starting on a stack whose schedules and sensors were turned off")
    size = sum(path.stat().st_size for path in made.iterdir())
    TIMINGS[f"operations: docker compose run --rm backup ({size / 1e6:.1f} MB)"] = seconds
    return Backup(folder, made.name, before, seconds, size, launched["runId"])
