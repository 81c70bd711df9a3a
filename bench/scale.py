"""Cost as the data grows: daily_refresh in its own container, and an incremental refresh, at each size.

For each size a database of generated orders (bench/orders.sql: the seed's orders copied, the
seed's users, books and authors) sits beside `shop` in the same MySQL. daily_refresh is launched
through the stack's GraphQL API with the mysql resource pointed at that database (run config, as
an operator would), and its container's memory is sampled while it runs. Then, in processes on
this machine, mysql_orders is refreshed in full once and incrementally after the same orders
(ids 7, 107, 207, ...) changed, `repeats` times: the incremental cost should follow the changes,
not the table.
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


def incremental_at(database: BenchDatabase, changes: int, repeats: int) -> dict[str, Any]:
    """mysql_orders refreshed in full once, then incrementally after the same `changes` orders changed."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        env = reads.child_env(database, Path(folder))
        process.python_child("materialize", env, full_refresh=True)
        samples = []
        for _ in range(repeats):
            changed = database.change_orders(changes)
            samples.append(process.python_child("materialize", env, full_refresh=False))
    if changed != changes or {sample.report["refresh"] for sample in samples} != {"incremental"}:
        raise AssertionError(f"expected {changes} orders changed and incremental refreshes: {changed}, {samples}")
    return {
        "changed_orders": changed,
        "seconds": reads.seconds_of(samples),
        "run_seconds": process.middle([s.report["run_seconds"] for s in samples]),
        "peak_rss_mb": process.middle([s.peak_rss_mb for s in samples]),
        "repeats": repeats,
    }


def measure(
    admin_url: str, sizes: list[int], changes: int, repeats: int, stack: Stack | None, reader: str | None
) -> dict[str, Any]:
    """Both figures at every size (daily_refresh only with a stack); the ratios of the largest to the smallest."""
    scale: dict[str, Any] = {"sizes": {}}
    incremental: dict[str, Any] = {"changed_orders": changes, "sizes": {}}
    for rows in sizes:
        database = BenchDatabase.from_admin_url(admin_url, f"bench_{os.getpid()}_{rows}")
        database.create(rows)
        try:
            if stack is not None and reader is not None:
                database.grant_reader(reader)
                scale["sizes"][str(rows)] = daily_refresh_at(stack, database)
            incremental["sizes"][str(rows)] = {"database": database.name, **incremental_at(database, changes, repeats)}
        finally:
            database.drop()
    small, large = str(min(sizes)), str(max(sizes))
    incremental["scale_ratio"] = ratio(incremental["sizes"][large]["seconds"], incremental["sizes"][small]["seconds"])
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
