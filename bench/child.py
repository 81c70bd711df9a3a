"""What runs inside each timed child process: one read or one materialisation, reported as JSON.

    python -m bench.child read '{}'
    python -m bench.child materialize '{"full_refresh": false}'

The MySQL settings, storage folders and DAGSTER_HOME come from the environment, as in a run container.
Timing starts after the imports and the definitions have loaded: the figure is the work itself.
"""

import json
import os
import sys
import time
from typing import Any

import dagster as dg
import pandas as pd
from upath import UPath

from bookshop.definitions import defs
from bookshop.defs.sources import ORDER_COLUMNS
from bookshop.logic.incremental import merge_changed_rows
from bookshop.mysql import MySQLResource
from bookshop.parquet_io_manager import write_parquet_atomically

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
    seconds = time.perf_counter() - started
    assert result.success
    after = last_refresh(instance)
    report = {"seconds": seconds, "refresh": after["refresh"], **money(result.output_for_node("mysql_orders"))}
    if after["refresh"] == "incremental":
        report["changed_rows"] = after["changed_rows"]
        report["phases"] = incremental_phases(mysql, before)
    return report


def incremental_phases(mysql: MySQLResource, before: dict[str, Any]) -> dict[str, float]:
    """The parts of the incremental refresh just run, timed one by one again from the same starting point."""
    phases: dict[str, float] = {}
    watermark = before["high_watermark"]

    def timed(name, work):
        started = time.perf_counter()
        value = work()
        phases[name] = round(time.perf_counter() - started, 3)
        return value

    stored = timed("read stored parquet", lambda: pd.read_parquet(before["path"]))
    changed = timed(
        "read changed rows",
        lambda: mysql.read_table(f"SELECT {ORDER_COLUMNS} FROM orders WHERE updated_at >= '{watermark}'"),
    )
    merged = timed("merge", lambda: merge_changed_rows(stored, changed))
    timed("count rows in mysql", lambda: mysql.read("SELECT COUNT(*) AS total FROM orders"))
    scratch = UPath(before["path"]).with_name("bench-scratch.parquet")
    timed("write parquet", lambda: write_parquet_atomically(merged, scratch))
    scratch.unlink()
    return phases


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
    return materialize(mysql, arguments["full_refresh"])


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], json.loads(sys.argv[2]))))
