"""A dropped file to the figures: seconds from a file's arrival in the drop folder until its orders
are in daily_revenue and in both exports.

Every sensor of the location is turned on (the drop folder's, and the automation that refreshes
what is downstream of the landed orders). Each file holds `orders` orders all made on a day of its
own (in 2021, a year the seed has no order in), so the stored daily_revenue tells when the file's
orders are in: its day is there with exactly the file's order count. They are in the exports once
user_stats.csv and top_authors.csv were both written after that daily_revenue file. The clock runs
from the file's `mv` into the drop folder to the later of the two exports' writes (one clock: the
host's and the containers' are the same). One file first, then a burst of `burst` files in one `mv`.
The one file's seconds are split by the two runs it makes (their records: created, started, ended):
    to_ingest_run: the `mv` -> incoming_orders_sensor created the ingest_order_file run
    ingest_start, ingest_steps: created -> started (queue, container) -> ended
    to_refresh_run: the ingest run ended -> landed_orders_sensor created the landed_orders_refresh run
    refresh_start, refresh_steps: created -> started -> ended
"""

import json
import time
from datetime import date, timedelta
from statistics import median
from typing import Any

from bench.burst import INCOMING
from support.stack import START_SENSOR, Stack

FIRST_DAY = date(2021, 1, 1)
POLL_SECONDS = 2.0
SENSORS = """
query($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) { ... on Repository { sensors { name } } }
}
"""
RUNS = """
query($filter: RunsFilter) {
  runsOrError(filter: $filter) { ... on Runs { results { jobName creationTime startTime endTime } } }
}
"""
RUNS_MADE = ("ingest_order_file", "landed_orders_refresh")
# Writes one file per day (argv: folder, prefix, first day, files, orders per file).
WRITE_FILES = """
import sys
from datetime import date, timedelta
from pathlib import Path

folder, prefix, first = Path(sys.argv[1]), sys.argv[2], date.fromisoformat(sys.argv[3])
files, orders = map(int, sys.argv[4:])
folder.mkdir(parents=True, exist_ok=True)
for number in range(files):
    day = first + timedelta(days=number)
    start = 20_000_000 + (day - date(2021, 1, 1)).days * orders
    rows = [f"{start + i},{1 + i % 100},{1 + i % 50},1,12.34,{day}T12:00:00Z" for i in range(orders)]
    text = "order_id,user_id,book_id,quantity,unit_price,created_at\\n" + "\\n".join(rows) + "\\n"
    (folder / f"{prefix}-{number:04d}.csv").write_text(text)
"""
# What the figures hold now: daily_revenue's order count per day of 2021, and when it and the exports were written.
FIGURES = """
import json, os
import pyarrow.parquet as pq

storage, exports = os.environ["BOOKSHOP_STORAGE_PATH"], os.environ["BOOKSHOP_EXPORTS_PATH"]
def written(path):
    return os.stat(path).st_mtime if os.path.exists(path) else 0.0
daily = f"{storage}/daily_revenue.parquet"
counts = {}
if os.path.exists(daily):
    table = pq.read_table(daily, columns=["day", "order_count"]).to_pydict()
    counts = {str(day): count for day, count in zip(table["day"], table["order_count"]) if str(day) >= "2021"}
exported = min(written(f"{exports}/user_stats.csv"), written(f"{exports}/top_authors.csv"))
print(json.dumps({"counts": counts, "daily_written": written(daily), "exports_written": exported}))
"""


def start_every_sensor(stack: Stack) -> None:
    selector = {"repositoryLocationName": stack.location, "repositoryName": "__repository__"}
    for sensor in stack.graphql(SENSORS, selector=selector)["repositoryOrError"]["sensors"]:
        stack.graphql(START_SENSOR, selector={**selector, "sensorName": sensor["name"]})


def figures(stack: Stack) -> dict[str, Any]:
    return json.loads(stack.compose("exec", "-T", "user_code", "python", "-c", FIGURES).stdout)


def stages(stack: Stack, dropped: float) -> dict[str, float]:
    """Where one dropped file's seconds went: the first run of each job created after the `mv`."""
    made = stack.graphql(RUNS, filter={"createdAfter": dropped})["runsOrError"]["results"]
    ingest, refresh = (
        min((run for run in made if run["jobName"] == job), key=lambda run: run["creationTime"]) for job in RUNS_MADE
    )
    return {
        "to_ingest_run": ingest["creationTime"] - dropped,
        "ingest_start": ingest["startTime"] - ingest["creationTime"],
        "ingest_steps": ingest["endTime"] - ingest["startTime"],
        "to_refresh_run": refresh["creationTime"] - ingest["endTime"],
        "refresh_start": refresh["startTime"] - refresh["creationTime"],
        "refresh_steps": refresh["endTime"] - refresh["startTime"],
    }


def drop(stack: Stack, prefix: str, first: date, files: int, orders: int, timeout: float) -> tuple[float, list[float]]:
    """When the `mv` was, and the seconds from it until each file's orders are in daily_revenue and both exports."""
    staging = f"{INCOMING}/.{prefix}"
    script = ["python", "-c", WRITE_FILES, staging, prefix, first.isoformat(), str(files), str(orders)]
    stack.compose("exec", "-T", "user_code", *script, timeout=300)
    days = {(first + timedelta(days=number)).isoformat() for number in range(files)}
    dropped = time.time()
    stack.exec("user_code", f"mv {staging}/*.csv {INCOMING}/ && rmdir {staging}")
    seen: dict[str, float] = {}  # day -> when daily_revenue was written holding it
    arrived: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(arrived) < files:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{prefix}: {len(arrived)} of {files} files in the figures after {timeout} s")
        now = figures(stack)
        for day in days - set(seen):
            if now["counts"].get(day) == orders:
                seen[day] = now["daily_written"]
        for day, written in seen.items():
            if day not in arrived and now["exports_written"] >= written:
                arrived[day] = now["exports_written"] - dropped
        time.sleep(POLL_SECONDS)
    return dropped, sorted(arrived.values())


def measure(stack: Stack, burst: int, orders: int, timeout: float = 900) -> dict[str, Any]:
    """One file, then `burst` files at once; p50 and max of the burst's files."""
    start_every_sensor(stack)
    dropped, one = drop(stack, "figures-one", FIRST_DAY, 1, orders, timeout)
    one_file_stages = stages(stack, dropped)
    _, many = drop(stack, "figures-burst", FIRST_DAY + timedelta(days=1), burst, orders, timeout)
    return {
        "one_file_seconds": round(one[0], 1),
        "one_file_stages": {stage: round(seconds, 1) for stage, seconds in one_file_stages.items()},
        "p50_seconds": round(median(many), 1),
        "max_seconds": round(max(many), 1),
        "files": burst,
        "orders_per_file": orders,
    }
