"""What runs inside each timed child process: one read or one materialisation, reported as JSON.

    python -m bench.child read '{}'
    python -m bench.child materialize '{"full_refresh": false}'
    python -m bench.child load '{}'

The MySQL settings, storage folders and DAGSTER_HOME come from the environment, as in a run container.
Timing starts after the imports and the definitions have loaded: the figure is the work itself. The
readers that steps import on first use (connectorx, pyarrow's Parquet) are imported here first, so a
step's time is its work whichever step ran first; a run container pays those imports once, at start.
"""

import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import connectorx  # noqa: F401 (see above)
import dagster as dg
import pandas as pd
import pyarrow.parquet  # noqa: F401 (see above)
from upath import UPath

from bookshop.definitions import defs
from bookshop.defs.sources import ORDER_COLUMNS, read_changed_orders
from bookshop.mysql import MySQLResource
from bookshop.storage.snapshot_table import SnapshotTable

ORDERS = dg.AssetKey("mysql_orders")


def money(frame: pd.DataFrame) -> dict[str, Any]:
    cents = frame["unit_price_cents"]
    return {"rows": len(frame), "cents_dtype": str(cents.dtype), "cents_total": int(cents.sum())}


def read(mysql: MySQLResource) -> dict[str, Any]:
    """The asset's full read (MySQLResource.read_table with the asset's query), nothing else."""
    started = time.perf_counter()
    frame = mysql.read_table(f"SELECT {ORDER_COLUMNS} FROM orders")
    return {"seconds": time.perf_counter() - started, **money(frame)}


def last_refresh(instance: dg.DagsterInstance) -> dict[str, Any]:
    event = instance.get_latest_materialization_event(ORDERS)
    if event is None:
        return {}
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> float:
    """The steps' own time in a run (mysql_orders and its check): each step's start to its success."""
    events = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS})
    started = {e.step_key: e.timestamp for e in events if e.dagster_event_type == dg.DagsterEventType.STEP_START}
    return sum(
        e.timestamp - started[e.step_key] for e in events if e.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS
    )


def materialize(mysql: MySQLResource, full_refresh: bool) -> dict[str, Any]:
    """mysql_orders (and its check) materialised as a run of the code location would, in this process."""
    job = defs().resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.get()
    before = last_refresh(instance)
    started = time.perf_counter()
    result = job.execute_in_process(
        asset_selection=[ORDERS],
        instance=instance,
        run_config={"ops": {"mysql_orders": {"config": {"full_refresh": full_refresh}}}},
    )
    run_seconds = time.perf_counter() - started
    assert result.success
    after = last_refresh(instance)
    report = {
        "seconds": step_seconds(instance, result.run_id),
        "run_seconds": run_seconds,
        "refresh": after["refresh"],
    }
    if after["refresh"] == "incremental":
        report["changed_rows"] = after["changed_rows"]
        report["phases"] = incremental_phases(mysql, before["high_watermark"], stored_orders(after))
    return report


def stored_orders(refresh: dict[str, Any]) -> SnapshotTable:
    """The stored table that a refresh's metadata names."""
    return SnapshotTable(UPath(refresh["manifest"]).parent)


def load() -> dict[str, Any]:
    """The stored orders loaded whole, as a downstream asset loads them (and checked by `money`)."""
    frame, seconds = timed(stored_orders(last_refresh(dg.DagsterInstance.get())).read)
    return {"seconds": seconds, **money(frame)}


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = work()
    return value, round(time.perf_counter() - started, 3)


def incremental_phases(mysql: MySQLResource, high_watermark: str, table: SnapshotTable) -> dict[str, float]:
    """The parts of the incremental refresh just run, timed one by one again from the same high-watermark
    (folding the same changes into the stored table again changes nothing)."""
    current = table.existing_manifest()
    since = dataclasses.replace(current, high_watermark=high_watermark)
    refresh, reading = timed(lambda: read_changed_orders(mysql, since).value)
    _, folding = timed(lambda: table.apply(refresh.rows, refresh.deleted_ids, refresh.high_watermark, current))
    return {"read changed rows and deleted ids": reading, "fold into the stored table": folding}


def main(task: str, arguments: dict[str, Any]) -> dict[str, Any]:
    mysql = MySQLResource(
        host=os.environ["BOOKSHOP_MYSQL_HOST"],
        port=int(os.environ["BOOKSHOP_MYSQL_PORT"]),
        database=os.environ["BOOKSHOP_MYSQL_DATABASE"],
        user=os.environ["BOOKSHOP_MYSQL_USER"],
        password=os.environ["BOOKSHOP_MYSQL_PASSWORD"],
    )
    if task == "read":
        return read(mysql)
    if task == "load":
        return load()
    return materialize(mysql, arguments["full_refresh"])


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], json.loads(sys.argv[2]))))
