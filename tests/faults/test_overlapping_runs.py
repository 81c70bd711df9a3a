"""Overlapping and crashing refreshes leave every stored table whole, with the figures SQL computes.

(a) Four `source_refresh` runs launched at once, three rounds: the pools keep one writer per asset
(no two runs' steps of one asset overlap), every run succeeds, every manifest names files that
exist, and the transforms then `analytics_refresh` export the figures computed in SQL.
(b) A `source_refresh` run container's process killed with SIGKILL from the host (as the OOM
killer would) as Dagster starts its steps, and inside `mysql_orders` (its read held by a lock on
the orders table, so the kill lands in the step every time): run monitoring fails the run, the
killed step's pool slot is freed, the retry succeeds, the table is whole and the next refresh
succeeds with the row count SQL gives.
"""

import contextlib
import itertools
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from faults.conftest import kill_container_process
from support.shop_figures import assert_exports_hold_the_figures, reader_engine, stack_figures
from support.stack import Stack, wait_for

ROUNDS = 3
RUNS_AT_ONCE = 4
SOURCES = ("mysql_users", "mysql_authors", "mysql_books", "mysql_orders")
IMPLICIT_ASSET_JOB = "__ASSET_JOB"  # what the UI's Materialize launches
# How long an admin session may hold the orders table (it is released as soon as the kill is done).
ORDERS_LOCK_SECONDS = 300
RUN_QUERY = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run {
      runId status tags { key value }
      stepStats { stepKey status startTime endTime }
    }
  }
}
"""
RUNS_QUERY = """
query($filter: RunsFilter) {
  runsOrError(filter: $filter) { ... on Runs { results { runId status } } }
}
"""
# Every stored snapshot table: its manifest, whether each file it names exists, and the rows read.
# os._exit once the answer is printed: pyarrow's threads once aborted this interpreter at exit.
STORED_TABLES = """
import glob, json, os
from upath import UPath
from bookshop.storage.snapshot_table import SnapshotTable
tables = {}
for path in glob.glob("/data/storage/**/manifest.json", recursive=True):
    table = SnapshotTable(UPath(os.path.dirname(path)))
    manifest = table.existing_manifest()
    names = [manifest.snapshot, manifest.overlay]
    exist = all(os.path.exists(os.path.join(os.path.dirname(path), name)) for name in names)
    tables[path] = {"files_exist": exist, "row_count": manifest.row_count, "rows": len(table.read()) if exist else None}
