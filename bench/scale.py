"""Cost as the data grows: daily_refresh in its own container, and an incremental refresh, at each size.

For each size a database of generated orders (bench/orders.sql: the seed's orders copied, the
seed's users, books and authors) sits beside `shop` in the same MySQL. daily_refresh is launched
through the stack's GraphQL API with the mysql resource pointed at that database (run config, as
an operator would), and its container's memory is sampled while it runs. Then, in processes on
this machine, mysql_orders is refreshed in full once per size, and `repeats` rounds each change
the same orders (ids 7, 107, 207, ...) at every size and refresh them incrementally, the sizes
alternating so that a busy moment of the machine costs each alike: the incremental cost should
follow the changes, not the table. Each round also times, apart, the changed-rows query alone
(the `mysql` CLI) and one tick of mysql_orders_changed_sensor (its query on the whole table).
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from bench import process, reads, runs
from bench.container_memory import sample_run
from bench.database import BenchDatabase
from support.stack import Stack


def daily_refresh_at(stack: Stack, database: BenchDatabase) -> dict[str, Any]:
    """daily_refresh on `database` in a run container of the stack; seconds and its memory."""
    peaks = []
    # The resource's other settings stay the deployment's: named by variable, no value in the run config.
    mysql = {field: {"env": f"BOOKSHOP_MYSQL_{field.upper()}"} for field in ("host", "port", "user", "password")}
    run_config = {
        "ops": {"mysql_orders": {"config": {"full_refresh": True}}},
        "resources": {"mysql": {"config": {**mysql, "database": database.name}}},
    }
    figures = runs.launched(
        stack, "daily_refresh", run_config=run_config, while_running=lambda run_id: peaks.append(sample_run(run_id))
    )
    peak = peaks[0]
    return {
        **{name: round(value, 3) for name, value in figures.items()},
        "peak_mb": peak.peak_mb,
        "cgroup_peak_mb": peak.cgroup_peak_mb,
        "memory_limit_mb": peak.limit_mb,
        "memory_samples": peak.samples,
    }


# The changed-rows query of an incremental refresh, as mysql_orders makes it (its high-watermark
# is the newest updated_at it read).
CHANGED_ROWS = reads.QUERY + " WHERE updated_at >= '{since}'"


def query_alone(database: BenchDatabase) -> process.Sample:
    since = database.sql("SELECT MAX(updated_at) FROM orders").strip()
    command, env = database.cli("-N", "-B", "-e", CHANGED_ROWS.format(since=since), database.name)
    return process.run(command, env=env, keep_stdout=False)


def incremental_rounds(databases: list[BenchDatabase], changes: int, repeats: int) -> dict[str, Any]:
    """mysql_orders refreshed in full once per database, then `repeats` rounds over every database."""
    samples: dict[str, dict[str, list[process.Sample]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        envs = {}
        for database in databases:
            (Path(folder) / database.name).mkdir()
            envs[database.name] = reads.child_env(database, Path(folder) / database.name)
            process.python_child("materialize", envs[database.name], full_refresh=True)
            samples[database.name] = {"refresh": [], "query": [], "tick": []}
        for _ in range(repeats):
            for database in databases:
                changed = database.change_orders(changes)
                if changed != changes:
                    raise AssertionError(f"expected {changes} orders changed in {database.name}: {changed}")
                taken = samples[database.name]
                taken["refresh"].append(process.python_child("materialize", envs[database.name], full_refresh=False))
                taken["query"].append(query_alone(database))
                taken["tick"].append(process.python_child("tick", envs[database.name]))
    figures = {}
    for name, taken in samples.items():
        if {sample.report["refresh"] for sample in taken["refresh"]} != {"incremental"}:
            raise AssertionError(f"a refresh meant to be incremental was not: {[s.report for s in taken['refresh']]}")
        figures[name] = {
            "changed_orders": changes,
            "seconds": reads.seconds_of(taken["refresh"]),
            "run_seconds": process.middle([s.report["run_seconds"] for s in taken["refresh"]]),
            "peak_rss_mb": process.middle([s.peak_rss_mb for s in taken["refresh"]]),
            "query_seconds": process.middle([s.seconds for s in taken["query"]]),
            "sensor_tick_seconds": reads.seconds_of(taken["tick"]),
            "repeats": repeats,
        }
    return figures


def measure(
    admin_url: str, sizes: list[int], changes: int, repeats: int, stack: Stack | None, reader: str | None
) -> dict[str, Any]:
    """Both figures at every size (daily_refresh only with a stack); the ratios of the largest to the smallest."""
    scale: dict[str, Any] = {"sizes": {}}
    incremental: dict[str, Any] = {"changed_orders": changes, "sizes": {}}
    databases = {rows: BenchDatabase.from_admin_url(admin_url, f"bench_{os.getpid()}_{rows}") for rows in sizes}
    try:
        for rows, database in databases.items():
            database.create(rows)
            if stack is not None and reader is not None:
                database.grant_reader(reader)
                scale["sizes"][str(rows)] = daily_refresh_at(stack, database)
        rounds = incremental_rounds(list(databases.values()), changes, repeats)
    finally:
        for database in databases.values():
            database.drop()
    for rows, database in databases.items():
        incremental["sizes"][str(rows)] = {"database": database.name, **rounds[database.name]}
    small, large = str(min(sizes)), str(max(sizes))
    sized = incremental["sizes"]
    ratios = {"scale_ratio": "seconds", "query_scale_ratio": "query_seconds"}
    ratios["sensor_tick_scale_ratio"] = "sensor_tick_seconds"
    for key, figure in ratios.items():
        incremental[key] = ratio(sized[large][figure], sized[small][figure])
    if not scale["sizes"]:
        return {"incremental_scale": incremental}
    per_million = {rows: figures["seconds"] / (int(rows) / 1e6) for rows, figures in scale["sizes"].items()}
    scale["seconds_per_million"] = {rows: round(seconds, 2) for rows, seconds in per_million.items()}
    scale["per_million_ratio"] = ratio(per_million[large], per_million[small])
    scale["peak_mb"] = {rows: figures["peak_mb"] for rows, figures in scale["sizes"].items()}
    scale["memory_limit_mb"] = scale["sizes"][large]["memory_limit_mb"]
    return {"scale": scale, "incremental_scale": incremental}


def ratio(value: float, base: float) -> float:
    return round(value / base, 3) if base else float("nan")
