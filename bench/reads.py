"""Extraction of mysql_orders against the `mysql` CLI.

Each round runs, each in its own process: the CLI floor, then the asset's read, checked against
the database. Rounds interleave the two so that a noisy moment on the machine costs both alike.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from bench import process
from bench.database import BenchDatabase

# Every order with its price in integer cents, as mysql_orders stores them: the read that the
# mysql resource and the CLI floor both make.
QUERY = (
    "SELECT id, user_id, book_id, quantity, CAST(unit_price * 100 AS SIGNED) AS unit_price_cents,"
    " created_at, updated_at FROM orders"
)


def measure(database: BenchDatabase, rows: int, repeats: int) -> dict[str, Any]:
    database.create(rows)
    loaded = database.count()
    cents_total = database.cents_total()
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as folder:
        env = child_env(database, Path(folder))
        floor, reads = [], []
        for _ in range(repeats):
            command, cli_env = database.cli("-N", "-B", "-e", QUERY, database.name)
            floor.append(process.run(command, env=cli_env, keep_stdout=False))
            reads.append(process.python_child("read", env))
    for sample in reads:
        exact = sample.report["cents_dtype"] == "int64" and sample.report["cents_total"] == cents_total
        if sample.report["rows"] != loaded or not exact:
            raise AssertionError(f"orders read wrongly: {sample.report} (expected {loaded} rows, {cents_total} cents)")
    return {**extraction(loaded, floor, reads), "cents_total": cents_total}


def child_env(database: BenchDatabase, folder: Path) -> dict[str, str]:
    home = folder / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {
        **os.environ,
        **database.pipeline_env(),
        "DAGSTER_HOME": str(home),
        "BOOKSHOP_STORAGE_PATH": str(folder / "storage"),
        "BOOKSHOP_EXPORTS_PATH": str(folder / "exports"),
        "BOOKSHOP_INCOMING_PATH": str(folder / "incoming"),
        "BOOKSHOP_ALERT_WEBHOOK_URL": "",
        "DAGSTER_WEBSERVER_PUBLIC_URL": "http://localhost:3000",
    }


def seconds_of(samples: list[process.Sample]) -> float:
    """The median of the work's own time, as the child timed it (after its imports)."""
    return process.middle([sample.report["seconds"] for sample in samples])


def extraction(rows: int, floor, reads) -> dict[str, Any]:
    seconds = seconds_of(reads)
    floor_seconds = process.middle([s.seconds for s in floor])
    return {
        "rows": rows,
        "ratio": round(seconds / floor_seconds, 3),
        "seconds": seconds,
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": process.middle([s.peak_rss_mb for s in reads]),
        "process_seconds": process.middle([s.seconds for s in reads]),
        "floor_seconds": floor_seconds,
        "floor_peak_rss_mb": process.middle([s.peak_rss_mb for s in floor]),
        "money_exact": True,
        "repeats": len(reads),
    }