print(json.dumps(tables), flush=True)
os._exit(0)
"""


def run_details(stack: Stack, run_id: str) -> dict:
    return stack.graphql(RUN_QUERY, runId=run_id)["runOrError"]


def launch(stack: Stack, job: str) -> str:
    launched = stack.launch_run(job)
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def stored_tables(stack: Stack) -> dict:
    return json.loads(stack.exec("user_code", "python -", input=STORED_TABLES))


@pytest.fixture(scope="module")
def order_count(stack: Stack) -> int:
    engine = reader_engine(stack)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT COUNT(*) FROM orders")).scalar()
    engine.dispose()
    return count


def assert_tables_whole(stack: Stack, order_count: int) -> None:
    tables = stored_tables(stack)
    assert "/data/storage/mysql_orders/manifest.json" in tables, tables
    for path, table in tables.items():
        assert table["files_exist"], f"{path} names a file that does not exist: {table}"
        assert table["rows"] == table["row_count"], (path, table)
    assert tables["/data/storage/mysql_orders/manifest.json"]["rows"] == order_count


def step_times(run: dict, asset: str) -> tuple[float, float]:
    [step] = [s for s in run["stepStats"] if s["stepKey"] == asset]
    assert step["status"] == "SUCCESS", step
    return step["startTime"], step["endTime"]


def test_four_source_refreshes_at_once_take_turns_per_asset_and_leave_whole_tables(stack: Stack, order_count: int):
    for round_number in range(ROUNDS):
        with ThreadPoolExecutor(RUNS_AT_ONCE) as pool:
            run_ids = list(pool.map(lambda _: launch(stack, "source_refresh"), range(RUNS_AT_ONCE)))
        finished = [stack.wait_until_finished(run_id, timeout=420) for run_id in run_ids]
        assert [run["status"] for run in finished] == ["SUCCESS"] * RUNS_AT_ONCE, (round_number, finished)

        # One writer per asset at a time: each asset's four steps ran one after another.
        runs = [run_details(stack, run_id) for run_id in run_ids]
        for asset in SOURCES:
            steps = sorted(step_times(run, asset) for run in runs)
            for (_, first_end), (second_start, _) in itertools.pairwise(steps):
                assert second_start >= first_end, (round_number, asset, steps)
        assert_tables_whole(stack, order_count)

    # The cleaned tables from what the overlapping runs stored (as an operator's Materialize would),
    # then the analytics and exports from those.
    transforms = stack.launch_run(IMPLICIT_ASSET_JOB, assets=["users_cleaned", "orders_cleaned"])
    assert transforms["__typename"] == "LaunchRunSuccess", transforms
    assert stack.wait_until_finished(transforms["run"]["runId"], timeout=420)["status"] == "SUCCESS"
    analytics = launch(stack, "analytics_refresh")
    assert stack.wait_until_finished(analytics, timeout=420)["status"] == "SUCCESS"
    figures = stack_figures(stack)
    assert_exports_hold_the_figures(lambda name: stack.exec("user_code", f"cat /data/exports/{name}"), figures)


def runs_with_parent(stack: Stack, run_id: str) -> list[dict]:
    flt = {"tags": [{"key": "dagster/parent_run_id", "value": run_id}]}
    return stack.graphql(RUNS_QUERY, filter=flt)["runsOrError"]["results"]


def container_once_started(stack: Stack, run_id: str, step: str) -> str:
    """The run's container, once the run (step "run") or the named step has started."""

    def started():
        run = run_details(stack, run_id)
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        steps = {s["stepKey"]: s["status"] for s in run["stepStats"]}
        begun = run["status"] == "STARTED" and (step == "run" or steps.get(step) == "IN_PROGRESS")
        return tags.get("docker/container_id") if begun else None

    return wait_for(started, 300, f"run {run_id} to reach {step}", interval=0.2)


@contextlib.contextmanager
def orders_locked(stack: Stack) -> Iterator[None]:
    """An admin session holds a write lock on the orders table, so a read of it waits; the session
    is interrupted on leaving (and gives up after ORDERS_LOCK_SECONDS in any case)."""
    root = f"MYSQL_PWD='{stack.env['MYSQL_ROOT_PASSWORD']}' mysql -uroot shop"
    holding = f"DO SLEEP({ORDERS_LOCK_SECONDS})"
    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(stack.exec, "mysql", f"{root} -e 'LOCK TABLES orders WRITE; {holding}' || true")
        wait_for(lambda: holding in stack.exec("mysql", f"{root} -e 'SHOW PROCESSLIST'"), 60, "the lock on orders")
        try:
            yield
        finally:
            session = f"SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = '{holding}'"
            stack.exec("mysql", f'for id in $({root} -N -e "{session}"); do {root} -e "KILL QUERY $id"; done')
            holder.result(timeout=60)


@pytest.mark.parametrize("where", ["run", "mysql_orders"])
def test_a_killed_refresh_is_retried_and_leaves_the_table_whole(stack: Stack, order_count: int, where: str):
    held = orders_locked(stack) if where == "mysql_orders" else contextlib.nullcontext()
    with held:
        run_id = launch(stack, "source_refresh")
        container = container_once_started(stack, run_id, where)
        kill_container_process(container)

    # Run monitoring fails the run, its slots are freed, and a crashed run is retried once.
    assert stack.wait_until_finished(run_id, timeout=240)["status"] == "FAILURE"
    failed_tags = {tag["key"]: tag["value"] for tag in run_details(stack, run_id)["tags"]}
    [retry] = wait_for(lambda: runs_with_parent(stack, run_id), 120, f"a retry of run {run_id} ({failed_tags})")
    assert stack.wait_until_finished(retry["runId"], timeout=300)["status"] == "SUCCESS"
    assert_tables_whole(stack, order_count)

    after = launch(stack, "source_refresh")
    assert stack.wait_until_finished(after, timeout=420)["status"] == "SUCCESS"
    assert_tables_whole(stack, order_count)
