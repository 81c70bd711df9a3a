"""A burst of order files dropped at once: time until every file is processed or rejected.

The stack's `incoming_orders_sensor` is turned on, then for each mode the code server and the
daemon are recreated with that mode's setting, and `files` files of `orders` orders plus `bad`
broken ones are written to a hidden folder of the incoming folder and moved into it
in one `mv`. The clock runs from that move until every file is in processed/ or
rejected/ and every run the sensor started has finished (the last run's recorded end time).
Modes: BOOKSHOP_INCOMING_MAX_FILES_PER_RUN=1 (one run per file) and the deployment's default.
"""

import time
from typing import Any

from support.stack import START_SENSOR, Stack

SENSOR = "incoming_orders_sensor"
FILES_PER_RUN = "BOOKSHOP_INCOMING_MAX_FILES_PER_RUN"
UNFINISHED = {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"}
INCOMING = "/data/incoming"
POLL_SECONDS = 1.0

SENSOR_RUNS = """
query($filter: RunsFilter!) {
  runsOrError(filter: $filter, limit: 5000) {
    ... on Runs { results { runId status endTime } }
  }
}
"""
# Writes the burst's files into a hidden folder of the drop folder (argv: folder, prefix, files,
# orders per file, bad files). Good files hold valid orders; each bad one breaks one rule.
WRITE_FILES = """
import sys
from pathlib import Path

folder, prefix, files, orders, bad = Path(sys.argv[1]), sys.argv[2], *map(int, sys.argv[3:])
folder.mkdir(parents=True, exist_ok=True)
header = "order_id,user_id,book_id,quantity,unit_price,created_at"
for number in range(files):
    first = 10_000_000 + number * orders
    rows = [f"{first + i},{1 + i % 100},{1 + i % 50},{1 + i % 3},{10 + i % 90}.{i % 100:02d},2026-01-02T03:04:05Z"
            for i in range(orders)]
    (folder / f"{prefix}-{number:04d}.csv").write_text("\\n".join([header, *rows]) + "\\n")
broken = [
    "order_id,user_id,book_id,quantity,created_at\\n1,1,1,1,2026-01-02T03:04:05Z\\n",
    header + "\\n1,1,1,1,12.345,2026-01-02T03:04:05Z\\n",
    header + "\\n1,1,1,two,12.34,2026-01-02T03:04:05Z\\n",
    header + "\\n1,1,1,-1,12.34,2026-01-02T03:04:05Z\\n",
    header + "\\n1,1,1,1,12.34,yesterday\\n",
    header + "\\n",
    header + "\\n1,1,1,1,12.34,2026-01-02T03:04:05Z\\n1,1,1,1,12.34,2026-01-02T03:04:05Z\\n",
]
for number in range(bad):
    (folder / f"{prefix}-bad-{number:04d}.csv").write_text(broken[number % len(broken)])
"""


def start_sensor(stack: Stack) -> None:
    selector = {"repositoryLocationName": stack.location, "repositoryName": "__repository__", "sensorName": SENSOR}
    answer = stack.graphql(START_SENSOR, selector=selector)["startSensor"]
    if answer.get("__typename") != "Sensor":
        raise RuntimeError(f"startSensor {SENSOR}: {answer}")


def recreate_with(stack: Stack, files_per_run: str | None) -> str:
    """The code server and the daemon recreated with this setting (None: the deployment's default);
    the value the code server then holds."""
    if files_per_run is None:
        stack.env.pop(FILES_PER_RUN, None)
    else:
        stack.env[FILES_PER_RUN] = files_per_run
    stack.compose("up", "--detach", "--wait", "--no-deps", "--force-recreate", "user_code", "daemon", timeout=600)
    deadline = time.monotonic() + 300
    while not stack.location_loaded():
        if time.monotonic() > deadline:
            raise TimeoutError("the code location did not load again after recreating user_code")
        time.sleep(POLL_SECONDS)
    return stack.exec("user_code", f"printenv {FILES_PER_RUN} || echo default").strip()


def placed(stack: Stack, prefix: str) -> tuple[int, int, int]:
    """Files of this burst still waiting, processed, rejected (not the reasons beside the rejected ones)."""
    counts = stack.exec(
        "user_code",
        f"for folder in {INCOMING} {INCOMING}/processed {INCOMING}/rejected; do "
        f"ls $folder | grep -c '^{prefix}-.*\\.csv$' || true; done",
    ).split()
    waiting, processed, rejected = map(int, counts)
    return waiting, processed, rejected


def drop(stack: Stack, mode: str, files: int, orders: int, bad: int, timeout: float) -> dict[str, Any]:
    prefix = f"burst-{mode}"
    staging = f"{INCOMING}/.{prefix}"
    script = ["python", "-c", WRITE_FILES, staging, prefix, str(files), str(orders), str(bad)]
    stack.compose("exec", "-T", "user_code", *script, timeout=300)
    dropped = time.time()
    stack.exec("user_code", f"mv {staging}/*.csv {INCOMING}/ && rmdir {staging}")
    total = files + bad
    deadline = time.monotonic() + timeout
    tags = [{"key": "dagster/sensor_name", "value": SENSOR}]
    while True:
        waiting, processed, rejected = placed(stack, prefix)
        found = stack.graphql(SENSOR_RUNS, filter={"tags": tags, "createdAfter": dropped})["runsOrError"]["results"]
        if processed + rejected == total and found and not any(run["status"] in UNFINISHED for run in found):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{mode}: {waiting} files waiting, {len(found)} runs after {timeout} s")
        time.sleep(POLL_SECONDS)
    seconds = max(run["endTime"] for run in found) - dropped
    return {
        "seconds": round(seconds, 2),
        "files_per_second": round(total / seconds, 2),
        "runs": len(found),
        "failed_runs": sum(run["status"] == "FAILURE" for run in found),
        "processed": processed,
        "rejected": rejected,
    }


def measure(stack: Stack, files: int, orders: int, bad: int, timeout: float = 1800) -> dict[str, Any]:
    """Both modes on one stack, one after the other; `ratio` is batched seconds / one-run-per-file seconds."""
    start_sensor(stack)
    results: dict[str, Any] = {"files": files, "orders_per_file": orders, "bad_files": bad}
    for mode, setting in (("one_per_file", "1"), ("batched", None)):
        effective = recreate_with(stack, setting)
        results[mode] = {FILES_PER_RUN: effective, **drop(stack, mode, files, orders, bad, timeout)}
    results["ratio"] = round(results["batched"]["seconds"] / results["one_per_file"]["seconds"], 3)
    return results
