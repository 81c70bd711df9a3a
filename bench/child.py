"""What runs inside each timed child process: one read or one materialisation, reported as JSON.

    python -m bench.child read '{}'
    python -m bench.child materialize '{"full_refresh": false}'
    python -m bench.child tick '{}'

The code location is used as a deployment uses it: its definitions, its mysql resource and its
jobs. The MySQL settings, storage folders and DAGSTER_HOME come from the environment, as in a
run container. Timing starts after the imports and the definitions have loaded: the figure is
the work itself. The readers that steps import on first use (connectorx, pyarrow's Parquet) are
imported here first, so a step's time is its work whichever step ran first; a run container
pays those imports once, at start.
"""

import json
import sys
import time
from typing import Any

import connectorx  # noqa: F401 (see above)
import dagster as dg
import pandas as pd
import pyarrow.parquet  # noqa: F401 (see above)

from bench.reads import QUERY
from bookshop.definitions import defs

ORDERS = dg.AssetKey("mysql_orders")


def money(frame: pd.DataFrame) -> dict[str, Any]:
    cents = frame["unit_price_cents"]
    return {"rows": len(frame), "cents_dtype": str(cents.dtype), "cents_total": int(cents.sum())}


def read(definitions: dg.Definitions) -> dict[str, Any]:
    """The code location's mysql resource reading every order as mysql_orders stores them, nothing else."""
    with dg.build_resources({"mysql": definitions.resources["mysql"]}) as resources:
        started = time.perf_counter()
        frame = resources.mysql.read_table(QUERY)
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


def materialize(definitions: dg.Definitions, full_refresh: bool) -> dict[str, Any]:
    """mysql_orders (and its check) materialised as source_refresh would, in this process."""
    job = definitions.resolve_job_def("source_refresh")
    instance = dg.DagsterInstance.get()
    started = time.perf_counter()
    result = job.execute_in_process(
        asset_selection=[ORDERS],
        instance=instance,
        run_config={"ops": {"mysql_orders": {"config": {"full_refresh": full_refresh}}}},
    )
    run_seconds = time.perf_counter() - started
    assert result.success
    after = last_refresh(instance)
    return {
        "seconds": step_seconds(instance, result.run_id),
        "run_seconds": run_seconds,
        "refresh": after["refresh"],
        "changed_rows": after.get("changed_rows"),
    }


def tick(definitions: dg.Definitions) -> dict[str, Any]:
    """One tick of mysql_orders_changed_sensor, after a first one that imported what its query needs."""
    sensor = definitions.resolve_sensor_def("mysql_orders_changed_sensor")
    resources = {"mysql": definitions.resources["mysql"]}
    sensor.evaluate_tick(dg.build_sensor_context(cursor="first", resources=resources))
    started = time.perf_counter()
    sensor.evaluate_tick(dg.build_sensor_context(cursor="first", resources=resources))
    return {"seconds": time.perf_counter() - started}


def main(task: str, arguments: dict[str, Any]) -> dict[str, Any]:
    definitions = defs()
    if task == "read":
        return read(definitions)
    if task == "tick":
        return tick(definitions)
    return materialize(definitions, arguments["full_refresh"])


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], json.loads(sys.argv[2]))))
