"""Backups, restores and the upgrade drill.

The package's stack is backed up (conftest.py). A second stack starts on the previous Dagster
minor release: webserver, daemon and migrate built from locks/dagster-previous.txt; the code
location's image stays current, as its definitions need the pinned Dagster. It is given history,
then upgraded as the operator guide says. Afterwards the same project is emptied
(`docker compose down --volumes`) and receives the package stack's backup, as a new machine would.
"""

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from operations.history import KEPT_ON, Backup, History, history, runs, successful_run, wait_until_idle
from support.accounts import audit_records
from support.location import RUNS_QUERY
from support.stack import IMAGE_TAG, ROOT, TIMINGS, Stack, started_stack
from support.switches import set_schedule, set_sensor

PREVIOUS_IMAGE = "bookshop-dagster-previous"


def pinned(lock: str) -> str:
    """The version of dagster a lock file pins."""
    match = re.search(r"^dagster==(\S+)$", (ROOT / "locks" / lock).read_text(), re.MULTILINE)
    assert match, lock
    return match[1]


@dataclass(frozen=True)
class Drill:
    versions: tuple[str, str]  # what the webserver reports, before and after the upgrade
    before: History
    after: History
    seconds: float
    run_after: dict[str, Any]


@pytest.fixture(scope="module")
def second() -> Iterator[Stack]:
    """A stack whose Dagster services run the previous release (without the monitoring services,
    which the drill does not look at)."""
    subprocess.run(
        ["docker", "build", "--quiet", "--build-arg", "DAGSTER_LOCK=locks/dagster-previous.txt",
         "--file", "Dockerfile_dagster", "--tag", f"{PREVIOUS_IMAGE}:{IMAGE_TAG}", "."],
        cwd=ROOT, check=True, capture_output=True, timeout=1800,
    )  # fmt: skip
    with started_stack("upgrade", {"BOOKSHOP_DAGSTER_IMAGE": PREVIOUS_IMAGE, "BOOKSHOP_MONITORING": "0"}) as started:
        yield started


@pytest.fixture(scope="module")
def drill(second: Stack) -> Drill:
    """History on the previous release (a run of every asset, a schedule and a sensor turned on),
    then the upgrade: the pinned images and `docker compose up -d`."""
    version_before = second.graphql("{ version }")["version"]
    assert successful_run(second, "daily_refresh")["status"] == "SUCCESS"
    set_schedule(second, "source_refresh_schedule", running=True)
    set_sensor(second, KEPT_ON, running=True)
    wait_until_idle(second, timeout=600)
    before = history(second)

    del second.env["BOOKSHOP_DAGSTER_IMAGE"]
    started = time.monotonic()
    second.up()
    seconds = time.monotonic() - started
    TIMINGS["operations: upgrade, docker compose up -d until all healthy"] = seconds
    after = history(second)
    return Drill((version_before, second.graphql("{ version }")["version"]), before, after, seconds,
                 successful_run(second, "daily_refresh"))  # fmt: skip


def test_the_previous_release_upgrades_with_its_history_and_runs(drill: Drill):
    assert drill.versions == (pinned("dagster-previous.txt"), pinned("dagster.txt"))
    assert drill.after.runs == drill.before.runs
    assert drill.after.instigators == drill.before.instigators
    assert drill.after.instigators["schedule:source_refresh_schedule"] == "RUNNING"
    assert drill.after.materializations == drill.before.materializations
    # daily_refresh materializes every asset but the drop folder's, which only ingest runs land.
    assert [asset for asset, events in drill.before.materializations.items() if not events] == ["incoming_orders"]
    assert drill.run_after["status"] == "SUCCESS", drill.run_after


@pytest.fixture(scope="module")
def restored(second: Stack, drill: Drill, backup: Backup, stack: Stack) -> History:
    """The second stack emptied, the backup restored into it, then started. The people came with
    the backup: the second stack is signed in to as the first's."""
    second.down()
    second.env["BOOKSHOP_BACKUP_DIR"] = str(backup.folder)
    started = time.monotonic()
    second.compose("run", "--rm", "restore", backup.name, timeout=600)
    TIMINGS["operations: docker compose run --rm restore into an empty project"] = time.monotonic() - started
    second.admin, second.operator, second.viewer = stack.admin, stack.operator, stack.viewer
    started = time.monotonic()
    second.up()
    TIMINGS["operations: up after the restore until all healthy"] = time.monotonic() - started
    return history(second)


def test_a_backup_restored_into_an_empty_project_shows_the_same_history_and_files(
    second: Stack, restored: History, backup: Backup
):
    assert restored.runs == backup.before.runs
    assert restored.instigators == backup.before.instigators
    assert restored.instigators[f"sensor:{KEPT_ON}"] == "RUNNING"
    assert restored.materializations == backup.before.materializations
    assert any(path.startswith("./exports/") for path in restored.files)
    assert restored.files == backup.before.files
    # The read-only webserver's account reads the restored tables too.
    viewed = second.graphql_response(second.readonly_port, RUNS_QUERY, filter={})["data"]["runsOrError"]["results"]
    assert {run["runId"] for run in viewed} == set(backup.before.runs)


def test_the_audit_record_is_restored_with_the_backup(second: Stack, restored: History, backup: Backup):
    """Who stopped the daily refresh (the operator, at the first start's end) and who launched a run
    before the backup: the restored record answers both, and the restored run carries its launcher."""
    operator = second.operator[0]
    assert [operator, "bookshop", "daily_refresh_schedule", "ok"] in [
        [entry[1], entry[3], entry[5], entry[6]]
        for entry in audit_records(second, "--action", "stop schedule", "--limit", "500")
    ]
    [launched] = [
        entry
        for entry in audit_records(second, "--action", "launch run", "--limit", "500")
        if backup.launched_run in entry[7]
    ]
    assert [launched[1], launched[3], launched[5], launched[6]] == [operator, "bookshop", "source_refresh", "ok"]
    [run] = runs(second, runIds=[backup.launched_run])
    assert run["tags"]["bookshop/launched_by"] == operator
